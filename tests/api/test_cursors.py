"""Cursors reveal nothing about other people's activity (``resolvers/pages.py``,
``resolvers/outbox.py``): a parent of one school cannot tell whether a teacher of another
school graded anyone, whatever cursor they subscribe with, on any stream; and the cursors of
two of their own consecutive events do not tell how many events happened in between."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from tortoise.models import Model

import models
from resolvers import chat_events, inbox, outbox, pages
from resolvers.core import to_global_id, today_utc
from resolvers.notifier import notify_pending
from tests.chat_helpers import new_chat, sent
from tests.client import Client
from tests.factories import Factory, school_days_before
from tests.helpers import GRADE_CREATE, QUIET, gid, open_socket, pk
from tests.worlds import GradedFamily, graded_family

DIARY = "subscription S($after: String) { diaryEvents(after: $after) { cursor } }"
CLASS = "subscription S($classId: ID!, $after: String) { classEvents(classId: $classId, after: $after) { cursor } }"
CHATS = "subscription S($after: String) { chatEvents(after: $after) { cursor } }"
INBOX = "subscription S($after: String) { notificationEvents(after: $after) { cursor } }"
HISTORY = "query H($id: ID!) { chat(id: $id) { messages(last: 10) { edges { cursor node { text } } } } }"
GARBLED = "bm9wZQ"  # base64 of "nope"


async def _newest(model: type[Model]) -> int:
    row = await model.all().order_by("-id").first()
    return int(row.pk) if row is not None else 0


@dataclass
class Elsewhere:
    """School No. 2: a teacher with three students (each with a guardian) to grade, and a chat."""

    teacher: Client
    students: list[models.Student]
    lesson: models.Lesson
    chat: str

    async def busy(self, app: Any) -> None:
        """Three grades (three diary events, and notifications for the families) and three chat
        messages."""
        for student in self.students:
            await _grade(self.teacher, student, self.lesson, "elsewhere")
            await sent(self.teacher, self.chat, "elsewhere")
        while await notify_pending(app.state.broker, settle=timedelta(0)):
            pass


async def _grade(teacher: Client, student: models.Student, lesson: models.Lesson, comment: str) -> None:
    variables = {"studentId": gid(student, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"}
    body = await teacher.data(GRADE_CREATE, input={**variables, "comment": comment})
    assert body["gradeCreate"]["__typename"] == "GradeCreateSuccess", body


async def _elsewhere(factory: Factory) -> Elsewhere:
    kit = await factory.school(classes=("6B",))
    teacher = await factory.teacher(kit, [("6B", "Mathematics")], name="elsewhere")
    kin = [await factory.parent(f"kin{n}") for n in range(3)]
    students = [await factory.student(kit, "6B", f"far{n}", guardians=[kin[n]]) for n in range(3)]
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "6B", "Mathematics", teacher, day)
    chat = await new_chat(factory.client(teacher), "Elsewhere", kin[0])
    return Elsewhere(factory.client(teacher), students, lesson, chat)


def _code(message: dict[str, Any]) -> str | None:
    payload = message.get("payload")
    errors = payload if message["type"] == "error" else (payload or {}).get("errors")
    return str(errors[0]["extensions"]["code"]) if errors else None


SILENCE = 4 * QUIET
REFUSAL = 30.0  # a refusal comes at once; on a loaded machine "at once" can take seconds


async def _observe(
    server_url: str, token: str | None, probes: dict[str, tuple[str, dict[str, Any]]], refused: tuple[str, ...]
) -> Any:
    """What a client sees of each probe (all at once on one socket): the kinds of messages and
    their codes, by probe. The observation waits for every probe in ``refused`` to end (however
    late a loaded machine answers), then for ``SILENCE`` more: nothing at all is the stream
    waiting; an error comes at once."""
    socket = await open_socket(server_url, token)
    for name, (document, variables) in probes.items():
        await socket.start(document, op_id=name, **variables)
    seen: dict[str, list[tuple[str, str | None]]] = {name: [] for name in probes}
    ended: set[str] = set()
    while True:
        waiting = any(name not in ended for name in refused)
        try:
            message = await socket.next(timeout=REFUSAL if waiting else SILENCE)
        except TimeoutError:
            break
        seen[message["id"]].append((message["type"], _code(message)))
        if message["type"] in ("error", "complete"):
            ended.add(message["id"])
    await socket.ws.close()
    return seen


@pytest.mark.parametrize("stream", ["diaryEvents", "classEvents", "chatEvents", "notificationEvents"])
async def test_no_cursor_tells_a_parent_whether_another_school_graded_anyone(
    server_url: str, factory: Factory, app: Any, stream: str
) -> None:
    family = await graded_family(factory)
    elsewhere = await _elsewhere(factory)
    diary_ahead = outbox.encode_cursor(await _newest(models.OutboxEvent) + 3)
    chat_ahead = chat_events.encode_cursor(await _newest(models.ChatEvent) + 3)
    inbox_ahead = pages.encode(inbox.CURSOR_KIND, await _newest(models.Notification) + 3)
    document, extra, ahead, another = {
        "diaryEvents": (DIARY, {}, diary_ahead, chat_ahead),
        "classEvents": (
            CLASS,
            {"classId": to_global_id("SchoolClass", family.kit.classes["5A"].id)},
            diary_ahead,
            chat_ahead,
        ),
        "chatEvents": (CHATS, {}, chat_ahead, diary_ahead),
        "notificationEvents": (INBOX, {}, inbox_ahead, diary_ahead),
    }[stream]
    viewer = family.teacher if stream == "classEvents" else family.parent
    probes = {
        "none": (document, extra),
        "ahead": (document, {**extra, "after": ahead}),  # as if by +3: what refusing it told
        "garbled": (document, {**extra, "after": GARBLED}),
        "another list's": (document, {**extra, "after": another}),
    }
    token = factory.client(viewer).token

    refused = ("garbled", "another list's")
    before = await _observe(server_url, token, probes, refused)
    await elsewhere.busy(app)
    after = await _observe(server_url, token, probes, refused)

    assert after == before
    assert before["ahead"] == before["none"] == []  # both simply wait
    assert before["garbled"][0][1] == before["another list's"][0][1] == "BAD_USER_INPUT"


def _bits(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _assert_sealed(cursors: list[str], ids: list[int]) -> None:
    """Nothing of the ids is in the cursors, and cursors of consecutive ids look unrelated.

    Each check is one that sixteen random bytes pass all but about once in ten million: a
    short id's digits ("6") are one byte that random bits hold one time in sixteen, so the
    digits are looked for only where they are long enough to mean something, and a cursor
    written as text ("diaryEvent:00006") is caught by being all printable instead.
    """
    for cursor, row_id in zip(cursors, ids, strict=True):
        raw = _bits(cursor)
        assert len(raw) == 16, raw
        assert not all(32 <= byte < 127 for byte in raw), (cursor, raw)
        shown = [row_id.to_bytes(8, "big"), row_id.to_bytes(8, "little")]
        if len(str(row_id)) >= 4:
            shown.append(str(row_id).encode())
        for form in shown:
            assert form not in raw, (cursor, row_id)
    pairs = zip(cursors, cursors[1:], ids, ids[1:], strict=False)
    consecutive = [(a, b) for a, b, x, y in pairs if y == x + 1]
    assert consecutive
    for a, b in consecutive:
        differing = bin(int.from_bytes(_bits(a), "big") ^ int.from_bytes(_bits(b), "big")).count("1")
        assert differing >= 32, (a, b)  # about 64 of 128 for a permutation; a counter changes a few


async def _delivered(socket: Any) -> str:
    message = await socket.next()
    return str(message["payload"]["data"]["diaryEvents"]["cursor"])


async def test_own_consecutive_cursors_do_not_count_what_happened_in_between(
    server_url: str, factory: Factory, app: Any
) -> None:
    family: GradedFamily = await graded_family(factory)
    elsewhere = await _elsewhere(factory)
    teacher, parent = family.as_teacher(), family.as_parent()
    socket = await open_socket(server_url, parent.token)
    await socket.start(DIARY)
    await asyncio.sleep(0.2)
    chat = await new_chat(teacher, "Ours", family.parent)

    await _grade(teacher, family.child, family.lesson, "first")
    await sent(teacher, chat, "first")
    cursors = [await _delivered(socket)]
    await elsewhere.busy(app)  # three diary events and three messages elsewhere
    for comment in ("second", "third"):  # then two in a row: nothing in between
        await _grade(teacher, family.child, family.lesson, comment)
        await sent(teacher, chat, comment)
        cursors.append(await _delivered(socket))
    await socket.ws.close()

    ids = [e.id for e in await models.OutboxEvent.filter(student_id=family.child.id).order_by("id")]
    assert [outbox.decode_cursor(c) for c in cursors] == ids  # the server still reads them
    assert ids[1] - ids[0] == 4  # the three grades elsewhere
    assert ids[2] - ids[1] == 1
    _assert_sealed(cursors, ids)

    edges = (await parent.data(HISTORY, id=chat))["chat"]["messages"]["edges"]
    by_text = {edge["node"]["text"]: edge["cursor"] for edge in edges}
    messages = await models.Message.filter(chat_id=pk(chat)).order_by("id")
    assert [m.text for m in messages] == ["first", "second", "third"]
    assert messages[1].id - messages[0].id == 4  # the three messages elsewhere
    _assert_sealed([by_text[m.text] for m in messages], [m.id for m in messages])


def test_a_cursor_is_sealed_by_the_process_cipher_without_a_new_context_each_time(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cursor is encoded for every delivered event: ``pages`` keeps one AES context open for
    each direction (making one cost more than the block, issue 15). What one context seals and
    opens, block after block, is what a fresh context does with each block alone."""
    assert pages._seal is not None
    cipher = pages._seal.cipher
    made: list[str] = []

    def counting(name: str) -> Any:
        method = getattr(type(cipher), name)

        def make(self: Any) -> Any:
            made.append(name)
            return method(self)

        return make

    for name in ("encryptor", "decryptor"):
        monkeypatch.setattr(type(cipher), name, counting(name))
    cursors = {n: pages.encode("outbox", n) for n in (1, 2, 7, 2**40, 2**63)}
    assert {n: pages.decode("outbox", cursor, 2**64) for n, cursor in cursors.items()} == {n: n for n in cursors}
    assert pages.decode("chat", cursors[7], 2**64) is None
    assert made == []
    for n, cursor in cursors.items():
        fresh = cipher.encryptor()
        block = fresh.update(pages._tag("outbox") + n.to_bytes(8, "big")) + fresh.finalize()
        assert cursor == base64.urlsafe_b64encode(block).decode().rstrip("=")
