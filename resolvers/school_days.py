"""Calendar arithmetic: lesson instants from bell times, the kind of a day, a school's calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

import models


class DayOffLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date: ...


def lesson_instants(timezone: str, day: date, starts: time, ends: time) -> tuple[datetime, datetime]:
    """The school's local wall-clock bell times on ``day`` as aware UTC instants."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(day, starts, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day, ends, tzinfo=zone).astimezone(UTC)
    return start, end


def day_kind(day: date, days_off: Iterable[DayOffLike]) -> str:
    """SCHOOL_DAY, WEEKEND, HOLIDAY or VACATION. A vacation covers its weekends too; a
    holiday falling on a weekend is still a weekend."""
    kinds = {str(d.kind) for d in days_off if d.start_date <= day <= d.end_date}
    if "VACATION" in kinds:
        return "VACATION"
    if day.weekday() >= 5:
        return "WEEKEND"
    if "HOLIDAY" in kinds:
        return "HOLIDAY"
    return "SCHOOL_DAY"


@dataclass
class SchoolCalendar:
    """What lesson generation needs to know about one school."""

    school_id: int
    timezone: str
    days_off: list[models.DayOff] = field(default_factory=list)
    short_days: set[date] = field(default_factory=set)
    # variant -> period number -> (start minute, end minute), local wall-clock time
    bells: dict[str, dict[int, tuple[int, int]]] = field(default_factory=dict)

    def variant_on(self, day: date) -> str:
        """SHORTENED on a short day (when the school has that schedule), else REGULAR."""
        shortened = models.BellVariant.SHORTENED.value
        if day in self.short_days and self.bells.get(shortened):
            return shortened
        return models.BellVariant.REGULAR.value

    def times(self, day: date, period: int) -> tuple[datetime, datetime] | None:
        """The lesson's start and end instants: from the day's schedule, else (a short day
        with fewer periods) the regular one; None when neither has the period."""
        minutes = self.bells.get(self.variant_on(day), {}).get(period)
        if minutes is None:
            minutes = self.bells.get(models.BellVariant.REGULAR.value, {}).get(period)
        if minutes is None:
            return None
        start, end = minutes
        return lesson_instants(self.timezone, day, time(start // 60, start % 60), time(end // 60, end % 60))

    def day_off_on(self, day: date) -> models.DayOff | None:
        """The holiday or vacation that makes a weekday (or any day of a vacation) lesson-free."""
        kind = day_kind(day, self.days_off)
        if kind not in ("HOLIDAY", "VACATION"):
            return None
        return next((d for d in self.days_off if str(d.kind) == kind and d.start_date <= day <= d.end_date), None)


async def load_calendars(school_ids: Iterable[int]) -> dict[int, SchoolCalendar]:
    """The calendars of the schools: four statements for any number of schools."""
    ids = set(school_ids)
    if not ids:
        return {}
    calendars = {s.id: SchoolCalendar(s.id, s.timezone) for s in await models.School.filter(id__in=ids)}
    for off in await models.DayOff.filter(school_id__in=ids).order_by("start_date", "id"):
        calendars[off.school_id].days_off.append(off)
    for short in await models.ShortDay.filter(school_id__in=ids):
        calendars[short.school_id].short_days.add(short.date)
    for bell in await models.BellPeriod.filter(school_id__in=ids):
        calendars[bell.school_id].bells.setdefault(str(bell.variant), {})[int(bell.number)] = (
            int(bell.start_minute),
            int(bell.end_minute),
        )
    return calendars
