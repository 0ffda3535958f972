"""remarkCreate / remarkAcknowledge / Student.remarks: teachers of the class write, the family
reads and acknowledges, nobody else sees a thing. Each test builds its own school from
factories, dated from the clock's today (the last test is about the demo seed itself)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest

import models
from pubsub.broker import EventKind
from resolvers.core import from_global_id, now_utc, to_global_id, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

REMARK_FIELDS = """
  id kind text date createdAt acknowledgedAt acknowledgedBy { fullName }
  student { id } author { fullName } lesson { id } subject { name }
"""
CREATE = (
    "mutation C($input: RemarkCreateInput!) { remarkCreate(input: $input) { __typename "
    "... on RemarkCreateSuccess { remark {" + REMARK_FIELDS + "} } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
ACK = (
    "mutation A($input: RemarkAcknowledgeInput!) { remarkAcknowledge(input: $input) { __typename "
    "... on RemarkAcknowledgeSuccess { remark {" + REMARK_FIELDS + "} } ... on Error { code message } } }"
)
REMARKS = """query R($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { remarks(from: $from, to: $to) {
  id kind text date } } }"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


@dataclass
class World:
    kit: SchoolKit
    teacher: models.User  # mathematics in 5A and 6B
    russian_5a: models.User  # Russian in 5A
    stranger: models.User  # mathematics in 7A only
    parent: models.User
    child: models.Student  # 5A, with a login of their own
    sibling: models.Student  # 6B, the same parent's
    other_parent: models.User
    other_child: models.Student  # 5A, another family
    district: models.User
    maths_5a: list[models.Lesson]  # past lessons, newest first
    russian: models.Lesson  # a past Russian lesson of 5A
    maths_6b: models.Lesson
    maths_7a: models.Lesson

    @property
    def admin(self) -> models.User:
        assert self.kit.admin is not None
        return self.kit.admin

    async def student(self) -> models.User:
        """The child's own login."""
        return await models.User.get(id=self.child.user_id)


async def _world(factory: Factory) -> World:
    """A school with 5A, 6B and 7A: the teacher teaches mathematics in 5A and 6B, colleagues
    Russian in 5A and mathematics in 7A; a parent has a child in 5A and one in 6B, another
    parent a child in 5A; a lesson of each on the last school days."""
    kit = await factory.school(subjects=("Mathematics", "Russian"), classes=("5A", "6B", "7A"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    russian_5a = await factory.teacher(kit, [("5A", "Russian")], name="russian")
    stranger = await factory.teacher(kit, [("7A", "Mathematics")], name="maths7a")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent])
    other_parent = await factory.parent("other")
    other_child = await factory.student(kit, "5A", "vera", guardians=[other_parent])
    district = await factory.district_admin()
    days = school_days_before(today_utc(), 3)
    maths_5a = [await factory.lesson(kit, "5A", "Mathematics", teacher, day) for day in reversed(days)]
    russian = await factory.lesson(kit, "5A", "Russian", russian_5a, days[-1], period=2)
    maths_6b = await factory.lesson(kit, "6B", "Mathematics", teacher, days[-1], period=3)
    maths_7a = await factory.lesson(kit, "7A", "Mathematics", stranger, days[-1], period=4)
    return World(
        kit,
        teacher,
        russian_5a,
        stranger,
        parent,
        child,
        sibling,
        other_parent,
        other_child,
        district,
        maths_5a,
        russian,
        maths_6b,
        maths_7a,
    )


async def _earlier_remarks(
    factory: Factory, author: models.User, student: models.Student, guardian: models.User, lessons: list[models.Lesson]
) -> None:
    """What a family finds already there: a praise about the latest lesson, and an older
    general remark that the guardian has acknowledged."""
    await factory.remark(
        student, author, "Excellent solution at the board", models.RemarkKind.PRAISE, lesson=lessons[0]
    )
    older = await factory.remark(
        student, author, "Did not bring the exercise book", models.RemarkKind.MISSING_WORK, day=lessons[-1].date
    )
    await models.Remark.filter(id=older.id).update(acknowledged_at=now_utc(), acknowledged_by_id=guardian.id)


def _window(days: int = 30) -> dict[str, str]:
    today = today_utc()
    return {"from": (today - timedelta(days=days)).isoformat(), "to": today.isoformat()}


async def _counts() -> tuple[int, int, int]:
    return (
        await models.Remark.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["remarkCreate"]
    return result


async def _remark(teacher: Client, text: str, child: models.Student) -> dict[str, Any]:
    result = await _create(teacher, studentId=gid(child, "Student"), kind="BEHAVIOUR", text=text)
    assert result["__typename"] == "RemarkCreateSuccess", result
    remark: dict[str, Any] = result["remark"]
    return remark


async def test_teacher_writes_a_remark_about_a_lesson(factory: Factory) -> None:
    world = await _world(factory)
    child = world.child
    russian = world.russian  # any lesson of the class: the subject is the lesson's
    before = await _counts()
    result = await _create(
        factory.client(world.teacher),
        studentId=gid(child, "Student"),
        kind="PRAISE",
        text="  Helped a classmate  ",
        lessonId=gid(russian, "Lesson"),
    )
    assert result["__typename"] == "RemarkCreateSuccess", result
    remark = result["remark"]
    assert (remark["kind"], remark["text"], remark["date"]) == (
        "PRAISE",
        "Helped a classmate",
        russian.date.isoformat(),
    )
    assert (remark["lesson"], remark["subject"]) == ({"id": gid(russian, "Lesson")}, {"name": "Russian"})
    assert (remark["author"]["fullName"], remark["student"]["id"]) == (world.teacher.full_name, gid(child, "Student"))
    assert (remark["acknowledgedAt"], remark["acknowledgedBy"]) == (None, None)
    assert await _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    parsed = from_global_id(remark["id"])
    assert parsed is not None
    event = await models.OutboxEvent.get(remark_id=parsed[1])
    assert (event.kind, event.student_id) == (EventKind.REMARK_ADDED, child.id)

    seen = (await factory.client(world.parent).data(REMARKS, id=gid(child, "Student"), **_window()))["student"][
        "remarks"
    ]
    assert {
        "id": remark["id"],
        "kind": "PRAISE",
        "text": "Helped a classmate",
        "date": russian.date.isoformat(),
    } in seen


async def test_without_a_lesson_it_is_dated_today(factory: Factory) -> None:
    world = await _world(factory)
    remark = await _remark(factory.client(world.teacher), "Forgot the sports kit", world.child)
    assert remark["date"] == today_utc().isoformat()
    assert (remark["lesson"], remark["subject"]) == (None, None)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": ""}, "TEXT_EMPTY", "text"),
        ({"text": "  \n "}, "TEXT_EMPTY", "text"),
        ({"text": "x" * 2001}, "TEXT_TOO_LONG", "text"),
    ],
)
async def test_bad_text_is_refused(factory: Factory, overrides: dict[str, Any], code: str, field: str) -> None:
    world = await _world(factory)
    before = await _counts()
    result = await _create(
        factory.client(world.teacher),
        **{"studentId": gid(world.child, "Student"), "kind": "OTHER", "text": "ok", **overrides},
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", code)
    assert [f["field"] for f in result["fields"]] == [field]
    assert await _counts() == before


async def test_lesson_must_be_of_the_students_class(factory: Factory) -> None:
    world = await _world(factory)
    teacher, child = factory.client(world.teacher), world.child  # 5A
    stranger = factory.client(world.stranger)
    before = await _counts()
    other_class = world.maths_6b  # visible to the teacher, but not the child's class
    result = await _create(
        teacher, studentId=gid(child, "Student"), kind="OTHER", text="x", lessonId=gid(other_class, "Lesson")
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", "LESSON_NOT_IN_CLASS")
    hidden = await _create(
        teacher,
        studentId=gid(child, "Student"),
        kind="OTHER",
        text="x",
        lessonId=gid(world.maths_7a, "Lesson"),
    )
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "LESSON_NOT_FOUND")
    # A teacher of another class cannot see the child: exactly like a student that does not exist.
    unseen = await _create(stranger, studentId=gid(child, "Student"), kind="OTHER", text="x")
    missing = await _create(stranger, studentId=gid(models.Student(id=10**9), "Student"), kind="OTHER", text="x")
    assert (
        (unseen["code"], unseen["message"])
        == (missing["code"], missing["message"])
        == ("STUDENT_NOT_FOUND", "No such student.")
    )
    assert await _counts() == before


async def test_only_teachers_write_remarks(factory: Factory) -> None:
    world = await _world(factory)
    child = world.child
    before = await _counts()
    for user in (world.parent, await world.student(), world.admin, world.district):
        body = await factory.client(user).post(
            CREATE, input={"studentId": gid(child, "Student"), "kind": "PRAISE", "text": "x"}
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts() == before


async def test_any_teacher_of_the_class_writes_and_reads_but_a_former_class_does_not(factory: Factory) -> None:
    """The child moved from 5A to 7A yesterday: 7A's teachers write remarks now; the 5A math
    teacher still sees the child (their old diary) but neither writes nor reads 7A's remarks."""
    world = await _world(factory)
    klass_5a, klass_7a = world.kit.classes["5A"], world.kit.classes["7A"]
    teacher = factory.client(world.teacher)
    yesterday = today_utc() - timedelta(days=1)
    mover = await factory.student(world.kit, "5A", "mover", login=False)
    await models.Enrollment.filter(student_id=mover.id).update(end_date=yesterday - timedelta(days=1))
    await models.Enrollment.create(student=mover, school_class=klass_7a, start_date=yesterday)
    pe_7a = factory.client(world.stranger)  # teaches 7A, not 5A
    assert not await models.TeachingAssignment.exists(teacher_id=world.stranger.id, school_class_id=klass_5a.id)
    old = await models.Remark.create(
        student=mover,
        school_class=klass_5a,
        author_id=world.teacher.id,
        kind=models.RemarkKind.OTHER,
        text="Written in 5A",
        date=yesterday - timedelta(days=3),
    )
    before = await _counts()
    refused = await _create(teacher, studentId=gid(mover, "Student"), kind="PRAISE", text="x")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _counts() == before
    written = await _remark(pe_7a, "Written in 7A", mover)
    assert written["author"]["fullName"] != ""

    def texts(data: dict[str, Any]) -> list[str]:
        return [r["text"] for r in data["student"]["remarks"]]

    window = _window(10)
    assert texts(await teacher.data(REMARKS, id=gid(mover, "Student"), **window)) == ["Written in 5A"]
    assert texts(await pe_7a.data(REMARKS, id=gid(mover, "Student"), **window)) == ["Written in 7A"]
    assert (await teacher.data(NODE, id=written["id"]))["node"] is None
    assert (await teacher.data(NODE, id=to_global_id("Remark", old.pk)))["node"] == {
        "__typename": "Remark",
        "id": to_global_id("Remark", old.pk),
    }


async def test_who_reads_a_childs_remarks(factory: Factory) -> None:
    world = await _world(factory)
    child = world.child
    remark = await _remark(factory.client(world.teacher), "Visible to the family and the school", child)
    readers = (world.parent, await world.student(), world.teacher, world.russian_5a, world.admin, world.district)
    for user in readers:
        client = factory.client(user)
        listed = (await client.data(REMARKS, id=gid(child, "Student"), **_window()))["student"]["remarks"]
        assert remark["id"] in [r["id"] for r in listed]
        assert (await client.data(NODE, id=remark["id"]))["node"] == {"__typename": "Remark", "id": remark["id"]}
    for user in (world.other_parent, world.stranger):
        client = factory.client(user)
        assert (await client.data(REMARKS, id=gid(child, "Student"), **_window()))["student"] is None
        assert (await client.data(NODE, id=remark["id"]))["node"] is None
    school2 = await factory.school("School two")
    elsewhere = await factory.student(school2, "5A", "gleb")
    await factory.remark(elsewhere, await factory.teacher(school2, [("5A", "Mathematics")], name="t2"), "Elsewhere")
    admin = factory.client(world.admin)
    assert (await admin.data(REMARKS, id=gid(elsewhere, "Student"), **_window()))["student"] is None


async def test_newest_first_and_the_range_is_bounded(factory: Factory) -> None:
    world = await _world(factory)
    teacher, parent, child = factory.client(world.teacher), factory.client(world.parent), world.child
    await _earlier_remarks(factory, world.teacher, child, world.parent, world.maths_5a)
    await _remark(teacher, "Older", child)
    await _remark(teacher, "Newer", child)
    listed = (await parent.data(REMARKS, id=gid(child, "Student"), **_window(91)))["student"]["remarks"]
    dates = [r["date"] for r in listed]
    assert dates == sorted(dates, reverse=True)
    texts = [r["text"] for r in listed]
    assert texts.index("Newer") < texts.index("Older")
    assert len({r["text"] for r in listed}) >= 3  # the earlier remarks too
    body = await parent.post(REMARKS, id=gid(child, "Student"), **_window(92))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    future = (today_utc() + timedelta(days=1)).isoformat()
    empty = await parent.data(REMARKS, id=gid(child, "Student"), **{"from": future, "to": future})
    assert empty["student"]["remarks"] == []


async def test_acknowledge_once_by_family_only(factory: Factory) -> None:
    world = await _world(factory)
    teacher, parent = factory.client(world.teacher), factory.client(world.parent)
    remark = await _remark(teacher, "Please sign", world.child)
    before = await _counts()
    for client in (factory.client(world.other_parent), teacher, factory.client(world.admin)):
        refused = (await client.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "REMARK_NOT_FOUND")
    missing = (await parent.data(ACK, input={"remarkId": to_global_id("Remark", models.Remark(id=10**9).pk)}))[
        "remarkAcknowledge"
    ]
    assert missing["code"] == "REMARK_NOT_FOUND"
    assert await _counts() == before

    first = (await parent.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
    assert first["__typename"] == "RemarkAcknowledgeSuccess"
    assert first["remark"]["acknowledgedBy"] == {"fullName": world.parent.full_name}
    acknowledged = datetime.fromisoformat(first["remark"]["acknowledgedAt"])
    assert abs(acknowledged - now_utc()) < timedelta(minutes=1)
    assert await _counts() == (before[0], before[1] + 1, before[2])
    again = (await factory.client(await world.student()).data(ACK, input={"remarkId": remark["id"]}))[
        "remarkAcknowledge"
    ]
    assert again["remark"] == first["remark"]  # the first acknowledgement stays
    assert await _counts() == (before[0], before[1] + 1, before[2])


async def test_student_acknowledges_their_own_and_a_revoked_guardian_cannot(factory: Factory) -> None:
    world = await _world(factory)
    child = world.child
    remark = await _remark(factory.client(world.teacher), "For the student", child)
    await models.Guardianship.create(
        guardian=world.other_parent, student=child, relation="mother", revoked_at=now_utc()
    )
    refused = (await factory.client(world.other_parent).data(ACK, input={"remarkId": remark["id"]}))[
        "remarkAcknowledge"
    ]
    assert refused["code"] == "REMARK_NOT_FOUND"
    student = await world.student()
    done = (await factory.client(student).data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
    assert done["remark"]["acknowledgedBy"]["fullName"] == student.full_name


CHILD_REMARKS = """
query R($from: Date!, $to: Date!) { viewer { children { remarks(from: $from, to: $to) {
  id kind text date createdAt acknowledgedAt acknowledgedBy { fullName } author { fullName }
  lesson { date subject { name } } subject { name } student { fullName } } } } }
"""


async def test_remark_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """One child's remarks cost what two children's cost."""
    world = await _world(factory)
    await _earlier_remarks(factory, world.teacher, world.other_child, world.other_parent, world.maths_5a)
    await _earlier_remarks(factory, world.teacher, world.child, world.parent, world.maths_5a)
    await _earlier_remarks(factory, world.teacher, world.sibling, world.parent, [world.maths_6b])
    await factory.remark(world.child, world.russian_5a, "Read aloud well", models.RemarkKind.PRAISE, world.russian)
    small, one = await _count(factory.client(world.other_parent), count_statements, CHILD_REMARKS, **_window(60))
    large, two = await _count(factory.client(world.parent), count_statements, CHILD_REMARKS, **_window(60))
    assert [len(c["remarks"]) > 0 for c in one["viewer"]["children"]] == [True]
    assert [len(c["remarks"]) > 0 for c in two["viewer"]["children"]] == [True, True]
    assert any(r["acknowledgedBy"] for c in two["viewer"]["children"] for r in c["remarks"])
    assert len(large) == len(small), _explain(small, large)


EVENTS = """
subscription E { diaryEvents { kind student { id } remark { text kind author { fullName } } } }
"""


async def test_family_receives_remark_event(server_url: str, factory: Factory) -> None:
    world = await _world(factory)
    mine = await open_socket(server_url, factory.client(world.parent).token)
    theirs = await open_socket(server_url, factory.client(world.other_parent).token)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    child = world.child
    await _remark(factory.client(world.teacher), "Live remark", child)
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert event == {
        "kind": "REMARK_ADDED",
        "student": {"id": gid(child, "Student")},
        "remark": {"text": "Live remark", "kind": "BEHAVIOUR", "author": {"fullName": world.teacher.full_name}},
    }
    await theirs.nothing()
    for socket in (mine, theirs):
        await socket.ws.close()
