"""Rate limits: fixed windows counted per key ("mutation:user:42", "login:address:10.0.0.7").

Two backends with one contract: ``MemoryLimiter`` counts in this process; ``RedisLimiter``
counts in Redis (one Lua script: INCRBY, EXPIRE on the first hit of a window, TTL; every bucket
of a request in one round trip), so every server process sharing ``REDIS_URL`` shares the
counts. A window starts at a key's first hit and lasts ``window`` seconds; ``retry_after`` is
what remains of it.

Availability beats strictness here: if Redis cannot be reached the request is let through
(and a warning logged), since refusing every mutation would be a worse outage than a flood.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from resolvers.codes import ErrorCode
from resolvers.core import Text, ngettext
from resolvers.errors import RateLimited

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends (0 when allowed)


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int, cost: int = 1) -> Decision:
        """Count ``cost`` hits on ``key``; refused once the window's count is over ``limit``."""

    async def hit_many(self, buckets: list[tuple[str, int]], window: int, cost: int = 1) -> list[Decision]:
        """``hit`` on every (key, limit) of ``buckets`` at once, decisions in their order."""

    async def close(self) -> None: ...


class MemoryLimiter:
    """One process's counts. Expired windows are dropped as new ones are counted."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (ends at, count)

    async def hit(self, key: str, limit: int, window: int, cost: int = 1) -> Decision:
        now = self._clock()
        ends, count = self._windows.get(key, (0.0, 0))
        if ends <= now:
            if len(self._windows) > 10_000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] > now}
            ends, count = now + window, 0
        count += cost
        self._windows[key] = (ends, count)
        allowed = count <= limit
        return Decision(allowed, count, limit, 0 if allowed else max(1, math.ceil(ends - now)))

    async def hit_many(self, buckets: list[tuple[str, int]], window: int, cost: int = 1) -> list[Decision]:
        return [await self.hit(key, limit, window, cost) for key, limit in buckets]

    async def close(self) -> None:
        self._windows.clear()


# KEYS: the counters; ARGV: cost, window. Returns {count, ttl} of each key, flattened.
_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCRBY', key, ARGV[1])
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  out[2 * i - 1], out[2 * i] = count, ttl
end
return out
"""


class RedisLimiter:
    """Counts shared by every process using the same Redis (keys under ``prefix``), through the
    process's command client (its owner closes it)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "ediary:ratelimit:") -> None:
        self._client = client
        self._script = self._client.register_script(_SCRIPT)
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window: int, cost: int = 1) -> Decision:
        return (await self.hit_many([(key, limit)], window, cost))[0]

    async def hit_many(self, buckets: list[tuple[str, int]], window: int, cost: int = 1) -> list[Decision]:
        """Every bucket in one round trip (a mutation counts in the user's and the address's)."""
        try:
            found = await self._script(keys=[self._prefix + key for key, _ in buckets], args=[cost, window])
        except RedisError as exc:
            log.warning("rate limit not checked, Redis unavailable: %s", exc)
            return [Decision(True, 0, limit, 0) for _, limit in buckets]
        decisions = []
        for (_, limit), count, ttl in zip(buckets, found[::2], found[1::2], strict=True):
            allowed = int(count) <= limit
            decisions.append(Decision(allowed, int(count), limit, 0 if allowed else max(1, int(ttl))))
        return decisions

    async def close(self) -> None:
        return None  # the client is shared: its owner closes it


def make_limiter(redis: aioredis.Redis | None, namespace: str = "ediary") -> Limiter:
    return RedisLimiter(redis, prefix=f"{namespace}:ratelimit:") if redis is not None else MemoryLimiter()


async def check(limiter: Limiter, buckets: list[tuple[str, int]], window: int, cost: int = 1) -> Decision | None:
    """Count a request in every bucket (key, limit; a limit of 0 is no limit) and return the
    refusal with the longest wait, or None when every bucket allows it."""
    refused: Decision | None = None
    counted = [(key, limit) for key, limit in buckets if limit > 0]
    for decision in await limiter.hit_many(counted, window, cost) if counted else []:
        if not decision.allowed and (refused is None or decision.retry_after > refused.retry_after):
            refused = decision
    return refused


async def attempt(limiter: Limiter | None, bucket: tuple[str, int], window: int, what: Text) -> None:
    """Count one attempt in ``bucket`` (key, limit); over the limit, RATE_LIMITED saying when to
    try again: "Too many ``what``. Try again in N seconds." (``what``: "login attempts from your
    address", in the catalogues). No limiter: no limit."""
    await attempt_all(limiter, [bucket], window, what)


async def attempt_all(limiter: Limiter | None, buckets: list[tuple[str, int]], window: int, what: Text) -> None:
    """``attempt`` counted in every one of ``buckets`` at once (``check``)."""
    if limiter is None:
        return
    refused = await check(limiter, buckets, window)
    if refused is not None:
        raise RateLimited(
            ngettext(
                "Too many {what}. Try again in {n} second.",
                "Too many {what}. Try again in {n} seconds.",
                refused.retry_after,
                what=what,
            ),
            ErrorCode.RATE_LIMITED,
            retry_after_seconds=refused.retry_after,
        )
