"""The broker contract: publish a small message on a topic, subscribe to topics.

Messages are ids, never personal data (see ``pubsub/events.py``). Delivery is at most
once and only to subscribers connected at the time; durability comes from the outbox
in the database, which subscribers read by cursor. A broker tells (``watch``) when its
connection came back after a loss, when messages may have been lost, and shows its local
subscribers (``local``), so that the process can wake them to read the outbox again
(``resolvers/catchup.py``)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pubsub.broker import Fanout


class BrokerUnavailable(RuntimeError):
    """The broker cannot be reached, or a subscriber fell behind: a live stream must end
    with an error the client can retry on, never hang."""


class SlowConsumer(BrokerUnavailable):
    """The subscriber did not keep up: its bounded queue filled, so it was cut off rather
    than allowed to grow memory. The client should reconnect and resume with its cursor."""


FAILED = object()  # put into a subscriber's queue to end its stream with BrokerUnavailable
TOO_SLOW = object()  # put into a subscriber's queue to end its stream with SlowConsumer


class Inbox:
    """One subscriber's bounded queue of messages.

    Why not ``asyncio.Queue``: a process holds one per idle subscriber (10,000 and more), and
    a Queue carries three deques and an Event (about 3 KB) for features a single consumer
    never uses. This is a deque made on the first message and one waiter future."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: deque[object] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    def put_nowait(self, item: object) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def clear(self) -> None:
        if self._items:
            self._items.clear()

    def take(self) -> list[object]:
        """Everything queued, without waiting (the queue's deque is dropped with it)."""
        items, self._items = self._items, None
        return list(items) if items else []

    async def wait(self) -> None:
        """Until something is queued."""
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def get(self) -> object:
        await self.wait()
        assert self._items is not None
        item = self._items.popleft()
        if not self._items:
            self._items = None  # an empty deque is 600 bytes; most queues sit empty for hours
        return item


def message_of(item: object) -> str:
    """A queued item as a message; the markers end the stream (``SlowConsumer`` or
    ``BrokerUnavailable``)."""
    if item is TOO_SLOW:
        raise SlowConsumer("the subscriber fell too far behind")
    if item is FAILED:
        raise BrokerUnavailable("the event stream was interrupted (slow consumer or broker lost)")
    assert isinstance(item, str)
    return item


class Subscription:
    """Messages of the subscribed topics, in arrival order. In place as soon as
    ``Broker.subscribe`` returns: nothing published afterwards is missed."""

    __slots__ = ("_closed", "_on_close", "_queue")

    def __init__(self, queue: Inbox, on_close: Callable[[], Awaitable[None]]) -> None:
        self._queue = queue
        self._on_close = on_close
        self._closed = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> str:
        return message_of(await self._queue.get())

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await self._on_close()


@dataclass(frozen=True, slots=True)
class Reconnection:
    """A broker connection back after a loss: who re-established it (``library``: the Redis
    client's own retry, which re-subscribes without a word; ``broker``: the broker, on the
    first subscription after it gave the connection up) and for how long, at most, nothing
    was heard on it. Messages published meanwhile never arrived."""

    by: str
    seconds: float


Reconnected = Callable[[Reconnection], None]


class Broker(Protocol):
    @property
    def local(self) -> Fanout:
        """This process's subscribers, by topic."""

    def watch(self, reconnected: Reconnected | None) -> None:
        """Call ``reconnected`` (None: no one) each time the connection is back after a loss,
        once it listens to every topic again."""

    async def publish(self, topic: str, message: str) -> None:
        """Hand ``message`` to every current subscriber of ``topic``; ``BrokerUnavailable`` if
        the broker cannot be reached (the outbox relay publishes it later)."""

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """Publish ``(topic, message)`` pairs in order, in one round trip where the broker
        allows (one write reaching many students); ``BrokerUnavailable`` as ``publish``."""

    async def subscribe(self, *topics: str, inbox: Inbox | None = None) -> Subscription:
        """Subscribe to ``topics``, into ``inbox`` if given (a subscriber that is woken by its
        messages instead of waiting for them: ``resolvers/outbox.py``), else a new one. Close
        the result with ``aclose()``."""

    async def ping(self) -> bool:
        """True when the broker answers (``/readyz``)."""

    async def close(self) -> None:
        """Release connections; open subscriptions end with ``BrokerUnavailable``."""
