"""remarkCreate / remarkAcknowledge / Student.remarks: teachers of the class write, the family
reads and acknowledges, nobody else sees a thing."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from tortoise.expressions import Subquery

import models
from pubsub import events
from resolvers.ids import from_global_id, to_global_id
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import children_of, demo_student, gid, open_socket, past_lesson, school_class
from tests.test_statements import _count, _explain

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


def _window(days: int = 30) -> dict[str, str]:
    today = datetime.now(UTC).date()
    return {"from": (today - timedelta(days=days)).isoformat(), "to": today.isoformat()}


async def _teacher_of(http: httpx.AsyncClient, class_name: str, subject: str) -> Client:
    klass = await school_class("School No. 1", class_name)
    link = await models.TeachingAssignment.get(school_class_id=klass.id, subject__name=subject).select_related(
        "teacher"
    )
    return await login_as(http, link.teacher.login)


async def _counts() -> tuple[int, int, int]:
    return (
        await models.Remark.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["remarkCreate"]
    return result


async def _remark(teacher: Client, text: str, child: models.Student | None = None) -> dict[str, Any]:
    child = child or await demo_student("student")
    result = await _create(teacher, studentId=gid(child, "Student"), kind="BEHAVIOUR", text=text)
    assert result["__typename"] == "RemarkCreateSuccess", result
    remark: dict[str, Any] = result["remark"]
    return remark


async def test_teacher_writes_a_remark_about_a_lesson(teacher: Client, parent: Client) -> None:
    child = await demo_student("student")
    russian = await past_lesson("5A", "Russian")  # any lesson of the class: the subject is the lesson's
    before = await _counts()
    result = await _create(
        teacher,
        studentId=gid(child, "Student"),
        kind="PRAISE",
        text="  Helped a classmate  ",
        lessonId=gid(russian, "Lesson"),
    )
    assert result["__typename"] == "RemarkCreateSuccess", result
    remark = result["remark"]
    me = await models.User.get(login="teacher")
    assert (remark["kind"], remark["text"], remark["date"]) == (
        "PRAISE",
        "Helped a classmate",
        russian.date.isoformat(),
    )
    assert (remark["lesson"], remark["subject"]) == ({"id": gid(russian, "Lesson")}, {"name": "Russian"})
    assert (remark["author"]["fullName"], remark["student"]["id"]) == (me.full_name, gid(child, "Student"))
    assert (remark["acknowledgedAt"], remark["acknowledgedBy"]) == (None, None)
    assert await _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    parsed = from_global_id(remark["id"])
    assert parsed is not None
    event = await models.OutboxEvent.get(remark_id=parsed[1])
    assert (event.kind, event.student_id) == (events.REMARK_ADDED, child.id)

    seen = (await parent.data(REMARKS, id=gid(child, "Student"), **_window()))["student"]["remarks"]
    assert {
        "id": remark["id"],
        "kind": "PRAISE",
        "text": "Helped a classmate",
        "date": russian.date.isoformat(),
    } in seen


async def test_without_a_lesson_it_is_dated_today(teacher: Client) -> None:
    remark = await _remark(teacher, "Forgot the sports kit")
    assert remark["date"] == datetime.now(UTC).date().isoformat()
    assert (remark["lesson"], remark["subject"]) == (None, None)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": ""}, "TEXT_EMPTY", "text"),
        ({"text": "  \n "}, "TEXT_EMPTY", "text"),
        ({"text": "x" * 2001}, "TEXT_TOO_LONG", "text"),
    ],
)
async def test_bad_text_is_refused(teacher: Client, overrides: dict[str, Any], code: str, field: str) -> None:
    child = await demo_student("student")
    before = await _counts()
    result = await _create(teacher, **{"studentId": gid(child, "Student"), "kind": "OTHER", "text": "ok", **overrides})
    assert (result["__typename"], result["code"]) == ("ValidationError", code)
    assert [f["field"] for f in result["fields"]] == [field]
    assert await _counts() == before


async def test_lesson_must_be_of_the_students_class(http: httpx.AsyncClient, teacher: Client) -> None:
    child = await demo_student("student")  # 5A
    stranger = await _teacher_of(http, "7A", "Mathematics")
    before = await _counts()
    other_class = await past_lesson("6B", "Mathematics")  # visible to the teacher, but not the child's class
    result = await _create(
        teacher, studentId=gid(child, "Student"), kind="OTHER", text="x", lessonId=gid(other_class, "Lesson")
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", "LESSON_NOT_IN_CLASS")
    hidden = await _create(
        teacher,
        studentId=gid(child, "Student"),
        kind="OTHER",
        text="x",
        lessonId=gid(await past_lesson("7A", "Mathematics"), "Lesson"),
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


async def test_only_teachers_write_remarks(parent: Client, student: Client, admin: Client, district: Client) -> None:
    child = await demo_student("student")
    before = await _counts()
    for client in (parent, student, admin, district):
        body = await client.post(CREATE, input={"studentId": gid(child, "Student"), "kind": "PRAISE", "text": "x"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _counts() == before


async def test_any_teacher_of_the_class_writes_and_reads_but_a_former_class_does_not(
    http: httpx.AsyncClient, teacher: Client
) -> None:
    """The child moved from 5A to 7A yesterday: 7A's teachers write remarks now; the 5A math
    teacher still sees the child (their old diary) but neither writes nor reads 7A's remarks."""
    klass_5a, klass_7a = await school_class("School No. 1", "5A"), await school_class("School No. 1", "7A")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    mover = await models.Student.create(full_name="Test Mover", school_id=klass_5a.school_id)
    await models.Enrollment.create(
        student=mover, school_class=klass_5a, start_date=date(2000, 1, 1), end_date=yesterday - timedelta(days=1)
    )
    await models.Enrollment.create(student=mover, school_class=klass_7a, start_date=yesterday)
    teaches_5a = models.TeachingAssignment.filter(school_class_id=klass_5a.id).values("teacher_id")
    only_7a = (
        await models.TeachingAssignment.filter(school_class_id=klass_7a.id)
        .exclude(teacher_id__in=Subquery(teaches_5a))
        .select_related("teacher")
        .first()
    )
    assert only_7a is not None
    pe_7a = await login_as(http, only_7a.teacher.login)  # teaches 7A, not 5A
    old = await models.Remark.create(
        student=mover,
        school_class=klass_5a,
        author_id=(await models.User.get(login="teacher")).id,
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


async def test_who_reads_a_childs_remarks(
    http: httpx.AsyncClient,
    teacher: Client,
    parent: Client,
    other_parent: Client,
    student: Client,
    admin: Client,
    district: Client,
) -> None:
    child = await demo_student("student")
    remark = await _remark(teacher, "Visible to the family and the school")
    russian_5a = await _teacher_of(http, "5A", "Russian")
    stranger = await _teacher_of(http, "7A", "Mathematics")
    for client in (parent, student, teacher, russian_5a, admin, district):
        listed = (await client.data(REMARKS, id=gid(child, "Student"), **_window()))["student"]["remarks"]
        assert remark["id"] in [r["id"] for r in listed]
        assert (await client.data(NODE, id=remark["id"]))["node"] == {"__typename": "Remark", "id": remark["id"]}
    for client in (other_parent, stranger):
        assert (await client.data(REMARKS, id=gid(child, "Student"), **_window()))["student"] is None
        assert (await client.data(NODE, id=remark["id"]))["node"] is None
    school2 = await models.Student.filter(school__name="School No. 2").first()
    assert school2 is not None
    assert (await admin.data(REMARKS, id=gid(school2, "Student"), **_window()))["student"] is None


async def test_newest_first_and_the_range_is_bounded(teacher: Client, parent: Client) -> None:
    child = await demo_student("student")
    await _remark(teacher, "Older")
    await _remark(teacher, "Newer")
    listed = (await parent.data(REMARKS, id=gid(child, "Student"), **_window(91)))["student"]["remarks"]
    dates = [r["date"] for r in listed]
    assert dates == sorted(dates, reverse=True)
    texts = [r["text"] for r in listed]
    assert texts.index("Newer") < texts.index("Older")
    assert len({r["text"] for r in listed}) >= 3  # the demo remarks too
    body = await parent.post(REMARKS, id=gid(child, "Student"), **_window(92))
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    future = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    empty = await parent.data(REMARKS, id=gid(child, "Student"), **{"from": future, "to": future})
    assert empty["student"]["remarks"] == []


async def test_acknowledge_once_by_family_only(
    http: httpx.AsyncClient, teacher: Client, parent: Client, other_parent: Client, student: Client, admin: Client
) -> None:
    remark = await _remark(teacher, "Please sign")
    before = await _counts()
    for client in (other_parent, teacher, admin):
        refused = (await client.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "REMARK_NOT_FOUND")
    missing = (await parent.data(ACK, input={"remarkId": to_global_id("Remark", models.Remark(id=10**9).pk)}))[
        "remarkAcknowledge"
    ]
    assert missing["code"] == "REMARK_NOT_FOUND"
    assert await _counts() == before

    first = (await parent.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
    assert first["__typename"] == "RemarkAcknowledgeSuccess"
    me = await models.User.get(login="parent")
    assert first["remark"]["acknowledgedBy"] == {"fullName": me.full_name}
    acknowledged = datetime.fromisoformat(first["remark"]["acknowledgedAt"])
    assert abs(acknowledged - datetime.now(UTC)) < timedelta(minutes=1)
    assert await _counts() == (before[0], before[1] + 1, before[2])
    again = (await student.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
    assert again["remark"] == first["remark"]  # the first acknowledgement stays
    assert await _counts() == (before[0], before[1] + 1, before[2])


async def test_student_acknowledges_their_own_and_a_revoked_guardian_cannot(
    teacher: Client, other_parent: Client, student: Client
) -> None:
    child = await demo_student("student")
    remark = await _remark(teacher, "For the student")
    guardian = await models.User.get(login="parent2")
    link = await models.Guardianship.create(guardian=guardian, student=child, revoked_at=datetime.now(UTC))
    try:
        refused = (await other_parent.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
        assert refused["code"] == "REMARK_NOT_FOUND"
    finally:
        await link.delete()
    done = (await student.data(ACK, input={"remarkId": remark["id"]}))["remarkAcknowledge"]
    assert done["remark"]["acknowledgedBy"]["fullName"] == (await models.User.get(login="student")).full_name


CHILD_REMARKS = """
query R($from: Date!, $to: Date!) { viewer { children { remarks(from: $from, to: $to) {
  id kind text date createdAt acknowledgedAt acknowledgedBy { fullName } author { fullName }
  lesson { date subject { name } } subject { name } student { fullName } } } } }
"""


async def test_remark_statements(parent: Client, other_parent: Client, count_statements: StatementCounter) -> None:
    """One child's remarks cost what two children's cost."""
    small, one = await _count(other_parent, count_statements, CHILD_REMARKS, **_window(60))
    large, two = await _count(parent, count_statements, CHILD_REMARKS, **_window(60))
    assert [len(c["remarks"]) > 0 for c in one["viewer"]["children"]] == [True]
    assert [len(c["remarks"]) > 0 for c in two["viewer"]["children"]] == [True, True]
    assert any(r["acknowledgedBy"] for c in two["viewer"]["children"] for r in c["remarks"])
    assert len(large) == len(small), _explain(small, large)


EVENTS = """
subscription E { diaryEvents { kind student { id } remark { text kind author { fullName } } } }
"""


async def test_family_receives_remark_event(
    server_url: str,
    teacher: Client,
    parent: Client,
    other_parent: Client,
) -> None:
    mine = await open_socket(server_url, parent.token)
    theirs = await open_socket(server_url, other_parent.token)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    child = await demo_student("student")
    await _remark(teacher, "Live remark", child)
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    me = await models.User.get(login="teacher")
    assert event == {
        "kind": "REMARK_ADDED",
        "student": {"id": gid(child, "Student")},
        "remark": {"text": "Live remark", "kind": "BEHAVIOUR", "author": {"fullName": me.full_name}},
    }
    await theirs.nothing()
    for socket in (mine, theirs):
        await socket.ws.close()


async def test_demo_families_have_remarks() -> None:
    for login in ("parent", "parent2"):
        for child in await children_of(login):
            assert await models.Remark.filter(student_id=child.id).exists()
