"""Chat events: the chat outbox written with each change, published after commit to each
member's topic, and ``chatEvents``: what it follows and its policy for an event. The stream
core (``resolvers/streams.py``) replays it by cursor, then live, and asks that policy as each
event is delivered. A message on the wire only wakes the subscriber: ids, never text."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Hashable, Sequence
from datetime import timedelta

from tortoise.expressions import Q, Subquery

import models
from pubsub import events
from pubsub.broker import Broker, BrokerUnavailable
from pubsub.topics import user_chats_topic
from resolvers import pages, policy, streams
from resolvers.clock import now_utc
from resolvers.context import Context, Viewer

log = logging.getLogger(__name__)

# Events a former member still receives about a chat: being removed from it (so a client drops
# it). Everything else needs a current membership when it is delivered.
_ABOUT_THEM = (models.ChatEventKind.MEMBER_REMOVED,)

CHAT_EVENTS = streams.Source(models.ChatEvent, "chat-event", "occurred_at", "your chats")


def encode_cursor(event_id: int) -> str:
    return pages.encode(CHAT_EVENTS.cursor, event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode(CHAT_EVENTS.cursor, cursor)


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


async def chat_events(ctx: Context, after: str | None) -> AsyncIterator[streams.Delivery[models.ChatEvent]]:
    """Every event of the viewer's chats (those they were ever in): replayed after ``after``,
    then live."""

    async def follow() -> streams.Follow[models.ChatEvent]:
        floor = await streams.start(ctx, CHAT_EVENTS, after)
        uid = ctx.viewer.user_id
        assert uid is not None  # ``start`` refuses anonymous viewers
        ever = Subquery(models.ChatMember.filter(user_id=uid).values("chat_id"))

        async def check(row: models.ChatEvent) -> Hashable | None:
            allowed, membership = await deliverable(ctx.viewer, row)
            if not allowed:
                return None
            # The membership just read is this event's answer to "is the viewer in the chat".
            ctx.loaders.membership_by_chat.prime(row.chat_id, membership)
            return ("user", uid)

        return streams.Follow(CHAT_EVENTS, (user_chats_topic(uid),), Q(chat_id__in=ever), floor, check)

    async for delivery in streams.run(ctx, follow):
        yield delivery
