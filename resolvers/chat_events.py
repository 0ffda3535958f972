"""Chat events: the chat outbox written with each change, published after commit to each
member's topic, and ``chatEvents``: what it follows and its policy for an event. The stream
core (``resolvers/outbox.py``) replays it by cursor, then live, and asks that policy as each
event is delivered. A message on the wire only wakes the subscriber: ids, never text."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Hashable

from tortoise.expressions import Q, Subquery

import models
from pubsub.broker import user_chats_topic
from resolvers import outbox, pages, policy
from resolvers.core import BIGINT_MAX
from resolvers.sessions import Context, Viewer

log = logging.getLogger(__name__)

# Events a former member still receives about a chat: being removed from it (so a client drops
# it). Everything else needs a current membership when it is delivered.
_ABOUT_THEM = (models.ChatEventKind.MEMBER_REMOVED,)

CHAT_EVENTS = outbox.Source(models.ChatEvent, "chat-event", "occurred_at", "your chats")


def encode_cursor(event_id: int) -> str:
    return pages.encode(CHAT_EVENTS.cursor, event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode(CHAT_EVENTS.cursor, cursor, BIGINT_MAX)


async def deliverable(viewer: Viewer, row: models.ChatEvent) -> tuple[bool, models.ChatMember | None]:
    """Re-checked for every event as it is delivered: the viewer is a current member of the
    chat (deleted chats included: CHAT_DELETED reaches its members), or the event is about
    their own removal; and the account is in good standing (``policy.live``). Also returns
    the current membership, if any."""
    current = models.ChatMember.filter(chat_id=row.chat_id, user_id=viewer.user_id, removed_at__isnull=True)
    membership = await policy.live(current, viewer).first()
    if membership is not None:
        return True, membership
    about_them = row.kind in _ABOUT_THEM and row.member_id == viewer.user_id
    return about_them and await policy.in_good_standing(viewer), None


async def chat_events(ctx: Context, after: str | None) -> AsyncIterator[outbox.Delivery[models.ChatEvent]]:
    """Every event of the viewer's chats (those they were ever in): replayed after ``after``,
    then live."""

    async def follow() -> outbox.Follow[models.ChatEvent]:
        floor = await outbox.start(ctx, CHAT_EVENTS, after)
        uid = ctx.viewer.user_id
        assert uid is not None  # ``start`` refuses anonymous viewers
        ever = Subquery(models.ChatMember.filter(user_id=uid).values("chat_id"))

        async def check(row: models.ChatEvent, _answer: frozenset[int] | None) -> Hashable | None:
            allowed, membership = await deliverable(ctx.viewer, row)
            if not allowed:
                return None
            # The membership just read is this event's answer to "is the viewer in the chat".
            ctx.loaders.membership_by_chat.prime(row.chat_id, membership)
            return ("user", uid)

        return outbox.Follow(CHAT_EVENTS, (user_chats_topic(uid),), Q(chat_id__in=ever), floor, check)

    async for delivery in outbox.run(ctx, follow):
        yield delivery
