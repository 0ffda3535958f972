"""An admin's changes to single lessons: cancel, restore, give to a substitute. The families of
the class hear of each live (LESSON_CANCELLED, LESSON_RESTORED, LESSON_SUBSTITUTED).

A cancelled lesson stays in the diary with status CANCELLED and its reason, so the family
sees that it will not take place; a substitute then sees, marks and grades the lesson
(``policy.visible_lessons`` and ``can_mark`` follow ``Lesson.teacher``), and the planned
teacher is kept in ``original_teacher``."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context
from resolvers.timetable import school_teacher

MAX_REASON = 500


@dataclass(frozen=True)
class CancelInput:
    lesson_id: str
    reason: str


@dataclass(frozen=True)
class SubstituteInput:
    lesson_id: str
    teacher_id: str
    reason: str


async def _admin_lesson(ctx: Context, global_id: str) -> tuple[models.Lesson, int]:
    """The lesson and its school's id, if the viewer runs that school."""
    lesson = await found_in(
        policy.administered_lessons(ctx.viewer), global_id, "Lesson", _("No such lesson."), ErrorCode.LESSON_NOT_FOUND
    )
    klass = await models.SchoolClass.get(id=lesson.school_class_id)
    return lesson, klass.school_id


async def _tell_families(kind: str, lesson: models.Lesson) -> list[models.OutboxEvent]:
    """One outbox row per student the lesson is for on its date (``policy.students_of_lessons``:
    a group's lesson, its members), under the class each is enrolled in."""
    students = (await policy.students_of_lessons([lesson])).get(lesson.id, {})
    return await outbox.record(
        [
            models.OutboxEvent(kind=kind, student_id=s, school_class_id=c, lesson_id=lesson.id)
            for s, c in sorted(students.items())
        ]
    )


def _reason(text: str, problems: list[Problem]) -> str:
    cleaned = text.strip()
    if not cleaned:
        problems.append(("reason", ErrorCode.REASON_REQUIRED, _("Say why; the family reads it.")))
    elif len(cleaned) > MAX_REASON:
        problems.append(
            (
                "reason",
                ErrorCode.REASON_TOO_LONG,
                ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
            )
        )
    return cleaned


async def cancel_lesson(ctx: Context, data: CancelInput) -> models.Lesson:
    lesson, school_id = await _admin_lesson(ctx, data.lesson_id)
    problems: list[Problem] = []
    reason = _reason(data.reason, problems)
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", ErrorCode.LESSON_ALREADY_CANCELLED, _("The lesson is already cancelled.")))
    elif await models.Grade.exists(lesson_id=lesson.id) or await models.Attendance.exists(lesson_id=lesson.id):
        problems.append(
            ("lessonId", ErrorCode.LESSON_HAS_RECORDS, _("The lesson has grades or attendance marks: it took place."))
        )
    if problems:
        raise refuse(problems)
    async with in_transaction():
        lesson.status, lesson.cancel_reason = models.LessonStatus.CANCELLED, reason
        await lesson.save(update_fields=["status", "cancel_reason"])
        await audit.record(ctx.viewer, "lesson.cancel", "Lesson", lesson.id, {"reason": reason}, school_id=school_id)
        recorded = await _tell_families(EventKind.LESSON_CANCELLED, lesson)
    await outbox.publish(ctx.broker, recorded)
    return lesson


async def restore_lesson(ctx: Context, lesson_id: str) -> models.Lesson:
    lesson, school_id = await _admin_lesson(ctx, lesson_id)
    if lesson.status != models.LessonStatus.CANCELLED:
        raise refuse([("lessonId", ErrorCode.LESSON_NOT_CANCELLED, _("The lesson is not cancelled."))])
    if lesson.day_off_id is not None:
        raise refuse(
            [
                (
                    "lessonId",
                    ErrorCode.CANCELLED_BY_DAY_OFF,
                    _("A holiday or vacation cancelled it: change the day off instead."),
                )
            ]
        )
    async with in_transaction():
        old_reason = lesson.cancel_reason
        lesson.status, lesson.cancel_reason = models.LessonStatus.SCHEDULED, None
        await lesson.save(update_fields=["status", "cancel_reason"])
        await audit.record(
            ctx.viewer, "lesson.restore", "Lesson", lesson.id, {"cancelReason": old_reason}, school_id=school_id
        )
        recorded = await _tell_families(EventKind.LESSON_RESTORED, lesson)
    await outbox.publish(ctx.broker, recorded)
    return lesson


async def substitute_lesson(ctx: Context, data: SubstituteInput) -> models.Lesson:
    """Give the lesson to another teacher of the school; naming the planned teacher ends the
    substitution."""
    lesson, school_id = await _admin_lesson(ctx, data.lesson_id)
    problems: list[Problem] = []
    teacher_id = await school_teacher(ctx, data.teacher_id, school_id, problems, "teacherId")
    planned = lesson.original_teacher_id or lesson.teacher_id
    reverting = teacher_id == planned
    reason = _reason(data.reason, problems) if not reverting else data.reason.strip()[:MAX_REASON]
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", ErrorCode.LESSON_CANCELLED, _("The lesson was cancelled.")))
    if teacher_id is not None and not problems:
        busy = (
            await models.Lesson.filter(
                teacher_id=teacher_id, date=lesson.date, period=lesson.period, status=models.LessonStatus.SCHEDULED
            )
            .exclude(id=lesson.id)
            .exists()
        )
        if busy:
            problems.append(("teacherId", ErrorCode.TEACHER_BUSY, _("The teacher gives another lesson then.")))
    if problems or teacher_id is None:
        raise refuse(problems)
    async with in_transaction():
        before = (lesson.teacher_id, lesson.original_teacher_id)
        lesson.teacher_id = teacher_id
        lesson.original_teacher_id = None if reverting else planned
        lesson.substitution_reason = None if reverting else reason
        await lesson.save(update_fields=["teacher_id", "original_teacher_id", "substitution_reason"])
        await audit.record(
            ctx.viewer,
            "lesson.substitute",
            "Lesson",
            lesson.id,
            {"teacher": teacher_id, "before": before[0], "planned": planned, "reason": reason or None},
            school_id=school_id,
        )
        recorded = await _tell_families(EventKind.LESSON_SUBSTITUTED, lesson)
    await outbox.publish(ctx.broker, recorded)
    return lesson
