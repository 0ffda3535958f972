"""Local fan-out, and the in-memory broker built on it (one process, no services): the
default without ``REDIS_URL``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from pubsub.broker import FAILED, TOO_SLOW, BrokerUnavailable, Inbox, Reconnected, Subscription


class Fanout:
    """Topic -> bounded local queues. A subscriber whose queue is full is cut off (its
    stream ends with ``BrokerUnavailable``) instead of growing memory without bound."""

    def __init__(self, queue_size: int) -> None:
        self.queue_size = queue_size
        self._queues: dict[str, set[Inbox]] = defaultdict(set)

    def add(self, topics: tuple[str, ...], inbox: Inbox | None = None) -> Inbox:
        queue = inbox if inbox is not None else Inbox()
        for topic in topics:
            self._queues[topic].add(queue)
        return queue

    def remove(self, topics: tuple[str, ...], queue: Inbox) -> list[str]:
        """Detach ``queue``; returns the topics that now have no local subscriber."""
        idle = []
        for topic in topics:
            queues = self._queues.get(topic)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._queues[topic]
                    idle.append(topic)
        return idle

    def count(self, topic: str) -> int:
        return len(self._queues.get(topic, ()))

    def topics(self) -> list[str]:
        return list(self._queues)

    def inboxes(self, topic: str) -> Collection[Inbox]:
        """The local queues subscribed to ``topic`` (do not change the result)."""
        return self._queues.get(topic, ())

    def dispatch(self, topic: str, message: str) -> None:
        for queue in list(self._queues.get(topic, ())):
            if queue.qsize() >= self.queue_size:
                self._fail(queue, TOO_SLOW)
            else:
                queue.put_nowait(message)

    def fail_topics(self, topics: list[str]) -> None:
        for topic in topics:
            for queue in list(self._queues.get(topic, ())):
                self._fail(queue)

    def fail_all(self) -> None:
        self.fail_topics(self.topics())

    def _fail(self, queue: Inbox, marker: object = FAILED) -> None:
        self.remove(tuple(self._queues), queue)
        queue.clear()
        queue.put_nowait(marker)


class MemoryBroker:
    def __init__(self, queue_size: int = 1000) -> None:
        self._fanout = Fanout(queue_size)
        self._closed = False

    @property
    def local(self) -> Fanout:
        return self._fanout

    def watch(self, reconnected: Reconnected | None) -> None:
        """Nothing to tell: there is no connection to lose."""

    async def publish(self, topic: str, message: str) -> None:
        if self._closed:
            raise BrokerUnavailable("broker closed")
        self._fanout.dispatch(topic, message)

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        if self._closed:
            raise BrokerUnavailable("broker closed")
        for topic, message in messages:
            self._fanout.dispatch(topic, message)

    async def subscribe(self, *topics: str, inbox: Inbox | None = None) -> Subscription:
        if self._closed:
            raise BrokerUnavailable("broker closed")
        queue = self._fanout.add(topics, inbox)

        async def close() -> None:
            self._fanout.remove(topics, queue)

        return Subscription(queue, close)

    async def ping(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        self._closed = True
        self._fanout.fail_all()
