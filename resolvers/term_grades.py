"""Final grades: a subject teacher sets a student's grade for a term, or for the year.

Setting it again changes it, with a revision like any grade (a reason once it is over a
day old). The student's class is the one they are in today; the teacher must teach that
class the subject."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, grades, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, now_utc, today_utc
from resolvers.errors import FieldProblem, found_in, refuse
from resolvers.policy import windows
from resolvers.sessions import Context


@dataclass(frozen=True)
class TermGradeInput:
    student_id: str
    subject_id: str
    term_id: str | None
    value: str
    comment: str | None = None
    reason: str | None = None


def period_key(term: models.Term | None, year_id: int) -> str:
    return f"term:{term.id}" if term is not None else f"year:{year_id}"


async def _class_today(student_id: int) -> models.SchoolClass | None:
    today = today_utc()
    enrollment = (
        await models.Enrollment.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today), student_id=student_id, start_date__lte=today
        )
        .select_related("school_class")
        .first()
    )
    return enrollment.school_class if enrollment else None


async def _teaches_today(
    teacher_id: int, student_id: int, klass: models.SchoolClass, subject_id: int, term: models.Term | None
) -> list[FieldProblem]:
    """The teacher is assigned the subject in the student's class today: as a whole, or to a
    group of it the child is a member of today (a group's teacher: not the other group's). A
    group's teacher only for a period (the term, or the class's year) with a day the child was in
    one of their groups while in this class: what they set is what they read
    (``policy.visible_term_grades``), not the final grade of a term before the child joined.
    The problems (none: they may set it)."""
    today = today_utc()
    groups = models.GroupMembership.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), student_id=student_id, start_date__lte=today
    ).values("group_id")
    drawing = models.ClassGroupClass.filter(school_class_id=klass.id).values("group_id")
    assigned = models.TeachingAssignment.filter(teacher_id=teacher_id, subject_id=subject_id)
    if await assigned.filter(school_class_id=klass.id, group_id__isnull=True).exists():
        return []
    if not await assigned.filter(group_id__in=Subquery(groups)).filter(group_id__in=Subquery(drawing)).exists():
        return [_not_assigned()]
    if term is not None and term.academic_year_id != klass.academic_year_id:
        return []  # TERM_NOT_OF_YEAR says it
    if term is not None:
        start, end = term.start_date, term.end_date
    else:
        year = await models.AcademicYear.get(id=klass.academic_year_id)
        start, end = year.start_date, year.end_date
    spans = (await windows.group_windows_of(teacher_id, [student_id])).get(student_id, [])
    if any(w.school_class_id == klass.id and w.overlaps(start, end) for w in spans):
        return []
    return [FieldProblem("termId", _("The student was not in your group in this term."), ErrorCode.NOT_ASSIGNED)]


def _not_assigned() -> FieldProblem:
    """Made when raised: its message in the reader's language."""
    return FieldProblem("subjectId", _("You do not teach this subject in the student's class."), ErrorCode.NOT_ASSIGNED)


async def set_term_grade(ctx: Context, data: TermGradeInput) -> models.TermGrade:
    teacher_id = ctx.viewer.id
    student = await found_in(
        policy.visible_students(ctx.viewer),
        data.student_id,
        "Student",
        _("No such student."),
        ErrorCode.STUDENT_NOT_FOUND,
    )
    subject = await found_in(
        policy.visible_subjects(ctx.viewer),
        data.subject_id,
        "Subject",
        _("No such subject."),
        ErrorCode.SUBJECT_NOT_FOUND,
    )
    klass = await _class_today(student.id)
    term: models.Term | None = None
    if data.term_id is not None:
        term = await found_in(
            models.Term.filter(school_id=student.school_id),
            data.term_id,
            "Term",
            _("No such term."),
            ErrorCode.TERM_NOT_FOUND,
        )

    problems: list[FieldProblem] = []
    if klass is None:
        problems.append(_not_assigned())
    else:
        problems += await _teaches_today(teacher_id, student.id, klass, subject.id, term)
    if term is not None and klass is not None and term.academic_year_id != klass.academic_year_id:
        problems.append(
            FieldProblem("termId", _("The term is not of the class's academic year."), ErrorCode.TERM_NOT_OF_YEAR)
        )
    if term is not None and term.start_date > today_utc():
        problems.append(FieldProblem("termId", _("The term has not started yet."), ErrorCode.TERM_NOT_STARTED))
    school = await models.School.get(id=student.school_id)
    mark = grades.parse(school, data.value)
    if mark is None:
        problems.append(
            FieldProblem(
                "value", _("A grade is {describe}.", describe=grades.describe(school)), ErrorCode.INVALID_VALUE
            )
        )
    comment = grades.clean_comment(data.comment)
    reason = grades.clean_comment(data.reason)
    problems += grades.check_comment("", comment)
    problems += grades.check_reason(
        reason, None, _("The final grade is over 24 hours old: say why it changes.")
    )  # its length; its age once it is found
    if problems or mark is None or klass is None:
        raise refuse(problems)

    key = period_key(term, klass.academic_year_id)
    existing = await models.TermGrade.filter(student_id=student.id, subject_id=subject.id, period_key=key).first()
    if existing is not None and (
        late := grades.check_reason(
            reason, existing.created_at, _("The final grade is over 24 hours old: say why it changes.")
        )
    ):
        raise refuse(late)
    if existing is not None and (existing.value, existing.comment) == (mark.value, comment):
        return existing
    try:
        async with in_transaction():
            row, old_value = await _write(existing, student, subject, klass, term, key, teacher_id, mark, comment)
            await models.TermGradeRevision.create(
                term_grade_id=row.id,
                action=models.RevisionAction.UPDATED if existing else models.RevisionAction.CREATED,
                actor_id=teacher_id,
                old_value=old_value,
                new_value=mark.value,
                reason=reason,
            )
            details = {"student": student.id, "period": key, "from": old_value, "to": mark.value, "reason": reason}
            await audit.record(ctx.viewer, "term_grade.set", "TermGrade", row.id, details)
            recorded = await outbox.record(
                [
                    models.OutboxEvent(
                        kind=EventKind.TERM_GRADE_SET,
                        student_id=student.id,
                        school_class_id=klass.id,
                        term_grade_id=row.id,
                    )
                ]
            )
    except IntegrityError:  # another teacher set it first, between our read and our insert
        raise refuse(
            [
                FieldProblem(
                    "value", _("Someone set this grade meanwhile: reload it."), ErrorCode.TERM_GRADE_CHANGED_MEANWHILE
                )
            ]
        ) from None
    await outbox.publish(ctx.broker, recorded)
    return row


async def _write(
    existing: models.TermGrade | None,
    student: models.Student,
    subject: models.Subject,
    klass: models.SchoolClass,
    term: models.Term | None,
    key: str,
    teacher_id: int,
    mark: grades.Mark,
    comment: str | None,
) -> tuple[models.TermGrade, str | None]:
    if existing is None:
        row = await models.TermGrade.create(
            student_id=student.id,
            subject_id=subject.id,
            school_class_id=klass.id,
            academic_year_id=klass.academic_year_id,
            term_id=term.id if term else None,
            period_key=key,
            teacher_id=teacher_id,
            value=mark.value,
            numeric_value=mark.numeric,
            comment=comment,
        )
        return row, None
    changed = await models.TermGrade.filter(
        id=existing.id, value=existing.value, updated_at=existing.updated_at
    ).update(value=mark.value, numeric_value=mark.numeric, comment=comment, teacher_id=teacher_id, updated_at=now_utc())
    if changed != 1:
        raise IntegrityError("term grade changed meanwhile")
    old = existing.value
    await existing.refresh_from_db()
    return existing, old
