"""The roll of a school: students, their enrolments in classes over time (a student is in at
most one class on any day), transfers between classes, leaving school, and which teacher
teaches which subject in which class. By the school's admins (and its district's), audited.

A transfer on day D ends the current enrolment on D - 1 and opens the new one on D: the old
class's teachers keep the child's diary up to D - 1 (``policy.visible_students`` follows every
enrolment, past ones included) and the new class's teachers see the child from D."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

import models
from resolvers import audit, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, pk_of, today_utc
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.groups import administered_group
from resolvers.org import administered_class, administered_subject
from resolvers.schools import name_of
from resolvers.sessions import Context, Viewer

MAX_STUDENT_NAME = 200
MAX_AGE_YEARS = 30


async def _administered_student(viewer: Viewer, student_id: str) -> models.Student:
    schools = policy.administered_schools(viewer).values("id")
    return await found_in(
        models.Student.filter(school_id__in=Subquery(schools)),
        student_id,
        "Student",
        _("No such student."),
        ErrorCode.STUDENT_NOT_FOUND,
    )


def check_birth_date(value: date | None, path: str, problems: list[Problem]) -> None:
    today = today_utc()
    if value is not None and not today - timedelta(days=366 * MAX_AGE_YEARS) <= value < today:
        problems.append(
            (path, ErrorCode.INVALID_BIRTH_DATE, _("The birth date must be in the past (and not a century ago)."))
        )


async def create_student(ctx: Context, school_id: str, full_name: str, birth_date: date | None) -> models.Student:
    school = await found_in(
        policy.administered_schools(ctx.viewer), school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )
    problems: list[Problem] = []
    name = name_of(full_name, "fullName", MAX_STUDENT_NAME, problems)
    check_birth_date(birth_date, "birthDate", problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        student = await models.Student.create(school_id=school.id, full_name=name, birth_date=birth_date)
        await audit.record(
            ctx.viewer,
            "student.create",
            "Student",
            student.id,
            {"fullName": name, "birthDate": birth_date.isoformat() if birth_date else None},
            school_id=school.id,
        )
    return student


def _open_on(day: date) -> Q:
    return Q(end_date__isnull=True) | Q(end_date__gte=day)


async def _class_for(
    viewer: Viewer, student: models.Student, class_id: str, path: str, problems: list[Problem]
) -> models.SchoolClass:
    klass = await administered_class(viewer, class_id)
    if klass.school_id != student.school_id:
        problems.append((path, ErrorCode.CLASS_OF_OTHER_SCHOOL, _("The class is not of the student's school.")))
    return klass


async def _lock(student: models.Student) -> None:
    """Inside a transaction: the student's enrolments change one write at a time, so that two
    admins enrolling the same child at once cannot both find them in no class. The checks that
    follow read the enrolments under this lock; a refusal rolls back having written nothing."""
    await models.Student.filter(id=student.id).select_for_update().first()


async def create_enrollment(ctx: Context, student_id: str, class_id: str, start: date) -> models.Enrollment:
    """Into a class from ``start``: refused while any enrolment is open on or after that day
    (a student is in one class at a time: move them with ``studentTransfer``)."""
    student = await _administered_student(ctx.viewer, student_id)
    async with in_transaction():
        await _lock(student)
        problems: list[Problem] = []
        klass = await _class_for(ctx.viewer, student, class_id, "classId", problems)
        if await models.Enrollment.filter(_open_on(start), student_id=student.id).exists():
            problems.append(
                (
                    "startDate",
                    ErrorCode.ALREADY_ENROLLED,
                    _("The student is in a class on or after that day: transfer them instead."),
                )
            )
        if problems:
            raise refuse(problems)
        row = await models.Enrollment.create(student_id=student.id, school_class_id=klass.id, start_date=start)
        await audit.record(
            ctx.viewer,
            "enrollment.create",
            "Enrollment",
            row.id,
            {"student": student.id, "class": klass.id, "from": start.isoformat()},
            school_id=student.school_id,
        )
    return row


async def _current(student: models.Student, day: date, problems: list[Problem]) -> models.Enrollment | None:
    """The enrolment open on ``day``, which must be the student's last one."""
    rows = await models.Enrollment.filter(_open_on(day), student_id=student.id).order_by("start_date", "id")
    current = next((e for e in rows if e.start_date <= day), None)
    if current is None:
        problems.append(("date", ErrorCode.NOT_ENROLLED, _("The student is in no class on that day.")))
    elif any(e.start_date > day for e in rows):
        problems.append(("date", ErrorCode.LATER_ENROLLMENT, _("The student already has an enrolment after that day.")))
    return current


async def transfer_student(ctx: Context, student_id: str, to_class_id: str, day: date) -> models.Enrollment:
    student = await _administered_student(ctx.viewer, student_id)
    async with in_transaction():
        await _lock(student)
        problems: list[Problem] = []
        klass = await _class_for(ctx.viewer, student, to_class_id, "toClassId", problems)
        current = await _current(student, day, problems)
        if current is not None and current.school_class_id == klass.id:
            problems.append(("toClassId", ErrorCode.SAME_CLASS, _("The student is already in that class.")))
        elif current is not None and current.start_date >= day:
            problems.append(
                ("date", ErrorCode.DATE_BEFORE_ENROLLMENT, _("Transfer after the day the current enrolment started."))
            )
        if problems or current is None:
            raise refuse(problems)
        await models.Enrollment.filter(id=current.id).update(end_date=day - timedelta(days=1))
        row = await models.Enrollment.create(student_id=student.id, school_class_id=klass.id, start_date=day)
        await audit.record(
            ctx.viewer,
            "student.transfer",
            "Student",
            student.id,
            {"from": current.school_class_id, "to": klass.id, "date": day.isoformat(), "enrollment": row.id},
            school_id=student.school_id,
        )
    return row


async def end_enrollment(ctx: Context, student_id: str, last_day: date) -> models.Enrollment:
    """The student leaves school: ``last_day`` is their last day in their class."""
    student = await _administered_student(ctx.viewer, student_id)
    async with in_transaction():
        await _lock(student)
        problems: list[Problem] = []
        current = await _current(student, last_day, problems)
        if problems or current is None:
            raise refuse(problems)
        await models.Enrollment.filter(id=current.id).update(end_date=last_day)
        await audit.record(
            ctx.viewer,
            "enrollment.end",
            "Enrollment",
            current.id,
            {"student": student.id, "class": current.school_class_id, "lastDay": last_day.isoformat()},
            school_id=student.school_id,
        )
    await current.refresh_from_db()
    return current


# --- teaching assignments -----------------------------------------------------------


@dataclass(frozen=True)
class AssignmentKey:
    teacher_id: str
    class_id: str
    subject_id: str
    group_id: str | None = None


async def _assignment_parts(
    viewer: Viewer, key: AssignmentKey, problems: list[Problem]
) -> tuple[models.SchoolClass, models.Subject, int | None]:
    klass = await administered_class(viewer, key.class_id)
    if key.group_id:
        # a group's assignment is filed under the group's home class, like its lessons
        group = await administered_group(viewer, key.group_id)
        if not await models.ClassGroupClass.exists(group_id=group.id, school_class_id=klass.id):
            raise NotFound(_("No such class group."), ErrorCode.GROUP_NOT_FOUND)
        klass = await models.SchoolClass.get(id=group.home_class_id)
    subject = await administered_subject(viewer, key.subject_id)
    if subject.school_id != klass.school_id:
        problems.append(
            ("subjectId", ErrorCode.SUBJECT_OF_OTHER_SCHOOL, _("The subject is not of the class's school."))
        )
    teacher = pk_of(key.teacher_id, "User")
    if teacher is None or not await models.RoleGrant.exists(
        user_id=teacher, role=models.Role.TEACHER, school_id=klass.school_id
    ):
        problems.append(("teacherId", ErrorCode.NOT_A_TEACHER, _("Pick a teacher of the school.")))
        teacher = None
    return klass, subject, teacher


async def create_assignment(ctx: Context, key: AssignmentKey) -> models.TeachingAssignment:
    """The whole class + subject, or (``group_id``) only a group of the class. A teacher may
    hold several groups of one class + subject ("5A English 1" and "5A English 2"); the same
    row twice, or a group of a class + subject the teacher already teaches as a whole, is
    ASSIGNMENT_EXISTS (the database's unique key and class-wide index back the check)."""
    problems: list[Problem] = []
    klass, subject, teacher = await _assignment_parts(ctx.viewer, key, problems)
    group_id = (await administered_group(ctx.viewer, key.group_id)).id if key.group_id else None
    if subject.archived_at is not None:
        problems.append(
            ("subjectId", ErrorCode.SUBJECT_ARCHIVED, _("The subject is archived: it takes no new teachers."))
        )
    if (
        teacher is not None
        and await models.TeachingAssignment.filter(
            Q(group_id__isnull=True) | Q(group_id=group_id) if group_id is not None else Q(group_id__isnull=True),
            teacher_id=teacher,
            school_class_id=klass.id,
            subject_id=subject.id,
        ).exists()
    ):
        problems.append(
            ("teacherId", ErrorCode.ASSIGNMENT_EXISTS, _("The teacher already teaches that subject in that class."))
        )
    if problems or teacher is None:
        raise refuse(problems)
    async with in_transaction():
        row = await models.TeachingAssignment.create(
            teacher_id=teacher, school_class_id=klass.id, subject_id=subject.id, group_id=group_id
        )
        await audit.record(
            ctx.viewer,
            "teaching.assign",
            "TeachingAssignment",
            row.id,
            {"teacher": teacher, "class": klass.id, "subject": subject.id, "group": group_id},
            school_id=klass.school_id,
        )
    return row


def _slots_of(row: models.TeachingAssignment) -> QuerySet[models.TimetableSlot]:
    """The timetable slots from today on that only ``row`` lets its teacher give: a group
    assignment's are that group's slots; a class-wide one's are the class + subject's slots
    but those of groups the teacher also holds on their own."""
    slots = models.TimetableSlot.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today_utc()),
        teacher_id=row.teacher_id,
        school_class_id=row.school_class_id,
        subject_id=row.subject_id,
    )
    if row.group_id is not None:
        return slots.filter(group_id=row.group_id)
    held = models.TeachingAssignment.filter(
        teacher_id=row.teacher_id,
        school_class_id=row.school_class_id,
        subject_id=row.subject_id,
        group_id__isnull=False,
    ).values("group_id")
    return slots.filter(Q(group_id__isnull=True) | ~Q(group_id__in=Subquery(held)))


async def delete_assignment(ctx: Context, key: AssignmentKey) -> models.TeachingAssignment:
    """Refused while the timetable still has the teacher give that subject to that class today
    or later: the slots go first (or get another teacher), so no lesson is left with a teacher
    who may not grade it. Past lessons, grades and journals stay as they are."""
    problems: list[Problem] = []
    klass, subject, teacher = await _assignment_parts(ctx.viewer, key, problems)
    row = None
    group_id = (await administered_group(ctx.viewer, key.group_id)).id if key.group_id else None
    if teacher is not None:
        row = await models.TeachingAssignment.filter(
            teacher_id=teacher, school_class_id=klass.id, subject_id=subject.id, group_id=group_id
        ).first()
    if not problems and row is None:
        raise NotFound(_("No such teaching assignment."), ErrorCode.ASSIGNMENT_NOT_FOUND)
    if row is not None and await _slots_of(row).exists():
        problems.append(
            (
                "teacherId",
                ErrorCode.ASSIGNMENT_IN_TIMETABLE,
                _("The timetable still has this teacher give this subject to this class: change those slots first."),
            )
        )
    if problems or row is None:
        raise refuse(problems)
    async with in_transaction():
        await models.TeachingAssignment.filter(id=row.id).delete()
        await audit.record(
            ctx.viewer,
            "teaching.unassign",
            "TeachingAssignment",
            row.id,
            {"teacher": row.teacher_id, "class": row.school_class_id, "subject": row.subject_id, "group": row.group_id},
            school_id=klass.school_id,
        )
    return row
