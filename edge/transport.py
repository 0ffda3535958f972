"""What an HTTP request must look like before GraphQL sees it: body size and CSRF rules.

CSRF: a browser sends a cross-site POST without a CORS preflight only for "simple" requests
(form-urlencoded, multipart or text/plain bodies, no custom headers). So a POST must be
``application/json`` (which forces a preflight), or carry one of ``PREFLIGHT_HEADERS`` (a
custom header also forces one); multipart is refused outright (no uploads here). GET runs
queries only (the view refuses mutations over GET with 405), so a link cannot change data.
"""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request

from edge import request_id
from resolvers.codes import ErrorCode
from resolvers.i18n import Text, _

JSON = "application/json"
PREFLIGHT_HEADERS = ("x-requested-with", "apollo-require-preflight", "x-apollo-operation-name")

# CORS (with ``CORS_ORIGINS`` set): the request headers browser clients send besides the
# safelisted ones (Accept, Accept-Language, Content-Language, Content-Type), which a preflight
# must allow or the browser never sends the request. Apollo Client names itself
# (``apollographql-client-name``/``-version``); OpenTelemetry's browser SDK propagates W3C trace
# context (``traceparent``, ``tracestate``) and ``baggage``; ``X-Request-ID`` ties the logs of a
# request to the client's.
CORS_REQUEST_HEADERS = (
    "authorization",
    "content-type",
    request_id.HEADER.lower(),
    *PREFLIGHT_HEADERS,
    "apollographql-client-name",
    "apollographql-client-version",
    "traceparent",
    "tracestate",
    "baggage",
)
# Response headers browser code may read beyond the safelisted ones: when to retry a 429, and
# the id to quote in a report (also in every error's ``extensions.requestId``).
CORS_EXPOSED_HEADERS = ("Retry-After", request_id.HEADER)


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


def check_query_string(request: Request, max_bytes: int) -> None:
    """A GET request's query string is its body: the same ceiling applies."""
    if max_bytes and len(request.scope.get("query_string", b"")) > max_bytes:
        raise RequestRefused(
            414,
            _("The query string is longer than {limit} bytes; send it with POST.", limit=max_bytes),
            code=ErrorCode.PAYLOAD_TOO_LARGE,
        )
