"""A district's schools as a connection (``District.schoolsConnection``), by name then id: what
``policy.visible_schools`` shows of the district (all of them, to its admins, the only ones who
reach a district); one statement for the pages of any number of districts
(``pages.pages_by_owner``), and one more for each cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

import models
from resolvers import pages, policy
from resolvers.context import Viewer
from resolvers.errors import BadUserInput

DEFAULT_PAGE = 50
DISTRICT_CURSOR = "district schools"
ORDER = "name"


@dataclass(frozen=True)
class SchoolFilter:
    """One page request (``pages.keyset``'s arguments)."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


@dataclass(frozen=True)
class SchoolKey:
    district_id: int
    filter: SchoolFilter


SchoolPage = pages.Page[models.School]


def district_schools(viewer: Viewer, district_id: int) -> QuerySet[models.School]:
    """The district's schools the viewer sees."""
    return policy.visible_schools(viewer).filter(district_id=district_id)


def page_filter(first: int | None, after: str | None, last: int | None, before: str | None) -> SchoolFilter:
    pages.page_sizes(first, last)
    return SchoolFilter(first, after, last, before)


async def pages_by_district(viewer: Viewer, keys: Sequence[SchoolKey]) -> list[SchoolPage | BadUserInput]:
    """Every district's page by name then id (``pages.pages_by_owner``: one statement per
    distinct page request, and one for each cursor)."""
    return await pages.pages_by_owner(
        [(key.district_id, key.filter) for key in keys],
        lambda _asked, district_id: district_schools(viewer, district_id),
        DISTRICT_CURSOR,
        descending=False,
        by=ORDER,
        default_first=DEFAULT_PAGE,
    )
