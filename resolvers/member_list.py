"""A chat's members as a connection (``Chat.participants``): its current members
(``policy.visible_chat_members``: only a member of the chat sees any), by name then
membership, paged; one statement for the pages of any number of chats
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
CURSOR = "chat members"
ORDER = "user__full_name"


@dataclass(frozen=True)
class MemberFilter:
    """One page request (``pages.keyset``'s arguments)."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None


@dataclass(frozen=True)
class MemberKey:
    chat_id: int
    filter: MemberFilter


MemberPage = pages.Page[models.ChatMember]


def members(viewer: Viewer, chat_id: int) -> QuerySet[models.ChatMember]:
    """The chat's current members the viewer sees (all of them, to a member; none else)."""
    return policy.visible_chat_members(viewer).filter(chat_id=chat_id)


def page_filter(first: int | None, after: str | None, last: int | None, before: str | None) -> MemberFilter:
    pages.page_sizes(first, last)
    return MemberFilter(first, after, last, before)


async def pages_by_chat(viewer: Viewer, keys: Sequence[MemberKey]) -> list[MemberPage | BadUserInput]:
    """Every chat's page by name then membership (``pages.pages_by_owner``: one statement
    per distinct page request, and one for each cursor)."""
    return await pages.pages_by_owner(
        [(key.chat_id, key.filter) for key in keys],
        lambda _asked, chat_id: members(viewer, chat_id),
        CURSOR,
        descending=False,
        by=ORDER,
        default_first=DEFAULT_PAGE,
    )
