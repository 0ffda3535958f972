"""Remarks: a teacher writes a note on a student; the family acknowledges having read it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, files, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, today_utc
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context
from resolvers.text import clean

MAX_TEXT = 2000


@dataclass(frozen=True)
class RemarkInput:
    student_id: str
    kind: models.RemarkKind
    text: str
    lesson_id: str | None
    file_ids: Sequence[str] | None = None


async def create_remark(ctx: Context, data: RemarkInput) -> models.Remark:
    author_id = ctx.viewer.id
    student = await found_in(
        policy.visible_students(ctx.viewer),
        data.student_id,
        "Student",
        _("No such student."),
        ErrorCode.STUDENT_NOT_FOUND,
    )
    lesson = None
    if data.lesson_id is not None:
        lesson = await found_in(
            policy.visible_lessons(ctx.viewer),
            data.lesson_id,
            "Lesson",
            _("No such lesson."),
            ErrorCode.LESSON_NOT_FOUND,
        )

    problems: list[Problem] = []
    class_id = await policy.current_class_id(student.id, today_utc())
    day = lesson.date if lesson else today_utc()
    if class_id is None or not await policy.can_remark(ctx.viewer, student.id, class_id, day):
        problems.append(("studentId", ErrorCode.NOT_ASSIGNED, _("You do not teach the student's class.")))
    elif lesson is not None and not await _lesson_of(lesson, student.id, class_id):
        problems.append(("lessonId", ErrorCode.LESSON_NOT_IN_CLASS, _("The lesson is not one of the student's class.")))
    text = clean(data.text, "text", problems, multiline=True, empty=(ErrorCode.TEXT_EMPTY, _("Write the remark.")))
    if len(text) > MAX_TEXT:
        problems.append(
            (
                "text",
                ErrorCode.TEXT_TOO_LONG,
                ngettext("A remark has at most {n} character.", "A remark has at most {n} characters.", MAX_TEXT),
            )
        )
    uploads = await files.check_uploads(ctx, data.file_ids or [], problems)
    if problems or class_id is None:
        raise refuse(problems)

    async with in_transaction():
        remark = await models.Remark.create(
            student_id=student.id,
            school_class_id=class_id,
            author_id=author_id,
            subject_id=lesson.subject_id if lesson else None,
            lesson_id=lesson.id if lesson else None,
            kind=data.kind,
            text=text,
            date=day,
        )
        await files.attach(ctx, uploads, remark_id=remark.id)
        details = {"student": student.id, "kind": data.kind.value, "lesson": remark.lesson_id, "files": len(uploads)}
        await audit.record(ctx.viewer, "remark.create", "Remark", remark.id, details)
        recorded = await outbox.record(
            [
                models.OutboxEvent(
                    kind=EventKind.REMARK_ADDED,
                    student_id=student.id,
                    school_class_id=class_id,
                    remark_id=remark.id,
                    lesson_id=remark.lesson_id,
                )
            ]
        )
    await outbox.publish(ctx.broker, recorded)
    return remark


async def _lesson_of(lesson: models.Lesson, student_id: int, class_id: int) -> bool:
    """Whether a remark on the student may name the lesson: a whole-class lesson of their class,
    or a group's lesson the student attends (``policy.attendees``: a member that day, also of a
    cross-class group filed under another class), not another group's."""
    if lesson.group_id is None:
        return lesson.school_class_id == class_id
    return student_id in await policy.attendees(lesson)


async def acknowledge_remark(ctx: Context, remark_id: str) -> models.Remark:
    """The first acknowledgement is kept: acknowledging again changes nothing."""
    remark = await found_in(
        policy.acknowledgeable_remarks(ctx.viewer),
        remark_id,
        "Remark",
        _("No such remark."),
        ErrorCode.REMARK_NOT_FOUND,
    )
    if remark.acknowledged_at is not None:
        return remark
    async with in_transaction():
        # Conditional, so that of two guardians acknowledging at once the first one stays.
        changed = await models.Remark.filter(id=remark.id, acknowledged_at__isnull=True).update(
            acknowledged_at=now_utc(), acknowledged_by_id=ctx.viewer.user_id
        )
        if changed:
            await audit.record(ctx.viewer, "remark.acknowledge", "Remark", remark.id, {"student": remark.student_id})
    await remark.refresh_from_db()
    return remark
