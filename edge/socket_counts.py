"""Open sockets per user, for the per-user cap (``EDIARY_MAX_SOCKETS_PER_USER``; README
"WebSocket sessions").

Two backends with one contract, as the rate limits (``edge/intake.py``):
``SocketCounts`` counts this process's sockets (without ``REDIS_URL`` there is one process);
``RedisSocketCounts`` shares the count among every process using the same Redis. Each process
keeps its own users' counts in a hash of its own (``<namespace>:sockets:<process>``: user id ->
open sockets) that expires ``TTL`` seconds after the process last renewed it (``refresh``, from
its session watcher every ``REFRESH_EVERY`` seconds), and names itself in a set
(``<namespace>:sockets``). A socket is admitted and counted in one Lua script: the user's sockets
summed over the processes whose hash still exists, against the cap, then its own HINCRBY. So a
process that crashed stops counting against anyone within ``TTL`` seconds.

Availability beats strictness here too: while Redis cannot be reached a socket is admitted on
this process's own count alone (and a warning logged); the hash is written again in full from
this process's counts at the next ``refresh``, which also repairs it after a Redis restart."""

from __future__ import annotations

import logging
import secrets

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

TTL = 30  # seconds a process's counts outlive its last refresh
REFRESH_EVERY = 10.0


class SocketCounts:
    """This process's open sockets per user."""

    def __init__(self) -> None:
        self.open: dict[int, int] = {}  # user id -> sockets open here

    async def acquire(self, user_id: int, limit: int) -> bool:
        """Count one more socket of the user, unless they have ``limit`` open already."""
        count = self.open.get(user_id, 0)
        if count >= limit:
            return False
        self.open[user_id] = count + 1
        return True

    async def release(self, user_id: int) -> None:
        """One socket of the user closed."""
        count = self.open.get(user_id, 0) - 1
        if count > 0:
            self.open[user_id] = count
        else:
            self.open.pop(user_id, None)

    async def refresh(self) -> None:
        """Keep shared counts alive (nothing to do for this process's own)."""


# KEYS[1]: the set of processes (their hashes are KEYS[1]:<name>), KEYS[2]: this process's hash.
# ARGV: user id, limit, this process's name, TTL. Returns 1 when admitted (and counted).
_ACQUIRE = """
local total = 0
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = KEYS[1] .. ':' .. name
  local count = redis.call('HGET', key, ARGV[1])
  if count then
    total = total + tonumber(count)
  elseif redis.call('EXISTS', key) == 0 then
    redis.call('SREM', KEYS[1], name)
  end
end
if total >= tonumber(ARGV[2]) then
  return 0
end
redis.call('SADD', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""

# KEYS[1]: this process's hash; ARGV[1]: user id.
_RELEASE = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class RedisSocketCounts(SocketCounts):
    """Counts shared through Redis (see the module's docstring), through the process's command
    client (its owner closes it)."""

    def __init__(self, client: aioredis.Redis, namespace: str = "ediary", ttl: int = TTL) -> None:
        super().__init__()
        self._client = client
        self._ttl = ttl
        self.name = secrets.token_hex(8)
        self._processes = f"{namespace}:sockets"
        self._own = f"{self._processes}:{self.name}"
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._stale = False  # Redis missed a change: write the hash again in full

    async def acquire(self, user_id: int, limit: int) -> bool:
        try:
            args: list[int | str] = [user_id, limit, self.name, self._ttl]
            admitted = await self._acquire(keys=[self._processes, self._own], args=args)
        except RedisError as exc:
            log.warning("socket cap counted in this process only, Redis unavailable: %s", exc)
            self._stale = True
            return await super().acquire(user_id, limit)
        if admitted:
            self.open[user_id] = self.open.get(user_id, 0) + 1
        return bool(admitted)

    async def release(self, user_id: int) -> None:
        await super().release(user_id)
        try:
            await self._release(keys=[self._own], args=[user_id])
        except RedisError:
            self._stale = True

    async def refresh(self) -> None:
        try:
            if not self._stale and (not self.open or await self._client.expire(self._own, self._ttl)):
                return
            # Redis lost our hash (restarted, or we could not renew it in time) or missed a change.
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(self._own)
                if self.open:
                    pipe.hset(self._own, mapping={str(u): n for u, n in self.open.items()})
                    pipe.expire(self._own, self._ttl)
                    pipe.sadd(self._processes, self.name)
                await pipe.execute()
            self._stale = False
        except RedisError as exc:
            log.warning("socket counts not renewed in Redis: %s", exc)
            self._stale = True


def make_socket_counts(redis: aioredis.Redis | None, namespace: str = "ediary") -> SocketCounts:
    return RedisSocketCounts(redis, namespace) if redis is not None else SocketCounts()
