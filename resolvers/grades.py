"""Writing grades: validation, the write with its audit and outbox rows, then publish."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from pubsub import events
from resolvers import policy, scales
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import FieldProblem, Forbidden, NotFound, Unauthenticated, ValidationFailed
from resolvers.events import publish_outbox_event
from resolvers.ids import pk_of

MAX_COMMENT = 1000


@dataclass(frozen=True)
class GradeInput:
    student_id: str
    lesson_id: str
    value: str
    weight: int | None
    comment: str | None
    kind: models.GradeKind | None = None


async def require_teacher(ctx: Context) -> int:
    if ctx.viewer.user_id is None:
        raise Unauthenticated("Log in first.")
    if not await policy.is_teacher(ctx.viewer):
        raise Forbidden("Only teachers can write grades.")
    return ctx.viewer.user_id


async def create_grade(ctx: Context, data: GradeInput) -> models.Grade:
    teacher_id = await require_teacher(ctx)
    student_pk, lesson_pk = pk_of(data.student_id, "Student"), pk_of(data.lesson_id, "Lesson")
    student = await policy.visible_students(ctx.viewer).filter(id=student_pk).first() if student_pk else None
    if student is None:
        raise NotFound("No such student.", "STUDENT_NOT_FOUND")
    lesson = await policy.visible_lessons(ctx.viewer).filter(id=lesson_pk).first() if lesson_pk else None
    if lesson is None:
        raise NotFound("No such lesson.", "LESSON_NOT_FOUND")
    school = await models.School.get(id=student.school_id)

    problems: list[tuple[str, str, str]] = []
    if not await models.TeachingAssignment.exists(
        teacher_id=teacher_id, school_class_id=lesson.school_class_id, subject_id=lesson.subject_id
    ):
        problems.append(("lessonId", "NOT_ASSIGNED", "You do not teach this subject in this class."))
    elif not await policy.is_enrolled(student.id, lesson.school_class_id, lesson.date):
        problems.append(
            ("studentId", "STUDENT_NOT_IN_CLASS", "The student was not in this class on the lesson's date.")
        )
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", "LESSON_CANCELLED", "The lesson was cancelled."))
    if lesson.starts_at > now_utc():
        problems.append(("lessonId", "LESSON_IN_FUTURE", "The lesson has not started yet."))
    mark = scales.parse(school, data.value)
    if mark is None:
        problems.append(("value", "INVALID_VALUE", f"A grade is {scales.describe(school)}."))
    kind = data.kind or models.GradeKind.CLASSWORK
    weight = scales.default_weight(school, kind) if data.weight is None else data.weight
    if not scales.MIN_WEIGHT <= weight <= scales.MAX_WEIGHT:
        problems.append(("weight", "INVALID_WEIGHT", f"The weight is from {scales.MIN_WEIGHT} to {scales.MAX_WEIGHT}."))
    comment = (data.comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        problems.append(("comment", "COMMENT_TOO_LONG", f"A comment has at most {MAX_COMMENT} characters."))
    if problems or mark is None:
        first = problems[0]
        raise ValidationFailed(first[2], first[1], [FieldProblem(f, m) for f, _c, m in problems])

    value, numeric = mark.value, mark.numeric
    async with in_transaction():
        grade = await models.Grade.create(
            student_id=student.id,
            subject_id=lesson.subject_id,
            school_class_id=lesson.school_class_id,
            lesson_id=lesson.id,
            teacher_id=teacher_id,
            date=lesson.date,
            value=value,
            numeric_value=numeric,
            weight=weight,
            kind=kind,
            comment=comment,
        )
        await models.AuditEntry.create(
            actor_id=teacher_id,
            action="grade.create",
            object_type="Grade",
            object_id=grade.id,
            details={"student": student.id, "lesson": lesson.id, "value": value, "weight": weight},
            address=ctx.viewer.address,
        )
        event = await models.OutboxEvent.create(
            kind=events.GRADE_ADDED,
            student_id=student.id,
            school_class_id=lesson.school_class_id,
            grade_id=grade.id,
            lesson_id=lesson.id,
        )
    await publish_outbox_event(ctx.broker, event)
    return grade
