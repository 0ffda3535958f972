"""Chat events for ``chatEvents``: the chat outbox (written and published by
``resolvers/outbox.py``) replayed by cursor, then live, each event re-authorized as it is delivered.

The stream follows the same rules as the diary's (``resolvers/events.py``): the broker
subscription is taken before the first read; on each wake-up the outbox is re-read a little
behind the last id delivered, skipping ids already sent, so a late commit is still delivered
and nothing twice. A message on the wire only wakes the subscriber: ids, never text."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Subquery

import models
from pubsub.broker import BrokerUnavailable, SlowConsumer
from pubsub.topics import user_chats_topic
from resolvers import pages
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import BadUserInput, StreamInterrupted
from resolvers.events import LOOKBACK, disconnect_slow_consumer, next_message, subscribe
from resolvers.loaders import Loaders

BATCH = 200
# Events a former member still receives about a chat: being removed from it (so a client drops
# it). Everything else needs a current membership when it is delivered.
_ABOUT_THEM = (models.ChatEventKind.MEMBER_REMOVED,)


@dataclass(frozen=True)
class ChatDelivery:
    """An event to deliver to one viewer; ``share`` keys the shared execution (schema/live.py):
    per viewer, since unread counts and visibility are the viewer's own."""

    row: models.ChatEvent
    share: Hashable


def encode_cursor(event_id: int) -> str:
    return pages.encode("chat-event", event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode("chat-event", cursor)


async def _start(ctx: Context, after: str | None) -> int:
    newest = await models.ChatEvent.all().order_by("-id").first()
    newest_id = newest.id if newest else 0
    if after is None:
        return newest_id
    last = decode_cursor(after)
    if last is None or last > newest_id:
        raise BadUserInput("Unknown cursor: refetch your chats and subscribe without `after`.", reason="CURSOR_INVALID")
    return last


async def deliverable(user_id: int, row: models.ChatEvent) -> tuple[bool, models.ChatMember | None]:
    """Re-checked for every event as it is delivered: the viewer is a current member of the
    chat (deleted chats included: CHAT_DELETED reaches its members), or the event is about
    their own removal. Also returns the current membership, if any."""
    membership = await models.ChatMember.filter(chat_id=row.chat_id, user_id=user_id, removed_at__isnull=True).first()
    return membership is not None or (row.kind in _ABOUT_THEM and row.member_id == user_id), membership


async def chat_events(ctx: Context, after: str | None) -> AsyncIterator[ChatDelivery]:
    """Every event of the viewer's chats: replayed after ``after``, then live."""
    floor = await _start(ctx, after)
    uid = ctx.viewer.user_id
    assert uid is not None
    last = floor
    subscription = await subscribe(ctx, user_chats_topic(uid))
    sent: deque[int] = deque(maxlen=LOOKBACK * 4)
    ever = Subquery(models.ChatMember.filter(user_id=uid).values("chat_id"))
    try:
        while True:
            since = max(floor, last - LOOKBACK)
            rows = await models.ChatEvent.filter(chat_id__in=ever, id__gt=since).order_by("id").limit(BATCH)
            for row in rows:
                if row.id in sent or (row.id <= last and row.occurred_at < now_utc() - timedelta(minutes=1)):
                    continue
                sent.append(row.id)
                last = max(last, row.id)
                allowed, membership = await deliverable(uid, row)
                if allowed:
                    ctx.loaders = Loaders(ctx.viewer)  # fresh per event: no cache outlives an event
                    # The membership just read is this event's answer to "is the viewer in the chat".
                    ctx.loaders.membership_by_chat.prime(row.chat_id, membership)
                    yield ChatDelivery(row, ("chat-event", row.id, uid))
            if len(rows) < BATCH:
                await next_message(subscription)
    except SlowConsumer:
        await disconnect_slow_consumer(ctx)
        raise StreamInterrupted() from None
    except BrokerUnavailable:
        raise StreamInterrupted() from None
    finally:
        await subscription.aclose()
