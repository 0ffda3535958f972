"""A lesson's topic and plan note, set by a teacher of the lesson (``policy.can_plan_lesson``).

The topic is the families' to read (the diary, the journal, a LESSON_TOPIC_SET event to every
student of the class); the plan note is the staff's (``Lesson.planNote``: whoever reads the
lesson's register). The audit names which fields changed, never their text. The thematic plan
import (``resolvers/thematic_plan.py``) writes many topics at once through ``topic_events``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import FieldProblem, Problem, ValidationFailed, found_in, refuse
from resolvers.sessions import Context
from resolvers.text import clean

MAX_TOPIC = 500
MAX_NOTE = 1000


@dataclass(frozen=True)
class TopicInput:
    lesson_id: str
    topic: str | None
    plan_note: str | None


def check_topic(raw: str, path: str, problems: list[Problem]) -> str | None:
    """The topic as stored (None when empty: the topic is cleared)."""
    text = clean(raw, path, problems)
    if len(text) > MAX_TOPIC:
        problems.append(
            (
                path,
                ErrorCode.TEXT_TOO_LONG,
                ngettext("A topic has at most {n} character.", "A topic has at most {n} characters.", MAX_TOPIC),
            )
        )
    return text or None


def _check_note(raw: str, problems: list[Problem]) -> str | None:
    text = clean(raw, "planNote", problems, multiline=True)
    if len(text) > MAX_NOTE:
        problems.append(
            (
                "planNote",
                ErrorCode.TEXT_TOO_LONG,
                ngettext("A plan note has at most {n} character.", "A plan note has at most {n} characters.", MAX_NOTE),
            )
        )
    return text or None


async def visible_lesson(ctx: Context, global_id: str, path: str = "lessonId") -> models.Lesson:
    """The lesson if the viewer sees it; LESSON_NOT_FOUND otherwise (not there and not yours alike)."""
    return await found_in(
        policy.visible_lessons(ctx.viewer), global_id, "Lesson", _("No such lesson."), ErrorCode.LESSON_NOT_FOUND
    )


def not_yours(path: str = "lessonId") -> Problem:
    return (path, ErrorCode.NOT_ASSIGNED, _("You do not teach this subject in this class."))


async def topic_events(kind: str, lessons: Sequence[models.Lesson]) -> list[models.OutboxEvent]:
    """One outbox row per lesson and student it is for on its date (``policy.students_of_lessons``:
    a group's lesson, its members), under the class each is enrolled in: one statement for the
    students of every lesson, one INSERT."""
    students = await policy.students_of_lessons(list(lessons))
    rows = [
        models.OutboxEvent(kind=kind, student_id=s, school_class_id=c, lesson_id=lesson.id)
        for lesson in lessons
        for s, c in sorted(students.get(lesson.id, {}).items())
    ]
    return await outbox.record(rows)


async def set_topic(ctx: Context, data: TopicInput) -> models.Lesson:
    if data.topic is None and data.plan_note is None:
        raise ValidationFailed(
            _("Nothing to change."),
            ErrorCode.NOTHING_TO_CHANGE,
            [FieldProblem("input", _("Give `topic` or `planNote`."), ErrorCode.NOTHING_TO_CHANGE)],
        )
    lesson = await visible_lesson(ctx, data.lesson_id)
    problems: list[Problem] = []
    if not await policy.can_plan_lesson(ctx.viewer, lesson):
        problems.append(not_yours())
    topic = lesson.topic if data.topic is None else check_topic(data.topic, "topic", problems)
    note = lesson.plan_note if data.plan_note is None else _check_note(data.plan_note, problems)
    if problems:
        raise refuse(problems)
    changed = [
        name for name, old, new in (("topic", lesson.topic, topic), ("planNote", lesson.plan_note, note)) if old != new
    ]
    if not changed:
        return lesson
    async with in_transaction():
        lesson.topic, lesson.plan_note = topic, note
        await lesson.save(update_fields=["topic", "plan_note"])
        klass = await models.SchoolClass.get(id=lesson.school_class_id)
        await audit.record(
            ctx.viewer, "lesson.topic", "Lesson", lesson.id, {"fields": changed}, school_id=klass.school_id
        )
        rows = await topic_events(EventKind.LESSON_TOPIC_SET, [lesson]) if "topic" in changed else []
    await outbox.publish(ctx.broker, rows)
    return lesson
