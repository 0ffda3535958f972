"""A request's intake: what every HTTP request (and WebSocket frame) passes before GraphQL sees it.

The stages, in the order a request meets them:

1. **Its id** (``RequestIdMiddleware``): one per HTTP request or WebSocket connection, in the
   ``X-Request-ID`` response header, every error's ``extensions.requestId`` and every log record
   (``%(request_id)s``). A sane incoming one (1-64 letters, digits, ``-_.:``) is kept so logs
   line up across hops, anything else replaced. A contextvar holds it (asyncio copies it into
   every task the request starts).
2. **Its shape** (``check_query_string``, ``check_post_media``, ``read_body``): its size, and
   CSRF: a browser sends a cross-site POST without a CORS preflight only for "simple" requests
   (form, multipart or text bodies, no custom headers), so a POST must be ``application/json``
   or carry one of ``PREFLIGHT_HEADERS`` (either forces a preflight); multipart is refused (no
   uploads here). GET runs queries only (the view refuses mutations over GET with 405).
3. **Its JSON** (``read_json``, also every WebSocket frame's): ``json.loads`` with two more
   refusals, so that nothing reaches GraphQL in a shape that makes it fail: nesting deeper than
   ``MAX_DEPTH`` (a 2 KB body of 1,000 nested arrays would exhaust the recursion of whatever
   walks it), and a lone UTF-16 surrogate in a string (``"\\ud800"``: not valid Unicode text,
   and not encodable to UTF-8 when it is logged, stored or sent back).

Then the document it names (a persisted query's hash, a trusted document): ``edge/persisted.py``."""

from __future__ import annotations

import functools
import json
import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.codes import ErrorCode
from resolvers.core import Text, _

# 1. The request's id.

REQUEST_ID_HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("request_id", default=None)

log = logging.getLogger("ediary.requests")


def choose_request_id(incoming: str | None) -> str:
    """The incoming id if it is sane, otherwise a fresh one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def bind_request_id(incoming: str | None) -> str:
    """The current id, or a new one (the incoming one if sane) set for the rest of this task
    and the tasks it starts: for a WebSocket connection, whose handler runs in its own task
    and may be reached without the middleware."""
    request_id = _current.get()
    if request_id is None:
        request_id = choose_request_id(incoming)
        _current.set(request_id)
    return request_id


@functools.cache
def install_log_records() -> None:
    """Give every log record a ``request_id`` attribute (empty outside a request), so any
    handler's format (or a JSON formatter) can print it. Once: later calls do nothing."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = _current.get() or ""
        return record

    logging.setLogRecordFactory(factory)


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
        request_id = choose_request_id(incoming)
        token = _current.set(request_id)
        header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
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
            headers = [(b"content-type", b"application/json; charset=utf-8"), header]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps({"errors": [error]}).encode()})
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


# 2. The request's shape: size and CSRF.

JSON = "application/json"
PREFLIGHT_HEADERS = ("x-requested-with", "apollo-require-preflight", "x-apollo-operation-name")

# CORS (with ``CORS_ORIGINS`` set): the headers browser clients send besides the safelisted ones,
# which a preflight must allow: Apollo Client's name and version, OpenTelemetry's W3C trace
# context and baggage, and ``X-Request-ID`` (ties the logs of a request to the client's).
CORS_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    REQUEST_ID_HEADER.lower(),
    *PREFLIGHT_HEADERS,
    "apollographql-client-name",
    "apollographql-client-version",
    "traceparent",
    "tracestate",
    "baggage",
)
# Response headers browser code may read beyond the safelisted ones: when to retry a 429, and
# the id to quote in a report (also in every error's ``extensions.requestId``).
CORS_EXPOSED_HEADERS = ("Retry-After", REQUEST_ID_HEADER)


class RequestRefused(Exception):
    """A request refused before execution: an HTTP status and a JSON error."""

    def __init__(
        self,
        status: int,
        message: str | Text,
        headers: dict[str, str] | None = None,
        code: ErrorCode = ErrorCode.BAD_REQUEST,
    ) -> None:
        super().__init__(str(message))
        self.status, self.message, self.headers, self.code = status, message, headers, code


def check_query_string(request: Request, max_bytes: int) -> None:
    """A GET request's query string is its body: the same ceiling applies."""
    if max_bytes and len(request.scope.get("query_string", b"")) > max_bytes:
        raise RequestRefused(
            414,
            _("The query string is longer than {limit} bytes; send it with POST.", limit=max_bytes),
            code=ErrorCode.PAYLOAD_TOO_LARGE,
        )


def check_post_media(request: Request) -> None:
    """Refuse a POST body a cross-site form could send (415), unless a preflight header is set."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media.startswith("multipart/"):
        raise RequestRefused(415, _("Multipart requests are not accepted; send {json}.", json=JSON))
    if media == JSON:
        return
    if any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return
    raise RequestRefused(
        415,
        _("Send the request as {json} (or set an Apollo-Require-Preflight or X-Requested-With header).", json=JSON),
    )


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The body, refused with 413 as soon as it is longer than ``max_bytes`` (0: no limit),
    whether or not the client announced its length."""
    too_large = RequestRefused(
        413, _("The request body is larger than {limit} bytes.", limit=max_bytes), code=ErrorCode.PAYLOAD_TOO_LARGE
    )
    declared = request.headers.get("content-length", "")
    if max_bytes and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if max_bytes and size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:
        raise RequestRefused(400, _("The client went away before sending the whole body.")) from None
    return b"".join(chunks)


# 3. The request's JSON (and every WebSocket frame's).

MAX_DEPTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadRefused(ValueError):
    """The JSON cannot be read (``syntax``), is nested too deeply, or holds invalid Unicode."""

    def __init__(self, message: str | Text, *, syntax: bool = False) -> None:
        super().__init__(str(message))  # in the language of the request or socket (resolvers/core.py)
        self.message, self.syntax = str(message), syntax


def read_json(data: str | bytes) -> Any:
    """The value of the JSON text ``data``, or ``PayloadRefused``."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PayloadRefused(_("The JSON is not valid UTF-8."), syntax=True) from None
    if _too_deep(data):
        raise PayloadRefused(_("The JSON is nested more than {depth} levels deep.", depth=MAX_DEPTH))
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise PayloadRefused(_("The JSON cannot be read."), syntax=True) from None
    if _holds_surrogate(value):
        raise PayloadRefused(_("The JSON holds a lone UTF-16 surrogate, which is not valid Unicode text."))
    return value


def _too_deep(text: str) -> bool:
    """Whether the brackets outside strings nest deeper than MAX_DEPTH (checked before parsing:
    the parser itself recurses once a level). Brackets of invalid JSON may be miscounted; the
    parser refuses such text anyway."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text) if '"' in text else text):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        else:
            depth -= 1
    return False


def _holds_surrogate(value: Any) -> bool:
    """Whether a string anywhere in ``value`` (at most MAX_DEPTH levels) has a lone surrogate
    (escaped as ``\\udXXX`` in the text)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
