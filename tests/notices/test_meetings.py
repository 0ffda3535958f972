"""Parent-teacher meetings: organised by the homeroom teacher or an admin, answered by the
invited parents; organisers and the class's teachers read every answer, a parent their own.
Each test builds its own school from factories."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import models
from resolvers.core import from_global_id, now_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid
from tests.notifying import inbox

CREATE = """
mutation C($input: MeetingCreateInput!) { meetingCreate(input: $input) {
  __typename
  ... on MeetingSuccess { meeting { id title startsAt endsAt place link agenda cancelledAt
    organiser { fullName } classes { name } } }
  ... on ValidationError { code fields { field code } }
  ... on NotFoundError { code message } } }
"""
RESPOND = """
mutation R($input: MeetingRespondInput!) { meetingRespond(input: $input) {
  __typename ... on MeetingSuccess { meeting { myResponse { answer comment } } } ... on Error { code message } } }
"""
CANCEL = """
mutation X($input: MeetingCancelInput!) { meetingCancel(input: $input) {
  __typename ... on MeetingSuccess { meeting { cancelledAt } } ... on Error { code message } } }
"""
UPDATE = """
mutation U($input: MeetingUpdateInput!) { meetingUpdate(input: $input) {
  __typename ... on MeetingSuccess { meeting { place startsAt agenda } }
  ... on ValidationError { code fields { field code } } ... on NotFoundError { code } } }
"""
MEETINGS = """
query M { viewer { meetings { id title place cancelledAt organiser { fullName } classes { name school { name } }
  responses { answer comment answeredAt user { fullName } } myResponse { answer } } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


def _when(days: int = 7, hours: int = 1) -> dict[str, str]:
    start = now_utc().replace(microsecond=0) + timedelta(days=days)
    return {"startsAt": start.isoformat(), "endsAt": (start + timedelta(hours=hours)).isoformat()}


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.Meeting.all().count(),
        await models.MeetingResponse.all().count(),
        await models.AuditEntry.all().count(),
        await models.Notification.all().count(),
    )


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["meetingCreate"]
    return result


@dataclass
class School:
    """A school with classes 5A, 6B and 7A, each led by a homeroom teacher of its own."""

    kit: SchoolKit
    admin: models.User
    teacher: models.User  # mathematics in 5A and 6B; leads no class
    parent: models.User  # of `child` (5A) and of a child in 6B
    parent2: models.User  # of one child in 5A, unrelated to `parent`
    parent_6b: models.User  # whose only child is in 6B
    parent_7a: models.User  # whose only child is in 7A
    student: models.User  # the login of `parent`'s child in 5A
    leads: dict[str, models.User]  # the homeroom teacher of each class


async def _school(factory: Factory) -> School:
    kit = await factory.school(classes=("5A", "6B", "7A"))
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    leads = {name: await factory.homeroom(kit, name) for name in ("5A", "6B", "7A")}
    parent, parent2 = await factory.parent("mother"), await factory.parent("father")
    parent_6b, parent_7a = await factory.parent("sixth"), await factory.parent("seventh")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    await factory.student(kit, "6B", "boris", guardians=[parent])
    await factory.student(kit, "5A", "vera", guardians=[parent2])
    await factory.student(kit, "6B", "gleb", guardians=[parent_6b])
    await factory.student(kit, "7A", "dina", guardians=[parent_7a])
    student = await models.User.get(id=child.user_id)
    return School(kit, kit.admin, teacher, parent, parent2, parent_6b, parent_7a, student, leads)


async def _meeting(client: Client, kit: SchoolKit, classes: list[str], title: str, **fields: Any) -> dict[str, Any]:
    ids = [gid(kit.classes[c], "SchoolClass") for c in classes]
    result = await _create(
        client, **{"title": title, "place": "Room 101", "agenda": "Marks", "classIds": ids, **_when(), **fields}
    )
    assert result["__typename"] == "MeetingSuccess", result
    meeting: dict[str, Any] = result["meeting"]
    return meeting


async def _listed(client: Client) -> dict[str, dict[str, Any]]:
    return {m["title"]: m for m in (await client.data(MEETINGS))["viewer"]["meetings"]}


async def test_homeroom_teacher_invites_the_class_parents(factory: Factory) -> None:
    s = await _school(factory)
    parent, other_parent, teacher = factory.client(s.parent), factory.client(s.parent2), factory.client(s.teacher)
    admin, student = factory.client(s.admin), factory.client(s.student)
    lead = factory.client(s.leads["5A"])
    before = await _counts()
    meeting = await _meeting(lead, s.kit, ["5A"], "Term results", link="https://meet.example.org/5a")
    assert meeting["classes"] == [{"name": "5A"}]
    assert (meeting["place"], meeting["link"], meeting["cancelledAt"]) == (
        "Room 101",
        "https://meet.example.org/5a",
        None,
    )
    after = await _counts()
    assert (after[0], after[1], after[2]) == (before[0] + 1, before[1], before[2] + 1)
    assert after[3] - before[3] >= 2  # 5A's parents
    for client in (parent, other_parent):
        notes = await inbox(client, first=1)
        assert [(n["kind"], n["meeting"]) for n in notes] == [("MEETING_INVITED", {"title": "Term results"})]
    for client in (lead, parent, other_parent, teacher, admin):
        assert "Term results" in await _listed(client)
    parent_6b = factory.client(s.parent_6b)
    for client in (parent_6b, student):
        assert "Term results" not in await _listed(client)
        assert (await client.data(NODE, id=meeting["id"]))["node"] is None
        refused = (await client.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"}))[
            "meetingRespond"
        ]
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "MEETING_NOT_FOUND")
        assert all(
            n["meeting"] is None or n["meeting"]["title"] != "Term results" for n in await inbox(client, first=20)
        )


async def test_answers_are_read_by_staff_and_each_parent_reads_their_own(factory: Factory) -> None:
    s = await _school(factory)
    parent, other_parent, teacher = factory.client(s.parent), factory.client(s.parent2), factory.client(s.teacher)
    admin, lead = factory.client(s.admin), factory.client(s.leads["5A"])
    meeting = await _meeting(lead, s.kit, ["5A"], "Answers")
    yes = (
        await parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING", "comment": " Both of us "})
    )["meetingRespond"]
    assert yes["meeting"]["myResponse"] == {"answer": "ATTENDING", "comment": "Both of us"}
    no = (await other_parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "NOT_ATTENDING"}))[
        "meetingRespond"
    ]
    assert no["meeting"]["myResponse"] == {"answer": "NOT_ATTENDING", "comment": None}
    changed = (await other_parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"}))[
        "meetingRespond"
    ]
    assert changed["meeting"]["myResponse"]["answer"] == "ATTENDING"  # replaced, not added
    for client in (lead, teacher, admin):
        responses = (await _listed(client))["Answers"]["responses"]
        assert sorted(r["user"]["fullName"] for r in responses) == sorted([s.parent.full_name, s.parent2.full_name])
    for client, user in ((parent, s.parent), (other_parent, s.parent2)):
        responses = (await _listed(client))["Answers"]["responses"]
        assert [r["user"]["fullName"] for r in responses] == [user.full_name]
    # Teachers and admins do not answer: they are not invited.
    refused = (await teacher.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"}))["meetingRespond"]
    assert refused["code"] == "MEETING_NOT_FOUND"


def _bad(overrides: dict[str, Any]) -> dict[str, Any]:
    return overrides


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"title": " "}, "TITLE_EMPTY"),
        ({**_when(hours=-1)}, "ENDS_BEFORE_START"),
        ({**_when(hours=13)}, "TOO_LONG"),
        ({"place": None, "link": None}, "PLACE_OR_LINK_REQUIRED"),
        ({"link": "javascript:alert(1)"}, "INVALID_LINK"),
        ({**_when(days=-1)}, "IN_THE_PAST"),
        ({"classIds": []}, "NO_CLASSES"),
    ],
)
async def test_bad_input_writes_nothing(factory: Factory, overrides: dict[str, Any], code: str) -> None:
    s = await _school(factory)
    lead = factory.client(s.leads["5A"])
    klass = s.kit.classes["5A"]
    before = await _counts()
    fields = {"title": "t", "place": "Hall", "classIds": [gid(klass, "SchoolClass")], **_when(), **overrides}
    result = await _create(lead, **fields)
    assert (result["__typename"], result["code"]) == ("ValidationError", code), result
    assert await _counts() == before


async def _sees(client: Client, class_id: str) -> bool:
    return (await client.data(NODE, id=class_id))["node"] is not None


async def test_who_may_organise(factory: Factory) -> None:
    s = await _school(factory)
    other = await factory.school("Other school")  # of the same district, with a 5A of its own
    teacher, parent, admin = factory.client(s.teacher), factory.client(s.parent), factory.client(s.admin)
    before = await _counts()
    lead_5a = factory.client(s.leads["5A"])
    five_a = gid(s.kit.classes["5A"], "SchoolClass")
    six_b = gid(s.kit.classes["6B"], "SchoolClass")
    other_school = gid(other.classes["5A"], "SchoolClass")
    cases = [
        (teacher, [five_a], "NOT_ALLOWED"),  # teaches 5A, does not lead it
        (teacher, [five_a, six_b], "NOT_ALLOWED"),
        (lead_5a, [six_b], "CLASS_NOT_FOUND") if not await _sees(lead_5a, six_b) else (lead_5a, [six_b], "NOT_ALLOWED"),
        (parent, [five_a], "NOT_ALLOWED"),
    ]
    for client, classes, code in cases:
        result = await _create(client, title="t", place="Hall", classIds=classes, **_when())
        assert result["code"] == code, result
    hidden = await _create(admin, title="t", place="Hall", classIds=[five_a, other_school], **_when())
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "CLASS_NOT_FOUND")
    assert await _counts() == before
    both = await _meeting(admin, s.kit, ["5A", "6B"], "Whole school evening")
    assert both["classes"] == [{"name": "5A"}, {"name": "6B"}]


async def test_change_and_cancel_notify_the_parents(factory: Factory) -> None:
    s = await _school(factory)
    admin, parent, lead = factory.client(s.admin), factory.client(s.parent), factory.client(s.leads["5A"])
    meeting = await _meeting(lead, s.kit, ["5A"], "To be moved")
    refused = (await admin.data(UPDATE, input={"meetingId": meeting["id"], **_when(hours=-2)}))["meetingUpdate"]
    assert refused["code"] == "ENDS_BEFORE_START"
    not_mine = (await parent.data(UPDATE, input={"meetingId": meeting["id"], "place": "Gym"}))["meetingUpdate"]
    assert not_mine == {"__typename": "NotFoundError", "code": "MEETING_NOT_FOUND"}
    agenda = (await lead.data(UPDATE, input={"meetingId": meeting["id"], "agenda": "New agenda"}))["meetingUpdate"]
    assert agenda["meeting"]["agenda"] == "New agenda"
    assert (await inbox(parent, first=1))[0]["kind"] == "MEETING_INVITED"  # an agenda change is not news
    moved = (await lead.data(UPDATE, input={"meetingId": meeting["id"], "place": "Gym"}))["meetingUpdate"]
    assert moved["meeting"]["place"] == "Gym"
    assert [(n["kind"], n["meeting"]["title"]) for n in await inbox(parent, first=1)] == [
        ("MEETING_CHANGED", "To be moved")
    ]
    cancelled = (await admin.data(CANCEL, input={"meetingId": meeting["id"]}))["meetingCancel"]
    assert cancelled["meeting"]["cancelledAt"]
    again = (await lead.data(CANCEL, input={"meetingId": meeting["id"]}))["meetingCancel"]
    assert again["meeting"]["cancelledAt"] == cancelled["meeting"]["cancelledAt"]
    kinds = [n["kind"] for n in await inbox(parent, first=3)]
    assert kinds[0] == "MEETING_CANCELLED"
    assert kinds.count("MEETING_CANCELLED") == 1
    late = (await parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"}))["meetingRespond"]
    assert (late["__typename"], late["code"]) == ("ValidationError", "CANCELLED")
    assert (await _listed(parent))["To be moved"]["cancelledAt"] is not None


async def test_meeting_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """One meeting with one class costs what several meetings with several classes and answers cost."""
    s = await _school(factory)
    lead_7a, parent_7a = factory.client(s.leads["7A"]), factory.client(s.parent_7a)
    first = await _meeting(lead_7a, s.kit, ["7A"], "7A first")
    await parent_7a.data(RESPOND, input={"meetingId": first["id"], "answer": "ATTENDING"})
    small, one = await _count(lead_7a, count_statements, MEETINGS)
    for i in range(4):
        meeting = await _meeting(lead_7a, s.kit, ["7A"], f"7A more {i}")
        await parent_7a.data(RESPOND, input={"meetingId": meeting["id"], "answer": "NOT_ATTENDING"})
    large, many = await _count(lead_7a, count_statements, MEETINGS)
    assert len(one["viewer"]["meetings"]) < len(many["viewer"]["meetings"])
    assert sum(len(m["responses"]) for m in many["viewer"]["meetings"]) >= 5
    assert len(large) == len(small), _explain(small, large)


async def test_two_answers_at_once_keep_one(factory: Factory) -> None:
    s = await _school(factory)
    parent, lead = factory.client(s.parent), factory.client(s.leads["5A"])
    meeting = await _meeting(lead, s.kit, ["5A"], "Double tap")
    answers = await asyncio.gather(
        parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"}),
        parent.data(RESPOND, input={"meetingId": meeting["id"], "answer": "NOT_ATTENDING"}),
    )
    assert {a["meetingRespond"]["__typename"] for a in answers} == {"MeetingSuccess"}
    pk = from_global_id(meeting["id"])
    assert pk is not None
    assert await models.MeetingResponse.filter(meeting_id=pk[1]).count() == 1
