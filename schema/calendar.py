"""A school's calendar as its admins run it: academic years, terms, days off, bells, short days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import bells_admin, calendar_admin
from resolvers.ids import to_global_id
from schema import types
from schema.enums import BellVariant, DayOffKind
from schema.errors import NotFoundError, ValidationError
from schema.permissions import IsAuthenticated
from schema.timetable import LessonChanges

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
_ADMINS = " School admins (their school) and district admins (their district's schools); FORBIDDEN for others."


@strawberry.type(description="A school year, e.g. 2026/2027: its classes, terms and timetable live within it.")
class AcademicYear(types.Node):
    model: strawberry.Private[models.AcademicYear]

    @strawberry.field(description='Its name, e.g. "2026/2027".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="First day, inclusive.")
    def start_date(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="Last day, inclusive: no lessons are generated after it.")
    def end_date(self) -> dt.date:
        return self.model.end_date

    @strawberry.field(description="The year's terms, in date order (numbered 1, 2, ...).")
    async def terms(self, info: Info) -> list[types.Term]:
        return [types.Term(model=t) for t in await info.context.loaders.terms_by_year.load(self.model.id)]


@strawberry.type(description="A school day that follows the SHORTENED bell schedule.")
class ShortDay(types.Node):
    model: strawberry.Private[models.ShortDay]

    @strawberry.field(description="The day.")
    def date(self) -> dt.date:
        return self.model.date

    @strawberry.field(description='Why it is short, e.g. "Eve of New Year".')
    def name(self) -> str:
        return self.model.name


# --- academic years ----------------------------------------------------------------------


@strawberry.input(description="A new academic year of a school.")
class AcademicYearCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    name: str = strawberry.field(description='1-50 characters, unique in the school, e.g. "2027/2028".')
    start_date: dt.date = strawberry.field(description="First day; the year overlaps no other year of the school.")
    end_date: dt.date = strawberry.field(description="Last day; at most 366 days after the start.")


@strawberry.input(description="A change of an academic year; omitted fields stay as they are.")
class AcademicYearUpdateInput:
    academic_year_id: strawberry.ID = strawberry.field(description="An `AcademicYear` of a school you run.")
    name: str | None = strawberry.field(default=None, description="New name.")
    start_date: dt.date | None = strawberry.field(default=None, description="New first day.")
    end_date: dt.date | None = strawberry.field(
        default=None, description="New last day: the timetable's lessons from today on are extended or trimmed."
    )


@strawberry.type(description="The academic year as it is now.")
class AcademicYearSuccess:
    academic_year: AcademicYear = strawberry.field(description="The year.")


@strawberry.type(description="The academic year as it is now, and what its change did to the lessons.")
class AcademicYearUpdateSuccess:
    academic_year: AcademicYear = strawberry.field(description="The year.")
    lessons: LessonChanges = strawberry.field(description="Lessons generated or removed by a new end.")


_YEAR_CODES = (
    "ValidationError codes: NAME_REQUIRED, NAME_TOO_LONG, NAME_TAKEN, INVALID_RANGE, RANGE_TOO_LONG, YEAR_OVERLAP"
)
AcademicYearCreateResult = Annotated[
    AcademicYearSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AcademicYearCreateResult",
        description="The new year, or why not (nothing written). " + _YEAR_CODES + "; NotFoundError SCHOOL_NOT_FOUND.",
    ),
]
AcademicYearUpdateResult = Annotated[
    AcademicYearUpdateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AcademicYearUpdateResult",
        description="The changed year, or why not (nothing written). "
        + _YEAR_CODES
        + ", TERMS_OUTSIDE_YEAR; NotFoundError ACADEMIC_YEAR_NOT_FOUND.",
    ),
]


# --- terms -------------------------------------------------------------------------------


@strawberry.input(description="A new term (quarter, trimester, semester) of an academic year.")
class TermCreateInput:
    academic_year_id: strawberry.ID = strawberry.field(description="An `AcademicYear` of a school you run.")
    name: str = strawberry.field(description='1-50 characters, unique in the year, e.g. "Quarter 3".')
    start_date: dt.date = strawberry.field(description="First day, within the year; overlaps no other term.")
    end_date: dt.date = strawberry.field(description="Last day, within the year.")


@strawberry.input(description="A change of a term; omitted fields stay as they are.")
class TermUpdateInput:
    term_id: strawberry.ID = strawberry.field(description="A `Term` of a school you run.")
    name: str | None = strawberry.field(default=None, description="New name.")
    start_date: dt.date | None = strawberry.field(default=None, description="New first day.")
    end_date: dt.date | None = strawberry.field(default=None, description="New last day.")


@strawberry.input(description="A term to delete.")
class TermDeleteInput:
    term_id: strawberry.ID = strawberry.field(description="A `Term` of a school you run, without grades.")


@strawberry.type(description="The term as it is now; terms are renumbered in date order.")
class TermSuccess:
    term: types.Term = strawberry.field(description="The term.")


@strawberry.type(description="The term is gone; the year's other terms are renumbered.")
class TermDeleteSuccess:
    deleted_term_id: strawberry.ID = strawberry.field(description="The id the term had.")


_TERM_CODES = "ValidationError codes: NAME_REQUIRED, NAME_TOO_LONG, NAME_TAKEN, INVALID_RANGE, RANGE_TOO_LONG, "
TermCreateResult = Annotated[
    TermSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TermCreateResult",
        description="The new term, or why not (nothing written). "
        + _TERM_CODES
        + "OUTSIDE_ACADEMIC_YEAR, TERM_OVERLAP; NotFoundError ACADEMIC_YEAR_NOT_FOUND.",
    ),
]
TermUpdateResult = Annotated[
    TermSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TermUpdateResult",
        description="The changed term, or why not (nothing written). "
        + _TERM_CODES
        + "OUTSIDE_ACADEMIC_YEAR, TERM_OVERLAP; NotFoundError TERM_NOT_FOUND.",
    ),
]
TermDeleteResult = Annotated[
    TermDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TermDeleteResult",
        description="Deleted, or why not (nothing written). ValidationError codes: TERM_GRADES_GIVEN (final "
        "grades were given for it), GRADES_IN_TERM (lesson grades fall within it); NotFoundError TERM_NOT_FOUND.",
    ),
]


# --- days off ------------------------------------------------------------------------------


@strawberry.input(description="A holiday or vacation: no lessons on it.")
class DayOffCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    kind: DayOffKind = strawberry.field(description="Holiday or vacation (a vacation covers its weekends).")
    name: str = strawberry.field(description='1-200 characters, e.g. "Winter vacation".')
    start_date: dt.date = strawberry.field(description="First day off, within an academic year of the school.")
    end_date: dt.date = strawberry.field(description="Last day off, within the same academic year.")


@strawberry.input(description="A change of a day off; omitted fields stay as they are.")
class DayOffUpdateInput:
    day_off_id: strawberry.ID = strawberry.field(description="A `DayOff` of a school you run.")
    kind: DayOffKind | None = strawberry.field(default=None, description="Holiday or vacation.")
    name: str | None = strawberry.field(default=None, description="New name.")
    start_date: dt.date | None = strawberry.field(default=None, description="New first day.")
    end_date: dt.date | None = strawberry.field(default=None, description="New last day.")


@strawberry.input(description="A day off to remove.")
class DayOffDeleteInput:
    day_off_id: strawberry.ID = strawberry.field(description="A `DayOff` of a school you run.")


@strawberry.type(description="The day off as it is now, and what it did to the lessons from today on.")
class DayOffSuccess:
    day_off: types.DayOff = strawberry.field(description="The day off.")
    lessons: LessonChanges = strawberry.field(
        description="Lessons cancelled on it, restored on days no longer off, and `kept`: lessons on it that hold "
        "grades, attendance, homework or a topic and so were not cancelled (the school decides)."
    )


@strawberry.type(description="The day off is gone; its lessons from today on are scheduled again.")
class DayOffDeleteSuccess:
    deleted_day_off_id: strawberry.ID = strawberry.field(description="The id the day off had.")
    lessons: LessonChanges = strawberry.field(description="Lessons restored and generated.")


_DAY_OFF_CODES = (
    "ValidationError codes: NAME_REQUIRED, NAME_TOO_LONG, INVALID_RANGE, RANGE_TOO_LONG, OUTSIDE_ACADEMIC_YEAR"
)
DayOffCreateResult = Annotated[
    DayOffSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "DayOffCreateResult",
        description="The new day off, or why not (nothing written). " + _DAY_OFF_CODES + "; NotFoundError "
        "SCHOOL_NOT_FOUND.",
    ),
]
DayOffUpdateResult = Annotated[
    DayOffSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "DayOffUpdateResult",
        description="The changed day off, or why not (nothing written). " + _DAY_OFF_CODES + "; NotFoundError "
        "DAY_OFF_NOT_FOUND.",
    ),
]
DayOffDeleteResult = Annotated[
    DayOffDeleteSuccess | NotFoundError,
    strawberry.union("DayOffDeleteResult", description="Removed, or NotFoundError DAY_OFF_NOT_FOUND."),
]


# --- bells and short days ----------------------------------------------------------------


@strawberry.input(description="One period of a bell schedule, in the school's local time.")
class BellPeriodInput:
    starts_at: dt.time = strawberry.field(description="Start, whole minutes, e.g. 08:30.")
    ends_at: dt.time = strawberry.field(description="End, after the start and before the next period.")


@strawberry.input(description="A whole bell schedule variant, replacing the one there was.")
class BellScheduleSetInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    variant: BellVariant = strawberry.field(description="Which schedule to replace.")
    periods: list[BellPeriodInput] = strawberry.field(
        description="1-12 periods in order; they are numbered 1, 2, ... and must not overlap."
    )


@strawberry.type(description="The variant's new periods; the school's lessons from today on are re-timed.")
class BellScheduleSetSuccess:
    periods: list[types.BellPeriod] = strawberry.field(description="The variant's periods.")
    lessons_retimed: int = strawberry.field(description="Lessons whose start and end changed.")


BellScheduleSetResult = Annotated[
    BellScheduleSetSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "BellScheduleSetResult",
        description="The new schedule, or why not (nothing written). ValidationError codes: NO_PERIODS, "
        "TOO_MANY_PERIODS, WHOLE_MINUTES, ENDS_BEFORE_START, OVERLAPS_PREVIOUS (field `periods[i].startsAt`), "
        "PERIOD_IN_USE (the timetable uses a period the REGULAR schedule drops); NotFoundError SCHOOL_NOT_FOUND.",
    ),
]


@strawberry.input(description="A school day on the SHORTENED bell schedule.")
class ShortDayCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    date: dt.date = strawberry.field(description="Today or later, within an academic year.")
    name: str = strawberry.field(description="Why, 1-200 characters.")


@strawberry.input(description="A short day that follows the REGULAR bells again.")
class ShortDayDeleteInput:
    short_day_id: strawberry.ID = strawberry.field(description="A `ShortDay` of a school you run.")


@strawberry.type(description="The short day; its lessons are re-timed.")
class ShortDaySuccess:
    short_day: ShortDay = strawberry.field(description="The short day.")
    lessons_retimed: int = strawberry.field(description="Lessons whose start and end changed.")


@strawberry.type(description="The day follows the REGULAR bells again; its lessons are re-timed.")
class ShortDayDeleteSuccess:
    deleted_short_day_id: strawberry.ID = strawberry.field(description="The id the short day had.")
    lessons_retimed: int = strawberry.field(description="Lessons whose start and end changed.")


ShortDayCreateResult = Annotated[
    ShortDaySuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ShortDayCreateResult",
        description="The short day, or why not (nothing written). ValidationError codes: NAME_REQUIRED, "
        "NAME_TOO_LONG, IN_THE_PAST, OUTSIDE_ACADEMIC_YEAR, ALREADY_SHORT, NO_SHORTENED_SCHEDULE; NotFoundError "
        "SCHOOL_NOT_FOUND.",
    ),
]
ShortDayDeleteResult = Annotated[
    ShortDayDeleteSuccess | NotFoundError,
    strawberry.union("ShortDayDeleteResult", description="Removed, or NotFoundError SHORT_DAY_NOT_FOUND."),
]


def _id(name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(to_global_id(name, pk))


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(
        description="Add an academic year to a school." + _ADMINS, permission_classes=[IsAuthenticated]
    )
    async def academic_year_create(
        self, info: Info, input: Annotated[AcademicYearCreateInput, INPUT]
    ) -> AcademicYearCreateResult:
        row = await calendar_admin.create_year(
            info.context,
            calendar_admin.YearInput(
                school_id=input.school_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return AcademicYearSuccess(academic_year=AcademicYear(model=row))

    @strawberry.mutation(
        description="Rename or move an academic year; a new end extends or trims its timetable's lessons." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def academic_year_update(
        self, info: Info, input: Annotated[AcademicYearUpdateInput, INPUT]
    ) -> AcademicYearUpdateResult:
        row, report = await calendar_admin.update_year(
            info.context,
            calendar_admin.YearInput(
                year_id=input.academic_year_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return AcademicYearUpdateSuccess(academic_year=AcademicYear(model=row), lessons=LessonChanges(report=report))

    @strawberry.mutation(description="Add a term to an academic year." + _ADMINS, permission_classes=[IsAuthenticated])
    async def term_create(self, info: Info, input: Annotated[TermCreateInput, INPUT]) -> TermCreateResult:
        row = await calendar_admin.create_term(
            info.context,
            calendar_admin.TermInput(
                academic_year_id=input.academic_year_id,
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return TermSuccess(term=types.Term(model=row))

    @strawberry.mutation(description="Rename or move a term." + _ADMINS, permission_classes=[IsAuthenticated])
    async def term_update(self, info: Info, input: Annotated[TermUpdateInput, INPUT]) -> TermUpdateResult:
        row = await calendar_admin.update_term(
            info.context,
            calendar_admin.TermInput(
                term_id=input.term_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return TermSuccess(term=types.Term(model=row))

    @strawberry.mutation(
        description="Delete a term that holds no grades." + _ADMINS, permission_classes=[IsAuthenticated]
    )
    async def term_delete(self, info: Info, input: Annotated[TermDeleteInput, INPUT]) -> TermDeleteResult:
        row = await calendar_admin.delete_term(info.context, input.term_id)
        return TermDeleteSuccess(deleted_term_id=_id("Term", row.id))

    @strawberry.mutation(
        description="Add a holiday or vacation: the timetable's lessons on it from today on are cancelled (the"
        " family sees them as CANCELLED), except those holding records, which are kept and listed." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def day_off_create(self, info: Info, input: Annotated[DayOffCreateInput, INPUT]) -> DayOffCreateResult:
        change = await calendar_admin.create_day_off(
            info.context,
            calendar_admin.DayOffInput(
                school_id=input.school_id,
                kind=models.DayOffKind(input.kind.name),
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return DayOffSuccess(day_off=types.DayOff(model=change.day_off), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="Change a holiday or vacation: lessons on days it no longer covers are restored, those on new"
        " days cancelled (from today on)." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def day_off_update(self, info: Info, input: Annotated[DayOffUpdateInput, INPUT]) -> DayOffUpdateResult:
        change = await calendar_admin.update_day_off(
            info.context,
            calendar_admin.DayOffInput(
                day_off_id=input.day_off_id,
                kind=models.DayOffKind(input.kind.name) if input.kind is not None else None,
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return DayOffSuccess(day_off=types.DayOff(model=change.day_off), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="Remove a holiday or vacation: the lessons it cancelled from today on take place again, and"
        " missing ones are generated." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def day_off_delete(self, info: Info, input: Annotated[DayOffDeleteInput, INPUT]) -> DayOffDeleteResult:
        report = await calendar_admin.delete_day_off(info.context, input.day_off_id)
        return DayOffDeleteSuccess(
            deleted_day_off_id=strawberry.ID(input.day_off_id), lessons=LessonChanges(report=report)
        )

    @strawberry.mutation(
        description="Replace a bell schedule variant at once; the school's lessons from today on get the new"
        " times." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def bell_schedule_set(
        self, info: Info, input: Annotated[BellScheduleSetInput, INPUT]
    ) -> BellScheduleSetResult:
        rows, retimed = await bells_admin.set_bells(
            info.context,
            bells_admin.BellInput(
                school_id=input.school_id,
                variant=models.BellVariant(input.variant.name),
                periods=[bells_admin.PeriodInput(p.starts_at, p.ends_at) for p in input.periods],
            ),
        )
        return BellScheduleSetSuccess(periods=[types.BellPeriod(model=r) for r in rows], lessons_retimed=retimed)

    @strawberry.mutation(
        description="Put a day on the SHORTENED bell schedule; its lessons get the shortened times." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def short_day_create(self, info: Info, input: Annotated[ShortDayCreateInput, INPUT]) -> ShortDayCreateResult:
        row, retimed = await bells_admin.create_short_day(
            info.context, bells_admin.ShortDayInput(input.school_id, input.date, input.name)
        )
        return ShortDaySuccess(short_day=ShortDay(model=row), lessons_retimed=retimed)

    @strawberry.mutation(
        description="Put a short day back on the REGULAR bell schedule." + _ADMINS,
        permission_classes=[IsAuthenticated],
    )
    async def short_day_delete(self, info: Info, input: Annotated[ShortDayDeleteInput, INPUT]) -> ShortDayDeleteResult:
        row, retimed = await bells_admin.delete_short_day(info.context, input.short_day_id)
        return ShortDayDeleteSuccess(deleted_short_day_id=_id("ShortDay", row.id), lessons_retimed=retimed)
