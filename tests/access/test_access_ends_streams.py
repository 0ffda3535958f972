"""When access ends, every stream stops delivering what was lost, at the next event: each way
access ends (a role removed, a teaching assignment removed, a guardianship revoked, removed from
a chat, the account deactivated, its password reset by an admin) x each subscription it
concerns (diaryEvents, classEvents, chatEvents, notificationEvents), over a real socket, on
whichever backend the suite runs (SQLite + memory broker, PostgreSQL + Redis).

The ending comes first; then the write that would have given the follower an event (a grade, a
chat message, a notification). The stream must not deliver it. A stream that followed only
what was lost ends (``complete``, or the socket closed by the server); one that follows more
(a family's other child, the follower's other chats, their inbox) skips it, and delivers the
next event it may still see (the ``control``), so a stream that merely went quiet does not
pass. Cells that do not apply (a parent follows no class; chat membership is not a role) are
not listed. Each test builds its own school from factories."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

import models
from resolvers.core import today_utc
from tests.chat_helpers import REMOVE, new_chat, run, sent
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import QUIET, Socket, gid, open_socket, pk
from tests.notifying import announced, raced, run_notifier

DIARY = "subscription D($studentId: ID) { diaryEvents(studentId: $studentId) { kind student { id } } }"
CLASS = "subscription C($classId: ID!) { classEvents(classId: $classId) { kind student { id } } }"
CHATS = "subscription { chatEvents { kind chatId member { id } chatMessage { text } } }"
INBOX = "subscription { notificationEvents { notification { kind student { id } chatMessage { text } } } }"
GRADE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"
SETTLE = 0.2  # let a subscription reach the broker before the write


@dataclass
class School:
    """5A and 6B. ``parent`` has anna (5A) and boris (6B); ``teacher`` teaches mathematics in
    both and runs two chats with the parent: 5A's parents (with another 5A parent) and 6B's.
    ``colleague`` teaches Russian in 5A only; ``deputy`` is a second school admin; both are in a
    staff chat with the teacher."""

    app: Any
    factory: Factory
    kit: SchoolKit
    teacher: models.User
    colleague: models.User
    deputy: models.User
    parent: models.User
    anna: models.Student
    boris: models.Student
    link: models.Guardianship  # parent -> anna
    lessons: dict[str, models.Lesson]  # a past mathematics lesson of each class
    chats: dict[str, str]  # "5A", "6B", "staff"

    def client(self, user: models.User | None) -> Client:
        return self.factory.client(user)


async def _school(factory: Factory, app: Any) -> School:
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    colleague = await factory.teacher(kit, [("5A", "Russian language")], name="russian")
    deputy = await factory.user("deputy")
    await models.RoleGrant.create(user=deputy, role=models.Role.SCHOOL_ADMIN, school=kit.school)
    parent, other = await factory.parent("mum"), await factory.parent("vmum")
    anna = await factory.student(kit, "5A", "anna", login=False)
    link = await factory.guardianship(kit, parent, anna)
    boris = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    await factory.student(kit, "5A", "vera", guardians=[other], login=False)
    (day,) = school_days_before(today_utc(), 1)
    lessons = {c: await factory.lesson(kit, c, "Mathematics", teacher, day) for c in ("5A", "6B")}
    client = factory.client(teacher)
    chats = {
        "5A": await new_chat(client, "5A parents", parent, other),
        "6B": await new_chat(client, "6B parents", parent),
        "staff": await new_chat(client, "Staff room", deputy, colleague),
    }
    return School(app, factory, kit, teacher, colleague, deputy, parent, anna, boris, link, lessons, chats)


# Writes: each gives the followers an event --------------------------------------------------


async def _grade(school: School, child: models.Student) -> None:
    """A grade (a diary and class event); its notification is written by the notifier."""
    lesson = school.lessons["5A" if child.id == school.anna.id else "6B"]
    variables = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"}
    result = await school.client(school.teacher).data(GRADE, input=variables)
    assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess", result
    while await run_notifier(school.app):
        pass


async def _message(school: School, chat: str) -> None:
    await sent(school.client(school.teacher), school.chats[chat], f"to {chat}")


# Endings ------------------------------------------------------------------------------------


async def _role_removed(school: School, user: models.User) -> None:
    """No mutation removes a role yet: as an operator would, in the database."""
    assert await models.RoleGrant.filter(user=user, role=models.Role.SCHOOL_ADMIN).delete() == 1


async def _assignment_removed(school: School, user: models.User) -> None:
    document = """mutation T($input: TeachingAssignmentInput!) { teachingAssignmentDelete(input: $input) {
      __typename } }"""
    variables = {
        "teacherId": gid(user, "User"),
        "classId": gid(school.kit.classes["5A"], "SchoolClass"),
        "subjectId": gid(school.kit.subjects["Russian language"], "Subject"),
    }
    result = await school.client(school.kit.admin).data(document, input=variables)
    assert result["teachingAssignmentDelete"]["__typename"] == "TeachingAssignmentSuccess", result


async def _guardianship_revoked(school: School, user: models.User) -> None:
    document = """mutation R($input: GuardianshipRevokeInput!) { guardianshipRevoke(input: $input) {
      __typename } }"""
    variables = {"guardianshipId": gid(school.link, "Guardianship"), "reason": "Court order"}
    result = await school.client(school.kit.admin).data(document, input=variables)
    assert result["guardianshipRevoke"]["__typename"] == "GuardianshipRevokeSuccess", result


async def _removed_from_chat(school: School, user: models.User) -> None:
    result = await run(school.client(school.teacher), REMOVE, chatId=school.chats["5A"], userId=gid(user, "User"))
    assert result["__typename"] == "ChatMemberRemoveSuccess", result


async def _deactivated(school: School, user: models.User) -> None:
    document = 'mutation D($id: ID!) { accountDeactivate(input: {userId: $id, reason: "Left"}) { __typename } }'
    result = await school.client(school.kit.admin).data(document, id=gid(user, "User"))
    assert result["accountDeactivate"]["__typename"] == "AccountDeactivateSuccess", result


async def _password_reset(school: School, user: models.User) -> None:
    document = "mutation R($id: ID!) { passwordReset(input: {userId: $id}) { __typename } }"
    result = await school.client(school.kit.admin).data(document, id=gid(user, "User"))
    assert result["passwordReset"]["__typename"] == "PasswordResetSuccess", result


ENDINGS: dict[str, Callable[[School, models.User], Awaitable[None]]] = {
    "role removed": _role_removed,
    "teaching assignment removed": _assignment_removed,
    "guardianship revoked": _guardianship_revoked,
    "removed from chat": _removed_from_chat,
    "account deactivated": _deactivated,
    "password reset": _password_reset,
}


# The matrix ---------------------------------------------------------------------------------

Write = Callable[[School], Awaitable[None]]
Seen = Callable[[School, dict[str, Any]], bool]  # whether a payload is that write's event


@dataclass(frozen=True)
class Cell:
    """A follower's subscription; the write whose event they lose; and, for a stream that
    follows more than was lost, a write they still see (``control``)."""

    document: str
    follower: Callable[[School], models.User]
    variables: Callable[[School], dict[str, Any]]
    lost: Write
    lost_seen: Seen
    control: Write | None = None
    control_seen: Seen | None = None
    after: Write | None = None  # the write after the ending (default: ``lost`` again)

    def with_race(self, raced: Write) -> Cell:
        """After the ending, ``raced`` too: a notification of the lost source written as by a
        write that checked its recipients a moment before the ending committed. The write
        itself no longer notifies the follower, so only the stream's own check can hold this
        one back (and a deactivated follower's stream has nothing else to wake it)."""

        async def lost_then_raced(school: School) -> None:
            await self.lost(school)
            await raced(school)

        return dataclasses.replace(self, after=lost_then_raced)


def _student(child: Callable[[School], models.Student]) -> Seen:
    def seen(school: School, data: dict[str, Any]) -> bool:
        event = next(iter(data.values()))
        student = event.get("student") or (event.get("notification") or {}).get("student") or {}
        return bool(student.get("id") == gid(child(school), "Student"))

    return seen


def _text(chat: str) -> Seen:
    def seen(school: School, data: dict[str, Any]) -> bool:
        event = next(iter(data.values()))
        message = event.get("chatMessage") or (event.get("notification") or {}).get("chatMessage") or {}
        return bool(message.get("text") == f"to {chat}")

    return seen


def _anna(s: School) -> models.Student:
    return s.anna


def _boris(s: School) -> models.Student:
    return s.boris


def _of_anna(s: School) -> dict[str, Any]:
    return {"studentId": gid(s.anna, "Student")}


def _of_5a(s: School) -> dict[str, Any]:
    return {"classId": gid(s.kit.classes["5A"], "SchoolClass")}


def _nothing(s: School) -> dict[str, Any]:
    return {}


async def _grade_anna(s: School) -> None:
    await _grade(s, s.anna)


async def _grade_boris(s: School) -> None:
    await _grade(s, s.boris)


async def _to_5a(s: School) -> None:
    await _message(s, "5A")


async def _to_6b(s: School) -> None:
    await _message(s, "6B")


async def _to_staff(s: School) -> None:
    await _message(s, "staff")


async def _raced_grade(s: School) -> None:
    grade = await models.Grade.filter(student_id=s.anna.id).order_by("-id").first()
    event = await models.OutboxEvent.filter(grade_id=grade.id if grade else None).first()
    await raced(
        s.app,
        s.parent,
        s.kit.school,
        kind="GRADE_ADDED",
        category=models.NotificationCategory.GRADES,
        student=s.anna,
        outbox_event_id=event.id if event else None,
    )


async def _raced_message(s: School) -> None:
    message = await models.Message.filter(chat_id=pk(s.chats["5A"])).order_by("-id").first()
    assert message is not None
    await raced(
        s.app,
        s.parent,
        s.kit.school,
        kind="CHAT_MESSAGE",
        category=models.NotificationCategory.CHAT_MESSAGES,
        chat_message_id=message.id,
    )


async def _announced(s: School) -> None:
    assert s.kit.admin is not None
    await announced(s.app, s.deputy, s.kit.school, s.kit.admin)


def _announcement(s: School, data: dict[str, Any]) -> bool:
    return bool(data["notificationEvents"]["notification"]["kind"] == "ANNOUNCEMENT_PUBLISHED")


def _parent(s: School) -> models.User:
    return s.parent


def _deputy(s: School) -> models.User:
    return s.deputy


def _colleague(s: School) -> models.User:
    return s.colleague


OF_ANNA, OF_BORIS = _student(_anna), _student(_boris)
PARENT_ENDS = ("guardianship revoked", "account deactivated", "password reset")
MATRIX: dict[tuple[str, str], Cell] = {
    # diaryEvents: a named student out of sight ends it; a family's other child goes on
    ("role removed", "diaryEvents"): Cell(DIARY, _deputy, _of_anna, _grade_anna, OF_ANNA),
    ("teaching assignment removed", "diaryEvents"): Cell(DIARY, _colleague, _of_anna, _grade_anna, OF_ANNA),
    **{(e, "diaryEvents"): Cell(DIARY, _parent, _of_anna, _grade_anna, OF_ANNA) for e in PARENT_ENDS},
    ("guardianship revoked", "diaryEvents of every child"): Cell(
        DIARY, _parent, _nothing, _grade_anna, OF_ANNA, _grade_boris, OF_BORIS
    ),
    # classEvents: the class out of reach ends it
    ("role removed", "classEvents"): Cell(CLASS, _deputy, _of_5a, _grade_anna, OF_ANNA),
    ("teaching assignment removed", "classEvents"): Cell(CLASS, _colleague, _of_5a, _grade_anna, OF_ANNA),
    ("account deactivated", "classEvents"): Cell(CLASS, _colleague, _of_5a, _grade_anna, OF_ANNA),
    ("password reset", "classEvents"): Cell(CLASS, _colleague, _of_5a, _grade_anna, OF_ANNA),
    # chatEvents: the lost chat is skipped, the others go on; out of standing ends it
    ("removed from chat", "chatEvents"): Cell(CHATS, _parent, _nothing, _to_5a, _text("5A"), _to_6b, _text("6B")),
    ("guardianship revoked", "chatEvents"): Cell(CHATS, _parent, _nothing, _to_5a, _text("5A"), _to_6b, _text("6B")),
    ("account deactivated", "chatEvents"): Cell(CHATS, _parent, _nothing, _to_5a, _text("5A")),
    ("password reset", "chatEvents"): Cell(CHATS, _parent, _nothing, _to_5a, _text("5A")),
    # notificationEvents: what is about the lost source is skipped; out of standing ends it
    ("role removed", "notificationEvents"): Cell(
        INBOX, _deputy, _nothing, _announced, _announcement, _to_staff, _text("staff")
    ),
    ("guardianship revoked", "notificationEvents"): Cell(
        INBOX, _parent, _nothing, _grade_anna, OF_ANNA, _grade_boris, OF_BORIS
    ).with_race(_raced_grade),
    ("removed from chat", "notificationEvents"): Cell(
        INBOX, _parent, _nothing, _to_5a, _text("5A"), _to_6b, _text("6B")
    ).with_race(_raced_message),
    ("account deactivated", "notificationEvents"): Cell(INBOX, _parent, _nothing, _grade_anna, OF_ANNA).with_race(
        _raced_grade
    ),
    ("password reset", "notificationEvents"): Cell(INBOX, _parent, _nothing, _to_5a, _text("5A")).with_race(
        _raced_message
    ),
}


async def _next(socket: Socket, timeout: float = 5.0) -> dict[str, Any] | None:
    """The next message of the subscription, or None once the server closed the socket."""
    try:
        return await socket.next(timeout)
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd is not None else None
    assert code in (4401, 4403), f"the socket closed with {code}, not as a session ending"
    return None


async def _event(socket: Socket) -> dict[str, Any]:
    """The next event's data (the socket must be open, the stream going on)."""
    message = await _next(socket)
    assert message is not None, "the stream goes on: the socket must stay open"
    assert message["type"] == "next", message
    data: dict[str, Any] = message["payload"]["data"]
    return data


def _own_removal(data: dict[str, Any]) -> bool:
    """A chat's MEMBER_REMOVED about the follower themself: delivered by design (their client
    drops the chat), carrying no content."""
    event = data.get("chatEvents") or {}
    return bool(event.get("kind") == "MEMBER_REMOVED" and event.get("chatMessage") is None)


@pytest.mark.parametrize(("ending", "stream"), list(MATRIX), ids=[f"{e}-{s}" for e, s in MATRIX])
async def test_nothing_is_delivered_after_access_ends(
    server_url: str, factory: Factory, app: Any, ending: str, stream: str
) -> None:
    school = await _school(factory, app)
    while await run_notifier(app):  # every diary event before this test is notified
        pass
    cell = MATRIX[(ending, stream)]
    follower = cell.follower(school)
    socket = await open_socket(server_url, factory.client(follower).token)
    await socket.start(cell.document, **cell.variables(school))
    await asyncio.sleep(SETTLE)
    await cell.lost(school)  # before the ending, the event arrives: the stream works
    before = await _event(socket)
    assert cell.lost_seen(school, before), before

    await ENDINGS[ending](school, follower)
    await (cell.after or cell.lost)(school)
    if cell.control is None:
        ended = await _next(socket)  # the stream ends (or the server closed the socket)
        assert ended is None or ended["type"] == "complete", ended
        if ended is not None:
            await cell.lost(school)
            await socket.nothing()
    else:
        assert cell.control_seen is not None
        await cell.control(school)
        while True:  # the next event delivered is the control: the lost one was skipped
            data = await _event(socket)
            assert not cell.lost_seen(school, data), data
            if _own_removal(data):
                continue
            assert cell.control_seen(school, data), data
            break
        await cell.lost(school)
        await asyncio.sleep(QUIET / 2)
        await socket.nothing()
    await socket.ws.close()


async def test_a_family_stream_goes_on_while_a_child_is_in_sight_and_ends_with_the_last(
    server_url: str, factory: Factory, app: Any
) -> None:
    """diaryEvents without ``studentId`` follows every child: one guardianship revoked skips
    that child; the last one revoked leaves nothing to follow, and the stream ends."""
    school = await _school(factory, app)
    socket = await open_socket(server_url, factory.client(school.parent).token)
    await socket.start(DIARY)
    await asyncio.sleep(SETTLE)
    await _guardianship_revoked(school, school.parent)
    await _grade(school, school.anna)
    await _grade(school, school.boris)
    event = await _event(socket)
    assert OF_BORIS(school, event), event
    school.link = await models.Guardianship.get(guardian_id=school.parent.id, student_id=school.boris.id)
    await _guardianship_revoked(school, school.parent)
    await _grade(school, school.boris)
    ended = await _next(socket)
    assert ended is None or ended["type"] == "complete", ended
    await socket.ws.close()
