"""Write probes: every viewer tries each mutation on every object of the world it may not
see; the answer must be exactly the answer for an id that does not exist (same type, code
and message, or the same coarse FORBIDDEN), and nothing may change. Objects the viewer sees
but may not change are refused too. And for each mutation, one write the rules allow must
succeed, so the probes cannot pass by refusing everything.

The probed mutations are listed in tests/no_leaks/mutations.py, staff_writes.py,
diary_writes.py, handin_writes.py, reach_writes.py, post_writes.py, calendar_writes.py and org_writes.py
(which also probes schoolCreate, naming no object, as refused by role alike, and the
guardianships revoked and restored). Not probed because they name no object of anyone else:
login, logout, sessionRefresh, passwordChange, accountRegister, accessRequestSubmit,
notificationPreferencesSet (the viewer's own settings), and passwordRecoveryStart and
passwordRecoveryComplete (public: that they answer alike for every account, existing or not,
is tests/access/test_recovery.py's)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.models import Model

import models
from resolvers.core import to_global_id
from tests.conftest import Client
from tests.no_leaks.calendar_writes import CALENDAR_WRITES, calendar_rows
from tests.no_leaks.calendar_writes import refresh as refresh_calendar
from tests.no_leaks.diary_writes import DIARY_WRITES
from tests.no_leaks.handin_writes import HANDIN_WRITES
from tests.no_leaks.mutations import WRITES as CORE_WRITES
from tests.no_leaks.oracle import oracle
from tests.no_leaks.org_writes import (
    APPROVE_WRITES,
    GUARDIANSHIP_WRITES,
    ORG_WRITES,
    org_fingerprint,
    probe_allowed_gated,
    probe_gated,
    refresh_org,
)
from tests.no_leaks.post_writes import POST_WRITES
from tests.no_leaks.reach_writes import REACH_WRITES
from tests.no_leaks.reads import MISSING, PROBES
from tests.no_leaks.staff_writes import STAFF_WRITES
from tests.no_leaks.world import World

RESULT = "{ __typename ... on Error { code message } }"
# people added to a chat before anyone leaves or deletes it, a meeting changed before it is
# cancelled, a term, day off or slot changed before it is removed, a lesson cancelled before
# it is restored; passwordReset (last) logs its target out until they choose a password: nothing
# comes after it
WRITES = [
    *REACH_WRITES,
    *POST_WRITES,
    *APPROVE_WRITES,  # before a request is refused or withdrawn
    *CORE_WRITES[:-1],
    *STAFF_WRITES,
    *DIARY_WRITES,
    *HANDIN_WRITES,  # before enrolments change: who hands in is who is still enrolled
    *CALENDAR_WRITES,
    *ORG_WRITES,  # enrolments and teaching assignments change: after every write whose ``may`` reads them
    *GUARDIANSHIP_WRITES,  # a guardianship revoked (then one restored) changes what its family may do
    CORE_WRITES[-1],
]


async def fingerprint(world: World) -> list[Any]:
    """What the probed mutations could change, for this world's rows."""
    users = [u.id for u in world.users]
    students = [s.id for s in world.students]
    schools = [s.id for s in world.schools]
    chats = [c.id for c in world.chats]
    return [
        await models.Grade.filter(student_id__in=students).order_by("id").values_list("id", "value", "deleted_at"),
        await models.Homework.filter(lesson__school_class__school_id__in=schools)
        .order_by("id")
        .values_list("id", "text", "deleted_at"),
        await models.Lesson.filter(school_class__school_id__in=schools).order_by("id").values_list("id", "topic"),
        await models.PlannedAssessment.filter(lesson__school_class__school_id__in=schools)
        .order_by("id")
        .values_list("id", "kind", "description", "cancelled_at"),
        await models.TermGrade.filter(student_id__in=students).order_by("id").values_list("id", "value"),
        await models.Submission.filter(student_id__in=students)
        .order_by("id")
        .values_list("id", "status", "attempt", "text", "return_comment", "grade_id"),
        await models.Attendance.filter(student_id__in=students).order_by("id").values_list("id", "status"),
        await models.Notification.filter(user_id__in=users).order_by("id").values_list("id", "read_at"),
        await models.Chat.filter(school_id__in=schools).count(),
        await models.Remark.filter(student_id__in=students).order_by("id").values_list("id", "acknowledged_at"),
        await models.AbsenceNotice.filter(student_id__in=students).order_by("id").values_list("id", "end_date"),
        await models.AbsenceNoticeItem.filter(student_id__in=students).order_by("id").values_list("id", "date"),
        await models.Message.filter(chat_id__in=chats).order_by("id").values_list("id", "text", "deleted_at"),
        await models.Chat.filter(id__in=chats).order_by("id").values_list("id", "title", "deleted_at"),
        await models.ChatMember.filter(chat_id__in=chats)
        .order_by("id")
        .values_list("id", "removed_at", "is_admin", "last_read_message_id"),
        await models.Announcement.filter(school_id__in=schools).order_by("id").values_list("id", "title", "deleted_at"),
        await models.MeetingResponse.filter(meeting__school_id__in=schools).count(),
        await models.Meeting.filter(school_id__in=schools).order_by("id").values_list("id", "title", "cancelled_at"),
        await models.AccessRequest.filter(school_id__in=schools).order_by("id").values_list("id", "status"),
        await models.Subject.filter(school_id__in=schools).order_by("id").values_list("id", "archived_at"),
        await models.User.filter(id__in=users)
        .order_by("id")
        .values_list("id", "is_active", "password_hash", "must_change_password"),
        *await calendar_rows(world),
        *await org_fingerprint(world),
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
        if write.by is not None and not write.by(world, uid):
            continue
        missing = to_global_id(write.kind, MISSING)
        fields = {"missing": f"{write.name}(input: {{ {write.input(json.dumps(missing), world, uid)} }}) {RESULT}"}
        targets: dict[str, tuple[str, bool]] = {}
        for i, row in enumerate(write.rows(world)):
            if write.may(world, uid, allowed, row):
                continue
            target = to_global_id(write.kind, row.id)
            fields[f"t{i}"] = f"{write.name}(input: {{ {write.input(json.dumps(target), world, uid)} }}) {RESULT}"
            known = write.known(allowed, row) if write.known else row.id in allowed[write.kind]
            targets[f"t{i}"] = (target, known)
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
    await probe_gated(client, world, uid)
    assert await fingerprint(world) == before, (uid, "a refused write changed something")


# the rows an allowed write changes and a ``may`` reads
CHANGING = (
    "grades",
    "homework",
    "submissions",
    "lessons",
    "subjects",
    "announcements",
    "meetings",
    "access_requests",
    "users",
    "chats",
    "messages",
    "years",
    "terms",
    "days_off",
    "short_days",
    "slots",
    "deliveries",
)


async def _refresh(world: World) -> None:
    """The world's rows as they are now: an allowed write changes what the next one may do
    (a member who left, a deactivated account, a withdrawn request)."""
    for name in CHANGING:
        rows: list[Model] = getattr(world, name)
        if rows:
            fresh = {r.pk: r for r in await type(rows[0]).filter(id__in=[r.pk for r in rows])}
            setattr(world, name, [fresh[r.pk] for r in rows if r.pk in fresh])
    # and the members a chatMembersAdd brought in
    world.members = await models.ChatMember.filter(chat_id__in=[c.id for c in world.chats]).order_by("id")
    await refresh_calendar(world)
    await refresh_org(world)


async def probe_allowed_writes(
    clients: dict[int, Client], world: World, log_in: Callable[[int], Awaitable[str]]
) -> None:
    """For each mutation, the first write the oracle allows succeeds (it changes the world, so
    this runs last). A reactivated account logs in again (``log_in``: a new session's token):
    its deactivation ended every session it had."""
    await probe_allowed_gated(clients, world)  # first: passwordReset (last) may log its admin out
    for write in WRITES:
        await _refresh(world)
        for uid, client in clients.items():
            allowed = oracle(world, uid)
            # naming oneself (adding oneself to one's chat) may succeed as a no-op: no proof
            row = next(
                (
                    r
                    for r in write.rows(world)
                    if write.may(world, uid, allowed, r) and not (write.kind == "User" and r.id == uid)
                ),
                None,
            )
            if row is None:
                continue
            target = json.dumps(to_global_id(write.kind, row.id))
            body = await client.post(
                f"mutation {{ x: {write.name}(input: {{ {write.input(target, world, uid)} }}) {RESULT} }}"
            )
            PROBES[f"mutation {write.name} (allowed)"] += 1
            result = (body.get("data") or {}).get("x") or {}
            assert str(result.get("__typename")).endswith("Success"), (uid, write.name, row.id, body)
            if write.name == "accountReactivate" and row.id in clients:
                clients[row.id].token = await log_in(row.id)
            break
