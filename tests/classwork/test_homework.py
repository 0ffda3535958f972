"""homeworkAssign / homeworkUpdate / homeworkDelete: teachers of the class + subject set
homework, every student of the class is notified, removed homework leaves the diary.
Each test builds its own school, teachers and families from factories."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

import models
from pubsub import broker
from pubsub.broker import EventKind, class_topic
from resolvers import outbox
from resolvers.core import from_global_id, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before, school_days_from
from tests.helpers import gid, open_socket

HOMEWORK_FIELDS = """
  id text links removed removedAt createdAt updatedAt
  lesson { id } assignedIn { id } assignedBy { fullName }
"""
ASSIGN = (
    "mutation A($input: HomeworkAssignInput!) { homeworkAssign(input: $input) { __typename "
    "... on HomeworkAssignSuccess { homework {" + HOMEWORK_FIELDS + "} } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
UPDATE = (
    "mutation U($input: HomeworkUpdateInput!) { homeworkUpdate(input: $input) { __typename "
    "... on HomeworkUpdateSuccess { homework {" + HOMEWORK_FIELDS + "} } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
DELETE = (
    "mutation D($input: HomeworkDeleteInput!) { homeworkDelete(input: $input) { __typename "
    "... on HomeworkDeleteSuccess { homework { id removed removedAt } } ... on Error { code message } } }"
)
DIARY = """query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) {
  entries { lesson { id } homework { id text } } } } }"""
LESSON_HOMEWORK = "query L($id: ID!) { node(id: $id) { ... on Lesson { homework { id text } } } }"
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"

MATHS, RUSSIAN = "Mathematics", "Russian language"
UPCOMING = 2  # lessons of each class + subject that have not started


@dataclass
class School:
    kit: SchoolKit  # classes 5A, 6B and 7A
    teacher: models.User  # mathematics in 5A and 6B
    russian: models.User  # Russian in 5A and 6B: sees both classes, not their mathematics
    stranger: models.User  # mathematics in 7A only
    parent: models.User
    child: models.Student  # 5A, the parent's, with a login of their own
    sibling: models.Student  # 6B, the parent's
    other_parent: models.User  # one child, in 5A
    # Per (class, subject), oldest first: lessons that have started, then UPCOMING that have not.
    lessons: dict[tuple[str, str], list[models.Lesson]] = field(default_factory=dict)

    def past(self, class_name: str, subject: str) -> models.Lesson:
        """The latest lesson of the class + subject that has started."""
        return self.lessons[class_name, subject][-UPCOMING - 1]

    def upcoming(self, class_name: str, subject: str) -> list[models.Lesson]:
        """The lessons of the class + subject that have not started, soonest first."""
        return self.lessons[class_name, subject][-UPCOMING:]


async def _school(factory: Factory, past_days: int = 1) -> School:
    """5A and 6B with three students each (a parent's child in each, another parent's child in
    5A), 7A with one; mathematics (period 1) and Russian (period 2) in 5A and 6B and
    mathematics in 7A on each of the last ``past_days`` school days and the next two."""
    kit = await factory.school(classes=("5A", "6B", "7A"))
    teacher = await factory.teacher(kit, [("5A", MATHS), ("6B", MATHS)], name="maths")
    russian = await factory.teacher(kit, [("5A", RUSSIAN), ("6B", RUSSIAN)], name="russian")
    stranger = await factory.teacher(kit, [("7A", MATHS)], name="stranger")
    parent, other_parent = await factory.parent(), await factory.parent("other")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    await factory.student(kit, "5A", "vera", guardians=[other_parent], login=False)
    await factory.student(kit, "5A", "gleb", login=False)
    for name in ("dina", "egor"):
        await factory.student(kit, "6B", name, login=False)
    await factory.student(kit, "7A", "zoya", login=False)
    school = School(kit, teacher, russian, stranger, parent, child, sibling, other_parent)
    today = today_utc()
    days = school_days_before(today, past_days) + school_days_from(today + timedelta(days=1), UPCOMING)
    for class_name, subject, period, by in (
        ("5A", MATHS, 1, teacher),
        ("5A", RUSSIAN, 2, russian),
        ("6B", MATHS, 1, teacher),
        ("6B", RUSSIAN, 2, russian),
        ("7A", MATHS, 1, stranger),
    ):
        school.lessons[class_name, subject] = await factory.lessons(kit, class_name, subject, by, days, period)
    return school


def _user(student: models.Student) -> models.User:
    assert student.user_id is not None
    return models.User(id=student.user_id)


async def _counts() -> tuple[int, int, int]:
    return (
        await models.Homework.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def _enrolled(lesson: models.Lesson) -> int:
    return await models.Enrollment.filter(school_class_id=lesson.school_class_id, end_date__isnull=True).count()


async def _assign(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(ASSIGN, input=fields))["homeworkAssign"]
    return result


def _pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def test_teacher_assigns_and_the_class_sees_it(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    other_parent = factory.client(school.other_parent)
    due = school.upcoming("5A", MATHS)[0]
    set_in = school.past("5A", MATHS)
    before = await _counts()
    result = await _assign(
        teacher,
        lessonId=gid(due, "Lesson"),
        assignedInLessonId=gid(set_in, "Lesson"),
        text="  Exercises 12-15 on page 40  ",
        links=["https://example.org/worksheet.pdf"],
    )
    assert result["__typename"] == "HomeworkAssignSuccess", result
    hw = result["homework"]
    assert hw["text"] == "Exercises 12-15 on page 40"
    assert hw["links"] == ["https://example.org/worksheet.pdf"]
    assert (hw["lesson"]["id"], hw["assignedIn"]["id"]) == (gid(due, "Lesson"), gid(set_in, "Lesson"))
    assert hw["assignedBy"]["fullName"] == school.teacher.full_name
    assert (hw["removed"], hw["removedAt"]) == (False, None)
    assert datetime.fromisoformat(hw["updatedAt"]) >= datetime.fromisoformat(hw["createdAt"])
    students = await _enrolled(due)
    assert students > 1
    assert await _counts() == (before[0] + 1, before[1] + 1, before[2] + students)
    await outbox.settle()  # announced right after the commit, then marked by the process's marker
    rows = await models.OutboxEvent.filter(homework_id=_pk(hw["id"]))
    assert {r.kind for r in rows} == {EventKind.HOMEWORK_ASSIGNED}
    assert len({r.student_id for r in rows}) == students
    assert all(r.published_at is not None for r in rows)

    classmate = await models.Student.get(guardianships__guardian_id=school.other_parent.id)
    for client, child in ((parent, school.child), (other_parent, classmate)):
        diary = await client.data(DIARY, id=gid(child, "Student"), d=due.date.isoformat())
        entries = [e for d in diary["student"]["diary"] for e in d["entries"]]
        entry = next(e for e in entries if e["lesson"]["id"] == gid(due, "Lesson"))
        assert {"id": hw["id"], "text": hw["text"]} in entry["homework"]
    lesson_hw = (await parent.data(LESSON_HOMEWORK, id=gid(due, "Lesson")))["node"]["homework"]
    assert hw["id"] in [h["id"] for h in lesson_hw]
    await teacher.data(DELETE, input={"homeworkId": hw["id"]})


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"text": ""}, "TEXT_EMPTY", "text"),
        ({"text": "   "}, "TEXT_EMPTY", "text"),
        ({"text": "x" * 5001}, "TEXT_TOO_LONG", "text"),
        ({"links": [f"https://example.org/{i}" for i in range(11)]}, "TOO_MANY_LINKS", "links"),
        ({"links": ["ftp://example.org/file"]}, "INVALID_LINK", "links"),
        ({"links": ["/materials/page.html"]}, "INVALID_LINK", "links"),
        ({"links": ["javascript:alert(1)"]}, "INVALID_LINK", "links"),
        ({"links": ["https://exa mple.org"]}, "INVALID_LINK", "links"),
        ({"links": ["https://example.org/" + "a" * 490]}, "LINK_TOO_LONG", "links"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    factory: Factory, overrides: dict[str, Any], code: str, field: str
) -> None:
    school = await _school(factory)
    due = school.upcoming("5A", MATHS)[0]
    before = await _counts()
    result = await _assign(
        factory.client(school.teacher), **{"lessonId": gid(due, "Lesson"), "text": "Read", **overrides}
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", code)
    assert field in [f["field"] for f in result["fields"]]
    assert await _counts() == before


async def test_assigned_in_must_be_an_earlier_lesson_of_the_same_class_and_subject(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    first, second = school.upcoming("5A", MATHS)
    before = await _counts()
    later = await _assign(teacher, lessonId=gid(first, "Lesson"), assignedInLessonId=gid(second, "Lesson"), text="x")
    assert (later["__typename"], later["code"]) == ("ValidationError", "ASSIGNED_IN_AFTER_DUE")
    same = await _assign(teacher, lessonId=gid(first, "Lesson"), assignedInLessonId=gid(first, "Lesson"), text="x")
    assert same["code"] == "ASSIGNED_IN_AFTER_DUE"
    for other in (school.past("5A", RUSSIAN), school.past("6B", MATHS)):
        mismatch = await _assign(
            teacher, lessonId=gid(first, "Lesson"), assignedInLessonId=gid(other, "Lesson"), text="x"
        )
        assert (mismatch["code"], mismatch["fields"][0]["field"]) == ("ASSIGNED_IN_MISMATCH", "assignedInLessonId")
    hidden = await _assign(
        teacher,
        lessonId=gid(first, "Lesson"),
        assignedInLessonId=gid(school.past("7A", MATHS), "Lesson"),
        text="x",
    )
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "LESSON_NOT_FOUND")
    assert await _counts() == before


async def test_cancelled_lesson_is_refused(factory: Factory) -> None:
    school = await _school(factory)
    due = school.upcoming("6B", MATHS)[1]
    due.status = models.LessonStatus.CANCELLED
    await due.save(update_fields=["status"])
    before = await _counts()
    result = await _assign(factory.client(school.teacher), lessonId=gid(due, "Lesson"), text="", links=["nope"])
    assert (result["__typename"], result["code"]) == ("ValidationError", "LESSON_CANCELLED")
    assert {f["field"] for f in result["fields"]} == {"lessonId", "text", "links"}  # all reported together
    assert await _counts() == before


async def test_who_may_assign(factory: Factory) -> None:
    school = await _school(factory)
    assert school.kit.admin is not None
    teacher, stranger = factory.client(school.teacher), factory.client(school.stranger)
    outsiders = [
        factory.client(school.parent),
        factory.client(_user(school.child)),
        factory.client(school.kit.admin),
        factory.client(await factory.district_admin()),
    ]
    due = school.upcoming("5A", MATHS)[0]
    before = await _counts()
    for client in outsiders:
        body = await client.post(ASSIGN, input={"lessonId": gid(due, "Lesson"), "text": "x"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A teacher of another class does not see the lesson: exactly like a lesson that does not exist.
    hidden = await _assign(stranger, lessonId=gid(due, "Lesson"), text="x")
    missing = await _assign(stranger, lessonId=gid(models.Lesson(id=10**9), "Lesson"), text="x")
    assert (
        (hidden["code"], hidden["message"])
        == (missing["code"], missing["message"])
        == (
            "LESSON_NOT_FOUND",
            "No such lesson.",
        )
    )
    # Their own class, another teacher's subject.
    russian = school.upcoming("5A", RUSSIAN)[0]
    refused = await _assign(teacher, lessonId=gid(russian, "Lesson"), text="x")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _counts() == before


async def test_substitute_sets_homework_for_the_lesson_they_give(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    russian = school.upcoming("5A", RUSSIAN)[1]
    russian.teacher_id, russian.original_teacher_id = school.teacher.id, russian.teacher_id
    await russian.save(update_fields=["teacher_id", "original_teacher_id"])
    result = await _assign(teacher, lessonId=gid(russian, "Lesson"), text="Learn the poem")
    assert result["__typename"] == "HomeworkAssignSuccess", result
    await teacher.data(DELETE, input={"homeworkId": result["homework"]["id"]})


async def test_update_and_who_may(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    colleague = factory.client(school.russian)  # sees the class, did not set it, other subject
    stranger = factory.client(school.stranger)
    first, second = school.upcoming("6B", MATHS)
    hw = (await _assign(teacher, lessonId=gid(first, "Lesson"), text="Draft", links=["http://a.example/1"]))["homework"]
    before = await _counts()
    nothing = (await teacher.data(UPDATE, input={"homeworkId": hw["id"]}))["homeworkUpdate"]
    assert (nothing["__typename"], nothing["code"]) == ("ValidationError", "NOTHING_TO_CHANGE")
    russian = school.upcoming("6B", RUSSIAN)[0]
    moved_away = (await teacher.data(UPDATE, input={"homeworkId": hw["id"], "lessonId": gid(russian, "Lesson")}))[
        "homeworkUpdate"
    ]
    assert moved_away["code"] == "LESSON_MISMATCH"
    bad = (await teacher.data(UPDATE, input={"homeworkId": hw["id"], "text": " ", "links": ["x"]}))["homeworkUpdate"]
    assert {f["field"] for f in bad["fields"]} == {"text", "links"}
    body = await parent.post(UPDATE, input={"homeworkId": hw["id"], "text": "hacked"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = (await colleague.data(UPDATE, input={"homeworkId": hw["id"], "text": "mine now"}))["homeworkUpdate"]
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    hidden = (await stranger.data(UPDATE, input={"homeworkId": hw["id"], "text": "x"}))["homeworkUpdate"]
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "HOMEWORK_NOT_FOUND")
    assert await _counts() == before

    changed = (
        await teacher.data(
            UPDATE, input={"homeworkId": hw["id"], "text": "Final", "links": [], "lessonId": gid(second, "Lesson")}
        )
    )["homeworkUpdate"]
    assert changed["__typename"] == "HomeworkUpdateSuccess", changed
    assert (changed["homework"]["text"], changed["homework"]["links"]) == ("Final", [])
    assert changed["homework"]["lesson"]["id"] == gid(second, "Lesson")
    assert changed["homework"]["updatedAt"] > hw["updatedAt"]
    students = await _enrolled(second)
    assert await _counts() == (before[0], before[1] + 1, before[2] + students)
    rows = await models.OutboxEvent.filter(homework_id=_pk(hw["id"]))
    assert sorted({r.kind for r in rows}) == [EventKind.HOMEWORK_ASSIGNED, EventKind.HOMEWORK_CHANGED]
    await teacher.data(DELETE, input={"homeworkId": hw["id"]})


async def test_removed_homework_disappears_everywhere(factory: Factory) -> None:
    school = await _school(factory)
    assert school.kit.admin is not None
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    student, admin = factory.client(_user(school.child)), factory.client(school.kit.admin)
    due = school.upcoming("5A", MATHS)[0]
    hw = (await _assign(teacher, lessonId=gid(due, "Lesson"), text="To be removed"))["homework"]
    assert (await parent.data(NODE, id=hw["id"]))["node"] == {"__typename": "Homework", "id": hw["id"]}
    before = await _counts()
    for client in (parent, student, admin):
        body = await client.post(DELETE, input={"homeworkId": hw["id"]})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    removed = (await teacher.data(DELETE, input={"homeworkId": hw["id"]}))["homeworkDelete"]
    assert removed["__typename"] == "HomeworkDeleteSuccess"
    assert removed["homework"]["removed"] is True
    assert removed["homework"]["removedAt"] is not None
    students = await _enrolled(due)
    assert await _counts() == (before[0], before[1] + 1, before[2] + students)
    assert (
        await models.OutboxEvent.filter(homework_id=_pk(hw["id"]), kind=EventKind.HOMEWORK_REMOVED).count() == students
    )

    for client in (parent, student, teacher, admin):
        assert (await client.data(NODE, id=hw["id"]))["node"] is None
        lesson_hw = (await client.data(LESSON_HOMEWORK, id=gid(due, "Lesson")))["node"]["homework"]
        assert hw["id"] not in [h["id"] for h in lesson_hw]
        diary = await client.data(DIARY, id=gid(school.child, "Student"), d=due.date.isoformat())
        assert hw["id"] not in [h["id"] for d in diary["student"]["diary"] for e in d["entries"] for h in e["homework"]]
    again = (await teacher.data(DELETE, input={"homeworkId": hw["id"]}))["homeworkDelete"]
    assert (again["__typename"], again["code"]) == ("NotFoundError", "HOMEWORK_NOT_FOUND")
    update = (await teacher.data(UPDATE, input={"homeworkId": hw["id"], "text": "back"}))["homeworkUpdate"]
    assert update["code"] == "HOMEWORK_NOT_FOUND"


LESSONS = """
query L($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on SchoolClass { lessons(from: $from, to: $to) {
  id homework { id text links updatedAt removed assignedBy { fullName } assignedIn { date } lesson { id } } } } } }
"""


async def test_lesson_homework_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """1 week vs 4 weeks of a class's lessons with their homework cost the same statements;
    removed homework is not listed."""
    school = await _school(factory, past_days=20)
    teacher = factory.client(school.teacher)
    # Homework on every lesson of 6B, each set in the lesson before (by each subject's teacher):
    # the first lessons of either range were set in lessons before it, which are loaded too.
    for subject in (MATHS, RUSSIAN):
        series = school.lessons["6B", subject]
        for before, lesson in itertools.pairwise(series):
            await models.Homework.create(
                lesson=lesson, assigned_in=before, text=f"Exercise {lesson.id}", assigned_by_id=lesson.teacher_id
            )
    klass = school.kit.classes["6B"]
    end = today_utc() + timedelta(days=7)
    due = school.upcoming("6B", MATHS)[0]
    hw = (
        await _assign(
            teacher,
            lessonId=gid(due, "Lesson"),
            assignedInLessonId=gid(school.past("6B", MATHS), "Lesson"),
            text="Gone soon",
        )
    )["homework"]
    await teacher.data(DELETE, input={"homeworkId": hw["id"]})
    week = {"id": gid(klass, "SchoolClass"), "from": (end - timedelta(days=6)).isoformat(), "to": end.isoformat()}
    month = {**week, "from": (end - timedelta(weeks=4)).isoformat()}
    small, one = await _count(teacher, count_statements, LESSONS, **week)
    large, four = await _count(teacher, count_statements, LESSONS, **month)
    listed = [h for lesson in four["node"]["lessons"] for h in lesson["homework"]]
    assert len(listed) > sum(len(lesson["homework"]) for lesson in one["node"]["lessons"]) > 0
    assert hw["id"] not in [h["id"] for h in listed]
    assert len(large) == len(small), _explain(small, large)


def test_one_class_message_per_batch() -> None:
    rows = [(10 + i, EventKind.HOMEWORK_ASSIGNED, 100 + i, 7) for i in range(6)]
    messages = broker.batch_messages(rows)
    assert len(messages) == 7
    class_messages = [m for t, m in messages if t == class_topic(7)]
    assert len(class_messages) == 1
    assert broker.decode(class_messages[0]) == broker.EventMessage(15, EventKind.HOMEWORK_ASSIGNED)


EVENTS = """
subscription E($studentId: ID) { diaryEvents(studentId: $studentId) {
  kind student { id } homework { id text removed lesson { id } } } }
"""
CLASS_EVENTS = """
subscription C($classId: ID!) { classEvents(classId: $classId) { kind student { id } homework { id } } }
"""


async def test_events_for_assign_and_remove(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    child = school.sibling  # in 6B
    klass = school.kit.classes["6B"]
    mine = await open_socket(server_url, factory.client(school.parent).token)
    await mine.start(EVENTS, studentId=gid(child, "Student"))
    theirs = await open_socket(server_url, factory.client(school.other_parent).token)  # their child is in 5A
    await theirs.start(EVENTS)
    feed = await open_socket(server_url, teacher.token)
    await feed.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    await asyncio.sleep(0.2)
    due = school.upcoming("6B", MATHS)[0]
    hw = (await _assign(teacher, lessonId=gid(due, "Lesson"), text="Live homework"))["homework"]
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert event == {
        "kind": "HOMEWORK_ASSIGNED",
        "student": {"id": gid(child, "Student")},
        "homework": {"id": hw["id"], "text": "Live homework", "removed": False, "lesson": {"id": gid(due, "Lesson")}},
    }
    students = await _enrolled(due)
    class_feed = [(await feed.next())["payload"]["data"]["classEvents"] for _ in range(students)]
    assert {e["kind"] for e in class_feed} == {"HOMEWORK_ASSIGNED"}
    assert len({e["student"]["id"] for e in class_feed}) == students  # every student, from one wake-up

    await teacher.data(DELETE, input={"homeworkId": hw["id"]})
    removed = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert removed["kind"] == "HOMEWORK_REMOVED"
    assert removed["homework"]["id"] == hw["id"]
    assert removed["homework"]["removed"] is True
    await theirs.nothing()
    for socket in (mine, theirs, feed):
        await socket.ws.close()
