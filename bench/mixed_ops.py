"""What the simulated people of ``bench.mixed`` do: the requests of the mix, and the parents'
sockets with every delivery they are owed."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from bench.mixed_load import Phase
from bench.mixed_world import Failure, Poster, User, World, refresh
from clients import ws
from resolvers.core import to_global_id

DIARY = """query ParentDiary($from: Date!, $to: Date!) { viewer { children { fullName
  diary(from: $from, to: $to) { date kind entries {
    lesson { period startsAt endsAt topic subject { name } teacher { fullName } }
    grades { value weight comment } attendance homework { text } } } } } }"""
CHILDREN = "query Children { viewer { children { id fullName schoolClass { name } school { name } } } }"
GRADES = """query Grades($id: ID!) { node(id: $id) { ... on Student { progress {
  subject { name } average weightedAverage absences unexcusedAbsences
  grades { value weight comment createdAt } } } } }"""
INBOX = """query Inbox { viewer { unreadNotificationCount unreadChatMessages
  notifications(first: 20) { edges { node { id kind createdAt readAt student { fullName } } } } } }"""
GRADE_CREATE = """mutation GradeCreate($input: GradeCreateInput!) { gradeCreate(input: $input) {
  ... on GradeCreateSuccess { grade { id } } ... on Error { code message } } }"""
ATTENDANCE_MARK = """mutation AttendanceMark($input: AttendanceMarkInput!) { attendanceMark(input: $input) {
  ... on AttendanceMarkSuccess { lesson { id } } ... on Error { code message } } }"""
MESSAGE_SEND = """mutation MessageSend($input: MessageSendInput!) { messageSend(input: $input) {
  ... on MessageSendSuccess { chatMessage { id } } ... on Error { code message } } }"""
DIARY_EVENTS = "subscription { diaryEvents { kind occurredAt student { id } grade { id } } }"
CHAT_EVENTS = "subscription { chatEvents { kind occurredAt chatMessage { id } } }"

# Out of 100 arrivals: parents reading, teachers writing, chats.
MIX = {"diary": 40, "children": 15, "grades": 15, "inbox": 10, "gradeCreate": 10, "attendanceMark": 4, "messageSend": 6}
MARKS: list[tuple[str, int | None]] = [("PRESENT", None)] * 17 + [
    ("LATE", 5),
    ("LATE", 10),
    ("ABSENT_EXCUSED", None),
    ("ABSENT_UNEXCUSED", None),
]
Key = tuple[int, str]  # (guardian user id, what was delivered)


class Deliveries:
    """What each subscribed parent is owed (counted when the write's response arrives) and
    what their sockets received (counted in the frame's read callback, which may come first).
    Latency is from the event's ``occurredAt`` (written in the transaction, just before its
    commit) to the frame on the parent's socket: same machine, same clock."""

    def __init__(self) -> None:
        self.owed: Counter[Key] = Counter()
        self.received: Counter[Key] = Counter()
        self.phase: Phase | None = None
        self.devices: list[Device] = []

    def owe(self, guardians: list[int], what: str) -> None:
        for g in guardians:
            self.owed[(g, what)] += 1

    def on_next(self, device: ws.Connection, data: dict[str, Any], now: float) -> None:
        event = data.get("diaryEvents") or data.get("chatEvents") or {}
        if "diaryEvents" in data:
            # An attendance event names the student, not the lesson (DiaryEvent.lesson is for
            # lesson events only): such deliveries are matched by count per student.
            grade = event.get("grade")
            what = f"grade {grade['id']}" if grade else f"{event['kind']} {event['student']['id']}"
            stream = "delivery diaryEvents"
        else:
            what, stream = f"message {(event.get('chatMessage') or {}).get('id')}", "delivery chatEvents"
        self.received[(device.tag, what)] += 1
        if self.phase is not None:
            self.phase.ok(stream, (now - datetime.fromisoformat(event["occurredAt"]).timestamp()) * 1000)

    def outstanding(self) -> tuple[int, int]:
        """(deliveries owed and not received, deliveries received twice or never owed)."""
        missing = sum(max(0, n - self.received[k]) for k, n in self.owed.items())
        extra = sum(max(0, n - self.owed[k]) for k, n in self.received.items())
        return missing, extra

    def examples(self, count: int = 3) -> str:
        """A few unmatched deliveries, for the report."""
        missing = [k for k, n in self.owed.items() if n > self.received[k]][:count]
        extra = [k for k, n in self.received.items() if n > self.owed[k]][:count]
        return f"owed, not received: {missing}; received, not owed: {extra}"

    async def settle(self, seconds: float) -> tuple[int, int]:
        """Wait up to ``seconds`` for what is owed to arrive."""
        for _ in range(int(seconds * 10)):
            if self.outstanding()[0] == 0:
                break
            await asyncio.sleep(0.1)
        return self.outstanding()

    def broken(self) -> list[str]:
        return [f"socket of user {d.tag}: {d.closed.result()}" for d in self.devices if d.closed.done()] + [
            f"socket of user {d.tag}, error {i + 1}: {e}" for d in self.devices for i, e in enumerate(d.errors)
        ]


class Device(ws.Connection):
    """A parent's phone: one socket, two subscriptions (``diaryEvents`` and ``chatEvents``)."""

    def _message(self, message: dict[str, Any], now: float) -> None:
        if message.get("type") == "connection_ack":
            for op_id, query in (("diary", DIARY_EVENTS), ("chats", CHAT_EVENTS)):
                self.send({"id": op_id, "type": "subscribe", "payload": {"query": query}})
            if not self.ready.done():
                self.ready.set_result(None)
            return
        super()._message(message, now)


async def subscribe(ports: list[int], guardians: list[User], deliveries: Deliveries, host: str) -> None:
    """Every guardian's device, alternating between the servers."""
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(50)

    async def one(index: int, user: User) -> Device:
        port = ports[index % len(ports)]
        async with gate:
            _, device = await loop.create_connection(
                lambda: Device(host, port, user.token, "", {}, deliveries.on_next, user.id), host, port
            )
            await asyncio.wait_for(asyncio.shield(device.ready), 120)  # a busy machine is slow to accept
        return device

    deliveries.devices = list(await asyncio.gather(*(one(i, u) for i, u in enumerate(guardians))))


class Operations:
    """Each operation of the mix, as one simulated person's request; raises ``Failure``."""

    def __init__(self, world: World, post: Poster, deliveries: Deliveries, days: tuple[date, date], seed: int) -> None:
        self.world, self.post, self.deliveries = world, post, deliveries
        self.rng = random.Random(seed)
        self.variables = {"from": days[0].isoformat(), "to": days[1].isoformat()}
        self.marking: set[int] = set()  # lessons whose register is being saved (one at a time)
        self.sent = 0
        self.run: dict[str, Callable[[], Awaitable[None]]] = {
            "diary": self.diary,
            "children": self.children,
            "grades": self.grades,
            "inbox": self.inbox,
            "gradeCreate": self.grade_create,
            "attendanceMark": self.attendance_mark,
            "messageSend": self.message_send,
        }

    def _parent(self) -> User:
        return self.rng.choice(self.world.guardians)

    async def diary(self) -> None:
        data = await self.post.query(self._parent(), DIARY, self.variables)
        if not any(child["diary"] for child in data["viewer"]["children"]):
            raise Failure("an empty diary")

    async def children(self) -> None:
        await self.post.query(self._parent(), CHILDREN, {})

    async def grades(self) -> None:
        parent = self._parent()
        child = self.rng.choice(self.world.children[parent.id])
        data = await self.post.query(parent, GRADES, {"id": to_global_id("Student", child)})
        if not data["node"]:
            raise Failure(f"the parent's own child {child} was not found")

    async def inbox(self) -> None:
        await self.post.query(self._parent(), INBOX, {})

    async def grade_create(self) -> None:
        a = self.rng.choice(self.world.assignments)
        lesson = self.rng.choice(list(a.lessons))
        student = self.rng.choice(a.lessons[lesson])
        value = self.rng.choice("5554443332")
        variables = {
            "input": {
                "studentId": to_global_id("Student", student),
                "lessonId": to_global_id("Lesson", lesson),
                "value": value,
                "comment": self.rng.choice([None, "Well done", "Homework checked"]),
            }
        }
        data = await self.post.mutation(a.teacher, GRADE_CREATE, variables)
        self.deliveries.owe(self.world.guardians_of.get(student, []), f"grade {data['gradeCreate']['grade']['id']}")

    async def attendance_mark(self) -> None:
        """A whole register: most present, a few late or absent; the families of the marks that
        changed are notified."""
        choices = [(a, lesson) for a in self.world.assignments for lesson in a.lessons if lesson not in self.marking]
        a, lesson = self.rng.choice(choices)
        rows, changed, marks = [], [], []
        for student in a.lessons[lesson]:
            status, late = self.rng.choice(MARKS)
            marks.append((status, late))
            rows.append({"studentId": to_global_id("Student", student), "status": status, "lateMinutes": late})
            if self.world.registers.get((lesson, student)) != (status, late, None):
                changed.append(student)
        self.marking.add(lesson)
        try:
            await self.post.mutation(
                a.teacher, ATTENDANCE_MARK, {"input": {"lessonId": to_global_id("Lesson", lesson), "marks": rows}}
            )
        finally:
            self.marking.discard(lesson)
        for (status, late), student in zip(marks, a.lessons[lesson], strict=True):
            self.world.registers[(lesson, student)] = (status, late, None)
        for student in changed:
            what = f"ATTENDANCE_MARKED {to_global_id('Student', student)}"
            self.deliveries.owe(self.world.guardians_of.get(student, []), what)

    async def message_send(self) -> None:
        chat = self.rng.choice(self.world.chats)
        sender = chat.members[0] if self.rng.random() < 0.3 else self.rng.choice(chat.members[1:])
        self.sent += 1
        text = f"Message {self.sent}: see you at the school fair on Saturday"
        data = await self.post.mutation(sender, MESSAGE_SEND, {"input": {"chatId": chat.id, "text": text}})
        self.deliveries.owe([m.id for m in chat.members[1:]], f"message {data['messageSend']['chatMessage']['id']}")

    def due_for_refresh(self, now: float) -> list[User]:
        return [u for u in (*self.world.guardians, *self.world.teachers) if u.refresh_due <= now]

    async def refresh(self, user: User) -> None:
        await refresh(self.post, user)
