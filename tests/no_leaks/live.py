"""Live probes over a real socket (graphql-transport-ws): who receives an event, and that a
subscription to what is not yours is refused exactly like one to what is not there.

Every user of the world follows ``diaryEvents`` (all their children, a named student, a
missing student), ``classEvents`` (the grade's class, a missing class), ``chatEvents`` and
``notificationEvents``; then a grade is given (published, and notified to the families) and,
when a chat has a current member, that member sends a message through ``messageSend``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from tortoise.models import Model

import models
from edge.settings import Settings
from resolvers import chat_events, outbox, pages
from resolvers.core import to_global_id
from resolvers.inbox import CURSOR_KIND as INBOX_CURSOR
from resolvers.notifier import notify_pending
from tests.conftest import Client
from tests.helpers import Socket, open_socket, session_token
from tests.no_leaks.oracle import classes_in, oracle
from tests.no_leaks.reads import MISSING, PROBES
from tests.no_leaks.world import Spec, World, grade

DIARY = """subscription E($studentId: ID, $after: String) {
  diaryEvents(studentId: $studentId, after: $after) { kind student { id } grade { id } } }"""
CLASS = """subscription C($classId: ID!, $after: String) {
  classEvents(classId: $classId, after: $after) { kind student { id } grade { id } } }"""
CHATS = "subscription H($after: String) { chatEvents(after: $after) { kind chatId chatMessage { id } } }"
INBOX = """subscription I($after: String) { notificationEvents(after: $after) {
  notification { id kind student { id } chatMessage { id chat { id } } } } }"""
QUIET = 2.0  # seconds without a message: the socket has said everything (1 s was too short under CI load)
SEND = 'mutation S($chat: ID!) { messageSend(input: {chatId: $chat, text: "live"}) { __typename } }'


def refused(message: dict[str, Any]) -> bool:
    """An operation error (refused before or by the resolver): no data delivered."""
    if message["type"] == "error":
        return True
    return message["type"] == "next" and bool(message["payload"].get("errors")) and not message["payload"].get("data")


def shape(message: dict[str, Any]) -> Any:
    """What a client can tell apart in a refusal: its type, error messages and codes."""
    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    return message["type"], [(e.get("message"), (e.get("extensions") or {}).get("code")) for e in errors]


def data(messages: list[dict[str, Any]], field: str) -> list[dict[str, Any]]:
    return [m["payload"]["data"][field] for m in messages if m["type"] == "next" and m["payload"].get("data")]


async def drain(socket: Socket) -> dict[str, list[dict[str, Any]]]:
    """Every message until the socket is quiet, by operation id."""
    answers: dict[str, list[dict[str, Any]]] = {}
    while True:
        try:
            message = await socket.next(timeout=QUIET)
        except TimeoutError:
            return answers
        answers.setdefault(message["id"], []).append(message)


async def _newest(model: type[Model], **where: Any) -> int:
    row = await model.filter(**where).order_by("-id").first()
    return int(row.pk) if row is not None else 0


async def _subscribe(server_url: str, settings: Settings, user: models.User, student: int, klass: int) -> Socket:
    """Every stream resumes after what exists now (``after``): however long the server takes to
    set a subscription up, the events that follow are replayed to it, not missed."""
    diary = outbox.encode_cursor(await _newest(models.OutboxEvent))
    chats = chat_events.encode_cursor(await _newest(models.ChatEvent))
    inbox = pages.encode(INBOX_CURSOR, await _newest(models.Notification, user_id=user.id))
    socket = await open_socket(server_url, await session_token(settings, user.id))
    await socket.start(DIARY, op_id="all", after=diary)
    await socket.start(DIARY, op_id="named", studentId=to_global_id("Student", student), after=diary)
    await socket.start(DIARY, op_id="missing", studentId=to_global_id("Student", MISSING), after=diary)
    await socket.start(CLASS, op_id="class", classId=to_global_id("SchoolClass", klass), after=diary)
    await socket.start(CLASS, op_id="noclass", classId=to_global_id("SchoolClass", MISSING), after=diary)
    await socket.start(CHATS, op_id="chats", after=chats)
    await socket.start(INBOX, op_id="inbox", after=inbox)
    return socket


async def _events(
    app: Any, http: httpx.AsyncClient, settings: Settings, world: World, spec: Spec
) -> tuple[models.Grade, int | None]:
    """The grade (published and notified) and the chat a message was sent in, if any."""
    s, n = spec.live_grade
    row = await grade(world.students[s], world.lessons[n])
    event = await models.OutboxEvent.create(
        kind="GRADE_ADDED",
        student_id=row.student_id,
        school_class_id=row.school_class_id,
        grade_id=row.id,
        lesson_id=row.lesson_id,
    )
    world.grades.append(row)
    await outbox.publish(app.state.broker, [event])
    while await notify_pending(app.state.broker, settle=timedelta(0)):
        pass
    member = next((m for m in world.members if m.removed_at is None), None)
    if member is None:
        return row, None
    sender = Client(http, await session_token(settings, member.user_id))
    body = await sender.data(SEND, chat=to_global_id("Chat", member.chat_id))
    assert body["messageSend"]["__typename"] == "MessageSendSuccess", body
    return row, member.chat_id


async def probe_live(
    app: Any, http: httpx.AsyncClient, server_url: str, settings: Settings, world: World, spec: Spec
) -> None:
    """The families, teachers and admins the oracle allows receive the grade; the chat's
    current members its message; the grade's families and the chat's members a notification;
    nobody else anything. Following what is not yours is refused like following what is not there."""
    student = world.students[spec.live_grade[0]]
    klass = world.lessons[spec.live_grade[1]].school_class_id
    sockets = [(u, await _subscribe(server_url, settings, u, student.id, klass)) for u in world.users]
    try:
        await asyncio.sleep(0.2)
        row, chat = await _events(app, http, settings, world, spec)
        drained = await asyncio.gather(*(drain(socket) for _user, socket in sockets))
    finally:
        for _user, socket in sockets:
            await socket.ws.close()
    family = {g.guardian_id for g in world.guardianships if g.student_id == student.id and g.revoked_at is None}
    family |= {student.user_id} if student.user_id is not None else set()
    members = {m.user_id for m in world.members if m.chat_id == chat and m.removed_at is None}
    chat_ids = {to_global_id("Chat", chat)} if chat is not None else set()
    for user, answers in zip((u for u, _s in sockets), drained, strict=True):
        allowed = oracle(world, user.id)
        where = ("live", user.id, student.id, answers)
        PROBES["diaryEvents(studentId)"] += 1
        if student.id in allowed["Student"]:
            # A teacher of one class of a transferred child follows that class's events only (its
            # window, ``resolvers/policy/windows.py``), an admin those of the classes of their
            # schools; an event of another class is skipped. The family follows them all.
            whole = student.id in allowed.children or student.user_id == user.id
            staffed = allowed.taught | classes_in(allowed.admin_schools, world)
            in_window = whole or any(
                e.student_id == student.id and e.school_class_id == klass and klass in staffed
                for e in world.enrollments
            )
            # a group's teacher (no other window on the class): an event of a class of one of the
            # member's windows (it carries no day) that names a grade and a lesson they read
            in_window = in_window or (
                any(x.student_id == student.id and klass in x.classes for x in allowed.group_windows)
                and row.id in allowed["Grade"]
                and row.lesson_id in allowed["Lesson"]
            )
            expected_grades = [to_global_id("Grade", row.id)] if in_window else []
            assert [g["grade"]["id"] for g in data(answers.get("named", []), "diaryEvents")] == expected_grades, where
        else:
            assert shape(answers["named"][0]) == shape(answers["missing"][0]), where
        PROBES["diaryEvents"] += 1
        delivered = {g["student"]["id"] for g in data(answers.get("all", []), "diaryEvents")}
        expected = {to_global_id("Student", student.id)} if student.id in allowed.children else set()
        assert delivered == expected or (
            student.user_id == user.id and delivered <= {to_global_id("Student", student.id)}
        ), where
        PROBES["classEvents"] += 1
        if klass in allowed.followed:
            assert [g["grade"]["id"] for g in data(answers["class"], "classEvents")] == [to_global_id("Grade", row.id)]
        else:
            assert shape(answers["class"][0]) == shape(answers["noclass"][0]), where
        PROBES["chatEvents"] += len(world.chats)
        chats = {e["chatId"] for e in data(answers.get("chats", []), "chatEvents")}
        assert chats == (chat_ids if user.id in members else set()), where
        PROBES["notificationEvents"] += 1
        inbox = [e["notification"] for e in data(answers.get("inbox", []), "notificationEvents")]
        about = {n["student"]["id"] for n in inbox if n["student"] is not None}
        assert about == ({to_global_id("Student", student.id)} if user.id in family else set()), where
        in_chats = {n["chatMessage"]["chat"]["id"] for n in inbox if n["chatMessage"] is not None}
        assert in_chats <= (chat_ids if user.id in members else set()), where
