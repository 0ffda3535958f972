"""The diary's streams, ``diaryEvents`` and ``classEvents``: what each follows and its policy
for an event. The stream core (``resolvers/streams.py``) replays them from the outbox by cursor,
then live, and asks that policy as each event is delivered.

Below them, the publishing side: the outbox published after commit, its relay and its gauges."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable, Sequence
from datetime import timedelta

from tortoise.expressions import Q

import models
from pubsub import events
from pubsub.broker import Broker, BrokerUnavailable
from pubsub.topics import class_topic, student_topic
from resolvers import faults, metrics, pages, policy, streams
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.errors import BadUserInput
from resolvers.ids import pk_of

log = logging.getLogger(__name__)

OUTBOX = streams.Source(models.OutboxEvent, "outbox", "occurred_at", "the diary")


def encode_cursor(event_id: int) -> str:
    return pages.encode(OUTBOX.cursor, event_id)


def decode_cursor(cursor: str) -> int | None:
    return pages.decode(OUTBOX.cursor, cursor)


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


async def diary_events(
    ctx: Context, student_id: str | None, after: str | None
) -> AsyncIterator[streams.Delivery[models.OutboxEvent]]:
    """A family's stream: one named student, or all of the viewer's children (and themself).
    The one student followed out of sight ends it; one child of several is skipped."""

    async def follow() -> streams.Follow[models.OutboxEvent]:
        floor = await streams.start(ctx, OUTBOX, after)
        ids, explicit = await _subscribed_students(ctx, student_id)

        async def check(row: models.OutboxEvent) -> Hashable | None:
            # Both see nothing once the viewer is deactivated or reset (``policy.live``).
            family = await policy.family_view(ctx.viewer)
            if family is not None:
                return ("family", family) if row.student_id in family else None
            scope = policy.live(policy.visible_students(ctx.viewer), ctx.viewer)
            return ("user", ctx.viewer.user_id) if await scope.filter(id=row.student_id).exists() else None

        topics = tuple(student_topic(i) for i in ids)
        return streams.Follow(OUTBOX, topics, Q(student_id__in=ids), floor, check, ends=explicit)

    async for delivery in streams.run(ctx, follow):
        yield delivery


async def class_events(
    ctx: Context, class_id: str, after: str | None
) -> AsyncIterator[streams.Delivery[models.OutboxEvent]]:
    """A class's stream, for the teachers of the class and its school's admins, until they no
    longer may follow it."""

    async def follow() -> streams.Follow[models.OutboxEvent]:
        floor = await streams.start(ctx, OUTBOX, after)
        pk = pk_of(class_id, "SchoolClass")
        if pk is None or not await policy.followable_classes(ctx.viewer).filter(id=pk).exists():
            raise BadUserInput("No such class among those you teach.", argument="classId")

        async def check(row: models.OutboxEvent) -> Hashable | None:
            return ("user", ctx.viewer.user_id) if await policy.still_follows_class(ctx.viewer, pk) else None

        return streams.Follow(OUTBOX, (class_topic(pk),), Q(school_class_id=pk), floor, check, ends=True)

    async for delivery in streams.run(ctx, follow):
        yield delivery


async def _mark_published(event_ids: list[int]) -> None:
    await models.OutboxEvent.filter(id__in=event_ids, published_at__isnull=True).update(published_at=now_utc())


async def publish_outbox_event(broker: Broker, event: models.OutboxEvent) -> None:
    """After commit. A broker failure leaves the row unpublished for the relay; it never fails
    the write the user already made."""
    await publish_outbox_events(broker, [event])


async def publish_outbox_events(broker: Broker, rows: Sequence[models.OutboxEvent]) -> int:
    """After commit, for one write that reaches many students (a class's grades, homework for
    a class), and for the relay: every message in one broker round trip, then one UPDATE
    marking them published. On a broker failure the rows stay for the relay. Returns how
    many were published."""
    if not rows:
        return 0
    faults.after_commit()  # the crash test's hook (EDIARY_FAULT), off by default
    return await _publish(broker, rows)


async def _publish(broker: Broker, rows: Sequence[models.OutboxEvent]) -> int:
    messages = events.batch_messages([(r.id, r.kind, r.student_id, r.school_class_id) for r in rows])
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable, %d event(s) left for the outbox relay", len(rows))
        return 0
    metrics.EVENTS_PUBLISHED.inc(len(rows))
    await _mark_published([r.id for r in rows])
    return len(rows)


async def relay_pending(broker: Broker, older_than: timedelta = timedelta(seconds=2)) -> int:
    """Publish outbox rows that were committed but never published (the process died after
    the commit, or the broker was down). Subscribers skip ids they already delivered."""
    cutoff = now_utc() - older_than
    rows = await models.OutboxEvent.filter(published_at__isnull=True, occurred_at__lt=cutoff).order_by("id").limit(500)
    return await _publish(broker, rows) if rows else 0


async def sample_outbox() -> None:
    """Set the outbox gauges (``/metrics``): how many events wait to be published and how old
    the oldest one is. Both read only the unpublished rows (index ``published_at, id``): few,
    unless the broker is down."""
    pending = models.OutboxEvent.filter(published_at__isnull=True)
    oldest = await pending.order_by("occurred_at").only("id", "occurred_at").first()
    count = await pending.count() if oldest is not None else 0
    lag = (now_utc() - oldest.occurred_at).total_seconds() if oldest is not None else 0.0
    metrics.OUTBOX_PENDING.set(count)
    metrics.OUTBOX_LAG.set(max(lag, 0.0))


async def run_relay(broker: Broker, interval: float = 1.0, sample_every: int = 5) -> None:
    """Forever, in the background of every server process: the diary outbox and the chat one;
    every ``sample_every`` rounds it also samples the outbox gauges (after publishing, so the
    lag is what the relay left)."""
    # Imported here: resolvers.chat_events builds its stream on this module's helpers.
    from resolvers.chat_events import relay_pending as relay_chat_events

    rounds = 0
    while True:
        try:
            count = await relay_pending(broker) + await relay_chat_events(broker)
            if rounds % sample_every == 0:
                await sample_outbox()
        except Exception:  # the database may be briefly unreachable: try again next round
            log.exception("outbox relay failed")
        else:
            if count:
                log.info("outbox relay published %d event(s)", count)
        rounds += 1
        await asyncio.sleep(interval)
