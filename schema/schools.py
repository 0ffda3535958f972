"""Schools, their subjects and classes as everyone reads them (running them: ``schema.org``). What
hangs off a school or a class in another domain (calendar, bells, timetable, students, lessons,
accounts, audit log, stats) is that domain's type, annotated lazily: those modules build on this one."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import account_list
from resolvers import audit_log as audit_log_resolvers
from resolvers import diary as diary_resolvers
from resolvers import journal as journal_resolvers
from resolvers.ids import pk_of
from resolvers.loaders import RangeKey
from schema.account_admin import AccountConnection, account_connection
from schema.audit_log import AuditEntryConnection, connection
from schema.enums import Role
from schema.faces import shown
from schema.grading import GradeScale
from schema.pages import first_argument, last_argument
from schema.types import FromArg, Info, Node, ToArg, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.access import AccessRequestStatus
    from schema.access_list import AccessRequestConnection
    from schema.bells import BellPeriod, ShortDay
    from schema.calendar import AcademicYear, Term
    from schema.days_off import DayOff
    from schema.journal import ClassJournal
    from schema.lessons import Lesson
    from schema.stats import SchoolStats
    from schema.students import Student
    from schema.timetable import TimetableSlot


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
    async def bell_schedule(self, info: Info) -> list[Annotated[BellPeriod, strawberry.lazy("schema.bells")]]:
        from schema.bells import BellPeriod

        return [BellPeriod(model=b) for b in await info.context.loaders.bell_periods_by_school.load(self.model.id)]

    @strawberry.field(description="The terms of the school's academic years, in date order.")
    async def terms(self, info: Info) -> list[Annotated[Term, strawberry.lazy("schema.calendar")]]:
        from schema.calendar import Term

        return [Term(model=t) for t in await info.context.loaders.terms_by_school.load(self.model.id)]

    @strawberry.field(description="Holidays and vacations overlapping the range.")
    async def days_off(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[DayOff, strawberry.lazy("schema.days_off")]]:
        from schema.days_off import DayOff

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
    ) -> AccountConnection | None:
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
    ) -> AuditEntryConnection | None:
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
    async def students(self, info: Info) -> list[Annotated[Student, strawberry.lazy("schema.students")]]:
        from schema.students import Student

        loaders = info.context.loaders
        rows = await loaders.students_by_class.load(self.model.id)
        visible = await loaders.student_visible.load_many([s.id for s in rows])
        return [Student(model=s) for s, ok in zip(rows, visible, strict=True) if ok]

    @strawberry.field(description="The class's lessons over the range, by date and period.")
    async def lessons(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[Lesson, strawberry.lazy("schema.lessons")]]:
        from schema.lessons import Lesson

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
