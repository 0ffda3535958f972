"""Request ids: one per HTTP request or WebSocket connection, in the ``X-Request-ID`` response
header, in every error's ``extensions.requestId`` and in every log record (``%(request_id)s``).

A client (or a proxy in front of us) may send its own ``X-Request-ID``: a sane one (1-64
letters, digits, ``-``, ``_``, ``.``, ``:``) is kept so logs line up across hops; anything else
is replaced by a fresh id. The id lives in a contextvar, which asyncio copies into every task
the request starts, so log lines of a request carry it wherever they are written.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.codes import ErrorCode
from resolvers.i18n import _

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)

log = logging.getLogger("ediary.requests")


def current() -> str | None:
    """The id of the request being served (None outside a request)."""
    return _current.get()


def choose(incoming: str | None) -> str:
    """The incoming id if it is sane, otherwise a fresh one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def bind(incoming: str | None) -> str:
    """The current id, or a new one (the incoming one if sane) set for the rest of this task
    and the tasks it starts: for a WebSocket connection, whose handler runs in its own task
    and may be reached without the middleware."""
    request_id = _current.get()
    if request_id is None:
        request_id = choose(incoming)
        _current.set(request_id)
    return request_id


_installed = False


def install_log_records() -> None:
    """Give every log record a ``request_id`` attribute (empty outside a request), so any
    handler's format (or a JSON formatter) can print it. Idempotent."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current.get() or ""
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class RequestIdMiddleware:
    """Pure ASGI (streaming and WebSockets pass through untouched): sets the id, adds the
    response header, and turns an exception that escaped every handler into a JSON 500
    naming the id (the exception is logged with it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = choose(incoming)
        token = _current.set(request_id)
        header = (HEADER.lower().encode(), request_id.encode())
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] in ("http.response.start", "websocket.accept"):
                started = message["type"] == "http.response.start"
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error")
            if scope["type"] != "http" or started:
                raise
            error = {
                "message": str(_("Internal server error")),
                "extensions": error_extensions(ErrorCode.INTERNAL_SERVER_ERROR),
            }
            body = json.dumps({"errors": [error]}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"), header],
                }
            )
            await send({"type": "http.response.body", "body": body})
        finally:
            _current.reset(token)


def error_extensions(code: ErrorCode, **more: Any) -> dict[str, Any]:
    """``extensions`` of an error we write ourselves: the code, then ``requestId``."""
    extensions: dict[str, Any] = {"code": code, **more}
    request_id = _current.get()
    if request_id is not None:
        extensions["requestId"] = request_id
    return extensions


def tag_error_message(message: Any) -> Any:
    """A WebSocket ``error`` message (graphql-transport-ws and graphql-ws), with the
    connection's request id in each error's extensions. Only ``error`` messages: ``next``
    payloads may be shared by many subscribers (schema/shared_execution.py) and are left alone."""
    request_id = _current.get()
    if request_id is None or not isinstance(message, dict) or message.get("type") != "error":
        return message
    payload = message.get("payload")
    for error in payload if isinstance(payload, list) else [payload]:
        if isinstance(error, dict):
            error["extensions"] = {**(error.get("extensions") or {}), "requestId": request_id}
    return message
