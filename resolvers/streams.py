"""The one stream core of every subscription (``diaryEvents``, ``classEvents``, ``chatEvents``,
``notificationEvents``): start from a cursor, replay, go live, and ask one check before each
delivery. A stream supplies only what it follows (``Follow``); the schema maps each
``Delivery`` to its payload.

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

Run by a transport that parks (``resolvers/outbox.py``), a stream keeps its position in the
operation's Subscriber, returns when it is idle (parked), and a later run continues from there
without asking the stream what it follows again."""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import ValuesQuery

from edge import metrics
from pubsub.broker import BrokerUnavailable, Inbox, SlowConsumer, Subscription
from resolvers import core, outbox, pages, policy
from resolvers.core import _, largest_id, now_utc
from resolvers.errors import BadUserInput, StreamInterrupted
from resolvers.loaders import Loaders
from resolvers.sessions import Context

log = logging.getLogger(__name__)

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
# equal see the same data: ``schema/shared_execution.py``), or None when the viewer may not have it. It may
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
    subscriber = outbox.current()
    if subscriber is None or not subscriber.following:
        subscriber = subscriber or outbox.Subscriber()
        started = await follow()
        subscriber.read = Read.of(started)
        subscriber.last = started.floor
        subscriber.subscription = await subscribe(ctx, *started.topics, inbox=subscriber)
        # What the read and the subscription were made from is not needed again: a parked
        # subscriber keeps for hours only what later runs ask (``COMPILED``).
        subscriber.follow = replace(started, **COMPILED)
    can_park = subscriber is outbox.current()
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
                ctx.loaders = Loaders(ctx.viewer)  # fresh per event: no cache outlives an event
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
                    ctx.loaders = Loaders(ctx.viewer)  # the last event's cache goes now, not at the next
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
