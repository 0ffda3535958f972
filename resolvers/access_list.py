"""The admins' list of a school's access requests: a Relay connection, oldest due first, with
keyset cursors on (due time, id) so that pages stay stable while requests come and go."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

import models
from resolvers import pages
from resolvers.clock import now_utc
from resolvers.errors import BadUserInput

MAX_PAGE = pages.MAX_PAGE
PENDING = models.AccessRequestStatus.SUBMITTED


@dataclass
class Page:
    rows: list[models.AccessRequest]
    has_next: bool
    has_previous: bool
    total: int


def cursor_of(row: models.AccessRequest) -> str:
    raw = f"{row.due_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _parse_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due, _, pk = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(due), int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput("Not a cursor of this list.") from None


def school_requests(
    viewer_scope: QuerySet[models.AccessRequest],
    school_id: int,
    status: models.AccessRequestStatus | None,
    overdue: bool | None,
) -> QuerySet[models.AccessRequest]:
    """``overdue``: true for pending requests past their due time, false for the others."""
    rows = viewer_scope.filter(school_id=school_id)
    if status is not None:
        rows = rows.filter(status=status)
    late = Q(status=PENDING, due_at__lt=now_utc())
    if overdue is True:
        rows = rows.filter(late)
    elif overdue is False:
        rows = rows.filter(~late)
    return rows


async def paginate(
    rows: QuerySet[models.AccessRequest],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Page:
    """Keyset pagination on (due_at, id): pages stay stable while requests come and go."""
    first, last = pages.capped("first", first), pages.capped("last", last)
    total = await rows.count()
    window = rows
    if after is not None:
        due, pk = _parse_cursor(after)
        window = window.filter(Q(due_at__gt=due) | Q(due_at=due, id__gt=pk))
    if before is not None:
        due, pk = _parse_cursor(before)
        window = window.filter(Q(due_at__lt=due) | Q(due_at=due, id__lt=pk))
    if last is not None and first is None:
        found = list(await window.order_by("-due_at", "-id").limit(last + 1))
        has_previous = len(found) > last
        return Page(list(reversed(found[:last])), before is not None, has_previous, total)
    size = MAX_PAGE if first is None else first
    found = list(await window.order_by("due_at", "id").limit(size + 1))
    rows_out = found[:size]
    if last is not None:
        rows_out = rows_out[-last:] if last else []
    return Page(rows_out, len(found) > size, after is not None, total)
