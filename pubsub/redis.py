"""The Redis broker: several server processes share events through Redis pub/sub.

Each process holds ONE pub/sub connection, whatever the number of topics and local
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
import logging
import time
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.connection import Connection
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from pubsub.broker import BrokerUnavailable, Fanout, Inbox, Reconnected, Reconnection, Subscription

log = logging.getLogger(__name__)


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
