"""Factories: each test builds the rows it needs, dated from the clock's today, with names no
other test uses, so tests pass on any day and in any order and cannot change each other's data.

``Factory`` (the ``factory`` fixture) makes a school with its year, term and bells, classes,
subjects, people with their roles, enrolments and guardianships, teaching assignments,
lessons on school days, grades and attendance marks, and logs a user in (a ``Client``
carrying an access token, as ``login`` would give). Rows go in through the ORM, as an import
or the demo seed writes them; what the product keeps alongside (the dashboards' roll-ups) is
refreshed for the schools the factory made.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
from tortoise.transactions import in_transaction

import models
from edge.settings import Settings
from resolvers import files, passwords, policy, sessions
from resolvers import grades as grading
from resolvers.core import now_utc, today_utc
from tests.client import Client

_SERIAL = itertools.count(1)
BELLS = [(8 * 60 + 30 + 55 * i, 8 * 60 + 30 + 55 * i + 45) for i in range(7)]  # 08:30-09:15, 09:25-10:10, ...


def school_days_before(day: date, count: int) -> list[date]:
    """The ``count`` weekdays before ``day``, oldest first (a factory school has no holidays)."""
    days: list[date] = []
    cursor = day
    while len(days) < count:
        cursor -= timedelta(days=1)
        if cursor.weekday() < 5:
            days.append(cursor)
    return days[::-1]


def school_days_from(day: date, count: int) -> list[date]:
    """The ``count`` weekdays from ``day`` on (``day`` included when it is one)."""
    days: list[date] = []
    cursor = day
    while len(days) < count:
        if cursor.weekday() < 5:
            days.append(cursor)
        cursor += timedelta(days=1)
    return days


def _grade_row(
    student: models.Student,
    lesson: models.Lesson,
    value: str,
    weight: int = 1,
    kind: models.GradeKind = models.GradeKind.CLASSWORK,
    comment: str | None = None,
) -> models.Grade:
    """A grade (not saved yet) given by the lesson's teacher on the lesson's day."""
    return models.Grade(
        student=student,
        subject_id=lesson.subject_id,
        school_class_id=lesson.school_class_id,
        lesson=lesson,
        teacher_id=lesson.teacher_id,
        date=lesson.date,
        value=value,
        numeric_value=float(value) if value.replace(".", "", 1).isdigit() else None,
        weight=weight,
        kind=kind,
        comment=comment,
    )


def _mark_row(
    student: models.Student, lesson: models.Lesson, status: models.AttendanceStatus, late_minutes: int | None
) -> models.Attendance:
    """An attendance mark (not saved yet) made by the lesson's teacher."""
    return models.Attendance(
        student=student,
        lesson=lesson,
        date=lesson.date,
        status=status,
        late_minutes=late_minutes,
        marked_by_id=lesson.teacher_id,
    )


@dataclass
class SchoolKit:
    """A school built by the factory, with what tests usually reach for."""

    school: models.School
    year: models.AcademicYear
    term: models.Term
    subjects: dict[str, models.Subject] = field(default_factory=dict)
    classes: dict[str, models.SchoolClass] = field(default_factory=dict)
    admin: models.User | None = None


class Factory:
    """Rows for one test; every login and name carries the test's own tag."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings) -> None:
        self.http, self.settings = http, settings
        self.tag = f"f{next(_SERIAL)}x{now_utc().strftime('%H%M%S%f')}"
        self._district: models.District | None = None
        self.school_ids: set[int] = set()
        self._sessions: dict[int, int] = {}  # user id -> the session its clients act in

    # People -------------------------------------------------------------------------------

    async def user(self, name: str, full_name: str | None = None, password: str | None = None) -> models.User:
        """A user with the login ``<tag>-<name>``; with ``password`` they can also log in with it
        (argon2 hashing costs ~0.1 s: only for tests about logging in)."""
        full = full_name or f"{name.title()} {self.tag}"
        user = await models.User.create(
            login=f"{self.tag}-{name}",
            password_hash=passwords.hash_password(password) if password else "!",
            full_name=full,
            name_folded=models.fold_name(full),
        )
        await self.session(user)
        return user

    async def session(self, user: models.User, user_agent: str = "") -> int:
        """A new live session of ``user``: ``client(user)`` acts in it from now on (each user
        the factory makes has one; a test that ended it opens another)."""
        session = await sessions.open_session(user.id, user_agent)
        self._sessions[user.id] = session.id
        return session.id

    async def upload(
        self, user: models.User, data: bytes = b"%PDF-1.7\n%worksheet\n", name: str = "worksheet.pdf", **owner: int
    ) -> models.StoredFile:
        """A file ``user`` uploaded (its bytes in the suite's storage): pending, or attached to the
        owner given (``homework_id=...``)."""
        now = now_utc()
        attached: dict[str, Any] = dict(owner)
        row = await models.StoredFile.create(
            key=secrets.token_urlsafe(24),
            name=name,
            uploaded_by_id=user.id,
            size=len(data),
            content_type=files.sniff(data),
            uploaded_at=now,
            expires_at=now + timedelta(seconds=files.PENDING_SECONDS),
            attached_at=now if owner else None,
            **attached,
        )
        await files.storage_of(self.settings).put(row.key, data, row.content_type or files.TEXT)
        return row

    def client(self, user: models.User | None) -> Client:
        """A client acting as ``user`` (anonymous for ``None``) with a fresh access token of the
        user's session (``session``)."""
        if user is None:
            return Client(self.http)
        session_id = self._sessions.get(user.id)
        if session_id is None:
            raise LookupError(f"{user.login} has no session: `await factory.session(user)` first.")
        return Client(self.http, sessions.issue_access_token(self.settings, user.id, session_id), str(user.id))

    async def district(self) -> models.District:
        if self._district is None:
            self._district = await models.District.create(name=f"District {self.tag}")
        return self._district

    async def district_admin(self) -> models.User:
        user = await self.user("district")
        await models.RoleGrant.create(user=user, role=models.Role.DISTRICT_ADMIN, district=await self.district())
        return user

    # A school -----------------------------------------------------------------------------

    async def school(
        self,
        name: str = "School",
        subjects: tuple[str, ...] = ("Mathematics", "Russian language"),
        classes: tuple[str, ...] = ("5A",),
        **fields: Any,
    ) -> SchoolKit:
        """A school whose year and single term cover today (120 days either side), with the
        regular bells, the given subjects and classes, and a school admin."""
        today = today_utc()
        school = await models.School.create(
            district=await self.district(), name=f"{name} {self.tag}", timezone="Europe/Moscow", **fields
        )
        self.school_ids.add(school.id)
        year = await models.AcademicYear.create(
            school=school,
            name=f"Year {self.tag}",
            start_date=today - timedelta(days=120),
            end_date=today + timedelta(days=120),
        )
        term = await models.Term.create(
            academic_year=year,
            school=school,
            name="Term 1",
            number=1,
            start_date=year.start_date,
            end_date=year.end_date,
        )
        await models.BellPeriod.bulk_create(
            [
                models.BellPeriod(school=school, number=n, start_minute=a, end_minute=b)
                for n, (a, b) in enumerate(BELLS, start=1)
            ]
        )
        kit = SchoolKit(school, year, term)
        for subject in subjects:
            kit.subjects[subject] = await models.Subject.create(school=school, name=subject)
        for class_name in classes:
            kit.classes[class_name] = await models.SchoolClass.create(
                school=school, academic_year=year, grade_level=int(class_name[:-1]), letter=class_name[-1]
            )
        kit.admin = await self.user(f"admin{school.id}")
        await models.RoleGrant.create(user=kit.admin, role=models.Role.SCHOOL_ADMIN, school=school)
        return kit

    async def teacher(self, kit: SchoolKit, teaches: list[tuple[str, str]], name: str = "teacher") -> models.User:
        """A teacher of ``kit`` assigned to each (class, subject) pair."""
        user = await self.user(name)
        await models.RoleGrant.create(user=user, role=models.Role.TEACHER, school=kit.school)
        for class_name, subject in teaches:
            await models.TeachingAssignment.create(
                teacher=user, school_class=kit.classes[class_name], subject=kit.subjects[subject]
            )
        return user

    async def student(
        self,
        kit: SchoolKit,
        class_name: str,
        name: str = "student",
        guardians: list[models.User] | None = None,
        login: bool = True,
        since: date | None = None,
    ) -> models.Student:
        """A child enrolled in ``class_name`` since ``since`` (the year's start), with a login of
        their own unless ``login`` is false, and each of ``guardians`` as a parent."""
        user = await self.user(name) if login else None
        student = await models.Student.create(
            school=kit.school, full_name=f"{name.title()} {self.tag}", user=user, birth_date=date(2015, 3, 14)
        )
        if user is not None:
            await models.RoleGrant.create(user=user, role=models.Role.STUDENT, school=kit.school)
        await models.Enrollment.create(
            student=student, school_class=kit.classes[class_name], start_date=since or kit.year.start_date
        )
        for guardian in guardians or []:
            await self.guardianship(kit, guardian, student)
        return student

    async def parent(self, name: str = "parent") -> models.User:
        return await self.user(name)

    async def guardianship(self, kit: SchoolKit, guardian: models.User, student: models.Student) -> models.Guardianship:
        link = await models.Guardianship.create(guardian=guardian, student=student, relation="mother")
        if not await models.RoleGrant.exists(user=guardian, role=models.Role.PARENT, school=kit.school):
            await models.RoleGrant.create(user=guardian, role=models.Role.PARENT, school=kit.school)
        return link

    # The journal --------------------------------------------------------------------------

    async def lesson(
        self,
        kit: SchoolKit,
        class_name: str,
        subject: str,
        teacher: models.User,
        day: date,
        period: int = 1,
        **fields: Any,
    ) -> models.Lesson:
        """A lesson at the regular bells of ``period`` (Moscow time) on ``day``."""
        start_minute, end_minute = BELLS[period - 1]
        midnight = datetime.combine(day, time(0, 0), tzinfo=UTC) - timedelta(hours=3)  # Moscow is UTC+3
        return await models.Lesson.create(
            school_class=kit.classes[class_name],
            subject=kit.subjects[subject],
            teacher=teacher,
            date=day,
            period=period,
            starts_at=midnight + timedelta(minutes=start_minute),
            ends_at=midnight + timedelta(minutes=end_minute),
            **fields,
        )

    async def lessons(
        self, kit: SchoolKit, class_name: str, subject: str, teacher: models.User, days: list[date], period: int = 1
    ) -> list[models.Lesson]:
        return [await self.lesson(kit, class_name, subject, teacher, day, period) for day in days]

    async def grade(
        self,
        student: models.Student,
        lesson: models.Lesson,
        value: str = "4",
        weight: int = 1,
        kind: models.GradeKind = models.GradeKind.CLASSWORK,
        comment: str | None = None,
    ) -> models.Grade:
        async with in_transaction(), grading.grades_changing([student.id]) as changes:
            row = _grade_row(student, lesson, value, weight, kind, comment)
            if lesson.group_id is not None:  # filed under the member's own class, as gradeCreate does
                classes = (await policy.students_of_lessons([lesson])).get(lesson.id, {})
                row.school_class_id = classes.get(student.id, lesson.school_class_id)
            await row.save()
            await changes.add([row.id])
        return row

    async def mark(
        self,
        student: models.Student,
        lesson: models.Lesson,
        status: models.AttendanceStatus,
        late_minutes: int | None = None,
    ) -> models.Attendance:
        async with in_transaction():
            row = _mark_row(student, lesson, status, late_minutes)
            await row.save()
            await grading.attendance(lesson.id, [student.id], +1)
        return row

    # Homework, term results, remarks, notices ------------------------------------------------

    async def homework(
        self, lesson: models.Lesson, text: str = "Exercise 1", links: list[str] | None = None
    ) -> models.Homework:
        return await models.Homework.create(
            lesson=lesson, text=text, links=links or [], assigned_by_id=lesson.teacher_id
        )

    async def term_grade(
        self, kit: SchoolKit, student: models.Student, subject: str, teacher: models.User, value: str = "5"
    ) -> models.TermGrade:
        enrollment = await models.Enrollment.get(student_id=student.id, end_date__isnull=True)
        return await models.TermGrade.create(
            student=student,
            subject=kit.subjects[subject],
            school_class_id=enrollment.school_class_id,
            academic_year=kit.year,
            term=kit.term,
            period_key=f"term:{kit.term.id}",
            teacher=teacher,
            value=value,
            numeric_value=float(value) if value.isdigit() else None,
        )

    async def remark(
        self,
        student: models.Student,
        author: models.User,
        text: str = "Remark",
        kind: models.RemarkKind = models.RemarkKind.OTHER,
        lesson: models.Lesson | None = None,
        day: date | None = None,
    ) -> models.Remark:
        enrollment = await models.Enrollment.get(student_id=student.id, end_date__isnull=True)
        return await models.Remark.create(
            student=student,
            school_class_id=lesson.school_class_id if lesson else enrollment.school_class_id,
            author=author,
            subject_id=lesson.subject_id if lesson else None,
            lesson=lesson,
            kind=kind,
            text=text,
            date=lesson.date if lesson else day or today_utc(),
        )

    async def absence_notice(
        self, student: models.Student, guardian: models.User, start: date, end: date, reason: str = "Illness"
    ) -> models.AbsenceNotice:
        """A by-day notice from a guardian covering ``start``..``end``."""
        notice = await models.AbsenceNotice.create(
            student=student,
            created_by=guardian,
            kind=models.AbsenceNoticeKind.BY_DAY,
            start_date=start,
            end_date=end,
            reason=reason,
        )
        day = start
        while day <= end:
            await models.AbsenceNoticeItem.create(notice=notice, student=student, date=day)
            day += timedelta(days=1)
        return notice

    # The calendar -------------------------------------------------------------------------

    async def day_off(
        self,
        kit: SchoolKit,
        start: date,
        end: date | None = None,
        kind: models.DayOffKind = models.DayOffKind.HOLIDAY,
        name: str = "Holiday",
    ) -> models.DayOff:
        return await models.DayOff.create(
            school=kit.school, kind=kind, name=name, start_date=start, end_date=end or start
        )

    async def slot(
        self,
        kit: SchoolKit,
        class_name: str,
        subject: str,
        teacher: models.User,
        weekday: int,
        period: int,
        valid_from: date | None = None,
    ) -> models.TimetableSlot:
        """A weekly timetable slot (weekday 1 = Monday) valid from ``valid_from`` (the year's start)."""
        return await models.TimetableSlot.create(
            school_class=kit.classes[class_name],
            subject=kit.subjects[subject],
            teacher=teacher,
            weekday=weekday,
            period=period,
            valid_from=valid_from or kit.year.start_date,
        )

    # School life --------------------------------------------------------------------------

    async def announcement(
        self,
        kit: SchoolKit,
        author: models.User,
        audience: models.Audience = models.Audience.EVERYONE,
        class_name: str | None = None,
        title: str = "News",
        body: str = "Body",
    ) -> models.Announcement:
        return await models.Announcement.create(
            school=kit.school,
            school_class=kit.classes[class_name] if class_name else None,
            audience=audience,
            title=f"{title} {self.tag}",
            body=body,
            author=author,
        )

    async def meeting(
        self, kit: SchoolKit, organiser: models.User, classes: list[str], days_ahead: int = 5, title: str = "Meeting"
    ) -> models.Meeting:
        starts = now_utc().replace(microsecond=0) + timedelta(days=days_ahead)
        meeting = await models.Meeting.create(
            school=kit.school,
            title=f"{title} {self.tag}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            organiser=organiser,
        )
        for class_name in classes:
            await models.MeetingClass.create(meeting=meeting, school_class=kit.classes[class_name])
        return meeting

    async def chat(
        self, kit: SchoolKit, admin: models.User, members: list[models.User], title: str = "Chat", text: str = "Hello"
    ) -> models.Chat:
        """A chat of ``admin`` (its admin) and ``members``, with one message from the admin."""
        now = now_utc()
        chat = await models.Chat.create(
            school=kit.school, title=f"{title} {self.tag}", created_by=admin, last_activity_at=now
        )
        await models.ChatMember.create(chat=chat, user=admin, joined_at=now, is_admin=True)
        for member in members:
            if member.id != admin.id:
                await models.ChatMember.create(chat=chat, user=member, joined_at=now)
        await models.Message.create(chat=chat, author=admin, text=text)
        return chat

    async def access_request(
        self, kit: SchoolKit, applicant: models.User, child_full_name: str, child_birth_date: date
    ) -> models.AccessRequest:
        now = now_utc()
        return await models.AccessRequest.create(
            applicant=applicant,
            school=kit.school,
            child_full_name=child_full_name,
            child_birth_date=child_birth_date,
            birth_certificate_number="V-IK 612345",
            identity_document="Passport 4512 654321",
            relation=models.GuardianRelation.MOTHER,
            consent_at=now,
            submitted_at=now,
            due_at=now + timedelta(hours=72),
        )

    # Removed grades, and a whole term's grid at once ------------------------------------------

    async def remove_grade(self, grade: models.Grade, reason: str = "Entered by mistake") -> models.Grade:
        """Soft-removes ``grade`` as its teacher would: it stops counting and shows as removed."""
        async with in_transaction(), grading.grades_changing([grade.student_id]) as changes:
            await changes.remove([grade.id])
            grade.deleted_at, grade.deleted_by_id, grade.delete_reason = now_utc(), grade.teacher_id, reason
            await grade.save(update_fields=["deleted_at", "deleted_by_id", "delete_reason"])
        return grade

    async def grades_at_once(self, grades: list[tuple[models.Student, models.Lesson, str, int]]) -> None:
        """Classwork grades ``(student, lesson, numeric value, weight)`` in one transaction with the
        roll-ups in step: a whole class over a term, which ``grade`` one at a time makes slowly."""
        student_ids = sorted({student.id for student, _lesson, _value, _weight in grades})
        lesson_ids = sorted({lesson.id for _student, lesson, _value, _weight in grades})
        async with in_transaction(), grading.grades_changing(student_ids) as changes:
            before = {g.id for g in await models.Grade.filter(lesson_id__in=lesson_ids).only("id")}
            await models.Grade.bulk_create(
                [_grade_row(student, lesson, value, weight) for student, lesson, value, weight in grades],
                batch_size=500,
            )
            after = {g.id for g in await models.Grade.filter(lesson_id__in=lesson_ids).only("id")}
            await changes.add(sorted(after - before))

    async def marks_at_once(
        self, marks: list[tuple[models.Student, models.Lesson, models.AttendanceStatus, int | None]]
    ) -> None:
        """Attendance marks ``(student, lesson, status, late minutes)`` in one transaction with the
        roll-ups in step."""
        by_lesson: dict[int, list[int]] = {}
        for student, lesson, _status, _late in marks:
            by_lesson.setdefault(lesson.id, []).append(student.id)
        async with in_transaction():
            await models.Attendance.bulk_create(
                [_mark_row(student, lesson, status, late) for student, lesson, status, late in marks], batch_size=500
            )
            for lesson_id, student_ids in by_lesson.items():
                await grading.attendance(lesson_id, student_ids, +1)

    async def homeroom(self, kit: SchoolKit, class_name: str, name: str | None = None) -> models.User:
        """A teacher of ``kit`` who leads ``class_name`` (its homeroom teacher) and teaches no subject."""
        user = await self.teacher(kit, [], name=name or f"lead{class_name.lower()}")
        klass = kit.classes[class_name]
        klass.homeroom_teacher_id = user.id
        await klass.save(update_fields=["homeroom_teacher_id"])
        return user
