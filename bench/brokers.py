"""Benchmark 2 of ``bench.fanout``: one school-wide message to every subscriber, through our
broker (one Redis pub/sub connection per process, local fan-out to bounded queues) and through
the naive design (one Redis pub/sub connection per subscriber), in the same process, taking
turns round by round."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from pubsub.broker import PREFIX, RedisBroker

ROUND_TIMEOUT = 30.0


class Arm:
    """Subscribers of one topic that record when the current round's message reached them."""

    def __init__(self, name: str, topic: str) -> None:
        self.name = name
        self.topic = topic
        self.sent_at = 0.0
        self.arrivals: list[float] = []
        self.expected = 0
        self.complete = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def arrived(self) -> None:
        self.arrivals.append(time.perf_counter() - self.sent_at)
        if len(self.arrivals) >= self.expected:
            self.complete.set()


async def _ours(arm: Arm, broker: RedisBroker, count: int) -> Callable[[], Awaitable[None]]:
    """``count`` more local subscribers of ``arm.topic``, each a task reading its queue, as
    a subscription's task does in the server."""
    subscriptions = [await broker.subscribe(arm.topic) for _ in range(count)]

    async def read(subscription: Any) -> None:
        async for _message in subscription:
            arm.arrived()

    arm.tasks += [asyncio.create_task(read(s)) for s in subscriptions]

    async def close() -> None:
        for s in subscriptions:
            await s.aclose()

    return close


async def _naive(arm: Arm, url: str, count: int, concurrency: int = 100) -> Callable[[], Awaitable[None]]:
    """``count`` more subscribers, each with its own Redis connection and reader task."""
    gate = asyncio.Semaphore(concurrency)
    clients: list[Any] = []

    async def one() -> None:
        async with gate:
            client = aioredis.Redis.from_url(url, decode_responses=True)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            await pubsub.subscribe(arm.topic)
            clients.append((client, pubsub))

            async def read() -> None:
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if message is not None and message.get("type") == "message":
                        arm.arrived()

            arm.tasks.append(asyncio.create_task(read()))

    await asyncio.gather(*(one() for _ in range(count)))

    async def close() -> None:
        for client, pubsub in clients:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            with contextlib.suppress(Exception):
                await client.aclose()

    return close


async def _round(arm: Arm, publisher: Any, subscribers: int) -> list[float]:
    arm.arrivals = []
    arm.expected = subscribers
    arm.complete.clear()
    await asyncio.sleep(0.2)  # let the previous round's work drain
    # No garbage collection while timing: a full collection in this process, with thousands
    # of Redis clients alive, takes hundreds of milliseconds and would land on either arm.
    gc.collect()
    gc.disable()
    try:
        arm.sent_at = time.perf_counter()
        await publisher.publish(arm.topic, "school-wide")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arm.complete.wait(), ROUND_TIMEOUT)
    finally:
        gc.enable()
    if len(arm.arrivals) < subscribers:
        raise RuntimeError(f"{arm.name}: {len(arm.arrivals)} of {subscribers} subscribers got the message")
    return [a * 1000 for a in arm.arrivals]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@contextlib.asynccontextmanager
async def _arms(url: str) -> AsyncIterator[tuple[Arm, Arm, RedisBroker, Any]]:
    run = secrets.token_hex(3)
    ours, naive = Arm("ours", f"{PREFIX}:bench:{run}:ours"), Arm("naive", f"{PREFIX}:bench:{run}:naive")
    broker = RedisBroker(url)
    publisher = aioredis.Redis.from_url(url, decode_responses=True)
    try:
        yield ours, naive, broker, publisher
    finally:
        for task in ours.tasks + naive.tasks:
            task.cancel()
        await asyncio.gather(*ours.tasks, *naive.tasks, return_exceptions=True)
        await broker.close()
        await publisher.aclose()


async def measure(url: str, sizes: list[int], rounds: int) -> list[dict[str, Any]]:
    """p50/p99 over subscribers of the time from PUBLISH to each subscriber having the message,
    per round; the figures are medians over rounds, the ratio is taken per round."""
    results = []
    async with _arms(url) as (ours, naive, broker, publisher):
        closers: list[Callable[[], Awaitable[None]]] = []
        have = 0
        try:
            for size in sorted(sizes):
                closers.append(await _ours(ours, broker, size - have))
                closers.append(await _naive(naive, url, size - have))
                have = size
                for _ in range(2):  # warm both paths
                    await _round(ours, publisher, size)
                    await _round(naive, publisher, size)
                figures: dict[str, dict[str, list[float]]] = {
                    arm.name: {"p50": [], "p99": [], "last": []} for arm in (ours, naive)
                }
                for number in range(rounds):
                    order = (ours, naive) if number % 2 == 0 else (naive, ours)
                    for arm in order:
                        latencies = await _round(arm, publisher, size)
                        figures[arm.name]["p50"].append(percentile(latencies, 0.50))
                        figures[arm.name]["p99"].append(percentile(latencies, 0.99))
                        figures[arm.name]["last"].append(max(latencies))
                ratios = [o / n for o, n in zip(figures["ours"]["p99"], figures["naive"]["p99"], strict=True)]
                results.append({"subscribers": size, "rounds": rounds, **figures, "ratio_p99": ratios})
        finally:
            for close in closers:
                await close()
    return results
