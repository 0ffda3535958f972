"""Domain object types. Each wraps a model instance; relations resolve through the
request's loaders, so nested lists never cost a statement per item."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

import models
from resolvers import diary as diary_resolvers
from resolvers import journal as journal_resolvers
from resolvers import progress as progress_resolvers
from resolvers.context import Context
from resolvers.ids import pk_of, to_global_id
from resolvers.loaders import RangeKey
from schema.enums import (
    BellVariant,
    ChartBucket,
    DayOffKind,
    LessonStatus,
    Role,
)
from schema.faces import shown
from schema.grading import GradeScale
from schema.pages import first_argument, last_argument

if TYPE_CHECKING:
    from schema.absence import AbsenceNotice
    from schema.access import AccessRequestStatus
    from schema.access_list import AccessRequestConnection
    from schema.account_admin import AccountConnection
    from schema.attendance import RegisterRow
    from schema.audit_log import AuditEntryConnection
    from schema.bells import ShortDay
    from schema.calendar import AcademicYear
    from schema.diary import DiaryDay, SubjectProgress
    from schema.enrollment import Enrollment
    from schema.guardianships import Guardianship
    from schema.journal import ClassJournal
    from schema.progress import ClassRank, ProgressPoint
    from schema.remarks import Remark
    from schema.stats import SchoolStats
    from schema.timetable import TimetableSlot

Info = strawberry.Info[Context, None]
T = TypeVar("T")

FromArg = Annotated[dt.date, strawberry.argument(name="from", description="First day, inclusive.")]
ToArg = Annotated[dt.date, strawberry.argument(description="Last day, inclusive. At most 92 days after `from`.")]


def _must(value: T | None, what: str) -> T:
    if value is None:  # a dangling reference: the database guarantees it cannot happen
        raise LookupError(f"missing {what}")
    return value


@strawberry.interface(description="An object with an opaque global id, fetchable with `node(id)`.")
class Node:
    model: strawberry.Private[Any]
    # Shown at a face place (resolvers/policy/faces.py) to a viewer who may not see it: only its
    # face's fields answer (schema/faces.py).
    face: strawberry.Private[bool] = False

    @strawberry.field(description="Opaque global id. Do not parse it; pass it back to `node` or to arguments.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id(type(self).__name__, self.model.pk))


@strawberry.type(description="A person with a login: a teacher, parent, student or administrator.")
class User(Node):
    model: strawberry.Private[models.User]

    @strawberry.field(description="Full name as the school writes it.")
    def full_name(self) -> str:
        return self.model.full_name


@strawberry.type(description="A period of the bell schedule, in the school's local time.")
class BellPeriod:
    model: strawberry.Private[models.BellPeriod]

    @strawberry.field(description="Period number, 1 for the first lesson of the day.")
    def number(self) -> int:
        return int(self.model.number)

    @strawberry.field(description="Which schedule this period belongs to.")
    def variant(self) -> BellVariant:
        return BellVariant(self.model.variant)

    @strawberry.field(description="Start, local wall-clock time of the school.")
    def starts_at(self) -> dt.time:
        return self.model.starts_at

    @strawberry.field(description="End, local wall-clock time of the school.")
    def ends_at(self) -> dt.time:
        return self.model.ends_at


@strawberry.type(description="A holiday or vacation: days without lessons besides weekends.")
class DayOff(Node):
    model: strawberry.Private[models.DayOff]

    @strawberry.field(description="Holiday or vacation.")
    def kind(self) -> DayOffKind:
        return DayOffKind(self.model.kind)

    @strawberry.field(description='Its name, e.g. "Winter vacation".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="First day off, inclusive.")
    def start_date(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="Last day off, inclusive.")
    def end_date(self) -> dt.date:
        return self.model.end_date


@strawberry.type(description="A grading period: a quarter, trimester or semester.")
class Term(Node):
    model: strawberry.Private[models.Term]

    @strawberry.field(description='Its name, e.g. "Quarter 2".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Position in the academic year, from 1.")
    def number(self) -> int:
        return int(self.model.number)

    @strawberry.field(description="First day, inclusive.")
    def start_date(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="Last day, inclusive.")
    def end_date(self) -> dt.date:
        return self.model.end_date


@strawberry.type(description="A school.")
class School(Node):
    model: strawberry.Private[models.School]

    @strawberry.field(description="The school's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="IANA time zone of the school; bell times are local to it.")
    def timezone(self) -> str:
        return self.model.timezone

    @strawberry.field(description="The grading scale used for grades and averages.")
    def grade_scale(self) -> GradeScale:
        m = self.model
        return GradeScale(model=m)

    @strawberry.field(description="The school's classes you may see, by grade level and letter.")
    async def classes(self, info: Info) -> list[SchoolClass]:
        rows = await info.context.loaders.visible_classes_by_school.load(self.model.id)
        return [SchoolClass(model=c) for c in rows]

    @strawberry.field(description="The bell schedule: every period of every variant.")
    async def bell_schedule(self, info: Info) -> list[BellPeriod]:
        return [BellPeriod(model=b) for b in await info.context.loaders.bell_periods_by_school.load(self.model.id)]

    @strawberry.field(description="The terms of the school's academic years, in date order.")
    async def terms(self, info: Info) -> list[Term]:
        return [Term(model=t) for t in await info.context.loaders.terms_by_school.load(self.model.id)]

    @strawberry.field(description="Holidays and vacations overlapping the range.")
    async def days_off(self, info: Info, from_: FromArg, to: ToArg) -> list[DayOff]:
        diary_resolvers.check_range(from_, to, 366)
        rows = await info.context.loaders.days_off_by_school.load(RangeKey(self.model.id, from_, to))
        return [DayOff(model=d) for d in rows]

    @strawberry.field(description="The school's subjects by name; archived ones only when asked.")
    async def subjects(
        self,
        info: Info,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list the subjects the school no longer teaches.")
        ] = False,
    ) -> list[Subject]:
        rows = await info.context.loaders.subjects_by_school.load(self.model.id)
        return [Subject(model=s) for s in rows if include_archived or s.archived_at is None]

    @strawberry.field(
        description="Families' access requests to the school, oldest due first (at most 100 a page). For the "
        "school's admins and its district's; empty for everyone else."
    )
    async def access_requests(
        self,
        info: Info,
        status: Annotated[
            Annotated[AccessRequestStatus, strawberry.lazy("schema.access")] | None,
            strawberry.argument(description="Only requests with this status."),
        ] = None,
        overdue: Annotated[
            bool | None,
            strawberry.argument(description="true: only pending requests past their due time; false: all others."),
        ] = None,
        first: Annotated[int | None, first_argument(100)] = None,
        after: Annotated[str | None, strawberry.argument(description="Start after this cursor.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="End before this cursor.")] = None,
    ) -> Annotated[AccessRequestConnection, strawberry.lazy("schema.access_list")]:
        from schema.access_list import school_access_requests

        return await school_access_requests(info, self.model, status, overdue, first, after, last, before)

    @strawberry.field(
        description="The school's dashboard for a term: averages, grade distribution, success and quality, "
        "attendance, by class, subject, teacher and week. For the school's admins and its district's; null "
        "for everyone else and for a term of another school."
    )
    async def stats(
        self,
        info: Info,
        term_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A `Term` id; default: the current term.")
        ] = None,
    ) -> Annotated[SchoolStats, strawberry.lazy("schema.stats")] | None:
        from schema.stats import school_stats

        return await school_stats(info, self.model, term_id)

    @strawberry.field(description="The school's academic years, in date order, with their terms.")
    async def academic_years(self, info: Info) -> list[Annotated[AcademicYear, strawberry.lazy("schema.calendar")]]:
        from schema.calendar import AcademicYear

        rows = await info.context.loaders.academic_years_by_school.load(self.model.id)
        return [AcademicYear(model=y) for y in rows]

    @strawberry.field(description="Days on the SHORTENED bell schedule within the range, by date.")
    async def short_days(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[ShortDay, strawberry.lazy("schema.bells")]]:
        from schema.bells import ShortDay

        diary_resolvers.check_range(from_, to, 366)
        rows = await info.context.loaders.short_days_by_school.load(RangeKey(self.model.id, from_, to))
        return [ShortDay(model=d) for d in rows]

    @strawberry.field(
        description="The weekly timetable of the school's classes you may see (every slot, ended ones too), by"
        " class, weekday and period."
    )
    async def timetable(self, info: Info) -> list[Annotated[TimetableSlot, strawberry.lazy("schema.timetable")]]:
        from schema.timetable import TimetableSlot

        return [TimetableSlot(model=s) for s in await info.context.loaders.visible_slots_by_school.load(self.model.id)]

    @strawberry.field(
        description="Everyone holding a role in the school (staff, students, parents), by name: their logins "
        "and standing. For the school's admins and its district's admins; null for anyone else."
    )
    async def accounts(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(50)] = None,
        after: Annotated[str | None, strawberry.argument(description="An `endCursor`: the accounts after.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `startCursor`: the accounts before.")] = None,
        role: Annotated[Role | None, strawberry.argument(description="Only holders of this role here.")] = None,
        is_active: Annotated[
            bool | None, strawberry.argument(description="Only active (true) or deactivated (false) accounts.")
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Only names or logins containing this (any case).")
        ] = None,
    ) -> Annotated[AccountConnection, strawberry.lazy("schema.account_admin")] | None:
        from resolvers import account_list
        from schema.account_admin import account_connection

        if not await info.context.loaders.administered_by_school.load(self.model.id):
            return None
        wanted = account_list.page_filter(
            first, after, last, before, models.Role(role.name) if role else None, is_active, search
        )
        page = await info.context.loaders.account_page_by_school.load(account_list.AccountKey(self.model.id, wanted))
        return account_connection(page)

    @strawberry.field(
        description="The school's audit log, newest first: logins, account administration, imports and every "
        "write about the school. For the school's admins and its district's admins; null for anyone else."
    )
    async def audit_log(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="An `endCursor`: older entries.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `startCursor`: newer entries.")] = None,
        action: Annotated[str | None, strawberry.argument(description="Only this action: `account.create`.")] = None,
        actor_id: Annotated[strawberry.ID | None, strawberry.argument(description="Only this `User`'s.")] = None,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="Only entries at or after this instant.")
        ] = None,
        to: Annotated[
            dt.datetime | None, strawberry.argument(description="Only entries at or before this instant.")
        ] = None,
    ) -> Annotated[AuditEntryConnection, strawberry.lazy("schema.audit_log")] | None:
        from resolvers import audit_log as audit_log_resolvers
        from schema.audit_log import connection

        if not await info.context.loaders.administered_by_school.load(self.model.id):
            return None
        # An id that names no user matches no entry (-1), rather than being ignored.
        actor = (pk_of(actor_id, "User") or -1) if actor_id is not None else None
        wanted = audit_log_resolvers.page_filter(first, after, last, before, action, actor, from_, to)
        key = audit_log_resolvers.AuditKey(self.model.id, wanted)
        return connection(await info.context.loaders.audit_page_by_school.load(key))


@strawberry.type(description="A school subject, e.g. Mathematics.")
class Subject(Node):
    model: strawberry.Private[models.Subject]

    @strawberry.field(description="The subject's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="When the school stopped teaching it (no new teaching assignments); else null.")
    def archived_at(self) -> dt.datetime | None:
        return self.model.archived_at


@strawberry.type(description="A class of one academic year, e.g. 5A.")
class SchoolClass(Node):
    model: strawberry.Private[models.SchoolClass]

    @strawberry.field(description='Grade level and letter, e.g. "5A".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Grade level, e.g. 5.")
    def grade_level(self) -> int:
        return int(self.model.grade_level)

    @strawberry.field(description='Letter within the grade level, e.g. "A".')
    def letter(self) -> str:
        return self.model.letter

    @strawberry.field(description="The school the class belongs to.")
    async def school(self, info: Info) -> School:
        s = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=_must(s, "school")))

    @strawberry.field(description="The homeroom (class) teacher, if any.")
    async def homeroom_teacher(self, info: Info) -> User | None:
        if self.model.homeroom_teacher_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.homeroom_teacher_id)
        return User(model=user) if user else None

    @strawberry.field(
        description="Students in the class today, by name. Parents and students see only their own family."
    )
    async def students(self, info: Info) -> list[Student]:
        loaders = info.context.loaders
        rows = await loaders.students_by_class.load(self.model.id)
        visible = await loaders.student_visible.load_many([s.id for s in rows])
        return [Student(model=s) for s, ok in zip(rows, visible, strict=True) if ok]

    @strawberry.field(description="The class's lessons over the range, by date and period.")
    async def lessons(self, info: Info, from_: FromArg, to: ToArg) -> list[Lesson]:
        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.lessons_by_class.load(RangeKey(self.model.id, from_, to))
        return [Lesson(model=x) for x in rows]

    @strawberry.field(
        description="The journal of one subject over a term (default: the current one): every student at every"
        " lesson. For the teachers of that class + subject and the school's admins; null for everyone else."
    )
    async def journal(
        self,
        info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(description="A `Subject` id.")],
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> Annotated[ClassJournal, strawberry.lazy("schema.journal")] | None:
        from schema.journal import ClassJournal

        subject_pk = pk_of(subject_id, "Subject")
        term_pk = pk_of(term_id, "Term") if term_id is not None else None
        if subject_pk is None or (term_id is not None and term_pk is None):
            return None
        data = await journal_resolvers.load_journal(info.context.loaders, self.model, subject_pk, term_pk)
        return ClassJournal(data=data) if data else None


@strawberry.type(description="A teacher's class + subject pair: what they teach and may grade.")
class TeachingAssignment(Node):
    model: strawberry.Private[models.TeachingAssignment]

    @strawberry.field(description="The class taught.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return SchoolClass(model=_must(c, "class"))

    @strawberry.field(description="The subject taught in that class.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=_must(s, "subject"))

    @strawberry.field(description="The teacher.")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))


@strawberry.type(description="One dated lesson of a class.")
class Lesson(Node):
    model: strawberry.Private[models.Lesson]

    @strawberry.field(description="The day of the lesson.")
    def date(self) -> dt.date:
        return self.model.date

    @strawberry.field(description="Period number in the bell schedule.")
    def period(self) -> int:
        return int(self.model.period)

    @strawberry.field(description="Start instant (the school's bell time, with offset).")
    def starts_at(self) -> dt.datetime:
        return self.model.starts_at

    @strawberry.field(description="End instant (the school's bell time, with offset).")
    def ends_at(self) -> dt.datetime:
        return self.model.ends_at

    @strawberry.field(description="Subject taught.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=_must(s, "subject"))

    @strawberry.field(description="The teacher giving the lesson (the substitute, if any).")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(description="The planned teacher when a substitute gives the lesson, else null.")
    async def substituted_teacher(self, info: Info) -> User | None:
        if self.model.original_teacher_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.original_teacher_id)
        return User(model=user) if user else None

    @strawberry.field(description="The class taught.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return await shown(info, SchoolClass(model=_must(c, "class")))

    @strawberry.field(description="The lesson's topic, once the teacher wrote it.")
    def topic(self) -> str | None:
        return self.model.topic

    @strawberry.field(description="Room, if known.")
    def room(self) -> str | None:
        return self.model.room

    @strawberry.field(description="Whether the lesson takes place.")
    def status(self) -> LessonStatus:
        return LessonStatus(self.model.status)

    @strawberry.field(
        description="Why it was cancelled: the school's reason, or the holiday's or vacation's name; null while"
        " it takes place."
    )
    async def cancel_reason(self, info: Info) -> str | None:
        if self.model.status != models.LessonStatus.CANCELLED:
            return None
        if self.model.day_off_id is not None:
            off = await info.context.loaders.day_off_by_id.load(self.model.day_off_id)
            return off.name if off else None
        return self.model.cancel_reason

    @strawberry.field(description="Why a substitute gives the lesson; null without a substitution.")
    def substitution_reason(self) -> str | None:
        return self.model.substitution_reason if self.model.original_teacher_id is not None else None

    @strawberry.field(description="Homework due for this lesson.")
    async def homework(self, info: Info) -> list[Homework]:
        return [Homework(model=h) for h in await info.context.loaders.homework_by_lesson.load(self.model.id)]

    @strawberry.field(
        description=(
            "The register: every student enrolled on the lesson's date, by name, with the mark, the absence "
            "notice and the mark's history. For the lesson's teachers, the class's homeroom teacher and the "
            "school's admins; null for everyone else (families see their child's marks in the diary)."
        )
    )
    async def register(self, info: Info) -> list[Annotated[RegisterRow, strawberry.lazy("schema.attendance")]] | None:
        from schema.attendance import RegisterRow

        loaders = info.context.loaders
        if not await loaders.register_readable_by_lesson.load(self.model.id):
            return None
        return [RegisterRow(data=r) for r in await loaders.register_by_lesson.load(self.model.id)]


@strawberry.type(description="Homework, shown on the lesson it is due for.")
class Homework(Node):
    model: strawberry.Private[models.Homework]

    @strawberry.field(description="What to do.")
    def text(self) -> str:
        return self.model.text

    @strawberry.field(description="Links to materials.")
    def links(self) -> list[str]:
        return list(self.model.links or [])

    @strawberry.field(description="The lesson it is due for.")
    async def lesson(self, info: Info) -> Lesson:
        return Lesson(model=_must(await info.context.loaders.lesson_by_id.load(self.model.lesson_id), "lesson"))

    @strawberry.field(description="The lesson where it was set, if the teacher said.")
    async def assigned_in(self, info: Info) -> Lesson | None:
        if self.model.assigned_in_id is None:
            return None
        lesson = await info.context.loaders.lesson_by_id.load(self.model.assigned_in_id)
        return Lesson(model=lesson) if lesson else None

    @strawberry.field(description="The teacher who set it.")
    async def assigned_by(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.assigned_by_id)
        return User(model=_must(user, "author"))

    @strawberry.field(description="When it was assigned.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed (equals `createdAt` until then).")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(
        description="True once the teacher removed it. Removed homework is reached only through diary events "
        "(a HOMEWORK_REMOVED event says which one to drop) and `homeworkDelete`; the diary, `Lesson.homework` "
        "and `node` no longer show it."
    )
    def removed(self) -> bool:
        return self.model.deleted_at is not None

    @strawberry.field(description="When it was removed; null while it stands.")
    def removed_at(self) -> dt.datetime | None:
        return self.model.deleted_at


@strawberry.type(description="A child on a school's roll.")
class Student(Node):
    model: strawberry.Private[models.Student]

    @strawberry.field(description="Full name.")
    def full_name(self) -> str:
        return self.model.full_name

    @strawberry.field(description="The class the child is in today (else the most recent one).")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_student.load(self.model.id)
        return await shown(info, SchoolClass(model=_must(c, "class")))

    @strawberry.field(description="The child's school.")
    async def school(self, info: Info) -> School:
        s = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=_must(s, "school")))

    @strawberry.field(description="Every class the child was, is or will be in, by first day (transfers included).")
    async def enrollments(self, info: Info) -> list[Annotated[Enrollment, strawberry.lazy("schema.enrollment")]]:
        from schema.enrollment import Enrollment

        return [Enrollment(model=e) for e in await info.context.loaders.enrollments_by_student.load(self.model.id)]

    @strawberry.field(
        description="The child's parents and legal representatives, oldest link first. The school's admins (and its "
        "district's) see every guardianship, revoked ones included with why (to revoke and restore them); the child "
        "and its guardians see the ones that stand; everyone else an empty list."
    )
    async def guardianships(self, info: Info) -> list[Annotated[Guardianship, strawberry.lazy("schema.guardianships")]]:
        from schema.guardianships import Guardianship

        return [Guardianship(model=g) for g in await info.context.loaders.guardianships_by_student.load(self.model.id)]

    @strawberry.field(description="Every day of the range with its lessons. At most 92 days (BAD_USER_INPUT).")
    async def diary(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[DiaryDay, strawberry.lazy("schema.diary")]]:
        from schema.diary import DiaryDay

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        days = await diary_resolvers.load_diary(info.context.loaders, self.model, from_, to)
        return [DiaryDay(data=d) for d in days]

    @strawberry.field(
        description="Teachers' remarks on the child over the range (by the remark's date), newest first. "
        "At most 92 days (BAD_USER_INPUT). Readable by the family, the teachers of the class the remark "
        "was written in and the school's admins; others get an empty list."
    )
    async def remarks(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[Remark, strawberry.lazy("schema.remarks")]]:
        from schema.remarks import Remark

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.remarks_by_student.load(RangeKey(self.model.id, from_, to))
        return [Remark(model=r) for r in rows]

    @strawberry.field(
        description=(
            "The parents' absence notices overlapping the range, by first day. At most 92 days (BAD_USER_INPUT)."
        )
    )
    async def absence_notices(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[AbsenceNotice, strawberry.lazy("schema.absence")]]:
        from schema.absence import AbsenceNotice

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.absence_notices_by_student.load(RangeKey(self.model.id, from_, to))
        return [AbsenceNotice(model=n) for n in rows]

    @strawberry.field(description="Per subject: grades, averages and absences over a term (default: the current one).")
    async def progress(
        self,
        info: Info,
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> list[Annotated[SubjectProgress, strawberry.lazy("schema.diary")]]:
        from schema.diary import SubjectProgress

        pk = None
        if term_id is not None:
            pk = pk_of(term_id, "Term")
            if pk is None:
                return []
        term = await progress_resolvers.resolve_school_term(info.context.loaders, self.model.school_id, pk)
        if term is None:
            return []
        rows = await diary_resolvers.load_progress(info.context.loaders, self.model, term)
        return [SubjectProgress(data=p, student=self.model, term=term) for p in rows]

    @strawberry.field(
        description="The child's weighted average in one subject week by week or month by month, with the class's."
        " Every bucket of the range appears (empty ones with nulls). At most 366 days (BAD_USER_INPUT). A teacher"
        " counts only the days the child was in their class (after a transfer: the old class up to the day before,"
        " the new one from the day)."
    )
    async def progress_chart(
        self,
        info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(description="A `Subject` id.")],
        from_: FromArg,
        to: Annotated[dt.date, strawberry.argument(description="Last day, inclusive. At most 366 days after `from`.")],
        bucket: Annotated[ChartBucket, strawberry.argument(description="Weeks or months.")] = ChartBucket.WEEK,
    ) -> list[Annotated[ProgressPoint, strawberry.lazy("schema.progress")]]:
        from schema.progress import ProgressPoint

        diary_resolvers.check_range(from_, to, progress_resolvers.MAX_CHART_DAYS)
        pk = pk_of(subject_id, "Subject")
        subject = await info.context.loaders.subject_by_id.load(pk) if pk is not None else None
        if subject is None or subject.school_id != self.model.school_id:
            return []
        kind = progress_resolvers.Bucket[bucket.name]
        points = await progress_resolvers.load_chart(info.context.loaders, self.model, subject.id, from_, to, kind)
        return [ProgressPoint(data=p) for p in points]

    @strawberry.field(
        description="The child's place in their current class by the weighted average of all the term's grades"
        " (default: the current term); null for an unknown term, and for the teachers and admins of the child's"
        " former class after a transfer."
    )
    async def rank(
        self,
        info: Info,
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> Annotated[ClassRank, strawberry.lazy("schema.progress")] | None:
        from schema.progress import ClassRank

        pk = pk_of(term_id, "Term") if term_id is not None else None
        if term_id is not None and pk is None:
            return None
        term = await progress_resolvers.resolve_school_term(info.context.loaders, self.model.school_id, pk)
        if term is None:
            return None
        data = await progress_resolvers.load_rank(info.context.loaders, self.model, term)
        return ClassRank(data=data) if data else None
