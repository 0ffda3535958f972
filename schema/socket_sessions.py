"""A socket is a session (README "WebSocket sessions").

A socket authenticated at ``connection_init`` is bound to the session its access token names
(``resolvers/sessions.py``) and closed:

- with **4403** when its access token expires: a timer per socket (``loop.call_at``, re-checked
  against the clock when it fires), and the check of each operation below. graphql-ws clients
  retry 4403: the app reconnects with a fresh token and resumes every stream by its cursor;
- with **4401** when its session ends (logout, password changed or reset, account deactivated,
  session revoked, a refresh token replayed). graphql-ws clients treat 4401 as fatal: the app
  signs the user out. The ending is announced on the broker after its commit
  (``sessions.announce``); one broker subscription per process (``SocketSessions.run``)
  closes the local sockets of the sessions named. Broker messages can be lost (Redis down), so
  the same task also reads the sessions ended lately every ``CHECK_EVERY`` seconds (one
  indexed statement per process, not per socket): a lost message costs at most that long.

Every operation sent over a bound socket (query, mutation, subscription) is admitted like an
HTTP request when it starts (``admit_operation``): the token unexpired, the session live and the
account read with it in one statement, the viewer's roles and account read afresh, in fresh
loaders. A token whose session already ended is refused at ``connection_init`` with 4401 too.

A user has at most ``EDIARY_MAX_SOCKETS_PER_USER`` sockets open at once, counted across the
processes sharing Redis (``resolvers/socket_counts.py``): one more is refused at
``connection_init`` with **4429** ("too many", fatal for graphql-ws clients: they do not retry it).

What a socket keeps for this is a ``Binding`` (five slots) and its timer: about 350 bytes."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from datetime import datetime, timedelta
from typing import Any

from strawberry.exceptions import ConnectionRejectionError

from pubsub.broker import Broker, BrokerUnavailable, Inbox, Subscription, message_of
from pubsub.topics import sessions_ended_topic
from resolvers import sessions
from resolvers.auth import AccessClaims
from resolvers.clock import now_utc
from resolvers.context import Context
from resolvers.loaders import Loaders
from resolvers.socket_counts import REFRESH_EVERY, SocketCounts
from resolvers.unavailable import database_unreachable

log = logging.getLogger(__name__)

SESSION_ENDED = 4401  # graphql-ws: fatal (the app signs the user out)
TOKEN_REFUSED = 4403  # graphql-ws: retried (a fresh token from `connectionParams`)
TOO_MANY_SOCKETS = 4429  # graphql-ws: fatal, not retried
TRY_AGAIN_LATER = 1013  # RFC 6455; graphql-ws: retried

TASK_NAME = "socket-sessions"  # the process's task that runs ``SocketSessions.run``
CHECK_EVERY = 1.0  # seconds between two reads of the sessions ended lately
# How far back each read looks behind the previous one: an ending is stamped when its statement
# runs and seen when its transaction commits, and processes' clocks differ a little.
MARGIN = timedelta(seconds=10)


# The context every expiry timer runs in (``call_at`` would copy the binding task's for each).
_TIMERS = contextvars.Context()


class SocketRefused(ConnectionRejectionError):
    """A ``connection_init`` refused with a close ``code`` and ``reason`` (the payload goes to
    legacy graphql-ws clients in their ``connection_error``)."""

    def __init__(self, code: int, reason: str, payload: dict[str, object]) -> None:
        super().__init__(payload)
        self.code, self.reason = code, reason


def refusal(exc: ConnectionRejectionError) -> tuple[int, str]:
    """The close code and reason of a refused ``connection_init``."""
    if isinstance(exc, SocketRefused):
        return exc.code, exc.reason
    return TOKEN_REFUSED, "Forbidden"


class Binding:
    """One socket's session: whose, which, until when its token lasts, and its expiry timer."""

    __slots__ = ("expires_at", "session_id", "timer", "user_id", "websocket")

    def __init__(self, websocket: Any, user_id: int, session_id: int, expires_at: float) -> None:
        self.websocket = websocket  # Starlette's WebSocket: ``close(code, reason)``
        self.user_id, self.session_id, self.expires_at = user_id, session_id, expires_at
        self.timer: asyncio.TimerHandle | None = None

    def expired(self) -> bool:
        return now_utc().timestamp() >= self.expires_at


class SocketSessions:
    """This process's bound sockets by session, their timers, the per-user cap, and the task
    that closes the sockets of ended sessions (``run``, in the server's lifespan)."""

    def __init__(self, counts: SocketCounts, per_user: int) -> None:
        self.counts = counts
        self.per_user = per_user  # 0: no cap, nothing counted
        self._sessions: dict[int, Binding | list[Binding]] = {}  # one socket, or several
        self._closing: set[asyncio.Task[None]] = set()
        self._on_timer = self._expire  # one bound method for every timer, not one each

    def __len__(self) -> int:
        return sum(1 if isinstance(b, Binding) else len(b) for b in self._sessions.values())

    # Binding and unbinding ---------------------------------------------------------------

    async def bind(self, websocket: Any, claims: AccessClaims) -> Binding:
        """Bind an authenticated socket to its session; ``SocketRefused`` over the user's cap."""
        if self.per_user and not await self.counts.acquire(claims.user_id, self.per_user):
            message = f"At most {self.per_user} connections at once per user: close one first."
            raise SocketRefused(
                TOO_MANY_SOCKETS,
                "Too many connections",
                {"message": message, "extensions": {"code": "RATE_LIMITED", "limit": self.per_user}},
            )
        binding = Binding(websocket, claims.user_id, claims.session_id, claims.expires_at.timestamp())
        found = self._sessions.get(binding.session_id)
        if found is None:
            self._sessions[binding.session_id] = binding
        elif isinstance(found, list):
            found.append(binding)
        else:
            self._sessions[binding.session_id] = [found, binding]
        self._expire(binding)  # schedules its timer
        return binding

    async def unbind(self, binding: Binding) -> None:
        """The socket closed (whoever closed it)."""
        self._forget(binding)
        if self.per_user and binding.websocket is not None:
            binding.websocket = None
            await self.counts.release(binding.user_id)

    def _forget(self, binding: Binding) -> bool:
        """Out of the registry, its timer cancelled; whether it was still there."""
        if binding.timer is not None:
            binding.timer.cancel()
            binding.timer = None
        found = self._sessions.get(binding.session_id)
        if found is binding:
            del self._sessions[binding.session_id]
            return True
        if isinstance(found, list) and binding in found:
            found.remove(binding)
            if len(found) == 1:
                self._sessions[binding.session_id] = found[0]
            return True
        return False

    # Closing -----------------------------------------------------------------------------

    async def close(self, binding: Binding, code: int, reason: str) -> None:
        """Close the socket with ``code`` (once: a socket already closing is left alone)."""
        if self._forget(binding) and binding.websocket is not None:
            with contextlib.suppress(RuntimeError, OSError):  # the client left meanwhile
                await binding.websocket.close(code=code, reason=reason)

    def close_soon(self, binding: Binding, code: int, reason: str) -> None:
        task = asyncio.get_running_loop().create_task(self.close(binding, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def end_sessions(self, session_ids: list[int]) -> int:
        """Close the local sockets of ended sessions with 4401; how many there were."""
        closed = 0
        for session_id in session_ids:
            found = self._sessions.get(session_id)
            for binding in [found] if isinstance(found, Binding) else list(found or ()):
                await self.close(binding, SESSION_ENDED, "Session ended: log in again.")
                closed += 1
        return closed

    def _expire(self, binding: Binding) -> None:
        """The timer's callback: close the socket if its token expired by the clock, else wait
        for what remains (the clock may have been set back, or frozen by a test)."""
        binding.timer = None
        remaining = binding.expires_at - now_utc().timestamp()
        if remaining <= 0:
            self.close_soon(binding, TOKEN_REFUSED, "Token expired: reconnect with a fresh one.")
            return
        loop = asyncio.get_running_loop()
        binding.timer = loop.call_at(loop.time() + remaining, self._on_timer, binding, context=_TIMERS)

    def fire_timers(self) -> None:
        """Run every socket's expiry timer now (tests move the clock past a token's expiry)."""
        for found in list(self._sessions.values()):
            for binding in [found] if isinstance(found, Binding) else list(found):
                if binding.timer is not None:
                    binding.timer.cancel()
                    self._expire(binding)

    # Each operation ----------------------------------------------------------------------

    def expired(self, ctx: Context) -> bool:
        """Whether the socket's token has expired; if so it is being closed with 4403. For a
        parked subscription woken by an event, before it runs."""
        binding: Binding | None = ctx.binding
        if binding is None or not binding.expired():
            return False
        self.close_soon(binding, TOKEN_REFUSED, "Token expired: reconnect with a fresh one.")
        return True

    async def admit_operation(self, ctx: Context) -> bool:
        """Before an operation sent over the socket starts, as an HTTP request is: the token
        unexpired (else 4403), the session live and the account read with it (else 4401), the
        viewer's roles and account read afresh. False: the socket is being closed."""
        binding: Binding | None = ctx.binding
        if binding is None:
            return True  # anonymous: public fields only, as over HTTP
        if binding.expired():
            await self.close(binding, TOKEN_REFUSED, "Token expired: reconnect with a fresh one.")
            return False
        viewer = ctx.viewer
        viewer.forget()
        try:
            admitted = await sessions.admit(viewer)
        except Exception as exc:
            if not database_unreachable(exc):
                raise
            await self.close(binding, TRY_AGAIN_LATER, "Database unavailable: reconnect and resume.")
            return False
        if not admitted.authenticated:
            await self.close(binding, SESSION_ENDED, "Session ended: log in again.")
            return False
        ctx.loaders = Loaders.of_request(viewer)
        return True

    # The process's task ------------------------------------------------------------------

    async def run(self, broker: Broker) -> None:
        """Close the sockets of sessions ended anywhere: announced on the broker, and read from
        the table every ``CHECK_EVERY`` seconds in case a message was lost. Also renews this
        process's socket counts in Redis."""
        inbox = Inbox()
        subscription: Subscription | None = None
        since = now_utc() - MARGIN
        loop = asyncio.get_running_loop()
        next_check = next_refresh = loop.time()
        try:
            while True:
                if subscription is None:
                    with contextlib.suppress(BrokerUnavailable):  # the table check covers it
                        subscription = await broker.subscribe(sessions_ended_topic(), inbox=inbox)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(inbox.wait(), max(0.0, next_check - loop.time()))
                for item in inbox.take():
                    try:
                        ended = sessions.parse_announcement(message_of(item))
                    except BrokerUnavailable:
                        subscription = None  # the broker dropped it: subscribe again
                        continue
                    await self.end_sessions(ended)
                if loop.time() >= next_check:
                    since = await self._check(since)
                    next_check = loop.time() + CHECK_EVERY
                if loop.time() >= next_refresh:
                    await self.counts.refresh()
                    next_refresh = loop.time() + REFRESH_EVERY
        finally:
            if subscription is not None:
                await subscription.aclose()

    async def _check(self, since: datetime) -> datetime:
        """Close the local sockets of sessions ended since ``since``; the next ``since``."""
        started = now_utc()
        if not self._sessions:
            return started - MARGIN
        try:
            ended = await sessions.ended_since(since)
        except Exception:
            log.warning("could not read the sessions ended lately", exc_info=True)
            return since
        closed = await self.end_sessions([session_id for session_id, _ in ended])
        if closed:
            log.info("closed %d socket(s) of sessions ended since %s", closed, since.isoformat())
        return started - MARGIN
