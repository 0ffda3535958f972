"""Reading a school's audit log: newest first, filtered, one page per school, and one
statement for the pages of any number of schools (``pages.keyset_each``: a district admin
listing every school's log pays what a school admin pays for one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.queryset import QuerySet

import models
from resolvers import pages
from resolvers.core import _
from resolvers.errors import BadUserInput

DEFAULT_PAGE = 20
CURSOR = "audit"


@dataclass(frozen=True)
class AuditFilter:
    """One page request (``pages.keyset``'s arguments) and the entries it lists."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None
    action: str | None
    actor_id: int | None
    since: datetime | None
    until: datetime | None

    def entries(self, school_id: int) -> QuerySet[models.AuditEntry]:
        rows = models.AuditEntry.filter(school_id=school_id)
        if self.action is not None:
            rows = rows.filter(action=self.action)
        if self.actor_id is not None:
            rows = rows.filter(actor_id=self.actor_id)
        if self.since is not None:
            rows = rows.filter(at__gte=self.since)
        if self.until is not None:
            rows = rows.filter(at__lte=self.until)
        return rows


@dataclass(frozen=True)
class AuditKey:
    school_id: int
    filter: AuditFilter


AuditPage = pages.Page[models.AuditEntry]


def page_filter(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    action: str | None,
    actor_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> AuditFilter:
    pages.page_sizes(first, last)
    if since is not None and until is not None and since > until:
        raise BadUserInput(_("`from` is after `to`."), argument="from")
    return AuditFilter(first, after, last, before, action, actor_id, since, until)


async def pages_by_school(keys: Sequence[AuditKey]) -> list[AuditPage | BadUserInput]:
    """Every school's page, newest first (``pages.pages_by_owner``: one statement per distinct
    filter, normally one)."""
    return await pages.pages_by_owner(
        [(key.school_id, key.filter) for key in keys],
        lambda asked, school_id: asked.entries(school_id),
        CURSOR,
        descending=True,
        default_first=DEFAULT_PAGE,
    )
