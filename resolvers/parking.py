"""Idle subscriptions parked: no task and no generator chain of their own.

Why: a subscription that waits for its next event inside an async generator keeps a Task and
the whole chain alive while it waits (Strawberry's stream with its extensions and execution
context, graphql-core's subscribe and map iterator, our generators, their frames): most of an
idle parent's memory, and a parent may get one event a day.

How: the WebSocket handler (``schema/websocket.py``) runs each operation with a ``Subscriber``
in ``PARKING``. A stream (``resolvers/streams.py``, every subscription) keeps its position in it
(what it follows, the cursor, the ids already sent) and subscribes it to the broker as its
bounded queue.
When the stream has delivered everything and nothing is waiting, it marks the Subscriber
parked and returns instead of waiting; the handler then keeps the operation open, and the
finished run (task, generators, extensions) is freed. The first message to arrive wakes the
Subscriber: the handler runs the operation again, the stream continues from the Subscriber's
position (never from the client's ``after``), delivers, and parks again.

A stream does not wait a while for more before parking (that was tried: a run kept awake
across the collector's freeze, ``schema/websocket.py``, leaves its frames and generators as
cyclic garbage among frozen objects when it parks, and the process grew by 16 MB a minute
under 100 events a second).

Nothing falls between runs: the broker subscription stays in place all along, messages that
arrive while no run is going are counted in the queue (a full queue still means a slow
consumer), and a run parks only when its queue is empty after its last read of the outbox."""

from __future__ import annotations

import contextvars
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edge import metrics
from pubsub.broker import Inbox, Subscription, decode, message_of

if TYPE_CHECKING:
    from resolvers.outbox import Follow, Read


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
        self.follow: Follow[Any] | None = None  # what the stream follows (``resolvers/streams.py``)
        self.read: Read[Any] | None = None  # its read, compiled once
        self.last = 0  # the highest id delivered or skipped
        # Ids delivered lately (skipped when read again): a deque while a run goes, a tuple
        # of those the next read can still see while parked, None before the first event.
        self.sent: deque[int] | tuple[int, ...] | None = None
        # The operation's metrics (``schema/extensions.py``): its active-subscriptions gauge, its
        # request labels (name, kind) once parked, and whether any result carried errors.
        self.gauge: Any = None
        self.labels: tuple[str, str] | None = None
        self.errored = False
        # The operation's parsed document, kept by its first run when it parks: a resumed run
        # neither parses nor validates it again (``schema.DiarySchema.resume``).
        self.document: Any = None
        # What its executor was built from (``schema.shared_execution.Resumable``), kept by its
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
