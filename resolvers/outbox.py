"""The outbox: how a write records its events, and how they reach the broker.

A write calls ``record`` inside its own transaction, so the change and its events commit (or
roll back) together, and gets the rows back with their ids (the cursors); after the commit
it calls ``publish``. A broker failure, or a process that dies between the two, leaves rows
unpublished: every server process runs ``run_relay``, which publishes them a moment later
and samples the outbox gauges. Two outboxes share this: the diary's (``models.OutboxEvent``,
announced on student and class topics) and the chats' (``models.ChatEvent``, announced on
the topic of each user it concerns).

Reading events for subscribers is the streams' business (``resolvers/events.py``,
``resolvers/chat_events.py``); a message on the wire only wakes a subscriber, which re-reads
the outbox after its cursor."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import models
from edge import faults, metrics
from pubsub.broker import Broker, BrokerUnavailable, EventKind, batch_messages, encode, user_chats_topic
from resolvers import core
from resolvers.core import now_utc

log = logging.getLogger(__name__)

Event = TypeVar("Event", models.OutboxEvent, models.ChatEvent)

RELAY_BATCH = 500


async def record(rows: Sequence[Event]) -> list[Event]:
    """Inside the write's transaction: insert the unsaved ``rows`` of one outbox, all in one
    statement (``INSERT ... RETURNING id``), and return them with their ids, in id order."""
    return sorted(await core.insert(rows), key=lambda row: int(row.pk))


def insert_from(kind: EventKind, source: str, columns: Mapping[str, str], at: str) -> str:
    """PostgreSQL: an INSERT, for a data-modifying CTE, of one diary event of ``kind`` per row of
    ``source`` (a CTE of the same statement: the rows of the write), for a write made in one
    statement; ``columns``: the event's columns (``student_id``...) as SQL over ``source``, ``at``
    when it occurred. It answers the rows whole, for ``recorded``."""
    names = ", ".join(columns)
    return (
        f"INSERT INTO {models.OutboxEvent._meta.db_table} (kind, occurred_at, {names})"
        f" SELECT '{kind.value}', {at}, {', '.join(columns.values())} FROM {source} RETURNING *"
    )


def recorded(rows: Sequence[Mapping[str, Any]], prefix: str) -> list[models.OutboxEvent]:
    """The events an ``insert_from`` wrote, from the ``prefix``-ed columns of ``rows``, in id
    order (as ``record`` answers them)."""
    events_ = [core.hydrate(models.OutboxEvent, dict(row), prefix) for row in rows]
    return sorted(events_, key=lambda row: int(row.pk))


async def publish(
    broker: Broker,
    rows: Sequence[models.OutboxEvent] | Sequence[models.ChatEvent],
    woken: dict[int, set[int]] | None = None,
) -> int:
    """After commit: announce what one write recorded, in one broker round trip, then mark the
    rows published in one UPDATE. A broker failure leaves them for the relay and never fails
    the write the user already made. ``woken`` (chat events only) is ``chat_recipients(rows)``
    when the write has read it already. Returns how many rows were published."""
    chat = [r for r in rows if isinstance(r, models.ChatEvent)]
    if chat:
        return await _publish_chat(broker, chat, woken)
    diary = [r for r in rows if isinstance(r, models.OutboxEvent)]
    if not diary:
        return 0
    if faults.FAULT:  # the crash test's hook (EDIARY_FAULT), off by default: not even a call
        faults.after_commit()
    return await _publish_diary(broker, diary)


async def _publish_diary(broker: Broker, rows: Sequence[models.OutboxEvent]) -> int:
    """One message per student topic, and one per class topic for the class's newest event."""
    messages = batch_messages([(r.id, r.kind, r.student_id, r.school_class_id) for r in rows])
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable, %d event(s) left for the outbox relay", len(rows))
        return 0
    metrics.EVENTS_PUBLISHED.inc(len(rows))
    ids = [r.id for r in rows]
    await core.fetch(
        f"UPDATE outbox_event SET published_at = ? WHERE id IN ({core.placeholders(len(ids))})"
        " AND published_at IS NULL",
        [now_utc(), *ids],
    )
    return len(rows)


async def chat_recipients(rows: Sequence[models.ChatEvent]) -> dict[int, set[int]]:
    """For each chat event id, the users to wake: the chat's current members, and the person
    an event is about (a removed member learns they were removed). One statement."""
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


async def _publish_chat(
    broker: Broker, rows: Sequence[models.ChatEvent], woken: dict[int, set[int]] | None = None
) -> int:
    """One message per recipient (a recipient re-reads the outbox, so the newest event of the
    batch is enough to wake them)."""
    by_id = {r.id: r for r in rows}
    newest: dict[int, models.ChatEvent] = {}
    for event_id, users in (woken if woken is not None else await chat_recipients(rows)).items():
        for user_id in users:
            if user_id not in newest or newest[user_id].id < event_id:
                newest[user_id] = by_id[event_id]
    messages = [(user_chats_topic(uid), encode(row.id, row.kind)) for uid, row in sorted(newest.items())]
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable, %d chat event(s) left for the outbox relay", len(rows))
        return 0
    await models.ChatEvent.filter(id__in=[r.id for r in rows], published_at__isnull=True).update(published_at=now_utc())
    return len(rows)


async def relay_pending(broker: Broker, older_than: timedelta = timedelta(seconds=2)) -> int:
    """Publish the rows of both outboxes that were committed but never published (the process
    died after the commit, or the broker was down). Subscribers skip ids they already
    delivered. Returns how many were published."""
    cutoff = now_utc() - older_than
    diary = (
        await models.OutboxEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff)
        .order_by("id")
        .limit(RELAY_BATCH)
    )
    published = await _publish_diary(broker, diary) if diary else 0
    chat = (
        await models.ChatEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff)
        .order_by("id")
        .limit(RELAY_BATCH)
    )
    return published + (await _publish_chat(broker, chat) if chat else 0)


async def sample() -> None:
    """Set the outbox gauges (``/metrics``): how many diary events wait to be published and how
    old the oldest one is. Both read only the unpublished rows (index ``published_at, id``):
    few, unless the broker is down."""
    pending = models.OutboxEvent.filter(published_at__isnull=True)
    oldest = await pending.order_by("occurred_at").only("id", "occurred_at").first()
    count = await pending.count() if oldest is not None else 0
    lag = (now_utc() - oldest.occurred_at).total_seconds() if oldest is not None else 0.0
    metrics.OUTBOX_PENDING.set(count)
    metrics.OUTBOX_LAG.set(max(lag, 0.0))


async def run_relay(broker: Broker, interval: float = 1.0, sample_every: int = 5) -> None:
    """Forever, in the background of every server process: ``relay_pending``, and every
    ``sample_every`` rounds the gauges (after publishing, so the lag is what the relay left)."""
    rounds = 0
    while True:
        try:
            count = await relay_pending(broker)
            if rounds % sample_every == 0:
                await sample()
        except Exception:  # the database may be briefly unreachable: try again next round
            log.exception("outbox relay failed")
        else:
            if count:
                log.info("outbox relay published %d event(s)", count)
        rounds += 1
        await asyncio.sleep(interval)
