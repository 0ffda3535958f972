"""Holidays and vacations as a school's admins run them; the lessons on them follow."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import days_off
from schema import types
from schema.calendar import CALENDAR_KEEPERS
from schema.enums import DayOffKind
from schema.errors import NotFoundError, ValidationError
from schema.gates import ADMINS
from schema.lessons import LessonChanges
from schema.types import Node

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


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
    day_off: DayOff = strawberry.field(description="The day off.")
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


@strawberry.type
class DayOffMutations:
    @strawberry.mutation(
        description="Add a holiday or vacation: the timetable's lessons on it from today on are cancelled (the"
        " family sees them as CANCELLED), except those holding records, which are kept and listed." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def day_off_create(self, info: Info, input: Annotated[DayOffCreateInput, INPUT]) -> DayOffCreateResult:
        change = await days_off.create_day_off(
            info.context,
            days_off.DayOffInput(
                school_id=input.school_id,
                kind=models.DayOffKind(input.kind.name),
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return DayOffSuccess(day_off=DayOff(model=change.day_off), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="Change a holiday or vacation: lessons on days it no longer covers are restored, those on new"
        " days cancelled (from today on)." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def day_off_update(self, info: Info, input: Annotated[DayOffUpdateInput, INPUT]) -> DayOffUpdateResult:
        change = await days_off.update_day_off(
            info.context,
            days_off.DayOffInput(
                day_off_id=input.day_off_id,
                kind=models.DayOffKind(input.kind.name) if input.kind is not None else None,
                name=input.name,
                start_date=input.start_date,
                end_date=input.end_date,
            ),
        )
        return DayOffSuccess(day_off=DayOff(model=change.day_off), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="Remove a holiday or vacation: the lessons it cancelled from today on take place again, and"
        " missing ones are generated." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def day_off_delete(self, info: Info, input: Annotated[DayOffDeleteInput, INPUT]) -> DayOffDeleteResult:
        report = await days_off.delete_day_off(info.context, input.day_off_id)
        return DayOffDeleteSuccess(
            deleted_day_off_id=strawberry.ID(input.day_off_id), lessons=LessonChanges(report=report)
        )
