"""The one clock: every "what is now / today" in the project reads it (a process edge).

By default it is the system's clock. Two ways move it:

- ``EDIARY_NOW`` (an ISO date or datetime; a date means 09:00 in Moscow, a datetime without an
  offset is refused) starts the process's clock at that instant, and it ticks from there:
  ``EDIARY_NOW=2027-03-15 make run`` serves the demo district as it is on 15 March 2027.
  The offset it makes is written back to the environment as ``EDIARY_CLOCK_OFFSET`` (seconds),
  so that processes started by this one (test servers, workers) share the same timeline.
- Tests call ``travel(instant)`` or ``freeze(instant)``, context managers that restore the
  clock when they end.

The ORM's ``auto_now``/``auto_now_add`` timestamps and token expiry read this clock too, so a
moved clock moves everything together; nothing else in the project calls ``datetime.now`` or
``date.today`` (``tests/edge/test_clock.py`` fails if something does).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from tortoise import timezone as orm_timezone

ENV_NOW = "EDIARY_NOW"
ENV_OFFSET = "EDIARY_CLOCK_OFFSET"
_DEFAULT_ZONE = ZoneInfo("Europe/Moscow")


MAX_ZONE_NAME = 64  # the longest IANA name is 32 characters


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA time zone called ``name`` (exactly, e.g. ``Europe/Moscow``), or None for anything
    else: too long, not a name the system's database lists (so never a path that ZoneInfo would
    try to open, and never an OSError whose message shows where the database is installed)."""
    if not isinstance(name, str) or not 0 < len(name) <= MAX_ZONE_NAME or name not in _zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, OSError):  # listed but unreadable: not a zone either
        return None


class ClockSettingError(ValueError):
    """``EDIARY_NOW`` or ``EDIARY_CLOCK_OFFSET`` cannot be read."""


def parse_instant(text: str) -> datetime:
    """An ISO date (09:00 Moscow time that day) or an ISO datetime with an offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(9, 0), tzinfo=_DEFAULT_ZONE).astimezone(UTC)
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ClockSettingError(f"{ENV_NOW}={text!r} is neither an ISO date nor an ISO datetime") from None
    if instant.tzinfo is None:
        raise ClockSettingError(f"{ENV_NOW}={text!r} needs an offset (e.g. +03:00)")
    return instant.astimezone(UTC)


class _Clock:
    """The system clock shifted by ``offset``, or stopped at ``frozen``."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        if self.frozen is not None:
            return self.frozen
        return datetime.now(UTC) + self.offset


_clock = _Clock()


def now_utc() -> datetime:
    """Now, an aware UTC datetime."""
    return _clock.now()


def today_utc() -> date:
    return now_utc().date()


def _read_environment() -> None:
    offset, start = os.environ.get(ENV_OFFSET), os.environ.get(ENV_NOW)
    if offset:
        try:
            _clock.offset = timedelta(seconds=float(offset))
        except ValueError:
            raise ClockSettingError(f"{ENV_OFFSET}={offset!r} is not a number of seconds") from None
    elif start:
        _clock.offset = parse_instant(start) - datetime.now(UTC)
        os.environ[ENV_OFFSET] = repr(_clock.offset.total_seconds())


@contextlib.contextmanager
def travel(instant: datetime) -> Iterator[None]:
    """Inside the block the clock reads ``instant`` and ticks on from it."""
    if instant.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    saved = (_clock.offset, _clock.frozen)
    _clock.offset, _clock.frozen = instant - datetime.now(UTC), None
    try:
        yield
    finally:
        _clock.offset, _clock.frozen = saved


@contextlib.contextmanager
def real() -> Iterator[None]:
    """Inside the block the clock reads the machine's own time, whatever a run set it to: for
    tests that talk with a real process living in real time (an identity provider's tokens)."""
    saved = (_clock.offset, _clock.frozen)
    _clock.offset, _clock.frozen = timedelta(0), None
    try:
        yield
    finally:
        _clock.offset, _clock.frozen = saved


@contextlib.contextmanager
def freeze(instant: datetime) -> Iterator[None]:
    """Inside the block the clock reads ``instant`` and does not move."""
    if instant.tzinfo is None:
        raise ValueError("the clock takes aware datetimes only")
    saved = _clock.frozen
    _clock.frozen = instant.astimezone(UTC)
    try:
        yield
    finally:
        _clock.frozen = saved


def _orm_now() -> datetime:
    """Tortoise's own "now" (``auto_now``/``auto_now_add`` fields), from this clock."""
    now = now_utc()
    return now if orm_timezone.get_use_tz() else now.replace(tzinfo=None)


_read_environment()
# Tortoise stamps auto_now/auto_now_add fields through its module-level ``now()``; pointing it
# at this clock keeps created_at/updated_at on the same timeline as every rule that reads them.
orm_timezone.now = _orm_now
