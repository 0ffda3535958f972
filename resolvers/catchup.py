"""No event waits for the next one: every process wakes its own subscribers when the broker did
not announce an event to them.

A broker message only wakes a stream, which then reads its outbox past its cursor
(``resolvers/outbox.py``). Pub/sub delivers a message at most once, and only to connections
listening at that moment: a message published while a process's connection was being
re-established is lost for that process, though its outbox row is marked published; a wake-up
the broker refused is not sent again for the inbox; and a process on the in-memory broker hears
nothing of another process's writes. Two things make up for it, in every server process:

- **The check** (``Catchup.run``), every ``INTERVAL``: the rows the streams follow that were
  written since the last check are read once for the whole process, one indexed statement per
  source (the diary outbox, the chat outbox, the in-app notifications; and the members of the
  chats of new chat events, the topics they were announced on) whatever the load and however
  many subscribers; at the next check, a row that a local subscriber of its topics has
  still not reached (its position, ``outbox.Subscriber.last``, is behind the row, and nothing
  waits in its queue) wakes that subscriber, as the broker's message would have. The events
  themselves are read by the subscribers, as always, through their policy. So a committed
  event reaches a local subscriber within two checks (``WITHIN``) whatever the broker did.
  Counted in ``ediary_catchups_total{cause="check"}`` and ``ediary_caught_up_events_total``,
  and logged with the number of events and their ids.
- **On reconnection** (``Broker.watch``): whenever the broker's connection is back after a
  loss, whether the Redis client's own retry re-established it and re-subscribed without a
  word, or the broker opened a new one after giving the old one up, a check runs at once and
  also looks at what it reads then: every local subscriber behind a row committed meanwhile
  reads its outbox past its own cursor at once. (The rows of earlier checks were looked at
  already.) A subscriber that has its events is not woken: a Redis blip costs no read per idle
  socket. Counted in ``ediary_broker_reconnects_total`` and
  ``ediary_catchups_total{cause="reconnect"}``, and logged with how long the connection was
  silent and how many events it missed.

Transactions may commit in another order than they took their ids: an id the check skipped
(a gap below the newest row it read) is asked for again for ``GAP_CHECKS`` checks, in the same
statement, in case its transaction was still running."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tortoise.expressions import Q
from tortoise.models import Model

import models
from edge import metrics
from pubsub.broker import WAKE_UP, Broker, Reconnection, class_topic, student_topic, user_chats_topic, user_topic
from resolvers import outbox

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between checks
WITHIN = 2 * INTERVAL  # an event the broker did not announce waits at most this (and a read)
GAP_CHECKS = 20  # checks an id skipped below the newest row is asked for again (10 s)
MAX_GAPS = 1000  # ids skipped at once past this are not asked for again (a sequence that jumped)
BATCH = 1000  # rows a check reads from a source, at most


@dataclass(frozen=True, slots=True)
class Row:
    """A row a stream follows, and the topics that announce it."""

    id: int
    topics: tuple[str, ...]


# A source's new rows matching ``where``, oldest first, with their topics.
Read = Callable[[Q], Awaitable[list[Row]]]


async def _diary(where: Q) -> list[Row]:
    found = await (
        models.OutboxEvent.filter(where).order_by("id").limit(BATCH).values_list("id", "student_id", "school_class_id")
    )
    return [Row(i, (student_topic(s),) if c is None else (student_topic(s), class_topic(c))) for i, s, c in found]


async def _chats(where: Q) -> list[Row]:
    found = await models.ChatEvent.filter(where).order_by("id").limit(BATCH).only("id", "chat_id", "member_id")
    if not found:
        return []
    woken = await outbox.chat_recipients(found)  # as publishing wakes them (one more statement)
    return [Row(r.id, tuple(user_chats_topic(u) for u in sorted(woken[r.id]))) for r in found]


async def _inbox(where: Q) -> list[Row]:
    found = (
        await models.Notification.filter(where, in_app=True).order_by("id").limit(BATCH).values_list("id", "user_id")
    )
    return [Row(i, (user_topic(u),)) for i, u in found]


@dataclass
class Watched:
    """One source the streams follow, as the check reads it: how far it has read (``head``),
    the ids skipped below it (``gaps``: checks left), and the rows read at the last check,
    whose subscribers are looked at in this one (``due``)."""

    model: type[Model]
    read: Read
    head: int | None = None
    gaps: dict[int, int] = field(default_factory=dict)
    due: list[Row] = field(default_factory=list)

    async def advance(self) -> list[Row]:
        """The rows written since the last call (none the first time: it starts at the newest)."""
        if self.head is None:
            found = await self.model.all().order_by("-id").only("id").first()
            self.head = int(found.pk) if found is not None else 0
            return []
        where = Q(id__gt=self.head)
        if self.gaps:
            where |= Q(id__in=sorted(self.gaps))
        rows = await self.read(where)
        seen = {r.id for r in rows}
        for gap in list(self.gaps):
            self.gaps[gap] -= 1
            if gap in seen or not self.gaps[gap]:
                del self.gaps[gap]
        newest = max((r.id for r in rows), default=self.head)
        skipped = range(self.head + 1, newest) if newest - self.head - len(seen) <= MAX_GAPS else range(0)
        self.gaps.update((i, GAP_CHECKS) for i in skipped if i not in seen)
        self.head = max(self.head, newest)
        return rows


def _behind(inbox: outbox.Subscriber, model: type[Model], event_id: int) -> bool:
    """Whether a local subscriber of a row's topic has not reached the row (its stream's
    position), and nothing is queued to wake it."""
    if inbox.qsize():
        return False
    follow = inbox.follow
    if follow is None or follow.source.model is not model or event_id <= follow.floor:
        return False
    if event_id > inbox.last:
        return True
    # Below its position: a late commit the stream's next read still takes (outbox.LOOKBACK).
    return event_id > inbox.last - outbox.LOOKBACK and event_id not in (inbox.sent or ())


class Catchup:
    """The catch-up of one process's subscribers (see the module's docstring)."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.sources = [
            Watched(models.OutboxEvent, _diary),
            Watched(models.ChatEvent, _chats),
            Watched(models.Notification, _inbox),
        ]
        self.reconnections: list[Reconnection] = []  # since the last check
        self._soon = asyncio.Event()  # a reconnection: check now

    def reconnected(self, reconnection: Reconnection) -> None:
        """The broker's connection is back: check at once (``Broker.watch``)."""
        metrics.BROKER_RECONNECTS.labels(reconnection.by).inc()
        self.reconnections.append(reconnection)
        self._soon.set()

    async def check(self) -> int:
        """One check: read what was written since the last one, and wake the local subscribers
        that have not reached a row read at the last check; after a reconnection, also those
        behind a row read now. Returns how many subscribers were woken."""
        reconnections, self.reconnections = self.reconnections, []
        missed: list[Row] = []
        behind: dict[outbox.Subscriber, None] = {}  # in order, once each
        for source in self.sources:
            due, source.due = source.due, await source.advance()
            if reconnections:  # messages were lost: what is committed now is due now
                due, source.due = due + source.due, []
            for row in due:
                late = [
                    i
                    for topic in row.topics
                    for i in self.broker.local.inboxes(topic)
                    if isinstance(i, outbox.Subscriber) and _behind(i, source.model, row.id)
                ]
                if late:
                    missed.append(row)
                    behind.update(dict.fromkeys(late))
        for subscriber in behind:
            subscriber.put_nowait(WAKE_UP)
        metrics.CAUGHT_UP_EVENTS.inc(len(missed))
        metrics.CATCH_UPS.labels("reconnect" if reconnections else "check").inc(len(behind))
        gap = f"ids {min(r.id for r in missed)} to {max(r.id for r in missed)}" if missed else "none"
        if reconnections:
            log.warning(
                "broker connection re-established (by the %s) after at most %.2f s without it: "
                "%d event(s) not announced (%s), %d local subscriber(s) woken to catch up",
                ", ".join(sorted({r.by for r in reconnections})),
                max(r.seconds for r in reconnections),
                len(missed),
                gap,
                len(behind),
            )
        elif missed:
            log.warning(
                "%d event(s) not announced to this process in time (%s): %d local subscriber(s) woken",
                len(missed),
                gap,
                len(behind),
            )
        return len(behind)

    async def run(self, interval: float = INTERVAL) -> None:
        """Forever: a check every ``interval``, and at once after a reconnection."""
        self.broker.watch(self.reconnected)
        try:
            while True:
                self._soon.clear()
                try:
                    await self.check()
                except Exception:  # the database may be briefly unreachable: check again next time
                    log.exception("catch-up check failed")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._soon.wait(), interval)
        finally:
            self.broker.watch(None)


async def run(broker: Broker, interval: float = INTERVAL) -> None:
    """Forever, in the background of every server process (see the module's docstring)."""
    await Catchup(broker).run(interval)
