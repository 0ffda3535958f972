"""A meeting's answers as a connection (``Meeting.answers``): every parent's answer to the
meetings the viewer staffs, and the viewer's own to the others they see
(``policy.visible_meeting_responses``), oldest answer first, paged; one statement for the
pages of any number of meetings (``pages.pages_by_owner``), and one more for each cursor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.queryset import QuerySet

import models
from resolvers import pages, policy
from resolvers.context import Viewer
from resolvers.errors import BadUserInput

DEFAULT_PAGE = 50
CURSOR = "meeting responses"
ORDER = "answered_at"


@dataclass(frozen=True)
class ResponseFilter:
    """One page request (``pages.keyset``'s arguments)."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


@dataclass(frozen=True)
class ResponseKey:
    meeting_id: int
    filter: ResponseFilter


ResponsePage = pages.Page[models.MeetingResponse]


def responses(viewer: Viewer, meeting_id: int) -> QuerySet[models.MeetingResponse]:
    """The meeting's answers the viewer sees (all, to its staff; a parent only their own)."""
    return policy.visible_meeting_responses(viewer).filter(meeting_id=meeting_id)


def page_filter(first: int | None, after: str | None, last: int | None, before: str | None) -> ResponseFilter:
    pages.page_sizes(first, last)
    return ResponseFilter(first, after, last, before)


async def pages_by_meeting(viewer: Viewer, keys: Sequence[ResponseKey]) -> list[ResponsePage | BadUserInput]:
    """Every meeting's page, oldest answer first (``pages.pages_by_owner``: one statement per
    distinct page request, and one for each cursor)."""
    return await pages.pages_by_owner(
        [(key.meeting_id, key.filter) for key in keys],
        lambda _asked, meeting_id: responses(viewer, meeting_id),
        CURSOR,
        descending=False,
        by=ORDER,
        default_first=DEFAULT_PAGE,
    )
