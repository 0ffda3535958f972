"""Chat events: the chat outbox written with each change, published after commit to each
member's topic, replayed by cursor and re-authorized per event for ``chatEvents``.

The stream follows the same rules as the diary's (``resolvers/events.py``): the broker
subscription is taken before the first read; on each wake-up the outbox is re-read a little
behind the last id delivered, skipping ids already sent, so a late commit is still delivered
and nothing twice. A message on the wire only wakes the subscriber: ids, never text."""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Hashable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Subquery

import models
from pubsub import events
from pubsub.broker import Broker, BrokerUnavailable, SlowConsumer
from pubsub.topics import user_chats_topic
from resolvers import pages
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import BadUserInput, StreamInterrupted
from resolvers.events import LOOKBACK, disconnect_slow_consumer, next_message, subscribe
from resolvers.loaders import Loaders

log = logging.getLogger(__name__)

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


async def recipients(rows: Sequence[models.ChatEvent]) -> dict[int, set[int]]:
    """For each event id, the users to wake: the chat's current members, and the person an
    event is about (a removed member learns they were removed). One statement."""
    chat_ids = {r.chat_id for r in rows}
    members = await models.ChatMember.filter(chat_id__in=chat_ids, removed_at__isnull=True).values_list(
        "chat_id", "user_id"
    )
    by_chat: dict[int, set[int]] = defaultdict(set)
    for chat_id, user_id in members:
        by_chat[int(chat_id)].add(int(user_id))
    result = {}
    for row in rows:
        users = set(by_chat.get(row.chat_id, set()))
        if row.member_id is not None:
            users.add(row.member_id)
        result[row.id] = users
    return result


async def publish(broker: Broker, rows: Sequence[models.ChatEvent], woken: dict[int, set[int]] | None = None) -> int:
    """After commit: one message per recipient per batch (a recipient re-reads the outbox, so
    the newest event of the batch is enough to wake them), in one broker round trip, then one
    UPDATE marking the rows published. On a broker failure the rows stay for the relay.
    ``woken`` is ``recipients(rows)`` when the caller has read it already."""
    if not rows:
        return 0
    by_id = {r.id: r for r in rows}
    newest: dict[int, models.ChatEvent] = {}
    for event_id, users in (woken if woken is not None else await recipients(rows)).items():
        for user_id in users:
            if user_id not in newest or newest[user_id].id < event_id:
                newest[user_id] = by_id[event_id]
    messages = [(user_chats_topic(uid), events.encode(row.id, row.kind)) for uid, row in sorted(newest.items())]
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable, %d chat event(s) left for the outbox relay", len(rows))
        return 0
    await models.ChatEvent.filter(id__in=[r.id for r in rows], published_at__isnull=True).update(published_at=now_utc())
    return len(rows)


async def relay_pending(broker: Broker, older_than: timedelta = timedelta(seconds=2)) -> int:
    """Publish chat events committed but never published (a crash between commit and publish,
    or a broker outage). Subscribers skip ids they already delivered."""
    cutoff = now_utc() - older_than
    rows = await models.ChatEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff).order_by("id").limit(500)
    return await publish(broker, rows)


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
