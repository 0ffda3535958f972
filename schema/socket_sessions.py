"""A socket is a session (README "WebSocket sessions").

A socket authenticated at ``connection_init`` is bound to the session its access token names
(``resolvers/sessions.py``) and closed:

- with **4403** when its access token expires: the process keeps its sockets' expiries in one
  heap, which the task below reads against the clock every ``CHECK_EVERY`` seconds; an operation
  the socket sends and an event that wakes its parked stream check the clock themselves (so
  nothing runs on an expired token in that second). graphql-ws clients retry 4403: the app
  reconnects with a fresh token and resumes every stream by its cursor;
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
processes sharing Redis (``edge/socket_counts.py``): one more is refused at
``connection_init`` with **4429** ("too many", fatal for graphql-ws clients: they do not retry it).

What a socket keeps for this is a ``Binding`` (four slots) and its place in the heap, about 250
bytes. A timer per socket (``loop.call_at``) was measured at 460 bytes more per idle socket under
uvloop (its libuv timer), against a budget of 20 KB of which 17.9 are spent (bench/README.md)."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from datetime import datetime, timedelta
from typing import Any

from strawberry.exceptions import ConnectionRejectionError

from edge.socket_counts import REFRESH_EVERY, SocketCounts
from pubsub.broker import Broker, BrokerUnavailable, Inbox, Subscription, message_of, sessions_ended_topic
from resolvers import core, sessions
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc
from resolvers.loaders import Loaders
from resolvers.sessions import AccessClaims, Context
from resolvers.unavailable import database_unreachable

log = logging.getLogger(__name__)

SESSION_ENDED = 4401  # graphql-ws: fatal (the app signs the user out)
TOKEN_REFUSED = 4403  # graphql-ws: retried (a fresh token from `connectionParams`)
TOO_MANY_SOCKETS = 4429  # graphql-ws: fatal, not retried
TRY_AGAIN_LATER = 1013  # RFC 6455; graphql-ws: retried

# Close reasons of the app's own, in the socket's language. graphql-transport-ws's own reasons
# ("Invalid connection init payload", "Too many initialisation requests", "Forbidden") and the
# documented "Too many connections" are words for programs and stay as they are.
SESSION_ENDED_REASON = _("Session ended: log in again.")
TOKEN_EXPIRED_REASON = _("Token expired: reconnect with a fresh one.")
DATABASE_UNAVAILABLE_REASON = _("Database unavailable: reconnect and resume.")

TASK_NAME = "socket-sessions"  # the process's task that runs ``SocketSessions.run``
CHECK_EVERY = 1.0  # seconds between two reads of the sessions ended lately
# How far back each read looks behind the previous one: an ending is stamped when its statement
# runs and seen when its transaction commits, and processes' clocks differ a little.
MARGIN = timedelta(seconds=10)


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
    """One socket's session: whose, which, and until when its token lasts."""

    __slots__ = ("expires_at", "locale", "session_id", "user_id", "websocket")

    def __init__(self, websocket: Any, user_id: int, session_id: int, expires_at: float, locale: str) -> None:
        self.websocket = websocket  # Starlette's WebSocket (``close(code, reason)``); None once gone
        self.user_id, self.session_id, self.expires_at = user_id, session_id, expires_at
        self.locale = locale  # the socket's language: its close reasons are written in it

    def expired(self) -> bool:
        return now_utc().timestamp() >= self.expires_at

    def __lt__(self, other: Binding) -> bool:
        """Any order among sockets whose tokens expire in the same second (the heap's ties)."""
        return id(self) < id(other)


class SocketSessions:
    """This process's bound sockets by session and by expiry, the per-user cap, and the task
    that closes the sockets of ended sessions and expired tokens (``run``, in the lifespan)."""

    def __init__(self, counts: SocketCounts, per_user: int) -> None:
        self.counts = counts
        self.per_user = per_user  # 0: no cap, nothing counted
        self._sessions: dict[int, Binding | list[Binding]] = {}  # one socket, or several
        # (token expiry, socket), soonest first; a closed socket's entry waits for its turn.
        self._expiries: list[tuple[float, Binding]] = []
        self._closing: set[asyncio.Task[bool]] = set()

    # Binding and unbinding ---------------------------------------------------------------

    async def bind(self, websocket: Any, claims: AccessClaims) -> Binding:
        """Bind an authenticated socket to its session; ``SocketRefused`` over the user's cap."""
        if self.per_user and not await self.counts.acquire(claims.user_id, self.per_user):
            message = str(
                ngettext(
                    "At most {n} connection at once per user: close it first.",
                    "At most {n} connections at once per user: close one first.",
                    self.per_user,
                )
            )
            raise SocketRefused(
                TOO_MANY_SOCKETS,
                "Too many connections",
                {"message": message, "extensions": {"code": ErrorCode.RATE_LIMITED, "limit": self.per_user}},
            )
        binding = Binding(websocket, claims.user_id, claims.session_id, claims.expires_at.timestamp(), core.current())
        found = self._sessions.get(binding.session_id)
        if found is None:
            self._sessions[binding.session_id] = binding
        elif isinstance(found, list):
            found.append(binding)
        else:
            self._sessions[binding.session_id] = [found, binding]
        heapq.heappush(self._expiries, (binding.expires_at, binding))
        return binding

    async def unbind(self, binding: Binding) -> None:
        """The socket closed (whoever closed it)."""
        self._forget(binding)
        websocket, binding.websocket = binding.websocket, None  # its heap entry keeps only the binding
        if self.per_user and websocket is not None:
            await self.counts.release(binding.user_id)

    def _forget(self, binding: Binding) -> bool:
        """Out of the registry; whether it was still there."""
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

    async def close(self, binding: Binding, code: int, reason: Text) -> bool:
        """Close the socket with ``code``, once: whether it was still open and bound. ``reason``
        is written in the socket's language (at most 123 bytes: tests/api/test_messages.py)."""
        if not self._forget(binding) or binding.websocket is None:
            return False
        with contextlib.suppress(RuntimeError, OSError):  # the client left meanwhile
            await binding.websocket.close(code=code, reason=reason.render(binding.locale))
        return True

    def close_soon(self, binding: Binding, code: int, reason: Text) -> None:
        task = asyncio.get_running_loop().create_task(self.close(binding, code, reason))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def end_sessions(self, session_ids: list[int]) -> int:
        """Close the local sockets of ended sessions with 4401; how many there were."""
        closed = 0
        for session_id in session_ids:
            found = self._sessions.get(session_id)
            for binding in [found] if isinstance(found, Binding) else list(found or ()):
                closed += await self.close(binding, SESSION_ENDED, SESSION_ENDED_REASON)
        return closed

    async def expire_due(self) -> int:
        """Close the sockets whose token has expired by the clock with 4403 (every
        ``CHECK_EVERY`` seconds; tests call it after moving the clock). How many there were."""
        now, expiries, closed = now_utc().timestamp(), self._expiries, 0
        while expiries and expiries[0][0] <= now:
            _, binding = heapq.heappop(expiries)
            closed += await self.close(binding, TOKEN_REFUSED, TOKEN_EXPIRED_REASON)
        return closed

    # Each operation ----------------------------------------------------------------------

    def expired(self, ctx: Context) -> bool:
        """Whether the socket's token has expired; if so it is being closed with 4403. For a
        parked subscription woken by an event, before it runs."""
        binding: Binding | None = ctx.binding
        if binding is None or not binding.expired():
            return False
        self.close_soon(binding, TOKEN_REFUSED, TOKEN_EXPIRED_REASON)
        return True

    async def admit_operation(self, ctx: Context) -> bool:
        """Before an operation sent over the socket starts, as an HTTP request is: the token
        unexpired (else 4403), the session live and the account read with it (else 4401), the
        viewer's roles and account read afresh. False: the socket is being closed."""
        binding: Binding | None = ctx.binding
        if binding is None:
            return True  # anonymous: public fields only, as over HTTP
        if binding.expired():
            await self.close(binding, TOKEN_REFUSED, TOKEN_EXPIRED_REASON)
            return False
        viewer = ctx.viewer
        viewer.forget()
        try:
            admitted = await sessions.admit(viewer)
        except Exception as exc:
            if not database_unreachable(exc):
                raise
            await self.close(binding, TRY_AGAIN_LATER, DATABASE_UNAVAILABLE_REASON)
            return False
        if not admitted.authenticated:
            await self.close(binding, SESSION_ENDED, SESSION_ENDED_REASON)
            return False
        ctx.loaders = Loaders.of_request(viewer)
        return True

    # The process's task ------------------------------------------------------------------

    async def run(self, broker: Broker) -> None:
        """Close the sockets of sessions ended anywhere: announced on the broker, and read from
        the table every ``CHECK_EVERY`` seconds in case a message was lost; and the sockets whose
        token expired. Also renews this process's socket counts in Redis."""
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
                    await self.expire_due()
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
