"""Shared test helpers: ids, rounding as the API promises, ports, sockets, a grade over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from tortoise.models import Model
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import models
from edge.settings import Settings
from resolvers import sessions
from resolvers.core import from_global_id, to_global_id


def half_up(numerator: float, denominator: float, places: int = 2) -> Decimal:
    """numerator / denominator rounded half up, as the API rounds averages (never a float ``round``)."""
    exact = Decimal(str(numerator)) / Decimal(str(denominator))
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def pk(global_id: str) -> int:
    """The database id inside a global id (which must be well-formed)."""
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


def result(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The mutation ``name``'s result in a response's ``data``."""
    value: dict[str, Any] = body[name]
    return value


def gid(obj: Model, name: str) -> str:
    return to_global_id(name, obj.pk)


def free_port() -> int:
    """A TCP port nothing listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


GRADE_CREATE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"


async def grade_over_http(
    address: str, token: str | None, student: models.Student, lesson: models.Lesson, comment: str, value: str = "5"
) -> None:
    """As the lesson's teacher (``token``), over real HTTP to ``address``: grade ``student``."""
    variables = {
        "input": {
            "studentId": gid(student, "Student"),
            "lessonId": gid(lesson, "Lesson"),
            "value": value,
            "comment": comment,
        }
    }
    async with httpx.AsyncClient(base_url=f"http://{address}") as http:
        r = await http.post(
            "/graphql",
            json={"query": GRADE_CREATE, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert (r.json().get("data") or {}).get("gradeCreate", {}).get("__typename") == "GradeCreateSuccess", r.text


QUIET = 0.5  # seconds to wait for something that must not arrive


class Socket:
    """A graphql-transport-ws (or legacy graphql-ws) client."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws, self.protocol = ws, protocol

    async def start(self, query: str, op_id: str = "1", **variables: Any) -> None:
        kind = "subscribe" if self.protocol == "graphql-transport-ws" else "start"
        await self.ws.send(json.dumps({"id": op_id, "type": kind, "payload": {"query": query, "variables": variables}}))

    async def next(self, timeout: float = 5.0) -> dict[str, Any]:
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            if message["type"] in ("ka", "ping", "pong"):
                continue
            return dict(message)

    async def nothing(self) -> None:
        with pytest.raises(TimeoutError):
            await self.next(timeout=QUIET)

    async def closed(self, timeout: float = 5.0) -> int:
        """The code the server closes the socket with; any message before it fails the test."""
        try:
            message = await self.next(timeout)
        except ConnectionClosed as closed:
            received = closed.rcvd
        else:
            raise AssertionError(f"a message instead of the close: {message}")
        assert received is not None, "closed without a close frame"
        return received.code


async def open_socket(
    url: str, token: str | None, protocol: str = "graphql-transport-ws", payload_key: str = "Authorization"
) -> Socket:
    ws = await connect(url, subprotocols=[protocol])  # type: ignore[list-item]
    init: dict[str, Any] = {"type": "connection_init"}
    if token is not None:
        init["payload"] = {payload_key: f"Bearer {token}" if payload_key != "authToken" else token}
    await ws.send(json.dumps(init))
    socket = Socket(ws, protocol)
    ack = await socket.next()
    assert ack["type"] == "connection_ack", ack
    return socket


# The tasks that run a WebSocket operation: one per running operation, none per parked one.
# (Strawberry's method names, which our handlers override: schema/websocket.py.)
OPERATION_TASKS = ("run_operation", "handle_async_results")


def operation_tasks() -> int:
    return sum(
        1
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").rsplit(".", 1)[-1] in OPERATION_TASKS
    )


async def reached(measure: Callable[[], int], expected: int, seconds: float = 5.0) -> int:
    """``measure()`` once it equals ``expected``, or after ``seconds`` (a loaded machine is slow)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while (value := measure()) != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    return value


async def session_token(settings: Settings, user_id: int) -> str:
    """An access token of a new live session of the user (for users the factory did not make)."""
    session = await sessions.open_session(user_id)
    return sessions.issue_access_token(settings, user_id, session.id)


def access_application(school: models.School, **overrides: Any) -> dict[str, Any]:
    """A parent's application for access to a child of ``school`` (``accessRequestSubmit``'s
    input), with ``overrides``."""
    return {
        "schoolId": gid(school, "School"),
        "childFullName": "Vera Zayavkina",
        "childBirthDate": "2015-04-05",
        "birthCertificateNumber": "II-MYu 123456",
        "identityDocument": "Passport 4510 123456",
        "relation": "MOTHER",
        "consent": True,
        **overrides,
    }
