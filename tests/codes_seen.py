"""Every ``extensions.code`` the suite sees is a member of the catalogue (``resolvers.codes``).

``watch(app)`` wraps an app the suite talks to (HTTP and WebSocket alike): each JSON body and
text frame the app sends is read, and a code outside ``ErrorCode`` is recorded in ``UNKNOWN``;
``tests/conftest.py`` fails the test that saw one (an autouse fixture)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from resolvers.codes import ErrorCode

CODES = frozenset(ErrorCode)
UNKNOWN: list[tuple[str, object]] = []  # (where it was seen, the code)


def codes_in(value: object) -> list[object]:
    """Every ``extensions.code`` anywhere in a decoded JSON document."""
    found: list[object] = []
    if isinstance(value, dict):
        extensions = value.get("extensions")
        if isinstance(extensions, dict) and "code" in extensions:
            found.append(extensions["code"])
        for item in value.values():
            found.extend(codes_in(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(codes_in(item))
    return found


def check(where: str, payload: str | bytes) -> None:
    try:
        document = json.loads(payload)
    except ValueError:
        return  # not JSON (CSV, metrics, HTML): no GraphQL errors in it
    UNKNOWN.extend((where, code) for code in codes_in(document) if code not in CODES)


class watch:  # used like a function: watch(app)
    """``app`` as the suite sees it, its answers checked (attributes are the app's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        where = f"{scope['type']} {scope.get('path', '')}"
        body: list[bytes] = []

        async def checked(message: Message) -> None:
            if message["type"] == "http.response.body":
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    check(where, b"".join(body))
            elif message["type"] == "websocket.send":
                check(where, message.get("text") or message.get("bytes") or b"")
            await send(message)

        await self.app(scope, receive, checked)
