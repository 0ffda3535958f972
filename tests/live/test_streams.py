"""Every live stream runs on one core (``resolvers/outbox.py``): idle, it is parked (no task
of its own) and still receives its events; it asks the same check of each event as it delivers
it, so once the account is deactivated or reset to a one-time password, the next event ends the
stream, whichever stream it is, and nothing of that event is sent. Each test builds its own
school from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

import models
from resolvers.core import now_utc, today_utc
from tests.chat_helpers import new_chat, sent
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import Socket, gid, open_socket, operation_tasks, reached
from tests.notifying import announced

DIARY = "subscription { diaryEvents { kind } }"
CLASS = "subscription C($classId: ID!) { classEvents(classId: $classId) { kind } }"
CHATS = "subscription { chatEvents { kind } }"
INBOX = "subscription { notificationEvents { notification { kind } } }"
GRADE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"
SETTLE = 0.2  # let the subscription reach the broker before the write


@dataclass
class Room:
    """5A of a school: a mathematics teacher, a colleague who also teaches 5A (who follows the
    class), a parent with a child in 5A, a past lesson, and a chat of the teacher and the parent."""

    kit: SchoolKit
    teacher: Client
    colleague: models.User
    parent: models.User
    child: models.Student
    lesson: models.Lesson
    chat: str
    app: Any  # the server's, for its broker
    grades: int = 0


async def _room(factory: Factory, app: Any) -> Room:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    colleague = await factory.teacher(kit, [("5A", "Russian language")], name="russian")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    chat = await new_chat(factory.client(teacher), "Standing", parent)
    return Room(kit, factory.client(teacher), colleague, parent, child, lesson, chat, app)


async def _grade(room: Room) -> None:
    room.grades += 1
    variables = {"studentId": gid(room.child, "Student"), "lessonId": gid(room.lesson, "Lesson"), "value": "5"}
    result = await room.teacher.data(GRADE, input={**variables, "comment": f"grade {room.grades}"})
    assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result


async def _message(room: Room) -> None:
    await sent(room.teacher, room.chat, "Hello")


async def _notification(room: Room) -> None:
    """A notification in the parent's inbox, and its wake-up: written as the notifier writes one
    (a deactivation that commits a moment after its check of the account is still this)."""
    assert room.kit.admin is not None
    await announced(room.app, room.parent, room.kit.school, room.kit.admin)


@dataclass(frozen=True)
class Stream:
    """A subscription, who follows it, and a write that gives them an event of it."""

    document: str
    follower: Callable[[Room], models.User]
    variables: Callable[[Room], dict[str, Any]]
    event: Callable[[Room], Awaitable[None]]


STREAMS = {
    "diaryEvents": Stream(DIARY, lambda r: r.parent, lambda r: {}, _grade),
    "classEvents": Stream(
        CLASS, lambda r: r.colleague, lambda r: {"classId": gid(r.kit.classes["5A"], "SchoolClass")}, _grade
    ),
    "chatEvents": Stream(CHATS, lambda r: r.parent, lambda r: {}, _message),
    "notificationEvents": Stream(INBOX, lambda r: r.parent, lambda r: {}, _notification),
}


# An account out of standing, as its row reads once the admin's write committed. Written here
# without ending the account's sessions: the state of a process the ending has not reached yet (its
# broker message lost, the periodic check not run: ``schema/websocket.py``), when the check
# of each event alone stands between the stream and the next event.
OUT_OF_STANDING = {"deactivated": {"is_active": False}, "reset": {"must_change_password": True}}


async def _delivering(server_url: str, factory: Factory, app: Any, name: str) -> tuple[Room, models.User, Socket]:
    """The room, and the follower of stream ``name`` over a socket once it delivered an event."""
    room = await _room(factory, app)
    stream = STREAMS[name]
    follower = stream.follower(room)
    socket = await open_socket(server_url, factory.client(follower).token)
    await socket.start(stream.document, **stream.variables(room))
    await asyncio.sleep(SETTLE)
    await stream.event(room)
    seen = await socket.next()
    assert seen["type"] == "next", seen
    assert seen["payload"]["data"][name], seen
    return room, follower, socket


@pytest.mark.parametrize("change", list(OUT_OF_STANDING))
@pytest.mark.parametrize("name", list(STREAMS))
async def test_a_stream_ends_once_the_account_is_out_of_standing(
    server_url: str, factory: Factory, app: Any, name: str, change: str
) -> None:
    room, follower, socket = await _delivering(server_url, factory, app, name)
    await models.User.filter(id=follower.id).update(**OUT_OF_STANDING[change])
    await STREAMS[name].event(room)
    ended = await socket.next()
    assert ended["type"] == "complete", ended  # the stream ends instead of delivering the event
    await socket.ws.close()


@pytest.mark.parametrize("name", list(STREAMS))
async def test_a_stream_delivers_nothing_once_its_session_ended(
    server_url: str, factory: Factory, app: Any, name: str
) -> None:
    """The session ended in the table only (a process the ending has not reached yet): the
    check of the next event refuses it, whether or not the socket is closed first."""
    room, follower, socket = await _delivering(server_url, factory, app, name)
    await models.Session.filter(user_id=follower.id).update(ended_at=now_utc(), end_reason="REVOKED")
    await STREAMS[name].event(room)
    code: int | None = None
    try:
        after = await socket.next()
    except ConnectionClosed as closed:  # the process's own check of recent endings came first
        code = closed.rcvd.code if closed.rcvd is not None else None
        after = {"type": "closed"}
    assert after["type"] == "complete" or code == 4401, after  # ended instead of delivering the event
    await socket.ws.close()


@pytest.mark.parametrize("name", list(STREAMS))
async def test_every_stream_is_parked_while_idle(server_url: str, factory: Factory, app: Any, name: str) -> None:
    room = await _room(factory, app)
    stream = STREAMS[name]
    baseline = await reached(operation_tasks, 0)
    socket = await open_socket(server_url, factory.client(stream.follower(room)).token)
    await socket.start(stream.document, **stream.variables(room))
    await asyncio.sleep(SETTLE)
    assert await reached(operation_tasks, baseline) == baseline, "an idle subscription keeps a task of its own"
    for _ in range(2):
        await stream.event(room)
        message = await socket.next()
        assert message["type"] == "next", message
        assert message["payload"]["data"][name], message
        assert await reached(operation_tasks, baseline) == baseline, "a subscription parks again after its event"
    await socket.ws.close()
