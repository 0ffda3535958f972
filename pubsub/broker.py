"""The broker: what goes on the wire, the contract, and its two backends.

- **Topics and event messages**: the topics' names are built only here, never with ad-hoc
  f-strings elsewhere; a message is ids only, never personal data. ``EventKind`` declares
  every diary event kind. A subscriber reloads the event's objects through fresh loaders and
  re-checks the policy.
- **The contract** (``Broker``): publish a small message on a topic, subscribe to topics.
  Delivery is at most once and only to subscribers connected at the time; durability comes
  from the outbox in the database, which subscribers read by cursor. A broker tells
  (``watch``) when its connection came back after a loss, when messages may have been lost,
  and shows its local subscribers (``local``), so that the process can wake them to read the
  outbox again (``resolvers/catchup.py``).
- **Local fan-out and the in-memory broker** (``Fanout``, ``MemoryBroker``): one process, no
  services; the default without ``REDIS_URL``.
- **The Redis broker** (``RedisBroker``): several server processes share events through Redis
  pub/sub.

Each process holds ONE Redis pub/sub connection, whatever the number of topics and local
subscribers: the first local subscriber of a topic SUBSCRIBEs it, the last one to leave
UNSUBSCRIBEs, and a single reader task fans messages out to bounded local queues.

The client's retry (``connect``) also serves the pub/sub connection: when Redis restarts
within a second or so, reading fails, the client reconnects and SUBSCRIBEs again by itself,
and the reader never sees an error, while whatever was published in between is gone. The
broker hears of it through the client's reconnection callback (``_PubSub.on_connect``) and
tells its watcher (``Broker.watch``), which at once wakes the local subscribers behind what was
committed meanwhile (``resolvers/catchup.py``). A loss the retry does not cover ends every
local subscription with ``BrokerUnavailable``; the next subscription opens a new connection,
which is told the same way.

Redis pub/sub channels belong to the whole server, not to the database the URL names, so each
topic's channel is prefixed with that database's number (``3:grades:school:1`` for
``redis://host/3``): two deployments, or two test runs, sharing one Redis on different
databases never hear each other's events.

Commands (PUBLISH, and whatever else the process keeps in Redis: rate-limit counters,
persisted queries) share one client, ``RedisBroker.client``, whose pool opens a second
connection only while two commands are in flight at once. Every connection carries the
client name given here, so ``CLIENT LIST`` tells which process holds it."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# Topics and event messages -----------------------------------------------------------------------

PREFIX = "ediary"


def student_topic(student_id: int) -> str:
    """Diary events of one student (grades, attendance, homework)."""
    return f"{PREFIX}:student:{student_id}"


def class_topic(class_id: int) -> str:
    """Events of a whole class (homework, lessons) for its teachers."""
    return f"{PREFIX}:class:{class_id}"


def user_topic(user_id: int) -> str:
    """A user's own inbox: a wake-up for each new notification."""
    return f"{PREFIX}:user:{user_id}"


def user_chats_topic(user_id: int) -> str:
    """Chat events of every chat one user is in (one topic per person, not per chat: a
    subscriber need not resubscribe when they join or leave a chat)."""
    return f"{PREFIX}:chats:user:{user_id}"


def sessions_ended_topic() -> str:
    """Ids of sessions that just ended (logout, revoked, password changed or reset, account
    deactivated): every process closes their sockets (``resolvers/sessions.py``)."""
    return f"{PREFIX}:sessions:ended"


class EventKind(StrEnum):
    """What happened in a diary: the ``kind`` of an outbox row and of its message.

    The one declaration of each diary event kind, with all that is said of it: its
    description (the GraphQL enum ``DiaryEventKind`` is this enum, ``schema/subscription.py``)
    and what it tells the child's family (``notify``: the name of the notification category
    it notifies in, ``models.NotificationCategory``, read by ``resolvers/notifier.py``; ``None``
    for a kind that notifies nobody). tests/notices/test_event_kinds.py holds the rest to it."""

    description: str
    notify: str | None

    def __new__(cls, value: str, description: str, notify: str | None = None) -> EventKind:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        member.notify = notify
        return member

    GRADE_ADDED = ("GRADE_ADDED", "A grade was given.", "GRADES")
    GRADE_CHANGED = ("GRADE_CHANGED", "A grade was corrected.", "GRADES")
    GRADE_REMOVED = ("GRADE_REMOVED", "A grade was removed.", None)
    ATTENDANCE_MARKED = ("ATTENDANCE_MARKED", "Attendance was marked.", "ABSENCES")
    HOMEWORK_ASSIGNED = ("HOMEWORK_ASSIGNED", "Homework was assigned.", "HOMEWORK")
    HOMEWORK_CHANGED = ("HOMEWORK_CHANGED", "Homework was changed or moved.", None)
    HOMEWORK_REMOVED = ("HOMEWORK_REMOVED", "Homework was removed: drop it (`homework.removed` is true).", None)
    REMARK_ADDED = ("REMARK_ADDED", "A teacher wrote a remark.", "REMARKS")
    TERM_GRADE_SET = ("TERM_GRADE_SET", "A final grade for a term or the year was set or changed.", "GRADES")
    LESSON_CANCELLED = ("LESSON_CANCELLED", "The school cancelled a lesson (`lesson.cancelReason` says why).", None)
    LESSON_RESTORED = ("LESSON_RESTORED", "A cancelled lesson takes place after all.", None)
    LESSON_SUBSTITUTED = ("LESSON_SUBSTITUTED", "Another teacher gives a lesson, or the planned one again.", None)
    LESSON_TOPIC_SET = ("LESSON_TOPIC_SET", "A lesson's topic was set or changed (`lesson.topic`).", None)
    ASSESSMENT_PLANNED = (
        "ASSESSMENT_PLANNED",
        "A teacher announced an assessment (a test, a control work...) for a lesson (`lesson.assessment`).",
        None,
    )
    ASSESSMENT_CHANGED = ("ASSESSMENT_CHANGED", "An announced assessment's kind or description changed.", None)
    ASSESSMENT_CANCELLED = (
        "ASSESSMENT_CANCELLED",
        "An announced assessment was called off: drop it (`lesson.assessment` is null).",
        None,
    )
    SUBMISSION_HANDED_IN = (
        "SUBMISSION_HANDED_IN",
        "A student handed work in for homework, or handed it in again (`submission.status`: SUBMITTED or LATE).",
        None,
    )
    SUBMISSION_RETURNED = (
        "SUBMISSION_RETURNED",
        "A teacher returned handed-in work with a comment (`submission.returnComment`): it can be handed in again.",
        "HOMEWORK",
    )
    SUBMISSION_GRADED = (
        "SUBMISSION_GRADED",
        "A teacher graded handed-in work (`submission.grade`; the grade also comes as its own GRADE_ADDED).",
        None,
    )


@dataclass(frozen=True)
class EventMessage:
    event_id: int
    kind: str


def batch_messages(rows: Sequence[tuple[int, str, int, int | None]]) -> list[tuple[str, str]]:
    """The messages announcing events ``(event id, kind, student id, class id)`` written together:
    one per student topic, and one per class topic carrying the class's newest event.

    A message only wakes a subscriber, which then re-reads the outbox after its cursor, so
    a class's followers need one wake-up for the whole batch, not one per student."""
    messages = [(student_topic(student_id), encode(event_id, kind)) for event_id, kind, student_id, _c in rows]
    newest: dict[int, tuple[int, str]] = {}
    for event_id, kind, _s, class_id in rows:
        if class_id is not None and event_id >= newest.get(class_id, (0, ""))[0]:
            newest[class_id] = (event_id, kind)
    messages.extend((class_topic(c), encode(event_id, kind)) for c, (event_id, kind) in newest.items())
    return messages


def encode(event_id: int, kind: str) -> str:
    """A message announcing event ``event_id`` of ``kind``."""
    return json.dumps({"id": event_id, "kind": kind}, separators=(",", ":"))


def decode(message: str) -> EventMessage | None:
    try:
        data = json.loads(message)
        return EventMessage(int(data["id"]), str(data["kind"]))
    except (ValueError, KeyError, TypeError):
        return None


# A wake-up that announces no event in particular: the subscriber reads its outbox past its
# cursor (a catch-up after the broker may have lost messages: ``resolvers/catchup.py``).
WAKE_UP = encode(0, "WAKE_UP")


# The contract ------------------------------------------------------------------------------------


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


# Local fan-out and the in-memory broker ----------------------------------------------------------


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


# The Redis broker --------------------------------------------------------------------------------


def connect(url: str, name: str | None = None) -> aioredis.Redis:
    """A command client: a restarted Redis leaves stale pooled connections, so a command is
    retried on a fresh one; a Redis that stops answering fails a command after 2 s rather than
    holding the request that sent it. (Pub/sub reads pass their own timeout.)"""
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        client_name=name,
        health_check_interval=15,
        socket_connect_timeout=2,
        socket_timeout=2,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


class _PubSub(PubSub):
    """redis-py's PubSub, which tells the broker when the client's retry has reconnected it (and
    SUBSCRIBEd again). The callback runs on re-connections only: the first connection comes
    from the pool before the callback is registered (``PubSub.connect``)."""

    def __init__(self, broker: RedisBroker) -> None:
        super().__init__(broker.client.connection_pool, ignore_subscribe_messages=True)
        self._broker = broker

    async def on_connect(self, connection: Connection) -> None:
        await super().on_connect(connection)  # SUBSCRIBE again to every topic
        self._broker._reconnected("library")


class RedisBroker:
    def __init__(self, url: str, queue_size: int = 1000, name: str | None = None) -> None:
        self._client = connect(url, name)
        self._prefix = f"{self._client.connection_pool.connection_kwargs.get('db', 0)}:"
        self._fanout = Fanout(queue_size)
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False
        self._watcher: Reconnected | None = None
        self._heard = time.monotonic()  # the pub/sub connection last answered (a message or a quiet read)
        self._lost: float | None = None  # when the reader gave the connection up

    @property
    def client(self) -> aioredis.Redis:
        """The process's command client, for other Redis users to share (the broker closes it)."""
        return self._client

    @property
    def local(self) -> Fanout:
        return self._fanout

    def watch(self, reconnected: Reconnected | None) -> None:
        self._watcher = reconnected

    def _reconnected(self, by: str) -> None:
        since = self._lost if by == "broker" and self._lost is not None else self._heard
        self._lost, self._heard = None, time.monotonic()
        if self._watcher is not None:
            self._watcher(Reconnection(by, self._heard - since))

    async def publish(self, topic: str, message: str) -> None:
        try:
            await self._client.publish(self._prefix + topic, message)
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(str(exc)) from exc

    async def publish_many(self, messages: Sequence[tuple[str, str]]) -> None:
        """One pipelined round trip (not a transaction: each PUBLISH stands alone)."""
        if not messages:
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for topic, message in messages:
                    pipe.publish(self._prefix + topic, message)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(str(exc)) from exc

    async def subscribe(self, *topics: str, inbox: Inbox | None = None) -> Subscription:
        if self._closed:
            raise BrokerUnavailable("broker closed")
        queue = self._fanout.add(topics, inbox)
        new = [t for t in topics if self._fanout.count(t) == 1]
        async with self._lock:
            created = self._pubsub is None
            if created:
                self._pubsub = _PubSub(self)
            try:
                if new:
                    await self._pubsub.subscribe(*(self._prefix + t for t in new))
            except (RedisError, OSError) as exc:
                self._fanout.remove(topics, queue)
                if created:  # never connected: the next subscription starts afresh
                    pubsub, self._pubsub = self._pubsub, None
                    with contextlib.suppress(RedisError, OSError):
                        await pubsub.aclose()
                raise BrokerUnavailable(str(exc)) from exc
            if created and self._lost is not None:
                self._reconnected("broker")  # the first connection since the reader lost one
            if self._reader is None or self._reader.done():
                # The process's reader, not the subscribing request's (its logs carry no request id).
                reader = self._read()
                self._reader = asyncio.create_task(reader, name="redis-pubsub-reader", context=contextvars.Context())

        async def close() -> None:
            idle = self._fanout.remove(topics, queue)
            if idle and not self._closed:
                async with self._lock:
                    if self._pubsub is not None:
                        with contextlib.suppress(RedisError, OSError):
                            await self._pubsub.unsubscribe(*(self._prefix + t for t in idle))

        return Subscription(queue, close)

    async def _read(self) -> None:
        """The one reader: dispatches every message. A lost connection ends every local
        subscription with ``BrokerUnavailable``, so that clients see an error, not a hang."""
        try:
            while True:
                pubsub = self._pubsub
                if pubsub is None or not pubsub.subscribed:
                    self._heard = time.monotonic()  # nothing to hear
                    await asyncio.sleep(0.05)
                    continue
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                self._heard = time.monotonic()
                if message is not None and message.get("type") == "message":
                    channel = str(message["channel"])
                    if channel.startswith(self._prefix):
                        self._fanout.dispatch(channel[len(self._prefix) :], str(message["data"]))
        except (RedisError, OSError) as exc:
            log.warning("redis pub/sub connection lost: %s", exc)
            self._lost = self._heard
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
        self._fanout.fail_all()

    async def ping(self) -> bool:
        if self._closed:
            return False
        try:
            return bool(await self._client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._fanout.fail_all()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, RedisError, OSError):
                await self._reader
        if self._pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await self._pubsub.aclose()
        await self._client.aclose()
