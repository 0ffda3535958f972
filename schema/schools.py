"""Schools: the `School` type and the district admins' mutations that create schools and set each one's
name, time zone and grading scale (``resolvers.schools``). What hangs off a school in another domain
(calendar, bells, timetable, access requests, stats) is that domain's type, annotated lazily: those
modules build on this one. Its subjects and classes: ``schema.org``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import account_list, schools
from resolvers import audit_log as audit_log_resolvers
from resolvers import diary as diary_resolvers
from resolvers.core import _, pk_of
from resolvers.loaders import RangeKey
from schema.account_admin import AccountConnection, account_connection
from schema.audit_log import AuditEntryConnection, connection
from schema.bells import BellPeriod, ShortDay
from schema.calendar import AcademicYear, Term
from schema.days_off import DayOff
from schema.enums import Role
from schema.errors import NotFoundError, ValidationError
from schema.gates import HasRole
from schema.org import SchoolClass, Subject
from schema.pages import first_argument, last_argument
from schema.scales import GradeScale, GradeScaleInput, scale_spec
from schema.timetable import TimetableSlot
from schema.types import FromArg, Info, Node, ToArg

if TYPE_CHECKING:
    from schema.access import AccessRequestStatus
    from schema.access_list import AccessRequestConnection
    from schema.stats import SchoolStats


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
        return [
            BellPeriod(model=b)
            for b in await info.context.loaders.grouped(models.BellPeriod, "school_id", "variant", "number").load(
                self.model.id
            )
        ]

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
        rows = await info.context.loaders.grouped(models.Subject, "school_id", "name", "id").load(self.model.id)
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
        # Here, not at the top: schema.access_list imports this module (through access), a cycle.
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
        # Here, not at the top: schema.stats imports this module, a cycle.
        from schema.stats import school_stats

        return await school_stats(info, self.model, term_id)

    @strawberry.field(description="The school's academic years, in date order, with their terms.")
    async def academic_years(self, info: Info) -> list[AcademicYear]:
        rows = await info.context.loaders.grouped(models.AcademicYear, "school_id", "start_date", "id").load(
            self.model.id
        )
        return [AcademicYear(model=y) for y in rows]

    @strawberry.field(description="Days on the SHORTENED bell schedule within the range, by date.")
    async def short_days(self, info: Info, from_: FromArg, to: ToArg) -> list[ShortDay]:
        diary_resolvers.check_range(from_, to, 366)
        rows = await info.context.loaders.short_days_by_school.load(RangeKey(self.model.id, from_, to))
        return [ShortDay(model=d) for d in rows]

    @strawberry.field(
        description="The weekly timetable of the school's classes you may see (every slot, ended ones too), by"
        " class, weekday and period. A group's slots (`TimetableSlot.group`) only for its members' families (a"
        " membership while the slot runs), the group's teachers and the class's staff; a teacher of a group only"
        " sees that group's slots, not the rest of the class's."
    )
    async def timetable(self, info: Info) -> list[TimetableSlot]:
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


SCALE_CODES = "INVALID_SCALE_RANGE, INVALID_MARKS, INVALID_PASS_MARK, INVALID_ROUNDING_THRESHOLD, INVALID_WEIGHT"


@strawberry.input(description="A new school of your district.")
class SchoolCreateInput:
    name: str = strawberry.field(description="Its name, unique in the district, 1-200 characters.")
    timezone: str = strawberry.field(default="UTC", description="IANA time zone, e.g. Europe/Moscow.")
    grade_scale: GradeScaleInput | None = strawberry.field(
        default=None, description="Grading settings; default: whole numbers 1-5, pass mark 3."
    )


@strawberry.input(description="Changes to a school: fields left out stay as they are.")
class SchoolUpdateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` of your district.")
    name: str | None = strawberry.field(default=None, description="A new name, unique in the district.")
    timezone: str | None = strawberry.field(default=None, description="A new IANA time zone.")
    grade_scale: GradeScaleInput | None = strawberry.field(
        default=None,
        description="New grading settings. The marks (kind, min, max, marks) cannot change once the school "
        "has grades (SCALE_IN_USE); the pass mark, rounding and weights can.",
    )


@strawberry.type(description="The school was created.")
class SchoolCreateSuccess:
    school: School = strawberry.field(description="The new school.")


@strawberry.type(description="The school was changed (or already was as asked).")
class SchoolUpdateSuccess:
    school: School = strawberry.field(description="The school as it is now.")


SchoolCreateResult = Annotated[
    SchoolCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SchoolCreateResult",
        description="The new school, or why not (nothing written). ValidationError codes: NAME_EMPTY, "
        "INVALID_CHARACTERS, "
        f"NAME_TOO_LONG, NAME_TAKEN, INVALID_TIMEZONE, {SCALE_CODES}; NotFoundError DISTRICT_NOT_FOUND.",
    ),
]
SchoolUpdateResult = Annotated[
    SchoolUpdateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SchoolUpdateResult",
        description="The changed school, or why not (nothing written). ValidationError codes: "
        "NAME_EMPTY, INVALID_CHARACTERS, "
        f"NAME_TOO_LONG, NAME_TAKEN, INVALID_TIMEZONE, {SCALE_CODES}, SCALE_IN_USE; NotFoundError "
        "SCHOOL_NOT_FOUND (not there, or not of your district).",
    ),
]


SCHOOL_CREATORS = HasRole(models.Role.DISTRICT_ADMIN, refusal=_("Only district admins create schools."))
SCHOOL_SETTERS = HasRole(models.Role.DISTRICT_ADMIN, refusal=_("Only district admins change school settings."))
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type
class SchoolMutations:
    @strawberry.mutation(
        description="Create a school in your district. District admins only (FORBIDDEN otherwise).",
        permission_classes=[SCHOOL_CREATORS],
    )
    async def school_create(self, info: Info, input: Annotated[SchoolCreateInput, INPUT]) -> SchoolCreateResult:
        spec = schools.SchoolSpec(name=input.name, timezone=input.timezone, scale=scale_spec(input.grade_scale))
        return SchoolCreateSuccess(school=School(model=await schools.create_school(info.context, spec)))

    @strawberry.mutation(
        description="Change a school's name, time zone or grading settings. District admins of its district only.",
        permission_classes=[SCHOOL_SETTERS],
    )
    async def school_update(self, info: Info, input: Annotated[SchoolUpdateInput, INPUT]) -> SchoolUpdateResult:
        spec = schools.SchoolSpec(name=input.name, timezone=input.timezone, scale=scale_spec(input.grade_scale))
        row = await schools.update_school(info.context, input.school_id, spec)
        return SchoolUpdateSuccess(school=School(model=row))
