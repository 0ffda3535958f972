"""diaryEvents end to end over a real WebSocket: the right parent receives, the other
parent receives nothing, resume by cursor, revoked guardianship, bad tokens. Each test builds
its own school from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import models
from pubsub import broker
from pubsub.broker import student_topic
from resolvers.core import now_utc, today_utc
from resolvers.outbox import encode_cursor
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

EVENTS = """
subscription E($studentId: ID, $after: String) { diaryEvents(studentId: $studentId, after: $after) {
  cursor kind occurredAt student { id fullName } grade { value comment subject { name } } } }
"""
CREATE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }
"""


def _error_code(message: dict[str, Any]) -> str:
    """The code of an operation error: an `error` message (refused before execution) or a
    `next` whose result carries errors (refused by the resolver), per protocol."""
    payload = message["payload"]
    errors = payload if message["type"] == "error" else payload.get("errors")
    assert errors, message
    return str(errors[0]["extensions"]["code"])


@dataclass
class World:
    kit: SchoolKit
    teacher: models.User  # mathematics in 5A
    parent: models.User
    child: models.Student  # 5A, with a login of their own
    other_parent: models.User
    other_child: models.Student  # 5A, another family
    lesson: models.Lesson  # a past mathematics lesson of 5A

    @property
    def admin(self) -> models.User:
        assert self.kit.admin is not None
        return self.kit.admin


async def _world(factory: Factory) -> World:
    """A school with 5A and 7A; the teacher teaches mathematics in 5A, where two families have
    a child each; one mathematics lesson of 5A on the last school day."""
    kit = await factory.school(classes=("5A", "7A"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    other_parent = await factory.parent("other")
    other_child = await factory.student(kit, "5A", "vera", guardians=[other_parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    return World(kit, teacher, parent, child, other_parent, other_child, lesson)


async def _grade(teacher: Client, student: models.Student, lesson: models.Lesson, value: str, comment: str) -> None:
    result = await teacher.data(
        CREATE,
        input={
            "studentId": gid(student, "Student"),
            "lessonId": gid(lesson, "Lesson"),
            "value": value,
            "comment": comment,
        },
    )
    assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result


@pytest.mark.parametrize(
    ("protocol", "key"),
    [("graphql-transport-ws", "Authorization"), ("graphql-ws", "authToken"), ("graphql-transport-ws", "authorization")],
)
async def test_parent_receives_grade_other_parent_nothing(
    server_url: str, factory: Factory, protocol: str, key: str
) -> None:
    world = await _world(factory)
    mine = await open_socket(server_url, factory.client(world.parent).token, protocol, key)
    theirs = await open_socket(server_url, factory.client(world.other_parent).token, protocol, key)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    child = world.child
    await asyncio.sleep(0.2)
    await _grade(factory.client(world.teacher), child, world.lesson, "5", f"live via {protocol}")
    message = await mine.next()
    assert message["type"] in ("next", "data"), message
    event = message["payload"]["data"]["diaryEvents"]
    assert event["kind"] == "GRADE_ADDED"
    assert event["student"]["id"] == gid(child, "Student")
    assert event["grade"] == {"value": "5", "comment": f"live via {protocol}", "subject": {"name": "Mathematics"}}
    await theirs.nothing()
    await mine.ws.close()
    await theirs.ws.close()


async def test_other_parent_cannot_name_someone_elses_child(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    child = world.child
    other_parent = factory.client(world.other_parent)
    socket = await open_socket(server_url, other_parent.token)
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    message = await socket.next()
    assert _error_code(message) == "BAD_USER_INPUT"
    unknown = await open_socket(server_url, other_parent.token)
    await unknown.start(EVENTS, studentId=gid(models.Student(id=10**9), "Student"))
    other = await unknown.next()
    assert other["payload"] == message["payload"]


async def test_resume_after_cursor_replays_in_order_without_duplicates(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    child, lesson = world.child, world.lesson
    parent, teacher = factory.client(world.parent), factory.client(world.teacher)
    socket = await open_socket(server_url, parent.token)
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    await asyncio.sleep(0.2)
    await _grade(teacher, child, lesson, "3", "before disconnect")
    first = (await socket.next())["payload"]["data"]["diaryEvents"]
    await socket.ws.close()
    await _grade(teacher, child, lesson, "4", "missed 1")
    await _grade(teacher, child, lesson, "5", "missed 2")

    again = await open_socket(server_url, parent.token)
    await again.start(EVENTS, studentId=gid(child, "Student"), after=first["cursor"])
    replayed = [(await again.next())["payload"]["data"]["diaryEvents"] for _ in range(2)]
    assert [e["grade"]["comment"] for e in replayed] == ["missed 1", "missed 2"]
    await _grade(teacher, child, lesson, "2", "live after replay")
    live = (await again.next())["payload"]["data"]["diaryEvents"]
    assert live["grade"]["comment"] == "live after replay"
    await again.nothing()
    await again.ws.close()


async def test_unknown_cursor_is_refused(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    socket = await open_socket(server_url, factory.client(world.parent).token)
    await socket.start(EVENTS, after="bm9wZQ")
    assert _error_code(await socket.next()) == "BAD_USER_INPUT"


async def test_revoked_guardian_stops_receiving_at_once(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    child, teacher = world.child, factory.client(world.teacher)
    link = await models.Guardianship.create(guardian=world.other_parent, student=child, relation="mother")
    socket = await open_socket(server_url, factory.client(world.other_parent).token)
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    await asyncio.sleep(0.2)
    await _grade(teacher, child, world.lesson, "4", "while a guardian")
    assert (await socket.next())["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "while a guardian"
    link.revoked_at = now_utc()
    await link.save()
    await _grade(teacher, child, world.lesson, "5", "after revocation")
    message = await socket.next()
    assert message["type"] == "complete"  # the stream ends; nothing about the child is sent
    await socket.ws.close()


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_bad_token_closes_with_4403(server_url: str, protocol: str) -> None:
    ws = await connect(server_url, subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}))
    if protocol == "graphql-ws":  # the legacy protocol says why before closing
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_error"
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_anonymous_socket_cannot_subscribe(server_url: str) -> None:
    socket = await open_socket(server_url, None)
    await socket.start(EVENTS)
    assert _error_code(await socket.next()) == "UNAUTHENTICATED"


CLASS_EVENTS = """
subscription C($classId: ID!, $after: String) { classEvents(classId: $classId, after: $after) {
  cursor kind student { fullName } grade { value comment } } }
"""


async def test_teacher_follows_a_class_they_teach(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    klass = world.kit.classes["5A"]
    teacher = factory.client(world.teacher)
    socket = await open_socket(server_url, teacher.token)
    await socket.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    watcher = await open_socket(server_url, factory.client(world.admin).token)
    await watcher.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    await asyncio.sleep(0.2)
    await _grade(teacher, world.other_child, world.lesson, "3", "for the class feed")
    for client_socket in (socket, watcher):
        event = (await client_socket.next())["payload"]["data"]["classEvents"]
        assert (event["kind"], event["grade"]["comment"]) == ("GRADE_ADDED", "for the class feed")
    await socket.ws.close()
    await watcher.ws.close()


@pytest.mark.parametrize(
    ("who", "class_name"),
    [("a parent in the class", "5A"), ("a teacher of 5A only", "7A"), ("a pupil of the class", "5A")],
)
async def test_class_feed_only_for_its_teachers_and_admins(
    server_url: str, factory: Factory, who: str, class_name: str
) -> None:
    world = await _world(factory)
    users = {
        "a parent in the class": world.parent,
        "a teacher of 5A only": world.teacher,
        "a pupil of the class": await models.User.get(id=world.child.user_id),
    }
    client = factory.client(users[who])
    klass = world.kit.classes[class_name]
    socket = await open_socket(server_url, client.token)
    await socket.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    assert _error_code(await socket.next()) == "BAD_USER_INPUT"
    await socket.ws.close()


async def test_subscriptions_per_connection_are_limited(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    parent = factory.client(world.parent)
    socket = await open_socket(server_url, parent.token)
    for op in range(20):
        await socket.start(EVENTS, op_id=str(op))
    await socket.start(EVENTS, op_id="one-too-many")
    refused = await socket.next()
    assert (refused["type"], refused["id"]) == ("error", "one-too-many")
    assert refused["payload"][0]["extensions"] == {
        "code": "RATE_LIMITED",
        "limit": 20,
        "requestId": refused["payload"][0]["extensions"].get("requestId"),
    }
    assert refused["payload"][0]["extensions"]["requestId"]
    assert "At most 20" in refused["payload"][0]["message"]
    await socket.ws.close()
    legacy = await open_socket(server_url, parent.token, "graphql-ws", "authToken")
    for op in range(21):
        await legacy.start(EVENTS, op_id=str(op))
    refused = await legacy.next()
    assert (refused["type"], refused["id"]) == ("error", "20")
    assert refused["payload"]["extensions"]["code"] == "RATE_LIMITED"
    await legacy.ws.close()


async def test_a_subscriber_that_falls_behind_is_disconnected_with_1013(
    server_url: str, app: Any, factory: Factory
) -> None:
    """A full local queue cuts the client off with "Try Again Later" instead of buffering
    without bound; the client then resumes by cursor (tested above). Another family's stream
    goes on: it gets its own grade as usual."""
    world = await _world(factory)
    child = world.child
    socket = await open_socket(server_url, factory.client(world.parent).token)
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    theirs = await open_socket(server_url, factory.client(world.other_parent).token)
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    fanout = app.state.broker._fanout
    topic = student_topic(child.id)
    assert fanout.count(topic) >= 1
    for n in range(fanout.queue_size + 1):  # faster than anyone can read: no await in between
        fanout.dispatch(topic, broker.encode(10**9 + n, "GRADE_ADDED"))

    async def read_until_closed() -> None:
        while True:
            await socket.next()

    with pytest.raises(ConnectionClosed) as closed:
        await read_until_closed()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1013
    assert fanout.count(topic) == 0  # its queue is gone with it
    other_child = world.other_child
    await _grade(factory.client(world.teacher), other_child, world.lesson, "4", "after the slow consumer")
    got = (await theirs.next())["payload"]["data"]["diaryEvents"]
    assert (got["student"]["id"], got["grade"]["comment"]) == (gid(other_child, "Student"), "after the slow consumer")
    await theirs.ws.close()


async def test_one_payload_is_computed_and_encoded_once_for_subscribers_who_see_the_same(
    server_url: str, app: Any, factory: Factory
) -> None:
    """Two parents of the same (only) child subscribed with the same document get the same
    payload: it is executed once and encoded once."""
    world = await _world(factory)
    mother, father = await factory.parent("mother"), await factory.parent("father")
    only_child = await factory.student(world.kit, "5A", "gleb", guardians=[mother, father])
    for guardian in (mother, father):
        assert await models.Guardianship.filter(guardian_id=guardian.id, revoked_at__isnull=True).count() == 1
    sockets = [open_socket(server_url, factory.client(g).token) for g in (mother, father)]
    mother_socket, father_socket = [await s for s in sockets]
    for socket in (mother_socket, father_socket):
        await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    executor = app.state.schema.execution_context_class
    frames = app.state.subscriptions.frames
    executions, hits = executor.executions, frames.hits
    await _grade(factory.client(world.teacher), only_child, world.lesson, "4", "shared")
    first, second = await mother_socket.next(), await father_socket.next()
    assert first["payload"] == second["payload"]
    assert first["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "shared"
    assert executor.executions - executions == 1
    assert frames.hits - hits == 1
    await mother_socket.ws.close()
    await father_socket.ws.close()


SHARED = """
subscription S($after: String, $full: Boolean! = true) {
  diaryEvents(after: $after) { cursor kind grade { value comment @include(if: $full) } } }
"""


@pytest.mark.parametrize("full", [True, False], ids=["same payload", "another payload"])
async def test_devices_resuming_from_different_cursors_share_the_payload_their_variables_make(
    server_url: str, app: Any, factory: Factory, full: bool
) -> None:
    """Each device resumes from its own cursor (``after``), which chooses the stream, not the
    payload: two parents of the same only child, resumed from different events, get one
    execution of the next event. A variable the payload reads still parts them (``$full``)."""
    world = await _world(factory)
    mother, father = await factory.parent("mother"), await factory.parent("father")
    only_child = await factory.student(world.kit, "5A", "gleb", guardians=[mother, father])
    teacher = factory.client(world.teacher)
    for comment in ("earlier", "later"):
        await _grade(teacher, only_child, world.lesson, "4", comment)
    earlier, later = [row.id for row in await models.OutboxEvent.filter(student_id=only_child.id).order_by("id")]
    mother_socket = await open_socket(server_url, factory.client(mother).token)
    father_socket = await open_socket(server_url, factory.client(father).token)
    await mother_socket.start(SHARED, after=encode_cursor(earlier), full=True)
    replayed = (await mother_socket.next())["payload"]["data"]["diaryEvents"]
    assert replayed["grade"]["comment"] == "later"
    await father_socket.start(SHARED, after=encode_cursor(later), full=full)
    await father_socket.nothing()
    executor = app.state.schema.execution_context_class
    executions = executor.executions

    await _grade(teacher, only_child, world.lesson, "5", "shared")
    mine, theirs = await mother_socket.next(), await father_socket.next()
    assert mine["payload"]["data"]["diaryEvents"]["grade"] == {"value": "5", "comment": "shared"}
    assert theirs["payload"]["data"]["diaryEvents"]["grade"] == (
        {"value": "5", "comment": "shared"} if full else {"value": "5"}
    )
    assert executor.executions - executions == (1 if full else 2)
    await mother_socket.ws.close()
    await father_socket.ws.close()
