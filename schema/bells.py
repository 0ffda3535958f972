"""Bell schedules and the days on the shortened one, as a school's admins run them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import bells
from resolvers.core import to_global_id
from schema import types
from schema.calendar import CALENDAR_KEEPERS
from schema.enums import BellVariant
from schema.errors import NotFoundError, ValidationError
from schema.gates import ADMINS

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


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


@strawberry.type(description="A school day that follows the SHORTENED bell schedule.")
class ShortDay(types.Node):
    model: strawberry.Private[models.ShortDay]

    @strawberry.field(description="The day.")
    def date(self) -> dt.date:
        return self.model.date

    @strawberry.field(description='Why it is short, e.g. "Eve of New Year".')
    def name(self) -> str:
        return self.model.name


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
    periods: list[BellPeriod] = strawberry.field(description="The variant's periods.")
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
class BellMutations:
    @strawberry.mutation(
        description="Replace a bell schedule variant at once; the school's lessons from today on get the new"
        " times." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def bell_schedule_set(
        self, info: Info, input: Annotated[BellScheduleSetInput, INPUT]
    ) -> BellScheduleSetResult:
        rows, retimed = await bells.set_bells(
            info.context,
            bells.BellInput(
                school_id=input.school_id,
                variant=models.BellVariant(input.variant.name),
                periods=[bells.PeriodInput(p.starts_at, p.ends_at) for p in input.periods],
            ),
        )
        return BellScheduleSetSuccess(periods=[BellPeriod(model=r) for r in rows], lessons_retimed=retimed)

    @strawberry.mutation(
        description="Put a day on the SHORTENED bell schedule; its lessons get the shortened times." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def short_day_create(self, info: Info, input: Annotated[ShortDayCreateInput, INPUT]) -> ShortDayCreateResult:
        row, retimed = await bells.create_short_day(
            info.context, bells.ShortDayInput(input.school_id, input.date, input.name)
        )
        return ShortDaySuccess(short_day=ShortDay(model=row), lessons_retimed=retimed)

    @strawberry.mutation(
        description="Put a short day back on the REGULAR bell schedule." + ADMINS,
        permission_classes=[CALENDAR_KEEPERS],
    )
    async def short_day_delete(self, info: Info, input: Annotated[ShortDayDeleteInput, INPUT]) -> ShortDayDeleteResult:
        row, retimed = await bells.delete_short_day(info.context, input.short_day_id)
        return ShortDayDeleteSuccess(deleted_short_day_id=_id("ShortDay", row.id), lessons_retimed=retimed)
