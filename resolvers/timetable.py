"""Calendar arithmetic: lesson instants from bell times, the kind of a day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo


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
