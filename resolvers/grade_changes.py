"""Correcting and removing grades. Nothing is overwritten silently: every change appends a
revision (who, when, what it was, what it became, why), a grade older than a day needs a
reason, and a removed grade stays visible to the family as removed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, grades, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, now_utc
from resolvers.errors import FieldProblem, NotFound, found_in, refuse
from resolvers.sessions import Context


@dataclass(frozen=True)
class GradeChange:
    """What to change; ``None`` keeps the current value. An empty comment clears it."""

    grade_id: str
    value: str | None = None
    weight: int | None = None
    kind: models.GradeKind | None = None
    comment: str | None = None
    reason: str | None = None


async def _editable(ctx: Context, grade_id: str) -> tuple[int, models.Grade]:
    """The grade, if the viewer teaches its class + subject as a whole today (or gave it and
    still teaches there), or teaches the group whose lesson it was given in + its subject: a
    group's teacher, who reads its members' whole diary on their days in the group, changes
    none of the grades given outside the group's lessons. Anything else is GRADE_NOT_FOUND,
    exactly like a missing id."""
    teacher_id = ctx.viewer.id
    grade = await found_in(
        policy.visible_grades(ctx.viewer), grade_id, "Grade", _("No such grade."), ErrorCode.GRADE_NOT_FOUND
    )
    lesson = await models.Lesson.filter(id=grade.lesson_id).first() if grade.lesson_id is not None else None
    group_id = lesson.group_id if lesson is not None else None
    whole = Q(school_class_id=grade.school_class_id, group_id__isnull=True)
    reach = whole | Q(group_id=group_id) if group_id is not None else whole
    if not await models.TeachingAssignment.filter(reach, teacher_id=teacher_id, subject_id=grade.subject_id).exists():
        raise NotFound(_("No such grade."), ErrorCode.GRADE_NOT_FOUND)
    return teacher_id, grade


def _reason_problems(grade: models.Grade, reason: str | None) -> list[FieldProblem]:
    if grade.deleted_at is not None:
        return [FieldProblem("gradeId", _("The grade was removed; give a new one instead."), ErrorCode.GRADE_REMOVED)]
    return grades.check_reason(reason, grade.created_at, _("The grade is over 24 hours old: say why it changes."))


async def _apply(grade: models.Grade, **changes: object) -> None:
    """Write ``changes`` only if the grade is still what the revision will say it was: two
    teachers correcting the same grade at once cannot both win (GRADE_CHANGED_MEANWHILE,
    and the transaction rolls back)."""
    changes["updated_at"] = now_utc()
    count = await models.Grade.filter(
        id=grade.id,
        value=grade.value,
        weight=grade.weight,
        kind=grade.kind,
        updated_at=grade.updated_at,
        deleted_at__isnull=True,
    ).update(**changes)
    if count != 1:
        raise refuse(
            [
                FieldProblem(
                    "gradeId", _("Someone changed this grade meanwhile: reload it."), ErrorCode.GRADE_CHANGED_MEANWHILE
                )
            ]
        )
    for name, value in changes.items():
        setattr(grade, name, value)


async def _record(
    ctx: Context, grade: models.Grade, action: str, details: dict[str, Any], kind: str
) -> list[models.OutboxEvent]:
    """Inside the change's transaction: its audit entry and the family's event."""
    await audit.record(ctx.viewer, action, "Grade", grade.id, details)
    return await outbox.record(
        [
            models.OutboxEvent(
                kind=kind,
                student_id=grade.student_id,
                school_class_id=grade.school_class_id,
                grade_id=grade.id,
                lesson_id=grade.lesson_id,
            )
        ]
    )


async def update_grade(ctx: Context, change: GradeChange) -> models.Grade:
    teacher_id, grade = await _editable(ctx, change.grade_id)
    reason = grades.clean_comment(change.reason)
    problems = _reason_problems(grade, reason)
    school = await grades.school_of_class(grade.school_class_id)
    mark = grades.Mark(grade.value, grade.numeric_value or 0.0)
    if change.value is not None:
        parsed = grades.parse(school, change.value)
        if parsed is None:
            problems.append(
                FieldProblem(
                    "value", _("A grade is {describe}.", describe=grades.describe(school)), ErrorCode.INVALID_VALUE
                )
            )
        else:
            mark = parsed
    kind = change.kind or grade.kind
    weight = grade.weight if change.weight is None else change.weight
    comment = grade.comment if change.comment is None else grades.clean_comment(change.comment)
    problems += grades.check_weight_and_comment("", weight, comment)
    if problems:
        raise refuse(problems)

    old = (grade.value, grade.weight, grade.kind, grade.comment)
    if old == (mark.value, weight, kind, comment):
        return grade  # nothing changes: no revision, no event (a retried request is harmless)
    counts = (grade.numeric_value, grade.weight) != (mark.numeric, weight)
    async with in_transaction(), grades.grades_changing([grade.student_id]) as tally:
        if counts:  # out as it was, in as it becomes
            await tally.remove([grade.id])
        await _apply(grade, value=mark.value, numeric_value=mark.numeric, weight=weight, kind=kind, comment=comment)
        if counts:
            await tally.add([grade.id])
        await models.GradeRevision.create(
            grade_id=grade.id,
            action=models.RevisionAction.UPDATED,
            actor_id=teacher_id,
            old_value=old[0],
            new_value=mark.value,
            old_weight=old[1],
            new_weight=weight,
            old_kind=old[2].value,
            new_kind=kind.value,
            old_comment=old[3],
            new_comment=comment,
            reason=reason,
        )
        details = {"from": old[0], "to": mark.value, "weight": [old[1], weight], "reason": reason}
        recorded = await _record(ctx, grade, "grade.update", details, EventKind.GRADE_CHANGED)
    await outbox.publish(ctx.broker, recorded)
    return grade


async def delete_grade(ctx: Context, grade_id: str, raw_reason: str | None) -> models.Grade:
    """Soft removal: the grade stops counting and shows as removed, with who, when and why."""
    teacher_id, grade = await _editable(ctx, grade_id)
    reason = grades.clean_comment(raw_reason)
    problems = _reason_problems(grade, reason)
    if problems:
        raise refuse(problems)
    async with in_transaction(), grades.grades_changing([grade.student_id]) as tally:
        await tally.remove([grade.id])  # a removed grade stops counting
        await _apply(grade, deleted_at=now_utc(), deleted_by_id=teacher_id, delete_reason=reason)
        await models.GradeRevision.create(
            grade_id=grade.id,
            action=models.RevisionAction.DELETED,
            actor_id=teacher_id,
            old_value=grade.value,
            old_weight=grade.weight,
            old_kind=grade.kind.value,
            old_comment=grade.comment,
            reason=reason,
        )
        details = {"value": grade.value, "reason": reason}
        recorded = await _record(ctx, grade, "grade.delete", details, EventKind.GRADE_REMOVED)
    await outbox.publish(ctx.broker, recorded)
    return grade
