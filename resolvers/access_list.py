"""The admins' list of a school's access requests: a Relay connection, oldest due first
(``pages.keyset`` on due time then id), so that pages stay stable while requests come and go."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

import models
from resolvers import pages
from resolvers.core import now_utc

CURSOR = "access requests"
PENDING = models.AccessRequestStatus.SUBMITTED


@dataclass
class Page:
    page: pages.Page[models.AccessRequest]
    total: int


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
    """One page of ``rows``, oldest due first (``MAX_PAGE`` without ``first`` or ``last``),
    and how many there are over all pages."""
    page = await pages.keyset(
        rows, CURSOR, first, after, last, before, descending=False, by="due_at", default_first=pages.MAX_PAGE
    )
    return Page(page, await rows.count())
