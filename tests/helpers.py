"""Shared look-ups for tests: find demo objects through the models (set-up only)."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from tortoise.models import Model
from websockets.asyncio.client import ClientConnection, connect

import models
from resolvers.ids import to_global_id


async def demo_student(login: str) -> models.Student:
    return await models.Student.get(user__login=login)


async def children_of(login: str) -> list[models.Student]:
    return await models.Student.filter(
        guardianships__guardian__login=login, guardianships__revoked_at__isnull=True
    ).order_by("full_name")


async def school_class(school: str, name: str) -> models.SchoolClass:
    return await models.SchoolClass.get(school__name=school, grade_level=int(name[:-1]), letter=name[-1])


async def past_lesson(class_name: str, subject: str, school: str = "School No. 1", offset: int = 0) -> models.Lesson:
    """A lesson of the class and subject that has already started (``offset``-th most recent)."""
    klass = await school_class(school, class_name)
    lessons = (
        await models.Lesson.filter(
            school_class_id=klass.id,
            subject__name=subject,
            starts_at__lt=datetime.now(UTC),
            status=models.LessonStatus.SCHEDULED,
        )
        .order_by("-starts_at")
        .limit(offset + 1)
    )
    return lessons[offset]


async def future_lesson(class_name: str, subject: str, school: str = "School No. 1") -> models.Lesson:
    klass = await school_class(school, class_name)
    lesson = (
        await models.Lesson.filter(school_class_id=klass.id, subject__name=subject, starts_at__gt=datetime.now(UTC))
        .order_by("starts_at")
        .first()
    )
    assert lesson is not None
    return lesson


def gid(obj: Model, name: str) -> str:
    return to_global_id(name, obj.pk)


def free_port() -> int:
    """A TCP port nothing listens on right now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


GRADE_CREATE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"


async def grade_over_http(address: str, token: str | None, comment: str, value: str = "5") -> None:
    """As the demo teacher, over real HTTP to ``address``: grade the demo student in the
    latest 5A mathematics lesson."""
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Mathematics")
    variables = {
        "input": {
            "studentId": gid(child, "Student"),
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
