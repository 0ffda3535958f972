"""A socket's life: its protocol, its session's end, and the process's sockets.

**The protocols** (``TransportWSHandler``, ``LegacyGraphQLWSHandler``): graphql-transport-ws and
the legacy graphql-ws, Strawberry's handlers with coded limit errors, the same close codes on
both protocols (4403 on a bad or expired token, 4401 once the session ended, 4429 over the
per-user cap: below), each operation admitted as it starts, and idle subscriptions parked.

Parking (``resolvers/outbox.py``): each operation runs with a ``Subscriber`` in ``outbox.PARKING``.
A stream that has delivered everything returns with the Subscriber marked parked; the
handler then keeps the operation open (it still counts towards the per-connection limit, a
``complete``/``stop`` from the client still ends it) without a task, and runs it again when
the Subscriber is woken by its next message. Other operations run and end as usual.

**A socket is a session** (README "WebSocket sessions"; ``SocketSessions``). A socket
authenticated at ``connection_init`` is bound to the session its access token names
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
uvloop (its libuv timer), against a budget of 20 KB of which 17.9 are spent (bench/README.md).

**The process's sockets** (``Sockets``, ``WebSocketProtocol``, ``Keepalive``): open sockets,
kept lean, pinged from one timer per loop, and the cycle collector kept from pausing all of
them at once.

Why: an idle subscribed socket holds a few hundred objects the cycle collector tracks (its
transport, protocol, handler, the subscription's task and generators). They live as long as
the socket, so collecting them finds nothing, yet a full collection walks every one of them
while the event loop stands still: measured 0.6 s at 1,000 sockets and 3.9 s at 10,000, about
every 25 s under 100 events/s. Every socket waits for that pause, so it is the p99.

What: every ``interval`` seconds, what survived since the last step is collected (a full
collection walks only objects that are not frozen, so it is as short as the second was busy)
and the survivors are moved out of the collector's reach (``gc.freeze``). Freezing does not
stop reference counting: a frozen object is still freed when its last reference goes. Only
garbage held in reference cycles among frozen objects waits, so the collector is re-armed
(unfreeze, one full collection, freeze again) once the sockets closed since the last time
reach ``churn`` of those still open (and at least ``batch``), or the process has grown by
``growth`` since with no more sockets open than then. Churn pays one pause proportional to
its size; sockets that stay open pay none.

Young collections are rarer while this runs (``young``): one walks every tracked object made
since the last that is still alive, and a woken subscription's run makes several hundred (its
frames, coroutines, executor, hooks) that live until it delivers, so at Python's 700 each
delivery paid for a walk or more of objects still in use. What lives on is frozen within the
second anyway; garbage in cycles waits a few thousand allocations longer."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import heapq
import json
import logging
import math
import os
import re
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLError
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.exceptions import CannotGetOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.subscriptions.protocols.graphql_ws.types import ConnectionInitMessage
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UnsetType
from strawberry.utils.aio import aclosing
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from edge import intake
from edge.socket_counts import REFRESH_EVERY, SocketCounts
from pubsub.broker import Broker, BrokerUnavailable, Inbox, Subscription, message_of, sessions_ended_topic
from resolvers import core, outbox, sessions
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc
from resolvers.loaders import Loaders
from resolvers.sessions import AccessClaims, Context
from resolvers.unavailable import database_unreachable

if TYPE_CHECKING:
    from schema import DiarySchema

log = logging.getLogger(__name__)


# The protocols ------------------------------------------------------------------------------------


_LIMIT_MESSAGE = "Subscription limit reached"


def _coded_limit_error(message: Any, limit: int | None) -> Any:
    """The library's "limit reached" error, with the `extensions.code` every error carries
    (RATE_LIMITED) and the limit, so that a client can tell it from a bad subscription."""
    payload = message.get("payload") if isinstance(message, dict) and message.get("type") == "error" else None
    errors = payload if isinstance(payload, list) else [payload] if isinstance(payload, dict) else []
    for error in errors:
        if isinstance(error, dict) and error.get("message") == _LIMIT_MESSAGE:
            error["message"] = str(
                ngettext(
                    "At most {n} operation at once on one connection: stop it first.",
                    "At most {n} operations at once on one connection: stop one first.",
                    limit or 0,
                )
            )
            error["extensions"] = {"code": ErrorCode.RATE_LIMITED, "limit": limit}
    return message


def _coded_input_errors(message: Any) -> Any:
    """Errors of a request that never ran (no ``path``) and have no code yet (syntax and validation
    errors have theirs: ``schema/gates.py``) carry BAD_USER_INPUT, as over HTTP
    (``server.GraphQLView._format_error``)."""
    if not isinstance(message, dict) or message.get("type") not in ("next", "data", "error"):
        return message
    payload = message.get("payload")
    errors = payload.get("errors") if message["type"] != "error" and isinstance(payload, dict) else payload
    for error in errors if isinstance(errors, list) else [errors]:
        if isinstance(error, dict) and "path" not in error and not (error.get("extensions") or {}).get("code"):
            error["extensions"] = {**(error.get("extensions") or {}), "code": ErrorCode.BAD_USER_INPUT}
    return message


def _in_language(handler: Any) -> contextvars.Context:
    """The context a parked operation runs again in: the task that wakes it (the broker's) has
    no language, the socket has one (``Context.locale``, ``resolvers/core.py``)."""
    context = contextvars.copy_context()
    context.run(core.use, handler.context.locale)
    return context


def _sockets(view: object) -> Any:
    """The view's count of open sockets (``Sockets``, below), if it keeps one. Counted from
    the handlers' own start and end hooks: a wrapper coroutine would be one more frame that
    every socket keeps for hours."""
    return getattr(view, "sockets", None)


def _sessions(view: object) -> SocketSessions | None:
    """The view's sockets by session (``SocketSessions``, below), if it binds them."""
    return getattr(view, "sessions", None)


async def _admitted(handler: Any) -> bool:
    """Whether an operation the client just sent may start (else the socket is being closed)."""
    bound = _sessions(handler.view)
    return bound is None or await bound.admit_operation(handler.context)


def _expired(handler: Any) -> bool:
    """Whether the socket's token expired (then it is being closed): a woken stream stays put."""
    bound = _sessions(handler.view)
    return bound is not None and bound.expired(handler.context)


async def _unbind(handler: Any) -> None:
    """The socket is gone: out of its session's sockets and the user's count."""
    binding, handler.context.binding = handler.context.binding, None
    if binding is not None and (bound := _sessions(handler.view)) is not None:
        await bound.unbind(binding)


def _resumed(
    handler: Any, parked: outbox.Subscriber, variables: dict[str, Any] | None, operation_name: str | None
) -> AsyncGenerator[Any, None]:
    """A parked operation's next run, from the document its first run parsed and validated."""
    schema = cast("DiarySchema", handler.schema)
    return schema.resume(parked, variables, operation_name, handler.context)


def _parks(view: object) -> bool:
    """Whether the view parks idle subscriptions (``EDIARY_PARK_SUBSCRIPTIONS``): when it does
    not, a stream waits for its events in its own task, as Strawberry's do."""
    return bool(getattr(view, "park_subscriptions", False))


_FRAME_ID = re.compile(r'"id"\s*:\s*"([^"\\]{1,100})"')


class RefusedFrame(dict[str, Any]):
    """A frame ``intake.read_json`` refused (too deeply nested, a lone surrogate): the
    handlers answer it with an error message coded BAD_REQUEST, and the socket stays open.
    ``id`` is the operation's id when the frame's text shows one."""

    def __init__(self, message: str, operation_id: str | None) -> None:
        super().__init__(type="refused", id=operation_id)
        self.message = message

    def error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": ErrorCode.BAD_REQUEST}}


def decode_frame(text: str | bytes) -> object:
    """A frame's message (``intake.read_json``); a ``RefusedFrame`` for one that is read but
    refused. Text that is not JSON at all raises ``JSONDecodeError``, which the protocols answer
    as before (graphql-transport-ws closes with 4400, the legacy one ignores it)."""
    try:
        return intake.read_json(text)
    except intake.PayloadRefused as exc:
        if exc.syntax:
            raise json.JSONDecodeError(exc.message, "", 0) from None
        raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        found = _FRAME_ID.search(raw)
        return RefusedFrame(exc.message, found.group(1) if found else None)


_DOCUMENTS: dict[str, str] = {}
_SHARED_DOCUMENTS = 256


def _shared_document(message: Any) -> None:
    """Every client of an app sends the same few documents: a subscription keeps its text for
    hours, so sockets keep one copy of it (the first ``_SHARED_DOCUMENTS`` texts seen)."""
    payload = message.get("payload") if isinstance(message, dict) else None
    if not isinstance(payload, dict):
        return
    query = payload.get("query")
    if isinstance(query, str):
        shared = _DOCUMENTS.get(query)
        if shared is None and len(_DOCUMENTS) < _SHARED_DOCUMENTS:
            shared = _DOCUMENTS[query] = query
        if shared is not None:
            payload["query"] = shared


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws, with coded limit errors and parked subscriptions."""

    _parked: dict[str, outbox.Subscriber] | None = None  # by operation id, made on the first

    async def send_message(self, message: Any) -> None:
        message = _coded_input_errors(_coded_limit_error(message, self.max_subscriptions_per_connection))
        await super().send_message(intake.tag_error_message(message))

    def on_request_accepted(self) -> None:
        if (sockets := _sockets(self.view)) is not None:
            sockets.opened()
        super().on_request_accepted()

    async def shutdown(self) -> None:
        try:
            await super().shutdown()
        finally:
            await _unbind(self)
            if (sockets := _sockets(self.view)) is not None:
                sockets.closed()

    async def handle_message(self, message: Any) -> None:
        """Strawberry's, but a refused frame has an error answer (with the operation's id, or an
        empty one) and leaves the socket open, and a frame that is not an object is an invalid
        message (4400), not an exception."""
        if isinstance(message, RefusedFrame):
            await self.send_message({"type": "error", "id": message["id"] or "", "payload": [message.error()]})
            return
        if not isinstance(message, dict):
            await self.handle_invalid_message("A message must be a JSON object.")
            return
        await super().handle_message(cast(Any, message))

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        """An ``operationName`` the document does not have is an error message (the socket stays
        open); a document that does not parse still closes with 4400, as the protocol says."""
        if isinstance(error.original_error, CannotGetOperationTypeError):
            return None
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)

    async def handle_connection_init(self, message: Any) -> None:
        """Strawberry's, but a refusal closes with its own code (4403, 4401 or 4429), and the
        timeout task is not kept for the socket's lifetime once it is done."""
        if self.connection_timed_out:
            return
        task, self.connection_init_timeout_task = self.connection_init_timeout_task, None
        if task is not None:
            task.cancel()
        payload = message.get("payload", {})
        if not isinstance(payload, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        self.context.connection_params = payload
        try:
            ack = await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as exc:
            code, reason = refusal(exc)
            await self.websocket.close(code=code, reason=reason)
            return
        await self.send_message(
            {"type": "connection_ack"} if isinstance(ack, UnsetType) else {"type": "connection_ack", "payload": ack}
        )
        self.connection_acknowledged = True

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's, except that a stream that parked leaves the operation open."""
        parked = self._parked.pop(operation.id, None) if self._parked else None
        subscriber = parked or outbox.Subscriber()
        if _parks(self.view):
            outbox.PARKING.set(subscriber)  # this task's context only
        try:
            if parked is not None and parked.document is not None:
                result_source = _resumed(self, parked, operation.variables, operation.operation_name)
            else:
                result_source = await self.schema.stream(
                    operation.query,
                    variable_values=operation.variables,
                    context_value=self.context,
                    root_value=self.root_value,
                    operation_name=operation.operation_name,
                )
            async with aclosing(result_source):
                if parked is None:
                    await self._send_result_stream(operation, result_source)
                else:
                    await self._send_resumed(operation, result_source, subscriber)
            if subscriber.parked:
                if self.operations.get(operation.id) is operation:
                    self._park(operation, subscriber)
                else:  # stopped meanwhile
                    subscriber.parked = False
                    await subscriber.close()
                return
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:  # pragma: no cover - as the library's
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def _send_resumed(
        self, operation: Operation[Context, None], results: AsyncIterator[Any], subscriber: outbox.Subscriber
    ) -> None:
        async for result in results:
            if isinstance(result, PreExecutionError):
                # Refused when it went on (the operation no longer passes a pre-execution
                # check): the stream ends, as when the policy stops it (``complete``, nothing
                # delivered). A deactivated account is not this: the stream's own per-event
                # check ends it (``schema/gates.py`` lets a resumed run in).
                await subscriber.leave()
                return
            await operation.send_next(result)

    async def handle_subscribe(self, message: Any) -> None:
        if not await _admitted(self):
            return
        _shared_document(message)
        await super().handle_subscribe(message)

    def _park(self, operation: Operation[Context, None], subscriber: outbox.Subscriber) -> None:
        if self._parked is None:
            self._parked = {}
        self._parked[operation.id] = subscriber
        operation.task = None  # the finished run is freed; the operation stays in self.operations
        subscriber.park(lambda: self._resume(operation))

    def _resume(self, operation: Operation[Context, None]) -> None:
        if self._parked is None or self._parked.get(operation.id) is None:
            return  # stopped while the message was on its way
        if _expired(self):
            return
        operation.task = asyncio.create_task(self.run_operation(operation), context=_in_language(self))
        operation.task.add_done_callback(self._task_done)

    async def cleanup_operation(self, operation_id: str) -> None:
        parked = self._parked.pop(operation_id, None) if self._parked else None
        if parked is not None:
            self.operations.pop(operation_id, None)
            await parked.close()
            return
        await super().cleanup_operation(operation_id)


class LegacyGraphQLWSHandler(BaseGraphQLWSHandler[Context, None]):
    """The legacy graphql-ws protocol, closing a refused ``connection_init`` with the code
    graphql-transport-ws uses (the library closes with 1011), with coded limit errors and
    parked subscriptions (a parked one stays in ``self.tasks`` with its finished task, so it
    counts towards the limit, and ``stop`` answers ``complete`` as for a running one)."""

    _parked: dict[str, outbox.Subscriber] | None = None

    async def send_message(self, message: Any) -> None:
        message = _coded_input_errors(_coded_limit_error(message, self.max_subscriptions_per_connection))
        await super().send_message(intake.tag_error_message(message))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if (sockets := _sockets(self.view)) is not None:
            sockets.opened()  # handle() follows at once; its cleanup() counts the socket closed

    async def cleanup(self) -> None:
        try:
            await super().cleanup()
        finally:
            await _unbind(self)
            if (sockets := _sockets(self.view)) is not None:
                sockets.closed()

    async def handle_message(self, message: Any) -> None:
        """Strawberry's, but a refused frame has an error answer (the socket stays open), and a
        frame that is not an object is ignored, like one that is not JSON."""
        if isinstance(message, RefusedFrame):
            await self.send_message({"type": "error", "id": message["id"], "payload": message.error()})
            return
        if isinstance(message, dict):
            await super().handle_message(cast(Any, message))

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        payload = message.get("payload")
        if payload is not None and not isinstance(payload, dict):
            await self.send_message({"type": "connection_error"})
            await self.websocket.close(code=4400, reason="Bad connection_init payload")
            return
        self.context.connection_params = payload
        try:
            await self.view.on_ws_connect(self.context)
        except ConnectionRejectionError as exc:
            await self.send_message({"type": "connection_error", "payload": exc.payload})
            code, reason = refusal(exc)
            await self.websocket.close(code=code, reason=reason)
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def handle_start(self, message: Any) -> None:
        if not await _admitted(self):
            return
        _shared_document(message)
        await super().handle_start(message)

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        """Strawberry's, except that a stream that parked leaves the operation open."""
        parked = self._parked.pop(operation_id, None) if self._parked else None
        subscriber = parked or outbox.Subscriber()
        if _parks(self.view):
            outbox.PARKING.set(subscriber)
        kept = False
        try:
            if parked is not None and parked.document is not None:
                result_source = _resumed(self, parked, variables, operation_name)
            else:
                result_source = await self.schema.subscribe(
                    query=query,
                    variable_values=variables,
                    operation_name=operation_name,
                    context_value=self.context,
                    root_value=self.root_value,
                )
            self.subscriptions[operation_id] = result_source
            is_first_result = parked is None
            async for result in result_source:
                if parked is not None and isinstance(result, PreExecutionError):
                    await subscriber.leave()  # refused when it went on: it ends (see TransportWSHandler)
                    break
                if is_first_result and isinstance(result, PreExecutionError):
                    assert result.errors
                    await self.send_message(
                        {"type": "error", "id": operation_id, "payload": result.errors[0].formatted}
                    )
                    return
                await self.send_data_message(result, operation_id)
                is_first_result = False
            if subscriber.parked:
                if operation_id in self.tasks:
                    if self._parked is None:
                        self._parked = {}
                    self._parked[operation_id] = subscriber
                    kept = True
                    subscriber.park(lambda: self._resume(operation_id, query, operation_name, variables))
                else:  # stopped meanwhile
                    subscriber.parked = False
                    await subscriber.close()
                return
            await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            self.subscriptions.pop(operation_id, None)
            if not kept:
                self.tasks.pop(operation_id, None)

    def _resume(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        if self._parked is None or operation_id not in self._parked or _expired(self):
            return
        self.tasks[operation_id] = asyncio.create_task(
            self.handle_async_results(operation_id, query, operation_name, variables), context=_in_language(self)
        )

    async def cleanup_operation(self, operation_id: str) -> None:
        parked = self._parked.pop(operation_id, None) if self._parked else None
        if parked is None:
            await super().cleanup_operation(operation_id)
            return
        self.tasks.pop(operation_id, None)
        await parked.close()
        with contextlib.suppress(Exception):  # the socket may be gone already
            await self.send_message({"type": "complete", "id": operation_id})


# A socket is a session ----------------------------------------------------------------------------

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


# The process's sockets ---------------------------------------------------------------------------


@dataclass
class Sockets:
    """Counts of open sockets, and the collector policy above (``run`` is the background task)."""

    interval: float = 1.0
    batch: int = 500
    churn: float = 0.25
    growth: float = 0.25
    open: int = 0
    closed_since_collection: int = 0
    rss_at_collection: int = 0
    open_at_collection: int = 0
    freezes: int = 0
    collections: int = 0
    # The longest collection pause seen, and full collections run by the interpreter itself.
    longest_pause_ms: float = 0.0
    full_collections: int = 0
    # The youngest generation's threshold while watching (Python's: 700), and the one before.
    young: int = 10_000
    _thresholds: tuple[int, int, int] | None = None
    _started: float = 0.0

    def watch(self) -> None:
        """Time every collection (``gc.callbacks``; pauses over 50 ms are logged), and collect
        the youngest generation every ``young`` allocations."""
        if self._on_collection not in gc.callbacks:
            gc.callbacks.append(self._on_collection)
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            gc.set_threshold(self.young, *self._thresholds[1:])

    def unwatch(self) -> None:
        if self._on_collection in gc.callbacks:
            gc.callbacks.remove(self._on_collection)
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def _on_collection(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        pause = (time.perf_counter() - self._started) * 1000
        self.longest_pause_ms = max(self.longest_pause_ms, pause)
        if info["generation"] == 2:
            self.full_collections += 1
        if pause > 50:
            log.info(
                "collection of generation %d paused %.0f ms (%d collected, %d open sockets)",
                info["generation"],
                pause,
                info["collected"],
                self.open,
            )

    def opened(self) -> None:
        self.open += 1

    def closed(self) -> None:
        self.open -= 1
        self.closed_since_collection += 1

    def step(self) -> str:
        """One round: ``"collect"`` (re-armed) or ``"freeze"``."""
        rss = _rss_bytes()
        churned = self.closed_since_collection >= max(self.batch, self.churn * self.open)
        # Grown by more than new sockets explain: garbage is waiting among frozen objects.
        grown = rss > self.rss_at_collection * (1 + self.growth) and self.open <= self.open_at_collection
        if churned or (self.rss_at_collection and grown):
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            self.closed_since_collection = 0
            self.rss_at_collection, self.open_at_collection = _rss_bytes(), self.open
            self.collections += 1
            return "collect"
        gc.collect()
        gc.freeze()
        if not self.rss_at_collection or self.open > self.open_at_collection:
            self.rss_at_collection, self.open_at_collection = rss, self.open
        self.freezes += 1
        return "freeze"

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            started = time.perf_counter()
            done = self.step()
            if done == "collect":
                log.info(
                    "re-armed the cycle collector after socket churn in %.0f ms (%d open)",
                    (time.perf_counter() - started) * 1000,
                    self.open,
                )


def _rss_bytes() -> int:
    """The process's resident memory (Linux), or 0 where it cannot be read."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Received(Inbox):
    """uvicorn's queue of received ASGI events, without ``asyncio.Queue``'s three deques."""

    __slots__ = ()

    def empty(self) -> bool:
        return not self.qsize()


class _Writable:
    """uvicorn's "the transport may be written to" flag, without ``asyncio.Event``'s deque:
    waiters are made only while the transport is paused (a slow reader)."""

    __slots__ = ("_value", "_waiters")

    def __init__(self) -> None:
        self._value = False
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._value

    def set(self) -> None:
        self._value = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._value = False

    async def wait(self) -> None:
        while not self._value:
            waiter = asyncio.get_running_loop().create_future()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
            await waiter


class WebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, keeping less for the hours a socket stays open:
    lean receive queue and writable flag, and none of the handshake (the upgrade request and
    our response, with their headers) once it is done. Per-message compression stays as
    configured (off by default: ``ws_per_message_deflate=False``).

    The slots hold the attributes that only repeat the server's settings: uvicorn's protocol
    sets 37 attributes, and past 29 CPython gives each instance a dict of its own (1.6 KB)
    instead of the key-sharing one the rest then fit in (0.4 KB with these slots)."""

    __slots__ = (
        "app",
        "app_state",
        "asgi_version",
        "close_timeout",
        "config",
        "connections",
        "default_headers",
        "keepalive_due",
        "last_ping_rtt",
        "logger",
        "loop",
        "ping_interval",
        "ping_timeout",
        "root_path",
        "tasks",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue = _Received()  # type: ignore[assignment]
        self.writable = _Writable()  # type: ignore[assignment]
        self.writable.set()
        self.keepalive_due: int | None = None  # the second of its next ping (``Keepalive``)

    def schedule_ping(self) -> None:
        """The next keepalive ping, in the loop's ``Keepalive`` instead of a timer of its own."""
        assert self.ping_interval is not None
        keepalive(self.loop).schedule(self, max(0.0, self.ping_interval - self.last_ping_rtt))

    def stop_keepalive(self) -> None:
        keepalive(self.loop).cancel(self)
        super().stop_keepalive()

    async def send(self, message: Any) -> None:
        handshaking = not self.handshake_complete
        await super().send(message)
        if handshaking and self.handshake_complete:
            del self.request, self.response  # read only while handshaking
            # The parser that read the upgrade request keeps it (and its headers) in its
            # frame for as long as it runs: start a frame parser of its own. Nothing of the
            # client's can be half-read yet: it sends frames only once it has our 101.
            self.conn.parser = self.conn.parse()
            next(self.conn.parser)


class Keepalive:
    """The keepalive pings of every socket on one event loop, from one timer.

    Why: uvicorn gives each socket a timer for its next ping (``ws_ping_interval``, 20 s by
    default): a handle of about 500 bytes and a libuv timer, held all the hours a socket stays
    open. Here a socket is a member of the set of the whole second its ping is due in, and one
    timer, set for the earliest such second, pings them all (at most one second late, well
    within ``ws_ping_timeout``). The pong deadline stays uvicorn's own timer: it lives only
    while a ping is in flight."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.due: dict[int, set[WebSocketProtocol]] = {}
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at: int | None = None

    def schedule(self, protocol: WebSocketProtocol, delay: float) -> None:
        self.cancel(protocol)
        second = math.ceil(self.loop.time() + delay)
        self.due.setdefault(second, set()).add(protocol)
        protocol.keepalive_due = second
        if self.timer_at is None or second < self.timer_at:
            self._arm(second)

    def cancel(self, protocol: WebSocketProtocol) -> None:
        second, protocol.keepalive_due = protocol.keepalive_due, None
        members = self.due.get(second) if second is not None else None
        if members is not None:
            members.discard(protocol)
            if not members:
                del self.due[second]  # type: ignore[arg-type]  # not None when members is found

    def _arm(self, second: int) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer_at, self.timer = second, self.loop.call_at(second, self._ping)

    def _ping(self) -> None:
        self.timer = self.timer_at = None
        now = self.loop.time()
        for second in sorted(s for s in self.due if s <= now):
            for protocol in self.due.pop(second):
                protocol.keepalive_due = None
                try:
                    protocol.send_keepalive_ping()  # schedules the next one (now or at its pong)
                except Exception:  # one socket's failure must not stop the others' pings
                    log.exception("keepalive ping failed")
        if self.due:
            self._arm(min(self.due))


_keepalives: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Keepalive] = weakref.WeakKeyDictionary()


def keepalive(loop: asyncio.AbstractEventLoop) -> Keepalive:
    """The loop's ``Keepalive`` (a process may run several loops: tests, benchmarks)."""
    found = _keepalives.get(loop)
    if found is None:
        found = _keepalives[loop] = Keepalive(loop)
    return found
