"""Diary events for subscriptions: replay from the outbox by cursor, then live, each event
re-authorized against the policy as it is delivered.

Ordering and duplicates: outbox ids grow, but two transactions may commit in the other
order than they took their ids. On every wake-up the stream re-reads the outbox a little
behind the last id it delivered (``LOOKBACK``) and skips ids it already sent, so a late
commit is still delivered (possibly after a higher id) and nothing is delivered twice."""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import timedelta

from tortoise.expressions import Q

import models
from pubsub import events
from pubsub.broker import BrokerUnavailable, Inbox, SlowConsumer, Subscription
from pubsub.topics import class_topic, student_topic
from resolvers import live, metrics, pages, policy
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import BadUserInput, StreamInterrupted
from resolvers.ids import pk_of
from resolvers.loaders import Loaders

log = logging.getLogger(__name__)

LOOKBACK = 50
BATCH = 200


def encode_cursor(event_id: int) -> str:
    return pages.encode("outbox", event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode("outbox", cursor)


async def _subscribed_students(ctx: Context, student_id: str | None) -> tuple[list[int], bool]:
    """The students to follow, and whether one was named explicitly."""
    if student_id is not None:
        pk = pk_of(student_id, "Student")
        if pk is None or not await policy.visible_students(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput("No such student.", argument="studentId")
        return [pk], True
    family = await policy.children(ctx.viewer).only("id")
    own = await models.Student.filter(user_id=ctx.viewer.user_id).only("id")
    ids = sorted({s.id for s in [*family, *own]})
    if not ids:
        raise BadUserInput("You have no children to follow; pass `studentId`.", argument="studentId")
    return ids, False


async def _start(ctx: Context, after: str | None) -> int:
    """The cursor to start after: the client's, or the newest event (live only)."""
    newest = await models.OutboxEvent.all().order_by("-id").first()
    newest_id = newest.id if newest else 0
    if after is None:
        return newest_id
    last = decode_cursor(after)
    if last is None or last > newest_id:
        raise BadUserInput("Unknown cursor: refetch the diary and subscribe without `after`.", reason="CURSOR_INVALID")
    return last


@dataclass(frozen=True)
class Delivery:
    """An event to deliver, with who may share its rendering: subscribers whose ``share``
    keys are equal see the same data, so the payload is computed once for all of them."""

    row: models.OutboxEvent
    share: Hashable


@dataclass(frozen=True)
class Follow:
    """What a stream follows: broker ``topics``, the outbox rows that are ``mine``, the cursor
    to start after, and the policy check of each row (``live.Allowed``)."""

    topics: list[str]
    mine: Q
    floor: int
    allowed: live.Allowed


async def diary_events(ctx: Context, student_id: str | None, after: str | None) -> AsyncIterator[Delivery]:
    """A family's stream: one named student, or all of the viewer's children (and themself)."""

    async def follow() -> Follow:
        last = await _start(ctx, after)
        ids, explicit = await _subscribed_students(ctx, student_id)

        async def allowed(row: models.OutboxEvent) -> Hashable | bool | None:
            # Both checks see nothing once the viewer is deactivated or reset (``policy.live``).
            family = await policy.family_view(ctx.viewer)
            if family is not None:
                visible = row.student_id in family
            else:
                scope = policy.live(policy.visible_students(ctx.viewer), ctx.viewer)
                visible = await scope.filter(id=row.student_id).exists()
            if not visible:
                # The one student followed is gone, or the account is deactivated or reset: the
                # stream ends. One child of several gone: its events are skipped.
                return None if explicit or not await policy.in_good_standing(ctx.viewer) else False
            return ("family", family) if family is not None else ("user", ctx.viewer.user_id)

        return Follow([student_topic(i) for i in ids], Q(student_id__in=ids), last, allowed)

    async for delivery in _stream(ctx, follow):
        yield delivery


async def class_events(ctx: Context, class_id: str, after: str | None) -> AsyncIterator[Delivery]:
    """A class's stream, for the teachers of the class and its school's admins."""

    async def follow() -> Follow:
        last = await _start(ctx, after)
        pk = pk_of(class_id, "SchoolClass")
        if pk is None or not await policy.followable_classes(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput("No such class among those you teach.", argument="classId")

        async def allowed(row: models.OutboxEvent) -> Hashable | bool | None:
            if not await policy.still_follows_class(ctx.viewer, pk):
                return None
            return ("user", ctx.viewer.user_id)

        return Follow([class_topic(pk)], Q(school_class_id=pk), last, allowed)

    async for delivery in _stream(ctx, follow):
        yield delivery


async def _stream(ctx: Context, follow: Callable[[], Awaitable[Follow]]) -> AsyncIterator[Delivery]:
    """Replay the outbox rows the stream follows after its cursor, then follow its topics.

    ``allowed`` re-checks the policy for each row: False skips, None ends the stream, any
    other value delivers, with that value as the viewer's share key. The broker subscription
    is taken before the first read, so nothing falls between.

    Run by a transport that parks (``resolvers/live.py``), the stream keeps its position in
    the operation's Subscriber, returns when it is idle (parked), and a later run continues
    from there without calling ``follow`` again."""
    subscriber = live.parking()
    if subscriber is None or not subscriber.following:
        subscriber = subscriber or live.Subscriber()
        start = await follow()
        subscriber.mine, subscriber.allowed = start.mine, start.allowed
        subscriber.floor = subscriber.last = start.floor
        subscriber.subscription = await subscribe(ctx, *start.topics, inbox=subscriber)
    can_park = subscriber is live.parking()
    mine, allowed = subscriber.mine, subscriber.allowed
    assert mine is not None
    assert allowed is not None
    try:
        while True:
            subscriber.arrived()  # what the read below covers (raises if the broker gave up)
            since = max(subscriber.floor, subscriber.last - LOOKBACK)
            rows = await models.OutboxEvent.filter(mine, id__gt=since).order_by("id").limit(BATCH)
            for row in rows:
                sent = subscriber.sent
                if (sent is not None and row.id in sent) or (row.id <= subscriber.last and not _recent(row)):
                    continue
                if not isinstance(sent, deque):
                    sent = subscriber.sent = deque(sent or (), maxlen=LOOKBACK * 4)
                sent.append(row.id)
                subscriber.last = max(subscriber.last, row.id)
                verdict = await allowed(row)
                if verdict is None:
                    return
                if verdict is not False:
                    ctx.loaders = Loaders(ctx.viewer)  # fresh per event: no cache outlives an event
                    metrics.EVENTS_DELIVERED.inc()
                    yield Delivery(row, (row.id, verdict))
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


async def subscribe(ctx: Context, *topics: str, inbox: Inbox | None = None) -> Subscription:
    """A stream's broker subscription. A broker that cannot be reached (a client subscribing
    again while Redis is down) is the same retryable interruption as one lost mid-stream, not
    an unexpected error that production would mask without a code."""
    try:
        return await ctx.broker.subscribe(*topics, inbox=inbox)
    except BrokerUnavailable:
        raise StreamInterrupted() from None


SLOW_CONSUMER_CLOSE = 1013  # RFC 6455 "Try Again Later"


async def disconnect_slow_consumer(ctx: Context) -> None:
    """A client that cannot keep up loses its whole connection with a clear close code (its
    other subscriptions share the same socket and are just as far behind). It reconnects and
    resumes each stream from its last cursor; nothing is lost, the outbox has it all."""
    close = getattr(ctx.request, "close", None)
    if close is not None:
        log.info("closing a slow subscriber's connection")
        with contextlib.suppress(RuntimeError):  # already closed
            await close(code=SLOW_CONSUMER_CLOSE, reason="Too slow: reconnect and resume with `after`.")


def _recent(row: models.OutboxEvent) -> bool:
    """A row below the high-water mark is only a late commit if it is young."""
    return row.occurred_at >= now_utc() - timedelta(minutes=1)


async def next_message(subscription: AsyncIterator[str]) -> None:
    """Wait until a message announces something possibly new."""
    async for message in subscription:
        if events.decode(message) is not None:
            return
    raise BrokerUnavailable("subscription ended")
