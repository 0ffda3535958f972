"""The outbox, end to end: a write's events recorded in its transaction, published after the
commit, relayed after a crash, and read back past a cursor by every live stream.

**Writing.** A write calls ``record`` inside its own transaction, so the change and its events
commit (or roll back) together, and gets the rows back with their ids (the cursors); after the
commit it calls ``publish``, which hands them to the broker and leaves marking them published
to its process's marker (one UPDATE for all it was given meanwhile, run as soon as the event loop
is free; the write does not wait for it). A broker failure, a failed mark, or a process that
dies between the two, leaves rows unpublished: every server process runs ``run_relay``, which
publishes them a moment later and samples the outbox gauges. Two outboxes share this: the
diary's (``models.OutboxEvent``, announced on student and class topics) and the chats'
(``models.ChatEvent``, announced on the topic of each user it concerns). A message on the wire
only wakes a subscriber (ids, never content), which re-reads the outbox after its cursor.

**Reading: the one stream core** of every subscription (``diaryEvents``, ``classEvents``,
``chatEvents``, ``notificationEvents``; ``run``): start from a cursor, replay, go live, and ask
one check before each delivery. A stream supplies only what it follows (``Follow``); the schema
maps each ``Delivery`` to its payload. The diary's two streams are here (``diary_events``,
``class_events``: what each follows and its policy for an event); the chats' and the
notifications' are ``resolvers/chat_events.py`` and ``resolvers/inbox.py``.

The check, asked of every event as it is delivered: the stream's policy for the event, which
reads the viewer's standing in the same statement (``policy.live``). A stream that reads the
answer to its question with its events (``Follow.asks``) checks the events of that read with
it while it is fresh (``ANSWER_HOLDS`` after the read); an event delivered later asks again.
What a read delivers is what a request made at the moment of the read could read: the answer and
the rows come from one statement, one snapshot. An event it refuses is
skipped, unless the stream follows only what the event was about (one named student, one class),
nothing it follows is in sight any more (every child of a family's stream), or the account is
out of standing (deactivated, or waiting for a password change): then the stream ends,
whichever stream it is.

Ordering and duplicates: outbox ids grow, but two transactions may commit in the other order
than they took their ids. On every wake-up the stream re-reads its outbox a little behind the
last id it delivered (``LOOKBACK``) and skips ids it already sent, so a late commit is still
delivered (possibly after a higher id) and nothing is delivered twice. The broker subscription
is taken before the first read, so nothing falls between; a message on the wire only wakes the
stream (ids, never content).

Cursors reveal nothing of other people's activity, on every stream alike. A cursor is sealed
(``resolvers/pages.py``): it cannot be read, so the ids of two consecutive events do not tell
how many events other people caused in between, and it cannot be made, so the only cursors a
client holds are those of events it was sent (anything else is ``CURSOR_INVALID``, whatever
exists). ``start`` takes a cursor without comparing it with the source: a cursor ahead of the
newest row (one that cannot be forged: a database restored from a backup) simply waits for
what comes after it, as any cursor does, so no answer and no timing depends on how many rows
other people wrote. What a stream then replays and delivers is the viewer's own rows only
(``Follow.mine``, each checked).

**Parking: idle subscriptions with no task and no generator chain of their own.** A
subscription that waits for its next event inside an async generator keeps a Task and the whole
chain alive while it waits (Strawberry's stream with its extensions and execution context,
graphql-core's subscribe and map iterator, our generators, their frames): most of an idle
parent's memory, and a parent may get one event a day. So the WebSocket handler
(``schema/websocket.py``) runs each operation with a ``Subscriber`` in ``PARKING``. A stream
keeps its position in it (what it follows, the cursor, the ids already sent) and subscribes it
to the broker as its bounded queue. When the stream has delivered everything and nothing is
waiting, it marks the Subscriber parked and returns instead of waiting; the handler then keeps
the operation open, and the finished run (task, generators, extensions) is freed. The first
message to arrive wakes the Subscriber: the handler runs the operation again, the stream
continues from the Subscriber's position (never from the client's ``after``, and without asking
the stream what it follows again), delivers, and parks again.

A stream does not wait a while for more before parking (that was tried: a run kept awake
across the collector's freeze, ``schema/websocket.py``, leaves its frames and generators as
cyclic garbage among frozen objects when it parks, and the process grew by 16 MB a minute
under 100 events a second).

Nothing falls between runs: the broker subscription stays in place all along, messages that
arrive while no run is going are counted in the queue (a full queue still means a slow
consumer), and a run parks only when its queue is empty after its last read of the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import ValuesQuery

import models
from edge import faults, metrics
from pubsub.broker import (
    Broker,
    BrokerUnavailable,
    EventKind,
    Inbox,
    SlowConsumer,
    Subscription,
    batch_messages,
    class_topic,
    decode,
    encode,
    message_of,
    student_topic,
    user_chats_topic,
)

# ``loaders`` as a module: it imports the chats' service (for its loaders), which records
# through this module, so its names are read when a stream runs, not at import.
from resolvers import core, loaders, pages, policy
from resolvers.core import BIGINT_MAX, _, largest_id, now_utc, pk_of
from resolvers.errors import BadUserInput, StreamInterrupted
from resolvers.policy import windows
from resolvers.sessions import Context

log = logging.getLogger(__name__)


# The outbox: recording a write's events, publishing them after the commit, the relay.

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
    """After commit: announce what one write recorded, in one broker round trip. Chat events are
    then marked published in one UPDATE; diary events are handed to the process's marker
    (``settle`` waits for it), so the write does not wait for a round trip after its commit. A
    broker failure leaves them for the relay and never fails the write the user already made.
    ``woken`` (chat events only) is ``chat_recipients(rows)`` when the write has read it already.
    Returns how many rows were published."""
    chat = [r for r in rows if isinstance(r, models.ChatEvent)]
    if chat:
        return await _publish_chat(broker, chat, woken)
    diary = [r for r in rows if isinstance(r, models.OutboxEvent)]
    if not diary:
        return 0
    if faults.FAULT:  # the crash test's hook (EDIARY_FAULT), off by default: not even a call
        faults.after_commit()
    return await _publish_diary(broker, diary, at_once=False)


async def _publish_diary(broker: Broker, rows: Sequence[models.OutboxEvent], *, at_once: bool) -> int:
    """One message per student topic, and one per class topic for the class's newest event; the
    rows are then marked published at once (``at_once``: the relay) or by the marker."""
    messages = batch_messages([(r.id, r.kind, r.student_id, r.school_class_id) for r in rows])
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable, %d event(s) left for the outbox relay", len(rows))
        return 0
    metrics.EVENTS_PUBLISHED.inc(len(rows))
    if at_once:
        await _mark([r.id for r in rows])
    else:
        _mark_soon(r.id for r in rows)
    return len(rows)


async def _mark(ids: Sequence[int]) -> None:
    await core.fetch(
        f"UPDATE outbox_event SET published_at = ? WHERE id IN ({core.placeholders(len(ids))})"
        " AND published_at IS NULL",
        [now_utc(), *ids],
    )


# The marker: diary events this process handed to the broker (``publish``) and has not marked
# published yet, and the task that marks them. ``publish`` starts it when it is not running; it
# marks everything queued in one UPDATE (per ``RELAY_BATCH``), again while more was queued
# meanwhile, then ends. Started by ``publish`` itself, not by the relay, so a process that
# publishes without a relay (a command, a benchmark's writer) marks what it publishes too, within
# milliseconds: a relay (every server's, every round) sends again only what is unmarked after
# 2 s, and that wakes every stream it concerns. A failed UPDATE leaves its rows to the relays; the
# process's own relay skips the queued ids meanwhile. The lifespan waits for it at shutdown
# (``settle``).
MARKER_TASK = "outbox-marker"
_unmarked: set[int] = set()
_marker: asyncio.Task[None] | None = None


def _mark_soon(ids: Iterable[int]) -> None:
    global _marker
    _unmarked.update(ids)
    loop = asyncio.get_running_loop()
    # a task of another event loop (a closed one: a command or a benchmark that ran asyncio.run
    # more than once) never finishes here: start one on this loop
    if _marker is None or _marker.done() or _marker.get_loop() is not loop:
        _marker = loop.create_task(_mark_queued(), name=MARKER_TASK)


async def _mark_queued() -> None:
    while _unmarked:
        ids = sorted(_unmarked)[:RELAY_BATCH]
        try:
            await _mark(ids)
        except Exception:  # the database briefly unreachable: the relays publish them again
            log.exception("marking %d published outbox event(s) failed", len(ids))
        finally:  # marked, or left to the relays
            _unmarked.difference_update(ids)


async def settle() -> None:
    """Wait until the diary events this process published are marked published (or left to the
    relays, if marking failed): the lifespan's end, and tests that read ``published_at``."""
    marker = _marker
    if marker is not None and not marker.done() and marker.get_loop() is asyncio.get_running_loop():
        await marker


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
    waiting = (
        await models.OutboxEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff)
        .order_by("id")
        .limit(RELAY_BATCH)
    )
    diary = [row for row in waiting if row.id not in _unmarked]  # published, being marked
    published = await _publish_diary(broker, diary, at_once=True) if diary else 0
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


# The stream core: replay from a cursor, then live, one check before each delivery.

E = TypeVar("E", bound=Model)

LOOKBACK = 50
BATCH = 200
LATE = timedelta(minutes=1)  # a row below the high-water mark older than this is not a late commit
# How long the answer to a stream's question, read with its events, holds for the events of
# that read (time from the read, by the monotonic clock): delivering one event takes well under
# a millisecond, so a read's events go out within it; one held back longer (a client too slow
# to take its frames) is checked afresh. Session endings close the socket besides (4401).
ANSWER_HOLDS = 0.1


@dataclass(frozen=True, slots=True)
class Prime:
    """A row an event names by id (``column``) that its payloads usually load by that id
    (``loader``, a plain by-id loader of ``Loaders``, which applies no policy of its own): the
    stream reads it with the event, in the same statement, and primes the event's loaders."""

    column: str
    model: type[Model]
    loader: str


@dataclass(frozen=True, slots=True)
class Source(Generic[E]):
    """An outbox that streams read: its table, the kind of its cursors (``pages``), the field
    that says when a row was written, what a client refetches when its cursor is unknown, and
    the rows its events name that are read with them (``primes``)."""

    model: type[E]
    cursor: str
    written: str
    refetch: str
    primes: tuple[Prime, ...] = ()


# The policy for one event, asked as it is delivered: a share key (subscribers whose keys are
# equal see the same data: ``schema/__init__.py``), or None when the viewer may not have it. It may
# prime the event's fresh loaders (``ctx.loaders``) with what it read. Its second argument is
# the answer to the stream's question (``Follow.asks``) read in the same statement as the event,
# or None: then it asks the database itself.
Check = Callable[[E, frozenset[int] | None], Awaitable[Hashable | None]]


@dataclass(frozen=True, slots=True)
class Follow(Generic[E]):
    """What a stream follows: its ``source``, the broker ``topics`` that announce its events,
    the rows of the source that are its own (``mine``), the id to start after (``floor``), the
    policy for each event (``check``), and whether an event refused ``ends`` the stream
    (instead of being skipped), or does once nothing it follows is left in sight (``gone``,
    asked after a refusal). ``asks``, if given, is the question the check puts to the database
    (a query of ids, in a column named "id"): the stream reads its answer in the same statement as the
    events, and the events of that read are checked with it while it holds (``ANSWER_HOLDS``)."""

    source: Source[E]
    topics: tuple[str, ...]
    mine: Q
    floor: int
    check: Check[E]
    ends: bool = False
    gone: Callable[[], Awaitable[bool]] | None = None
    asks: Callable[[], ValuesQuery[Any]] | None = None


# A stream's ``Follow`` once its read is compiled and its topics subscribed: ``mine``, ``asks``
# and ``topics`` went into those, and an idle subscription need not hold them (a query's
# filter tree and closures, some 400 bytes a socket).
COMPILED: dict[str, Any] = {"mine": Q(), "asks": None, "topics": ()}

# What a check answers for an event outside the viewer's window on what it follows (a grade
# of a transferred child's other class, ``policy.windows``): skipped, the stream goes on.
SKIP: Hashable = ("skip",)

# A row an event names, read with it: the loader to prime, its id, and how to make the row
# from the read (None: gone), called only if a payload asks that loader (``Loaders.prime_later``).
Named = tuple[str, int, Callable[[], Model | None]]

# Where the id a read starts after goes in a compiled read: a value no id reaches.
_AFTER = 9_007_199_254_740_881


@dataclass(frozen=True, slots=True)
class Read(Generic[E]):
    """A stream's read of its source, compiled once when the stream starts (``core.Reusable``):
    every wake-up of a stream reads, and building the statement anew each time cost more CPU
    than running it. The rows its events name (``Source.primes``) come in the same statement."""

    source: Source[E]
    statement: core.Reusable
    asks: bool  # whether the statement carries the answer to ``Follow.asks``

    @classmethod
    def of(cls, follow: Follow[E]) -> Read[E]:
        source = follow.source
        query = source.model.filter(follow.mine, id__gt=_AFTER).order_by("id").limit(BATCH)
        asked = follow.asks() if follow.asks is not None else None
        statement = core.Reusable.compile(
            query, _AFTER, wrap=lambda inner, then: _joined(source, inner, then), then=asked
        )
        return cls(source, statement, asked is not None)

    async def rows(self, after: int) -> tuple[list[tuple[E, list[Named]]], frozenset[int] | None]:
        """The next rows after ``after``, each with the rows it names: (loader, id, the row or
        None if it is gone); and the answer to the stream's question (``Follow.asks``) if it
        asks one and there are rows."""
        found = []
        answer: frozenset[int] | None = None
        projection = self.source.model._meta.fields_db_projection
        for raw in await self.statement.rows(after):
            if self.asks and answer is None:
                answer = frozenset(int(i) for i in str(raw["answer__ids"] or "").split(",") if i)
            named: list[Named] = []
            for n, prime in enumerate(self.source.primes):
                pk = raw[projection[prime.column]]
                if pk is not None:
                    named.append((prime.loader, int(pk), functools.partial(_named_row, prime.model, raw, f"p{n}__")))
            found.append((core.hydrate(self.source.model, raw), named))
        return found, answer


def _named_row(model: type[Model], raw: dict[str, Any], prefix: str) -> Model | None:
    """The row an event names, from the read's ``prefix``-ed columns (None: it is gone)."""
    return core.hydrate(model, raw, prefix) if raw[f"{prefix}id"] is not None else None


def _joined(source: Source[Any], inner: str, asked: str | None) -> str:
    """The read ``inner`` with the rows its events name joined (``Source.primes``), and the
    answer to ``asked`` (one column of ids) as one more column, "1,2,3"."""
    columns = ["o.*"]
    joins = []
    projection = source.model._meta.fields_db_projection
    for n, prime in enumerate(source.primes):
        meta = prime.model._meta
        columns += [f'p{n}."{c}" AS "p{n}__{c}"' for c in meta.fields_db_projection.values()]
        on = f'p{n}."{meta.db_pk_column}" = o."{projection[prime.column]}"'
        joins.append(f'LEFT JOIN "{meta.db_table}" AS p{n} ON {on}')
    if asked is not None:
        columns.append("a.ids AS answer__ids")
        joins.append(f"CROSS JOIN (SELECT {core.joined_ids('x.id')} AS ids FROM ({asked}) AS x) AS a")
    return f'SELECT {", ".join(columns)} FROM ({inner}) AS o {" ".join(joins)} ORDER BY o."id"'


@dataclass(frozen=True, slots=True)
class Delivery(Generic[E]):
    """An event to deliver, with who may share its rendering: subscribers whose ``share``
    keys are equal see the same data, so the payload is computed once for all of them."""

    row: E
    share: Hashable


async def start(ctx: Context, source: Source[Any], after: str | None, newest: Q | None = None) -> int:
    """The id a stream starts after: the client's cursor (what follows it is replayed), or the
    newest row of the source (``newest`` narrows which), live only. A cursor that is not one of
    the source's is refused; one of the source's is taken as it is, without comparing it with
    anything (see "Cursors" in the module's docstring)."""
    if after is None:
        rows = source.model.filter(newest) if newest is not None else source.model.all()
        found = await rows.order_by("-id").only("id").first()
        return int(found.pk) if found is not None else 0
    last = pages.decode(source.cursor, after, largest_id(source.model))
    if last is None:
        raise BadUserInput(
            _("Unknown cursor: refetch {refetch} and subscribe without `after`.", refetch=source.refetch),
            argument="after",
            reason="CURSOR_INVALID",
        )
    return last


async def run(ctx: Context, follow: Callable[[], Awaitable[Follow[E]]]) -> AsyncIterator[Delivery[E]]:
    """Replay the rows the stream follows after its start, then follow its topics, each row
    checked as it is delivered (see the module's docstring)."""
    subscriber = current()
    if subscriber is None or not subscriber.following:
        subscriber = subscriber or Subscriber()
        started = await follow()
        subscriber.read = Read.of(started)
        subscriber.last = started.floor
        subscriber.subscription = await subscribe(ctx, *started.topics, inbox=subscriber)
        # What the read and the subscription were made from is not needed again: a parked
        # subscriber keeps for hours only what later runs ask (``COMPILED``).
        subscriber.follow = replace(started, **COMPILED)
    can_park = subscriber is current()
    following, read = subscriber.follow, subscriber.read
    assert following is not None
    assert read is not None
    source, check = following.source, following.check
    try:
        while True:
            subscriber.arrived()  # what the read below covers (raises if the broker gave up)
            since = max(following.floor, subscriber.last - LOOKBACK)
            rows, answer = await read.rows(since)
            answered = time.monotonic()
            for row, named in rows:
                sent, event_id = subscriber.sent, int(row.pk)
                if (sent is not None and event_id in sent) or (event_id <= subscriber.last and not _late(source, row)):
                    continue
                if not isinstance(sent, deque):
                    sent = subscriber.sent = deque(sent or (), maxlen=LOOKBACK * 4)
                sent.append(event_id)
                subscriber.last = max(subscriber.last, event_id)
                ctx.loaders = loaders.Loaders(ctx.viewer)  # fresh per event: no cache outlives an event
                for loader, pk, found in named:
                    ctx.loaders.prime_later(loader, pk, found)
                if answer is not None and time.monotonic() - answered > ANSWER_HOLDS:
                    answer = None  # held back too long: this event and the next ones ask again
                share = await check(row, answer)
                if share is SKIP:
                    continue
                if share is None:
                    if following.ends or not await policy.in_good_standing(ctx.viewer):
                        return
                    if following.gone is not None and await following.gone():
                        return
                    continue
                metrics.EVENTS_DELIVERED.inc()
                yield Delivery(row, (source.cursor, event_id, share))
            if len(rows) < BATCH:
                if subscriber.qsize():
                    continue  # something arrived while reading: read again
                if can_park:
                    # Only ids the next read can see again need remembering: a tuple of them
                    # is a few bytes where the deque is 600 and more.
                    floor = subscriber.last - LOOKBACK
                    subscriber.sent = tuple(i for i in subscriber.sent or () if i > floor) or None
                    ctx.loaders = loaders.Loaders(ctx.viewer)  # the last event's cache goes now, not at the next
                    ctx.viewer.forget()
                    subscriber.parked = True
                    return
                await subscriber.arrival()
    except SlowConsumer:
        await disconnect_slow_consumer(ctx)
        raise StreamInterrupted() from None
    except BrokerUnavailable:
        raise StreamInterrupted() from None
    finally:
        if not subscriber.parked and subscriber.subscription is not None:
            await subscriber.subscription.aclose()


def _late(source: Source[Any], row: Model) -> bool:
    """Whether a row below the high-water mark is a late commit: only if it is young."""
    written: Any = getattr(row, source.written)
    return bool(written >= now_utc() - LATE)


async def subscribe(ctx: Context, *topics: str, inbox: Inbox | None = None) -> Subscription:
    """A stream's broker subscription. A broker that cannot be reached (a client subscribing
    again while Redis is down) is the same retryable interruption as one lost mid-stream, not
    an unexpected error that production would mask without a code."""
    try:
        return await ctx.broker.subscribe(*topics, inbox=inbox)
    except BrokerUnavailable:
        raise StreamInterrupted() from None


SLOW_CONSUMER_CLOSE = 1013  # RFC 6455 "Try Again Later"
SLOW_CONSUMER_REASON = _("Too slow: reconnect and resume with `after`.")  # a close reason: at most 123 bytes


async def disconnect_slow_consumer(ctx: Context) -> None:
    """A client that cannot keep up loses its whole connection with a clear close code (its
    other subscriptions share the same socket and are just as far behind). It reconnects and
    resumes each stream from its last cursor; nothing is lost, the outbox has it all."""
    close = getattr(ctx.request, "close", None)
    if close is not None:
        log.info("closing a slow subscriber's connection")
        with contextlib.suppress(RuntimeError):  # already closed
            await close(code=SLOW_CONSUMER_CLOSE, reason=SLOW_CONSUMER_REASON.render(ctx.locale))


# Parked subscriptions: a stream's position kept between runs of its operation.


class Subscriber(Inbox):
    """One subscription operation across its runs: the broker queue, the stream's position,
    and what the operation's metrics need once it ends while parked."""

    __slots__ = (
        "_wake",
        "document",
        "errored",
        "follow",
        "gauge",
        "labels",
        "last",
        "parked",
        "read",
        "resumable",
        "sent",
        "source",
        "subscription",
    )

    def __init__(self) -> None:
        super().__init__()
        self._wake: Callable[[], None] | None = None
        self.parked = False
        self.subscription: Subscription | None = None  # None until a stream follows topics
        self.follow: Follow[Any] | None = None  # what the stream follows (``Follow``)
        self.read: Read[Any] | None = None  # its read, compiled once
        self.last = 0  # the highest id delivered or skipped
        # Ids delivered lately (skipped when read again): a deque while a run goes, a tuple
        # of those the next read can still see while parked, None before the first event.
        self.sent: deque[int] | tuple[int, ...] | None = None
        # The operation's metrics (``schema/gates.py``): its active-subscriptions gauge, its
        # request labels (name, kind) once parked, and whether any result carried errors.
        self.gauge: Any = None
        self.labels: tuple[str, str] | None = None
        self.errored = False
        # The operation's parsed document, kept by its first run when it parks: a resumed run
        # neither parses nor validates it again (``schema.DiarySchema.resume``).
        self.document: Any = None
        # What its executor was built from (``schema.Resumable``), kept by its
        # first run: a resumed run neither finds the operation nor coerces its variables again.
        self.resumable: Any = None
        # How its root field's resolver is called again (``schema.subscription.resumable``).
        self.source: Callable[[], Any] | None = None

    @property
    def following(self) -> bool:
        """Whether a stream of an earlier run left its position here (this run resumes it)."""
        return self.subscription is not None

    def put_nowait(self, item: object) -> None:
        super().put_nowait(item)
        wake, self._wake = self._wake, None
        if wake is not None:
            wake()

    def arrived(self) -> bool:
        """Whether a message announced something possibly new since the last call, without
        waiting. Raises ``SlowConsumer`` / ``BrokerUnavailable`` at the broker's markers."""
        found = False
        for item in self.take():
            if decode(message_of(item)) is not None:
                found = True
        return found

    async def arrival(self) -> None:
        """Wait for a message announcing something possibly new (a run that cannot park)."""
        while not self.arrived():
            await self.wait()

    def park(self, wake: Callable[[], None]) -> None:
        """Hand the idle subscription over: ``wake`` is called once, at the next message (at
        once if one came while the last run was ending)."""
        self.parked = False
        if self.qsize():
            wake()
        else:
            self._wake = wake

    async def leave(self) -> None:
        """Leave the broker (a run that ends before its stream could)."""
        self._wake = None
        if self.subscription is not None:
            await self.subscription.aclose()

    async def close(self) -> None:
        """The operation ends while parked (the client stopped it or left): leave the broker
        and count the operation as ended, as its last run would have."""
        await self.leave()
        if self.gauge is not None:
            self.gauge.dec()
            self.gauge = None
        if self.labels is not None:
            metrics.REQUESTS.labels(*self.labels, "error" if self.errored else "ok").inc()
            self.labels = None


PARKING: contextvars.ContextVar[Subscriber | None] = contextvars.ContextVar("parking", default=None)


def current() -> Subscriber | None:
    """The Subscriber of the operation this task runs, if its transport can park it."""
    return PARKING.get()


# The diary's streams, ``diaryEvents`` and ``classEvents``: what each follows and its
# policy for an event.

OUTBOX = Source(
    models.OutboxEvent,
    "outbox",
    "occurred_at",
    "the diary",
    # What a diary event's payload loads by id (``schema/subscription.py``): read with the event.
    primes=(
        Prime("grade_id", models.Grade, "grade_by_id"),
        Prime("student_id", models.Student, "student_by_id"),
    ),
)


def encode_cursor(event_id: int) -> str:
    return pages.encode(OUTBOX.cursor, event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode(OUTBOX.cursor, cursor, BIGINT_MAX)


async def _subscribed_students(ctx: Context, student_id: str | None) -> tuple[list[int], bool]:
    """The students to follow, and whether one was named explicitly."""
    if student_id is not None:
        pk = pk_of(student_id, "Student")
        if pk is None or not await policy.visible_students(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput(_("No such student."), argument="studentId")
        return [pk], True
    family = await policy.children(ctx.viewer).only("id")
    own = await models.Student.filter(user_id=ctx.viewer.user_id).only("id")
    ids = sorted({s.id for s in [*family, *own]})
    if not ids:
        raise BadUserInput(_("You have no children to follow; pass `studentId`."), argument="studentId")
    return ids, False


async def _sees_submission(ctx: Context, submission_id: int) -> bool:
    """Whether a staff follower sees the handed-in work an event names (``policy.visible_submissions``):
    a class's or a child's stream skips the hand-in events of another subject's or group's homework."""
    return await policy.visible_submissions(ctx.viewer).filter(id=submission_id).exists()


async def _sees_what_it_names(ctx: Context, row: models.OutboxEvent) -> bool:
    """For a follower whose only window on the event's class is a group's (``Window.group``: a
    membership, not an enrolment): whether they read the grade, lesson, remark and final grade
    the event names. The event carries the class, not the day, and a child who left the group is
    still in the class: a group's teacher gets an event of the child's days in their group only
    (a grade, a lesson of such a day; a final grade of a term with such a day)."""
    named = (
        (row.grade_id, policy.visible_grades),
        (row.lesson_id, policy.visible_lessons),
        (row.remark_id, policy.visible_remarks),
        (row.term_grade_id, policy.visible_term_grades),
    )
    for pk, scope in named:
        if pk is not None and not await scope(ctx.viewer).filter(id=pk).exists():
            return False
    return True


def diary_events(
    ctx: Context, student_id: str | None, after: str | None
) -> AsyncIterator[Delivery[models.OutboxEvent]]:
    """A family's stream: one named student, or all of the viewer's children (and themself).
    The one student followed out of sight ends it; one child of several is skipped, until none
    of them is in sight (every guardianship revoked): then it ends too. The stream core's own
    iterator (no generator of its own to pass each event through, at every woken run)."""

    async def follow() -> Follow[models.OutboxEvent]:
        floor = await start(ctx, OUTBOX, after)
        ids, explicit = await _subscribed_students(ctx, student_id)

        async def check(row: models.OutboxEvent, seen: frozenset[int] | None) -> Hashable | None:
            # Both see nothing once the viewer is deactivated or reset (``policy.live``).
            family = await policy.family_view(ctx.viewer, seen)
            if family is not None:
                return ("family", family) if row.student_id in family else None
            scope = policy.live(policy.visible_students(ctx.viewer), ctx.viewer)
            if not await scope.filter(id=row.student_id).exists():
                return None
            # A teacher of one class of a transferred child: that class's events only (its window);
            # an event of the other class is skipped, the stream goes on.
            found = await windows.windows_of(ctx.viewer, [row.student_id])
            in_window = windows.sees_class(found[row.student_id], row.school_class_id)
            if in_window and row.submission_id is not None and not await _sees_submission(ctx, row.submission_id):
                return SKIP  # handed-in work of another subject's or group's homework
            dated = in_window and windows.by_groups_only(found[row.student_id], row.school_class_id)
            if dated and not await _sees_what_it_names(ctx, row):
                return SKIP  # a group's teacher: not of the child's days in their group
            return ("user", ctx.viewer.user_id) if in_window else SKIP

        async def gone() -> bool:
            return not await policy.visible_students(ctx.viewer).filter(id__in=ids).exists()

        topics = tuple(student_topic(i) for i in ids)
        return Follow(
            OUTBOX,
            topics,
            Q(student_id__in=ids),
            floor,
            check,
            ends=explicit,
            gone=None if explicit else gone,
            asks=lambda: policy.family_scope(ctx.viewer),  # what ``family_view`` asks, read with the events
        )

    return run(ctx, follow)


def class_events(ctx: Context, class_id: str, after: str | None) -> AsyncIterator[Delivery[models.OutboxEvent]]:
    """A class's stream, for the teachers of the class and its school's admins, until they no
    longer may follow it (the stream core's iterator, as ``diary_events``)."""

    async def follow() -> Follow[models.OutboxEvent]:
        floor = await start(ctx, OUTBOX, after)
        pk = pk_of(class_id, "SchoolClass")
        if pk is None or not await policy.followable_classes(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput(_("No such class among those you teach."), argument="classId")

        async def check(row: models.OutboxEvent, answer: frozenset[int] | None) -> Hashable | None:
            # Read with the events while it holds (one statement for the event and every teacher
            # it wakes: ``core._Batch``), asked on its own after that.
            follows = pk in answer if answer is not None else await policy.still_follows_class(ctx.viewer, pk)
            if not follows:
                return None
            if row.submission_id is not None and not await _sees_submission(ctx, row.submission_id):
                return SKIP  # handed-in work of another subject's or group's homework: not theirs
            return ("user", ctx.viewer.user_id)

        return Follow(
            OUTBOX,
            (class_topic(pk),),
            Q(school_class_id=pk),
            floor,
            check,
            ends=True,
            asks=lambda: policy.followed_class(ctx.viewer, pk),  # what ``still_follows_class`` asks
        )

    return run(ctx, follow)
