"""The ``Date`` and ``DateTime`` scalars: strict, bounded, and never naive.

Strawberry's own read a date with ``date.fromisoformat`` (which also takes week dates and
``20261201``) and a DateTime with ``dateutil`` (which reads one without an offset as local
time, and any year up to 9999, where the first ``+ timedelta`` overflows). Ours take only
``YYYY-MM-DD`` and RFC 3339 date-times *with* an offset (API.md: DateTimes carry one), in the
years ``MIN_YEAR``..``MAX_YEAR``: arithmetic on them cannot overflow, and a naive datetime never
reaches the resolvers, which compare them with aware ones. Anything else is a coercion error,
which the client sees as ``BAD_USER_INPUT``."""

from __future__ import annotations

import datetime as dt
import re

import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

from resolvers.core import Text, _

MIN_YEAR = 1900
MAX_YEAR = 2999

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)
_MAX_TEXT = 40


def _refuse(value: object, name: str, why: Text) -> StrawberryInputCoercionError:
    """The refusal, in the language of the request or operation (a value written in the document
    itself is refused during validation, whose cache keeps the first language it was refused in)."""
    shown = value[:_MAX_TEXT] if isinstance(value, str) else type(value).__name__
    return StrawberryInputCoercionError(
        str(_('Value cannot represent a {name}: "{shown}". {why}', name=name, shown=shown, why=why))
    )


def _in_bounds(day: dt.date, value: str, name: str) -> None:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise _refuse(value, name, _("Years {min_year} to {max_year} only.", min_year=MIN_YEAR, max_year=MAX_YEAR))


def parse_date(value: object) -> dt.date:
    """``YYYY-MM-DD`` in the years MIN_YEAR..MAX_YEAR."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _refuse(value, "Date", _("Use YYYY-MM-DD."))
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _refuse(value, "Date", _("No such day.")) from None
    _in_bounds(day, value, "Date")
    return day


def parse_datetime(value: object) -> dt.datetime:
    """An RFC 3339 date-time with an offset (``2026-12-01T09:00:00+03:00``, ``…Z``) in the years
    MIN_YEAR..MAX_YEAR, as an aware datetime."""
    if not isinstance(value, str) or not _DATETIME.fullmatch(value):
        raise _refuse(value, "DateTime", _("Use ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+03:00 or …Z."))
    try:
        instant = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value[-1] in "Zz" else value)
    except ValueError:
        raise _refuse(value, "DateTime", _("No such instant.")) from None
    _in_bounds(instant.date(), value, "DateTime")
    return instant


DATE: ScalarDefinition = strawberry.scalar(
    name="Date",
    description=f"A calendar day, `YYYY-MM-DD`, in the years {MIN_YEAR} to {MAX_YEAR}.",
    serialize=dt.date.isoformat,
    parse_value=parse_date,
)
DATETIME: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description=(
        "An instant, ISO 8601 (RFC 3339) with an offset: `2026-12-01T09:00:00+03:00` or `2026-12-01T06:00:00Z`, "
        f"in the years {MIN_YEAR} to {MAX_YEAR}. Without an offset it is refused (BAD_USER_INPUT). "
        "Stored in UTC."
    ),
    serialize=dt.datetime.isoformat,
    parse_value=parse_datetime,
)
OVERRIDES: dict[object, ScalarDefinition] = {dt.date: DATE, dt.datetime: DATETIME}
