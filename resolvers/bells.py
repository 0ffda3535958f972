"""The bell schedule: each variant's periods, and which days follow the SHORTENED one.

A change re-times the school's lessons from today on (the school's local wall-clock bells,
stored as UTC instants): one read and one bulk UPDATE, whatever the number of lessons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan, policy, school_days
from resolvers.calendar import admin_school
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, today_utc
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context

MAX_PERIODS = 12
MAX_NAME = 200


@dataclass(frozen=True)
class PeriodInput:
    starts_at: time
    ends_at: time


@dataclass(frozen=True)
class BellInput:
    school_id: str
    variant: models.BellVariant
    periods: list[PeriodInput]


@dataclass(frozen=True)
class ShortDayInput:
    school_id: str
    date: date
    name: str


def _minute(value: time) -> int:
    return value.hour * 60 + value.minute


async def retime_lessons(school_id: int, first: date, last: date | None = None) -> int:
    """Recompute start and end of the school's lessons from ``first`` (to ``last``) from the
    bells of their day's variant. Returns how many changed."""
    calendar = (await school_days.load_calendars([school_id]))[school_id]
    classes = models.SchoolClass.filter(school_id=school_id).values("id")
    query = models.Lesson.filter(school_class_id__in=Subquery(classes), date__gte=first)
    if last is not None:
        query = query.filter(date__lte=last)
    changed = []
    for lesson in await query:
        instants = calendar.times(lesson.date, int(lesson.period))
        if instants is not None and instants != (lesson.starts_at, lesson.ends_at):
            lesson.starts_at, lesson.ends_at = instants
            changed.append(lesson)
    if changed:
        await models.Lesson.bulk_update(changed, fields=["starts_at", "ends_at"], batch_size=500)
    return len(changed)


def _check_periods(periods: list[PeriodInput], problems: list[Problem]) -> None:
    if not periods:
        problems.append(("periods", ErrorCode.NO_PERIODS, _("A schedule has at least one period.")))
    elif len(periods) > MAX_PERIODS:
        problems.append(
            (
                "periods",
                ErrorCode.TOO_MANY_PERIODS,
                ngettext("At most {n} period.", "At most {n} periods.", MAX_PERIODS),
            )
        )
    previous_end = -1
    for i, period in enumerate(periods):
        start, end = _minute(period.starts_at), _minute(period.ends_at)
        if period.starts_at.second or period.ends_at.second or period.starts_at.microsecond:
            problems.append((f"periods[{i}].startsAt", ErrorCode.WHOLE_MINUTES, _("Bell times are whole minutes.")))
        if end <= start:
            problems.append((f"periods[{i}].endsAt", ErrorCode.ENDS_BEFORE_START, _("A period ends after it starts.")))
        if start < previous_end:
            problems.append(
                (
                    f"periods[{i}].startsAt",
                    ErrorCode.OVERLAPS_PREVIOUS,
                    _("A period starts after the previous one ends."),
                )
            )
        previous_end = max(previous_end, end)


async def set_bells(ctx: Context, data: BellInput) -> tuple[list[models.BellPeriod], int]:
    """Replace one variant's periods (numbered 1, 2, ... in the order given) atomically."""
    school = await admin_school(ctx, data.school_id)
    problems: list[Problem] = []
    _check_periods(data.periods, problems)
    if data.variant == models.BellVariant.REGULAR and data.periods:
        used = await models.TimetableSlot.filter(
            school_class__school_id=school.id, period__gt=len(data.periods)
        ).exists()
        if used:
            problems.append(
                ("periods", ErrorCode.PERIOD_IN_USE, _("The timetable has lessons in a period this schedule drops."))
            )
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await lesson_plan.lock_school(school.id)
        old = await models.BellPeriod.filter(school_id=school.id, variant=data.variant).order_by("number")
        await models.BellPeriod.filter(school_id=school.id, variant=data.variant).delete()
        await models.BellPeriod.bulk_create(
            [
                models.BellPeriod(
                    school_id=school.id,
                    variant=data.variant,
                    number=number,
                    start_minute=_minute(p.starts_at),
                    end_minute=_minute(p.ends_at),
                )
                for number, p in enumerate(data.periods, start=1)
            ]
        )
        retimed = await retime_lessons(school.id, today_utc())
        await audit.record(
            ctx.viewer,
            "bellSchedule.set",
            "School",
            school.id,
            {
                "variant": str(data.variant),
                "before": [[b.start_minute, b.end_minute] for b in old],
                "after": [[_minute(p.starts_at), _minute(p.ends_at)] for p in data.periods],
                "lessonsRetimed": retimed,
            },
            school_id=school.id,
        )
    rows = await models.BellPeriod.filter(school_id=school.id, variant=data.variant).order_by("number")
    return list(rows), retimed


async def create_short_day(ctx: Context, data: ShortDayInput) -> tuple[models.ShortDay, int]:
    """Mark a school day as following the SHORTENED bells; its lessons are re-timed."""
    school = await admin_school(ctx, data.school_id)
    problems: list[Problem] = []
    name = data.name.strip()
    if not name:
        problems.append(("name", ErrorCode.NAME_REQUIRED, _("Say why the day is short.")))
    elif len(name) > MAX_NAME:
        problems.append(
            (
                "name",
                ErrorCode.NAME_TOO_LONG,
                ngettext("A name has at most {n} character.", "A name has at most {n} characters.", MAX_NAME),
            )
        )
    if data.date < today_utc():
        problems.append(("date", ErrorCode.IN_THE_PAST, _("Past days are history.")))
    elif not await models.AcademicYear.exists(school_id=school.id, start_date__lte=data.date, end_date__gte=data.date):
        problems.append(
            ("date", ErrorCode.OUTSIDE_ACADEMIC_YEAR, _("The day is in none of the school's academic years."))
        )
    if await models.ShortDay.exists(school_id=school.id, date=data.date):
        problems.append(("date", ErrorCode.ALREADY_SHORT, _("The day is already short.")))
    if not await models.BellPeriod.exists(school_id=school.id, variant=models.BellVariant.SHORTENED):
        problems.append(("schoolId", ErrorCode.NO_SHORTENED_SCHEDULE, _("Set the SHORTENED bell schedule first.")))
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await lesson_plan.lock_school(school.id)
        row = await models.ShortDay.create(school_id=school.id, date=data.date, name=name)
        retimed = await retime_lessons(school.id, data.date, data.date)
        await audit.record(
            ctx.viewer,
            "shortDay.create",
            "ShortDay",
            row.id,
            {"date": str(data.date), "name": name, "lessonsRetimed": retimed},
            school_id=school.id,
        )
    return row, retimed


async def delete_short_day(ctx: Context, short_day_id: str) -> tuple[models.ShortDay, int]:
    schools = Subquery(policy.administered_schools(ctx.viewer).values("id"))
    row = await found_in(
        models.ShortDay.filter(school_id__in=schools),
        short_day_id,
        "ShortDay",
        _("No such short day."),
        ErrorCode.SHORT_DAY_NOT_FOUND,
    )
    row_pk = row.id
    async with in_transaction():
        await lesson_plan.lock_school(row.school_id)
        await row.delete()
        retimed = await retime_lessons(row.school_id, max(row.date, today_utc()), row.date)
        await audit.record(
            ctx.viewer,
            "shortDay.delete",
            "ShortDay",
            row_pk,
            {"date": str(row.date), "name": row.name, "lessonsRetimed": retimed},
            school_id=row.school_id,
        )
    row.id = row_pk
    return row, retimed
