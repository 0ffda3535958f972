"""Open sockets per user (``edge/socket_counts.py``), for the per-user cap: each process's
own count, and with Redis one count shared by every process, from which a process that died
drops out and which a process rebuilds after Redis lost it. The cap over real sockets is
tested in ``tests/access/test_access_ends_sockets.py`` and ``tests/access/test_access_ends_across_processes.py``."""

from __future__ import annotations

import asyncio
import os
import secrets

import pytest

from edge.socket_counts import RedisSocketCounts, SocketCounts
from pubsub.broker import connect

REDIS = os.environ.get("TEST_REDIS_URL")


async def test_a_process_counts_its_own_sockets() -> None:
    counts = SocketCounts()
    assert await counts.acquire(1, 2)
    assert await counts.acquire(1, 2)
    assert not await counts.acquire(1, 2)
    assert await counts.acquire(2, 2)  # another user
    await counts.release(1)
    assert await counts.acquire(1, 2)


@pytest.mark.skipif(not REDIS, reason="needs Redis")
async def test_processes_share_the_count_and_a_dead_one_drops_out() -> None:
    assert REDIS
    client = connect(REDIS)
    namespace = f"test-{secrets.token_hex(4)}"
    one, two = RedisSocketCounts(client, namespace, ttl=1), RedisSocketCounts(client, namespace, ttl=1)
    try:
        assert await one.acquire(7, 3)
        assert await one.acquire(7, 3)
        assert await two.acquire(7, 3)
        assert not await two.acquire(7, 3)
        assert not await one.acquire(7, 3)
        await one.release(7)
        assert await two.acquire(7, 3)  # one's release counts for everyone
        # One stops renewing its counts (its process died): within its TTL they stop counting.
        await asyncio.sleep(1.2)
        await two.refresh()
        assert await two.acquire(7, 3)
        assert not await two.acquire(7, 3)  # two's own three
    finally:
        await client.aclose()


@pytest.mark.skipif(not REDIS, reason="needs Redis")
async def test_a_process_writes_its_counts_again_after_redis_lost_them() -> None:
    assert REDIS
    client = connect(REDIS)
    namespace = f"test-{secrets.token_hex(4)}"
    one, other = RedisSocketCounts(client, namespace), RedisSocketCounts(client, namespace)
    try:
        assert await one.acquire(7, 2)
        assert await one.acquire(7, 2)
        await client.delete(*[key async for key in client.scan_iter(f"{namespace}:*")])  # Redis restarted
        assert await other.acquire(7, 2)  # the loss is seen...
        await other.release(7)
        await one.refresh()  # ...until one's next refresh
        assert not await other.acquire(7, 2)
    finally:
        await client.aclose()


async def test_an_unreachable_redis_counts_in_the_process() -> None:
    client = connect("redis://127.0.0.1:9/0")
    counts = RedisSocketCounts(client)
    try:
        assert await counts.acquire(1, 1)
        assert not await counts.acquire(1, 1)
        await counts.release(1)
        assert await counts.acquire(1, 1)
        await counts.refresh()  # nothing to renew it in: no error either
    finally:
        await client.aclose()
