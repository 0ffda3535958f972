"""A school's calendar as its admins run it: academic years and terms (days off: ``schema.days_off``,
bells: ``schema.bells``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import calendar
from resolvers.core import _, to_global_id
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.gates import ADMINS, IsAdmin
from schema.lessons import LessonChanges
from schema.types import Node

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


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
    async def terms(self, info: Info) -> list[Term]:
        return [
            Term(model=t)
            for t in await info.context.loaders.grouped(models.Term, "academic_year_id", "start_date", "id").load(
                self.model.id
            )
        ]


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
    term: Term = strawberry.field(description="The term.")


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


def _id(name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(to_global_id(name, pk))


CALENDAR_KEEPERS = IsAdmin(_("Only school and district admins can change the school calendar."))


@strawberry.type
class CalendarMutations:
    @strawberry.mutation(
        description="Add an academic year to a school." + ADMINS, permission_classes=[CALENDAR_KEEPERS]
    )
    async def academic_year_create(
        self, info: Info, input: Annotated[AcademicYearCreateInput, INPUT]
    ) -> AcademicYearCreateResult:
        row = await calendar.create_year(
            info.context,
            calendar.YearInput(
                school_id=input.school_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return AcademicYearSuccess(academic_year=AcademicYear(model=row))

    @strawberry.mutation(
        description="Rename or move an academic year; a new end extends or trims its timetable's lessons." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def academic_year_update(
        self, info: Info, input: Annotated[AcademicYearUpdateInput, INPUT]
    ) -> AcademicYearUpdateResult:
        row, report = await calendar.update_year(
            info.context,
            calendar.YearInput(
                year_id=input.academic_year_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return AcademicYearUpdateSuccess(academic_year=AcademicYear(model=row), lessons=LessonChanges(report=report))

    @strawberry.mutation(description="Add a term to an academic year." + ADMINS, permission_classes=[CALENDAR_KEEPERS])
    async def term_create(self, info: Info, input: Annotated[TermCreateInput, INPUT]) -> TermCreateResult:
        row = await calendar.create_term(
            info.context,
            calendar.TermInput(
                academic_year_id=input.academic_year_id,
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return TermSuccess(term=Term(model=row))

    @strawberry.mutation(description="Rename or move a term." + ADMINS, permission_classes=[CALENDAR_KEEPERS])
    async def term_update(self, info: Info, input: Annotated[TermUpdateInput, INPUT]) -> TermUpdateResult:
        row = await calendar.update_term(
            info.context,
            calendar.TermInput(
                term_id=input.term_id, name=input.name, start_date=input.start_date, end_date=input.end_date
            ),
        )
        return TermSuccess(term=Term(model=row))

    @strawberry.mutation(
        description="Delete a term that holds no grades." + ADMINS, permission_classes=[CALENDAR_KEEPERS]
    )
    async def term_delete(self, info: Info, input: Annotated[TermDeleteInput, INPUT]) -> TermDeleteResult:
        row = await calendar.delete_term(info.context, input.term_id)
        return TermDeleteSuccess(deleted_term_id=_id("Term", row.id))
