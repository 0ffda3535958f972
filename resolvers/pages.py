"""Keyset pages for Relay connections ordered newest first by id (``first``/``after``,
``last``/``before``, at most ``MAX_PAGE`` a page). Cursors are opaque: base64 of "<kind>:<id>"."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from resolvers.errors import BadUserInput

M = TypeVar("M", bound=Model)
MAX_PAGE = 100
DEFAULT_PAGE = 20


def encode(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode().rstrip("=")


def decode(kind: str, cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    prefix, _, pk = raw.partition(":")
    return int(pk) if prefix == kind and pk.isdigit() else None


@dataclass
class Page(Generic[M]):
    rows: list[M]
    has_next_page: bool
    has_previous_page: bool


async def newest_first(
    scope: QuerySet[M],
    kind: str,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Page[M]:
    """One page of ``scope``, newest (highest id) first. ``first`` reads on from ``after``
    towards older rows; ``last`` reads back from ``before`` towards newer ones."""
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise BadUserInput(f"`{name}` must be between 0 and {MAX_PAGE}.", argument=name)
    if first is not None and last is not None:
        raise BadUserInput("Pass `first` or `last`, not both.", argument="last")
    bounds: dict[str, int] = {}
    for arg, cursor, lookup in (("after", after, "id__lt"), ("before", before, "id__gt")):
        if cursor is not None:
            pk = decode(kind, cursor)
            if pk is None:
                raise BadUserInput(f"`{arg}` is not a cursor of this list.", argument=arg)
            bounds[lookup] = pk
    scoped = scope.filter(**bounds)
    if last is not None:
        rows = list(await scoped.order_by("id").limit(last + 1))
        more = len(rows) > last
        rows = rows[:last]
        rows.reverse()
        return Page(rows, has_next_page="id__gt" in bounds, has_previous_page=more)
    size = DEFAULT_PAGE if first is None else first
    rows = list(await scoped.order_by("-id").limit(size + 1))
    return Page(rows[:size], has_next_page=len(rows) > size, has_previous_page="id__lt" in bounds)
