"""Holidays and vacations. A day off changes the lessons from today on (``lesson_plan``): the
generated lessons on it are cancelled, those holding records are kept and reported, and
removing it restores them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan
from resolvers.calendar import admin_school, admin_schools, check_range, clean_name
from resolvers.codes import ErrorCode
from resolvers.core import _, today_utc
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context

MAX_NAME = 200


@dataclass(frozen=True)
class DayOffInput:
    school_id: str | None = None
    day_off_id: str | None = None
    kind: models.DayOffKind | None = None
    name: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class DayOffChange:
    day_off: models.DayOff
    report: lesson_plan.SyncReport


async def _admin_day_off(ctx: Context, global_id: str) -> models.DayOff:
    return await found_in(
        models.DayOff.filter(school_id__in=admin_schools(ctx)),
        global_id,
        "DayOff",
        _("No such day off."),
        ErrorCode.DAY_OFF_NOT_FOUND,
    )


async def _check_day_off(school_id: int, start: date, end: date, problems: list[Problem]) -> None:
    inside = await models.AcademicYear.exists(school_id=school_id, start_date__lte=start, end_date__gte=end)
    if not inside:
        problems.append(("startDate", ErrorCode.OUTSIDE_ACADEMIC_YEAR, _("A day off lies within one academic year.")))


async def _sync_days(school_id: int, first: date, last: date) -> lesson_plan.SyncReport:
    """The school's lessons from ``first`` (not before today) to ``last`` after a calendar change."""
    first = max(first, today_utc())
    slots = await lesson_plan.school_slots(school_id, first, last)
    return await lesson_plan.sync_lessons(slots, first, last, reshape=False)


def _day_off_details(day_off: models.DayOff) -> dict[str, Any]:
    return {
        "kind": str(day_off.kind),
        "name": day_off.name,
        "start": str(day_off.start_date),
        "end": str(day_off.end_date),
    }


async def create_day_off(ctx: Context, data: DayOffInput) -> DayOffChange:
    school = await admin_school(ctx, data.school_id or "")
    if data.start_date is None or data.end_date is None or data.name is None or data.kind is None:
        raise refuse([("name", ErrorCode.INVALID_INPUT, _("Kind, name, start and end are required."))])
    problems: list[Problem] = []
    name = clean_name(data.name, MAX_NAME, problems)
    check_range(data.start_date, data.end_date, problems)
    if not problems:
        await _check_day_off(school.id, data.start_date, data.end_date, problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await lesson_plan.lock_school(school.id)
        day_off = await models.DayOff.create(
            school_id=school.id, kind=data.kind, name=name, start_date=data.start_date, end_date=data.end_date
        )
        report = await _sync_days(school.id, day_off.start_date, day_off.end_date)
        await audit.record(
            ctx.viewer,
            "dayOff.create",
            "DayOff",
            day_off.id,
            {**_day_off_details(day_off), "lessons": report.details()},
            school_id=school.id,
        )
    return DayOffChange(day_off, report)


async def update_day_off(ctx: Context, data: DayOffInput) -> DayOffChange:
    day_off = await _admin_day_off(ctx, data.day_off_id or "")
    problems: list[Problem] = []
    name = clean_name(data.name, MAX_NAME, problems) if data.name is not None else day_off.name
    start, end = data.start_date or day_off.start_date, data.end_date or day_off.end_date
    check_range(start, end, problems)
    if not problems:
        await _check_day_off(day_off.school_id, start, end, problems)
    if problems:
        raise refuse(problems)
    before = _day_off_details(day_off)
    old_start, old_end = day_off.start_date, day_off.end_date
    async with in_transaction():
        await lesson_plan.lock_school(day_off.school_id)
        day_off.name, day_off.start_date, day_off.end_date = name, start, end
        day_off.kind = data.kind or day_off.kind
        await day_off.save(update_fields=["name", "start_date", "end_date", "kind"])
        report = await _sync_days(day_off.school_id, min(old_start, start), max(old_end, end))
        await audit.record(
            ctx.viewer,
            "dayOff.update",
            "DayOff",
            day_off.id,
            {"before": before, "after": _day_off_details(day_off), "lessons": report.details()},
            school_id=day_off.school_id,
        )
    return DayOffChange(day_off, report)


async def delete_day_off(ctx: Context, day_off_id: str) -> lesson_plan.SyncReport:
    """Remove a day off: the lessons it cancelled from today on are scheduled again and the
    missing ones generated; past lessons it cancelled stay cancelled, with its name as reason."""
    day_off = await _admin_day_off(ctx, day_off_id)
    today, day_off_pk = today_utc(), day_off.id
    async with in_transaction():
        await lesson_plan.lock_school(day_off.school_id)
        await models.Lesson.filter(day_off_id=day_off.id, date__lt=today).update(cancel_reason=day_off.name)
        restored = await models.Lesson.filter(day_off_id=day_off.id, date__gte=today).update(
            status=models.LessonStatus.SCHEDULED, day_off_id=None
        )
        details = _day_off_details(day_off)
        await day_off.delete()
        report = await _sync_days(day_off.school_id, day_off.start_date, day_off.end_date)
        report.restored += restored
        await audit.record(
            ctx.viewer,
            "dayOff.delete",
            "DayOff",
            day_off_pk,
            {**details, "lessons": report.details()},
            school_id=day_off.school_id,
        )
    return report
