"""A school's accounts for its admins: everyone holding a role there whom the viewer administers
(``policy.administered_users``), by name then id, filtered and paged; one statement for the
pages of any number of schools (``pages.keyset_each``), and one more for each cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers import pages, policy
from resolvers.errors import BadUserInput
from resolvers.sessions import Viewer

DEFAULT_PAGE = 50
CURSOR = "school accounts"
ORDER = "full_name"


@dataclass(frozen=True)
class AccountFilter:
    """One page request (``pages.keyset``'s arguments) and the accounts it lists."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None
    role: models.Role | None
    active: bool | None
    search: str | None

    def accounts(self, viewer: Viewer, school_id: int) -> QuerySet[models.User]:
        """Those the viewer administers holding a role (``role``) in the school, matching."""
        grants = models.RoleGrant.filter(school_id=school_id)
        if self.role is not None:
            grants = grants.filter(role=self.role)
        rows = policy.administered_users(viewer).filter(id__in=Subquery(grants.values("user_id")))
        if self.active is not None:
            rows = rows.filter(is_active=self.active)
        if self.search is not None:
            folded = models.fold_name(self.search)
            named = Q(name_folded__contains=folded) if folded else Q(id=policy.NOBODY)
            rows = rows.filter(named | Q(login__icontains=self.search))
        return rows


@dataclass(frozen=True)
class AccountKey:
    school_id: int
    filter: AccountFilter


AccountPage = pages.Page[models.User]


def page_filter(
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    role: models.Role | None,
    active: bool | None,
    search: str | None,
) -> AccountFilter:
    pages.page_sizes(first, last)
    text = " ".join((search or "").split())
    return AccountFilter(first, after, last, before, role, active, text or None)


async def pages_by_school(viewer: Viewer, keys: Sequence[AccountKey]) -> list[AccountPage | BadUserInput]:
    """Every school's page by name (``pages.pages_by_owner``: one statement per distinct
    filter, and one for each cursor); only accounts the viewer administers are there (a
    teacher who also works in another school is not listed by either school's admin)."""
    return await pages.pages_by_owner(
        [(key.school_id, key.filter) for key in keys],
        lambda asked, school_id: asked.accounts(viewer, school_id),
        CURSOR,
        descending=False,
        by=ORDER,
        default_first=DEFAULT_PAGE,
    )
