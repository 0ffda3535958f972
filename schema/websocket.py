"""The WebSocket protocol handlers (graphql-transport-ws and the legacy graphql-ws): Strawberry's,
with coded limit errors, the same close codes on both protocols (4403 on a bad or expired token,
4401 once the session ended, 4429 over the per-user cap: ``schema/socket_sessions.py``, which
also admits each operation as it starts), and idle subscriptions parked.

Parking (``resolvers/outbox.py``): each operation runs with a ``Subscriber`` in ``outbox.PARKING``.
A stream that has delivered everything returns with the Subscriber marked parked; the
handler then keeps the operation open (it still counts towards the per-connection limit, a
``complete``/``stop`` from the client still ends it) without a task, and runs it again when
the Subscriber is woken by its next message. Other operations run and end as usual."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import re
from collections.abc import AsyncGenerator, AsyncIterator
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

from edge import intake
from resolvers import core, outbox
from resolvers.codes import ErrorCode
from resolvers.core import ngettext
from resolvers.sessions import Context
from schema.websocket import SocketSessions, refusal

if TYPE_CHECKING:
    from schema import DiarySchema

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
    errors have theirs: ``schema/extensions.py``) carry BAD_USER_INPUT, as over HTTP
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
    """The view's count of open sockets (``schema/sockets.py``), if it keeps one. Counted from
    the handlers' own start and end hooks: a wrapper coroutine would be one more frame that
    every socket keeps for hours."""
    return getattr(view, "sockets", None)


def _sessions(view: object) -> SocketSessions | None:
    """The view's sockets by session (``schema/socket_sessions.py``), if it binds them."""
    return getattr(view, "sessions", None)


async def _admitted(handler: Any) -> bool:
    """Whether an operation the client just sent may start (else the socket is being closed)."""
    sessions = _sessions(handler.view)
    return sessions is None or await sessions.admit_operation(handler.context)


def _expired(handler: Any) -> bool:
    """Whether the socket's token expired (then it is being closed): a woken stream stays put."""
    sessions = _sessions(handler.view)
    return sessions is not None and sessions.expired(handler.context)


async def _unbind(handler: Any) -> None:
    """The socket is gone: out of its session's sockets and the user's count."""
    binding, handler.context.binding = handler.context.binding, None
    if binding is not None and (sessions := _sessions(handler.view)) is not None:
        await sessions.unbind(binding)


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
                # check ends it (``schema/permissions.py`` lets a resumed run in).
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
