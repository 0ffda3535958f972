"""Write probes: every viewer tries each mutation on every object of the world it may not
see; the answer must be exactly the answer for an id that does not exist (same type, code
and message, or the same coarse FORBIDDEN), and nothing may change. Objects the viewer sees
but may not change are refused too. And for each mutation, one write the rules allow must
succeed, so the probes cannot pass by refusing everything."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import models
from resolvers.ids import to_global_id
from tests.conftest import Client
from tests.no_leaks.oracle import Allowed, current, oracle
from tests.no_leaks.reads import MISSING, PROBES
from tests.no_leaks.world import World

RESULT = "{ __typename ... on Error { code message } }"


@dataclass
class Write:
    """One mutation, the objects it names, and who may do it (``may``), from the oracle."""

    name: str
    kind: str  # the Node type of its target
    rows: Callable[[World], list[Any]]
    input: Callable[[str, World, int], str]  # (target's global id, world, viewer) -> the input's fields
    may: Callable[[World, int, Allowed, Any], bool]


def _pairs(world: World, uid: int) -> set[tuple[int, int]]:
    return {(a.school_class_id, a.subject_id) for a in world.assignments if a.teacher_id == uid}


def _lesson_for(world: World, uid: int) -> int:
    """A lesson the viewer gives, if any (else the first): where they would grade."""
    return next((x.id for x in world.lessons if x.teacher_id == uid), world.lessons[0].id)


def _can_grade(world: World, uid: int, allowed: Allowed, student: Any) -> bool:
    """The teacher giving the lesson, or one assigned to its class + subject who sees the
    student, grades a student enrolled in its class on its date."""
    lesson = next(x for x in world.lessons if x.id == _lesson_for(world, uid))
    if lesson.school_class_id not in current(world, student.id, lesson.date):
        return False
    assigned = (lesson.school_class_id, lesson.subject_id) in _pairs(world, uid)
    return lesson.teacher_id == uid or (assigned and student.id in allowed["Student"])


def _lesson_pair(world: World, lesson_id: int) -> tuple[int, int]:
    lesson = next(x for x in world.lessons if x.id == lesson_id)
    return lesson.school_class_id, lesson.subject_id


def _parent(world: World, uid: int, student_id: int) -> bool:
    return any(
        g.guardian_id == uid and g.student_id == student_id and g.revoked_at is None for g in world.guardianships
    )


WRITES = [
    Write(
        "gradeCreate",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: (
            f'studentId: {g}, lessonId: {json.dumps(to_global_id("Lesson", _lesson_for(w, uid)))}, value: "5"'
        ),
        _can_grade,
    ),
    Write(
        "gradeDelete",
        "Grade",
        lambda w: w.grades,
        lambda g, w, uid: f'gradeId: {g}, reason: "probe"',
        lambda w, uid, a, r: (r.school_class_id, r.subject_id) in _pairs(w, uid) and r.student_id in a["Student"],
    ),
    Write(
        "homeworkDelete",
        "Homework",
        lambda w: [h for h in w.homework if h.deleted_at is None],
        lambda g, w, uid: f"homeworkId: {g}",
        lambda w, uid, a, r: r.assigned_by_id == uid or _lesson_pair(w, r.lesson_id) in _pairs(w, uid),
    ),
    Write(
        "remarkAcknowledge",
        "Remark",
        lambda w: w.remarks,
        lambda g, w, uid: f"remarkId: {g}",
        lambda w, uid, a, r: (
            r.student_id in a.children or any(s.user_id == uid for s in w.students if s.id == r.student_id)
        ),
    ),
    Write(
        "absenceNoticeDelete",
        "AbsenceNotice",
        lambda w: w.notices,
        lambda g, w, uid: f"noticeId: {g}",
        lambda w, uid, a, r: _parent(w, uid, r.student_id),
    ),
    Write(
        "messageSend",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f'chatId: {g}, text: "probe"',
        lambda w, uid, a, r: r.id in a["Chat"],
    ),
    Write(
        "chatRename",
        "Chat",
        lambda w: w.chats,
        lambda g, w, uid: f'chatId: {g}, title: "probe"',
        lambda w, uid, a, r: False,  # nobody of the world is a chat admin
    ),
    Write(
        "announcementDelete",
        "Announcement",
        lambda w: w.announcements,
        lambda g, w, uid: f"announcementId: {g}",
        lambda w, uid, a, r: (
            r.author_id == uid
            or r.school_id in a.admin_schools
            or any(c.id == r.school_class_id and c.homeroom_teacher_id == uid for c in w.classes)
        ),
    ),
    Write(
        "meetingRespond",
        "Meeting",
        lambda w: w.meetings,
        lambda g, w, uid: f"meetingId: {g}, answer: ATTENDING",
        lambda w, uid, a, r: r.cancelled_at is None and any(w.invited[r.id] & current(w, s) for s in a.children),
    ),
    Write(
        "accessRequestWithdraw",
        "AccessRequest",
        lambda w: w.access_requests,
        lambda g, w, uid: f"requestId: {g}",
        lambda w, uid, a, r: r.applicant_id == uid,
    ),
    Write(
        "accountDeactivate",
        "User",
        lambda w: w.users,
        lambda g, w, uid: f'userId: {g}, reason: "probe"',
        lambda w, uid, a, r: r.id in a.accounts and r.id != uid,
    ),
]


async def fingerprint(world: World) -> list[Any]:
    """What the probed mutations could change, for this world's rows."""
    users = [u.id for u in world.users]
    students = [s.id for s in world.students]
    schools = [s.id for s in world.schools]
    chats = [c.id for c in world.chats]
    return [
        await models.Grade.filter(student_id__in=students).order_by("id").values_list("id", "deleted_at"),
        await models.Homework.filter(lesson__school_class__school_id__in=schools)
        .order_by("id")
        .values_list("id", "deleted_at"),
        await models.Remark.filter(student_id__in=students).order_by("id").values_list("id", "acknowledged_at"),
        await models.AbsenceNotice.filter(student_id__in=students).order_by("id").values_list("id", "end_date"),
        await models.AbsenceNoticeItem.filter(student_id__in=students).order_by("id").values_list("id", "date"),
        await models.Message.filter(chat_id__in=chats).order_by("id").values_list("id", "text"),
        await models.Chat.filter(id__in=chats).order_by("id").values_list("id", "title"),
        await models.Announcement.filter(school_id__in=schools).order_by("id").values_list("id", "deleted_at"),
        await models.MeetingResponse.filter(meeting__school_id__in=schools).count(),
        await models.AccessRequest.filter(school_id__in=schools).order_by("id").values_list("id", "status"),
        await models.User.filter(id__in=users).order_by("id").values_list("id", "is_active"),
    ]


def _answer(body: dict[str, Any], alias: str, target: str) -> Any:
    """What a client sees of one aliased mutation, with the target's id blanked out."""
    data = (body.get("data") or {}).get(alias)
    errors = [
        (e["message"], (e.get("extensions") or {}).get("code"))
        for e in body.get("errors") or []
        if e.get("path", [None])[0] == alias
    ]
    return json.loads(json.dumps([data, errors]).replace(target, "<id>"))


async def _send(client: Client, fields: dict[str, str]) -> dict[str, Any]:
    """The aliased mutations in one request; when one is refused at a coarse gate (a non-null
    field's error nulls the whole answer), each alone, so every one is seen."""
    body = await client.post("mutation {\n" + "\n".join(f"{a}: {f}" for a, f in fields.items()) + "\n}")
    if body.get("data") is not None:
        return body
    merged: dict[str, Any] = {"data": {}, "errors": []}
    for alias, text in fields.items():
        alone = await client.post(f"mutation {{ {alias}: {text} }}")
        merged["data"][alias] = (alone.get("data") or {}).get(alias)
        merged["errors"] += alone.get("errors") or []
    return merged


async def probe_writes(client: Client, world: World, uid: int) -> None:
    """Every refused write of one viewer (one request per mutation), then the database is unchanged."""
    allowed = oracle(world, uid)
    before = await fingerprint(world)
    for write in WRITES:
        missing = to_global_id(write.kind, MISSING)
        fields = {"missing": f"{write.name}(input: {{ {write.input(json.dumps(missing), world, uid)} }}) {RESULT}"}
        targets: dict[str, tuple[str, bool]] = {}
        for i, row in enumerate(write.rows(world)):
            if write.may(world, uid, allowed, row):
                continue
            target = to_global_id(write.kind, row.id)
            fields[f"t{i}"] = f"{write.name}(input: {{ {write.input(json.dumps(target), world, uid)} }}) {RESULT}"
            targets[f"t{i}"] = (target, row.id in allowed[write.kind])
        if not targets:
            continue
        body = await _send(client, fields)
        twin = _answer(body, "missing", missing)
        assert twin[0] is not None or twin[1], (uid, write.name, body)  # answered: a result or an error
        for alias, (target, seen) in targets.items():
            PROBES[f"mutation {write.name}"] += 1
            answer = _answer(body, alias, target)
            if seen:
                assert "Success" not in str(answer), (uid, write.name, answer)
            else:
                assert answer == twin, (uid, write.name, target, answer, twin)
    assert await fingerprint(world) == before, (uid, "a refused write changed something")


async def probe_allowed_writes(clients: dict[int, Client], world: World) -> None:
    """For each mutation, the first write the oracle allows succeeds (it changes the world, so
    this runs last)."""
    for write in WRITES:
        for uid, client in clients.items():
            allowed = oracle(world, uid)
            row = next((r for r in write.rows(world) if write.may(world, uid, allowed, r)), None)
            if row is None:
                continue
            target = json.dumps(to_global_id(write.kind, row.id))
            body = await client.post(
                f"mutation {{ x: {write.name}(input: {{ {write.input(target, world, uid)} }}) {RESULT} }}"
            )
            PROBES[f"mutation {write.name} (allowed)"] += 1
            result = (body.get("data") or {}).get("x") or {}
            assert str(result.get("__typename")).endswith("Success"), (uid, write.name, row.id, body)
            break
