"""A request's intake: what every HTTP request (and WebSocket frame) passes before it runs.

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
4. **The document it names** (``PersistedQueries``): the ``query`` itself, or a persisted one.
   Apollo's automatic persisted queries (APQ, ``extensions: {persistedQuery: {version: 1,
   sha256Hash}}``): a client first sends only the hash; an unknown hash is answered with
   PERSISTED_QUERY_NOT_FOUND (message "PersistedQueryNotFound", what Apollo's link looks for),
   and the client sends the query with the hash again, which is verified
   (PERSISTED_QUERY_HASH_MISMATCH) and stored: in Redis when ``REDIS_URL`` is set (shared by
   every process, kept a week), otherwise in a bounded in-process LRU. Stored documents are
   ordinary documents: every limit applies to them. Trusted documents
   (``EDIARY_TRUSTED_DOCUMENTS=manifest.json``, built from a folder of ``.graphql`` files by
   ``python server.py trusted-manifest FOLDER``): only the documents of the manifest run, by
   hash or in full; anything else is PERSISTED_QUERY_REQUIRED (HTTP) and nothing is
   registered. The check on the document's own hash is a schema extension
   (schema/persisted.py), so WebSocket subscriptions obey it too.
5. **Its rate limits** (``check``, asked by the schema's extension as an operation starts;
   ``attempt`` for logins and the like): fixed windows counted per key ("mutation:user:42",
   "login:address:10.0.0.7"). Two backends with one contract: ``MemoryLimiter`` counts in this
   process; ``RedisLimiter`` counts in Redis (one Lua script: INCRBY, EXPIRE on the first hit of
   a window, TTL; every bucket of a request in one round trip), so every server process sharing
   ``REDIS_URL`` shares the counts. A window starts at a key's first hit and lasts ``window``
   seconds; ``retry_after`` is what remains of it. Availability beats strictness here: if Redis
   cannot be reached the request is let through (and a warning logged), since refusing every
   mutation would be a worse outage than a flood."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext
from resolvers.errors import RateLimited

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
    payloads may be shared by many subscribers (schema/__init__.py) and are left alone."""
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


# 4. The document it names: persisted queries (APQ) and trusted documents.

_HASH = re.compile(r"[0-9a-f]{64}")


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueryError(Exception):
    def __init__(self, code: ErrorCode, message: str | Text) -> None:
        super().__init__(str(message))
        self.code, self.message = code, message


class QueryStore(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...

    async def close(self) -> None: ...


class MemoryStore:
    """The most recently used ``maxsize`` documents of this process."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._maxsize = maxsize

    async def get(self, digest: str) -> str | None:
        document = self._documents.get(digest)
        if document is not None:
            self._documents.move_to_end(digest)
        return document

    async def put(self, digest: str, document: str) -> None:
        self._documents[digest] = document
        self._documents.move_to_end(digest)
        while len(self._documents) > self._maxsize:
            self._documents.popitem(last=False)

    async def close(self) -> None:
        self._documents.clear()


class RedisStore:
    """Documents shared by every process; each expires a week after its last registration.
    A Redis outage makes lookups miss (the client then sends the full query), never fail. It uses
    the process's command client (its owner closes it)."""

    TTL = 7 * 24 * 3600

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    async def get(self, digest: str) -> str | None:
        try:
            document = await self._client.get(self._prefix + digest)
        except RedisError:
            return None
        return document if isinstance(document, str) else None

    async def put(self, digest: str, document: str) -> None:
        try:
            await self._client.set(self._prefix + digest, document, ex=self.TTL)
        except RedisError:
            return

    async def close(self) -> None:
        return None  # the client is shared: its owner closes it


def load_manifest(path: str | Path) -> dict[str, str]:
    """A trusted-documents manifest: ``{sha256: document}``, or Apollo's persisted query
    manifest (``{"operations": [{"id": sha256, "body": document}]}``). Every hash is checked."""
    raw: Any = json.loads(Path(path).read_text())
    if isinstance(raw, dict) and isinstance(raw.get("operations"), list):
        raw = {op.get("id"): op.get("body") for op in raw["operations"] if isinstance(op, dict)}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: a manifest is a JSON object of sha256 -> document")
    manifest: dict[str, str] = {}
    for digest, document in raw.items():
        if not isinstance(digest, str) or not isinstance(document, str) or sha256(document) != digest:
            raise ValueError(f"{path}: the entry {digest!r} is not the sha256 of its document")
        manifest[digest] = document
    return manifest


def build_manifest(folder: str | Path) -> dict[str, str]:
    """``{sha256: document}`` for every ``.graphql`` file under ``folder`` (the exact text)."""
    documents = sorted(Path(folder).rglob("*.graphql"))
    return {sha256(text): text for text in (p.read_text() for p in documents)}


class PersistedQueries:
    """Turns a request's ``query`` / ``extensions.persistedQuery`` into the document to run."""

    def __init__(self, store: QueryStore, trusted: dict[str, str] | None = None) -> None:
        self.store = store
        self.trusted = trusted

    async def document(self, params: dict[str, Any]) -> str:
        query = params.get("query")
        if query is not None and (not isinstance(query, str) or not query.strip()):
            raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`query` must be a non-empty string."))
        persisted = (params.get("extensions") or {}).get("persistedQuery")
        if persisted is None:
            if query is None:
                raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`query` must be a non-empty string."))
            if self.trusted is not None and sha256(query) not in self.trusted:
                raise _required()
            return str(query)
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1 or not isinstance(digest, str):
            raise PersistedQueryError(
                ErrorCode.BAD_REQUEST, _("`extensions.persistedQuery` must be {version: 1, sha256Hash: <hex sha256>}.")
            )
        digest = digest.lower()
        if not _HASH.fullmatch(digest):
            raise PersistedQueryError(ErrorCode.BAD_REQUEST, _("`sha256Hash` must be 64 hexadecimal digits."))
        if query is not None and sha256(query) != digest:
            raise PersistedQueryError(
                ErrorCode.PERSISTED_QUERY_HASH_MISMATCH, _("`sha256Hash` is not the sha256 of `query`.")
            )
        if self.trusted is not None:
            if digest not in self.trusted:
                raise _required()
            return self.trusted[digest]
        if query is not None:
            await self.store.put(digest, query)
            return str(query)
        stored = await self.store.get(digest)
        if stored is None:
            # Apollo's link reads these words (and the code), not a person: they stay as they are.
            raise PersistedQueryError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
        return stored


# Over HTTP here; over a socket, by the validation rule of ``schema/persisted.py``.
REQUIRED = _("This server runs only the trusted documents its clients ship.")


def _required() -> PersistedQueryError:
    return PersistedQueryError(ErrorCode.PERSISTED_QUERY_REQUIRED, REQUIRED)


def make_store(redis: aioredis.Redis | None, namespace: str = "ediary") -> QueryStore:
    return RedisStore(redis, f"{namespace}:apq:") if redis is not None else MemoryStore()


# 5. The rate limits.

limits_log = logging.getLogger(__name__)


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
            found = await self._script(keys=[self._prefix + key for key, _limit in buckets], args=[cost, window])
        except RedisError as exc:
            limits_log.warning("rate limit not checked, Redis unavailable: %s", exc)
            return [Decision(True, 0, limit, 0) for _key, limit in buckets]
        decisions = []
        for (_key, limit), count, ttl in zip(buckets, found[::2], found[1::2], strict=True):
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
