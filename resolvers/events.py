"""Diary events for subscriptions: replay from the outbox by cursor, then live, each event
re-authorized against the policy as it is delivered.

Ordering and duplicates: outbox ids grow, but two transactions may commit in the other
order than they took their ids. On every wake-up the stream re-reads the outbox a little
behind the last id it delivered (``LOOKBACK``) and skips ids it already sent, so a late
commit is still delivered (possibly after a higher id) and nothing is delivered twice."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections import deque
from collections.abc import AsyncIterator
from datetime import timedelta

import models
from pubsub import events
from pubsub.broker import Broker, BrokerUnavailable
from pubsub.topics import student_topic
from resolvers import policy
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import BadUserInput, StreamInterrupted, Unauthenticated
from resolvers.ids import pk_of
from resolvers.loaders import Loaders

log = logging.getLogger(__name__)

LOOKBACK = 50
BATCH = 200
_CURSOR_PREFIX = "outbox:"


def encode_cursor(event_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{event_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    if not raw.startswith(_CURSOR_PREFIX) or not raw[len(_CURSOR_PREFIX) :].isdigit():
        return None
    return int(raw[len(_CURSOR_PREFIX) :])


async def _subscribed_students(ctx: Context, student_id: str | None) -> tuple[list[int], bool]:
    """The students to follow, and whether one was named explicitly."""
    if student_id is not None:
        pk = pk_of(student_id, "Student")
        visible = pk is not None and await policy.visible_students(ctx.viewer).filter(id=pk).exists()
        if not visible or pk is None:
            raise BadUserInput("No such student.", argument="studentId")
        return [pk], True
    uid = ctx.viewer.user_id
    family = (
        await policy.visible_students(ctx.viewer)
        .filter(guardianships__guardian_id=uid, guardianships__revoked_at__isnull=True)
        .only("id")
    )
    own = await models.Student.filter(user_id=uid).only("id")
    ids = sorted({s.id for s in [*family, *own]})
    if not ids:
        raise BadUserInput("You have no children to follow; pass `studentId`.", argument="studentId")
    return ids, False


async def diary_events(ctx: Context, student_id: str | None, after: str | None) -> AsyncIterator[models.OutboxEvent]:
    if ctx.viewer.user_id is None:
        raise Unauthenticated("Log in first.")
    ids, explicit = await _subscribed_students(ctx, student_id)
    newest = await models.OutboxEvent.all().order_by("-id").first()
    newest_id = newest.id if newest else 0
    if after is not None:
        last = decode_cursor(after)
        if last is None or last > newest_id:
            raise BadUserInput(
                "Unknown cursor: refetch the diary and subscribe without `after`.", reason="CURSOR_INVALID"
            )
    else:
        last = newest_id
    floor = last  # never deliver what the client already had (or what predates the subscription)
    subscription = await ctx.broker.subscribe(*(student_topic(i) for i in ids))
    sent: deque[int] = deque(maxlen=LOOKBACK * 4)
    try:
        while True:
            since = max(floor, last - LOOKBACK)
            rows = await models.OutboxEvent.filter(student_id__in=ids, id__gt=since).order_by("id").limit(BATCH)
            fresh = [r for r in rows if r.id not in sent and (r.id > last or _recent(r))]
            for row in fresh:
                sent.append(row.id)
                last = max(last, row.id)
                if not await policy.visible_students(ctx.viewer).filter(id=row.student_id).exists():
                    if explicit:
                        return  # the only student followed is no longer visible: end the stream
                    continue
                ctx.loaders = Loaders(ctx.viewer)  # fresh per event: no cache outlives an event
                yield row
            if len(rows) == BATCH:
                continue
            await _next_message(subscription)
    except BrokerUnavailable:
        raise StreamInterrupted() from None
    finally:
        await subscription.aclose()


def _recent(row: models.OutboxEvent) -> bool:
    """A row below the high-water mark is only a late commit if it is young."""
    return row.occurred_at >= now_utc() - timedelta(minutes=1)


async def _next_message(subscription: AsyncIterator[str]) -> None:
    """Wait until a message announces something possibly new."""
    async for message in subscription:
        decoded = events.decode(message)
        if decoded is not None:
            return
    raise BrokerUnavailable("subscription ended")


async def relay_pending(broker: Broker, older_than: timedelta = timedelta(seconds=2)) -> int:
    """Publish outbox rows that were committed but never published (the process died after
    the commit, or the broker was down). Subscribers skip ids they already delivered."""
    cutoff = now_utc() - older_than
    rows = await models.OutboxEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff).order_by("id").limit(500)
    published = []
    for row in rows:
        try:
            await broker.publish(events.topic_for(row.student_id), events.encode(row.id, row.kind))
        except BrokerUnavailable:
            break
        published.append(row.id)
    if published:
        await models.OutboxEvent.filter(id__in=published).update(published_at=now_utc())
    return len(published)


async def run_relay(broker: Broker, interval: float = 1.0) -> None:
    """Forever, in the background of every server process."""
    while True:
        try:
            count = await relay_pending(broker)
        except Exception:  # the database may be briefly unreachable: try again next round
            log.exception("outbox relay failed")
        else:
            if count:
                log.info("outbox relay published %d event(s)", count)
        await asyncio.sleep(interval)
