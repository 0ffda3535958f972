"""The diary's streams, ``diaryEvents`` and ``classEvents``: what each follows and its policy
for an event. The stream core (``resolvers/outbox.py``) replays them from the outbox by cursor,
then live, and asks that policy as each event is delivered. Writing and publishing events is
``resolvers/outbox.py``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Hashable

from tortoise.expressions import Q

import models
from pubsub.broker import class_topic, student_topic
from resolvers import outbox, pages, policy
from resolvers.core import BIGINT_MAX, _, pk_of
from resolvers.errors import BadUserInput
from resolvers.policy import windows
from resolvers.sessions import Context

log = logging.getLogger(__name__)

OUTBOX = outbox.Source(
    models.OutboxEvent,
    "outbox",
    "occurred_at",
    "the diary",
    # What a diary event's payload loads by id (``schema/subscription.py``): read with the event.
    primes=(
        outbox.Prime("grade_id", models.Grade, "grade_by_id"),
        outbox.Prime("student_id", models.Student, "student_by_id"),
    ),
)


def encode_cursor(event_id: int) -> str:
    return pages.encode(OUTBOX.cursor, event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode(OUTBOX.cursor, cursor, BIGINT_MAX)


async def _subscribed_students(ctx: Context, student_id: str | None) -> tuple[list[int], bool]:
    """The students to follow, and whether one was named explicitly."""
    if student_id is not None:
        pk = pk_of(student_id, "Student")
        if pk is None or not await policy.visible_students(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput(_("No such student."), argument="studentId")
        return [pk], True
    family = await policy.children(ctx.viewer).only("id")
    own = await models.Student.filter(user_id=ctx.viewer.user_id).only("id")
    ids = sorted({s.id for s in [*family, *own]})
    if not ids:
        raise BadUserInput(_("You have no children to follow; pass `studentId`."), argument="studentId")
    return ids, False


async def _sees_submission(ctx: Context, submission_id: int) -> bool:
    """Whether a staff follower sees the handed-in work an event names (``policy.visible_submissions``):
    a class's or a child's stream skips the hand-in events of another subject's or group's homework."""
    return await policy.visible_submissions(ctx.viewer).filter(id=submission_id).exists()


async def _sees_what_it_names(ctx: Context, row: models.OutboxEvent) -> bool:
    """For a follower whose only window on the event's class is a group's (``Window.group``: a
    membership, not an enrolment): whether they read the grade, lesson, remark and final grade
    the event names. The event carries the class, not the day, and a child who left the group is
    still in the class: a group's teacher gets an event of the child's days in their group only
    (a grade, a lesson of such a day; a final grade of a term with such a day)."""
    named = (
        (row.grade_id, policy.visible_grades),
        (row.lesson_id, policy.visible_lessons),
        (row.remark_id, policy.visible_remarks),
        (row.term_grade_id, policy.visible_term_grades),
    )
    for pk, scope in named:
        if pk is not None and not await scope(ctx.viewer).filter(id=pk).exists():
            return False
    return True


def diary_events(
    ctx: Context, student_id: str | None, after: str | None
) -> AsyncIterator[outbox.Delivery[models.OutboxEvent]]:
    """A family's stream: one named student, or all of the viewer's children (and themself).
    The one student followed out of sight ends it; one child of several is skipped, until none
    of them is in sight (every guardianship revoked): then it ends too. The stream core's own
    iterator (no generator of its own to pass each event through, at every woken run)."""

    async def follow() -> outbox.Follow[models.OutboxEvent]:
        floor = await outbox.start(ctx, OUTBOX, after)
        ids, explicit = await _subscribed_students(ctx, student_id)

        async def check(row: models.OutboxEvent, seen: frozenset[int] | None) -> Hashable | None:
            # Both see nothing once the viewer is deactivated or reset (``policy.live``).
            family = await policy.family_view(ctx.viewer, seen)
            if family is not None:
                return ("family", family) if row.student_id in family else None
            scope = policy.live(policy.visible_students(ctx.viewer), ctx.viewer)
            if not await scope.filter(id=row.student_id).exists():
                return None
            # A teacher of one class of a transferred child: that class's events only (its window);
            # an event of the other class is skipped, the stream goes on.
            found = await windows.windows_of(ctx.viewer, [row.student_id])
            in_window = windows.sees_class(found[row.student_id], row.school_class_id)
            if in_window and row.submission_id is not None and not await _sees_submission(ctx, row.submission_id):
                return outbox.SKIP  # handed-in work of another subject's or group's homework
            dated = in_window and windows.by_groups_only(found[row.student_id], row.school_class_id)
            if dated and not await _sees_what_it_names(ctx, row):
                return outbox.SKIP  # a group's teacher: not of the child's days in their group
            return ("user", ctx.viewer.user_id) if in_window else outbox.SKIP

        async def gone() -> bool:
            return not await policy.visible_students(ctx.viewer).filter(id__in=ids).exists()

        topics = tuple(student_topic(i) for i in ids)
        return outbox.Follow(
            OUTBOX,
            topics,
            Q(student_id__in=ids),
            floor,
            check,
            ends=explicit,
            gone=None if explicit else gone,
            asks=lambda: policy.family_scope(ctx.viewer),  # what ``family_view`` asks, read with the events
        )

    return outbox.run(ctx, follow)


def class_events(ctx: Context, class_id: str, after: str | None) -> AsyncIterator[outbox.Delivery[models.OutboxEvent]]:
    """A class's stream, for the teachers of the class and its school's admins, until they no
    longer may follow it (the stream core's iterator, as ``diary_events``)."""

    async def follow() -> outbox.Follow[models.OutboxEvent]:
        floor = await outbox.start(ctx, OUTBOX, after)
        pk = pk_of(class_id, "SchoolClass")
        if pk is None or not await policy.followable_classes(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput(_("No such class among those you teach."), argument="classId")

        async def check(row: models.OutboxEvent, answer: frozenset[int] | None) -> Hashable | None:
            # Read with the events while it holds (one statement for the event and every teacher
            # it wakes: ``core._Batch``), asked on its own after that.
            follows = pk in answer if answer is not None else await policy.still_follows_class(ctx.viewer, pk)
            if not follows:
                return None
            if row.submission_id is not None and not await _sees_submission(ctx, row.submission_id):
                return outbox.SKIP  # handed-in work of another subject's or group's homework: not theirs
            return ("user", ctx.viewer.user_id)

        return outbox.Follow(
            OUTBOX,
            (class_topic(pk),),
            Q(school_class_id=pk),
            floor,
            check,
            ends=True,
            asks=lambda: policy.followed_class(ctx.viewer, pk),  # what ``still_follows_class`` asks
        )

    return outbox.run(ctx, follow)
