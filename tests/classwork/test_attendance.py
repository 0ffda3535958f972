"""attendanceMark and Lesson.register: a lesson's whole register in one call, all or nothing,
with the history of every mark seen by the teachers and by the family. Each test builds its own
school from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import models
from resolvers.core import now_utc, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

MARK = """
mutation M($input: AttendanceMarkInput!) { attendanceMark(input: $input) {
  __typename
  ... on AttendanceMarkSuccess { lesson { id } register { student { id } status lateMinutes reason } }
  ... on ValidationError { fields { field message } }
  ... on Error { code message }
} }
"""
REGISTER = """
query R($id: ID!) { node(id: $id) { ... on Lesson { id register {
  student { id fullName } status lateMinutes reason markedBy { fullName } markedAt fromNotice
  absenceNotice { id reason }
  history { at by { fullName } oldStatus newStatus oldLateMinutes newLateMinutes oldReason newReason } } } } }
"""
DIARY = """
query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) { entries {
  lesson { id } attendance lateMinutes
  attendanceHistory { by { fullName } oldStatus newStatus oldLateMinutes newLateMinutes newReason } } } } }
"""


async def make_lesson(
    kit: SchoolKit, teacher: models.User, class_name: str = "5A", *, started: bool = True
) -> models.Lesson:
    """A new Mathematics lesson of the class today, given by ``teacher``, with no marks: begun a
    minute ago, or (``started=False``) beginning in an hour."""
    starts = now_utc() - timedelta(minutes=1) if started else now_utc() + timedelta(hours=1)
    return await models.Lesson.create(
        school_class=kit.classes[class_name],
        subject=kit.subjects["Mathematics"],
        teacher=teacher,
        date=today_utc(),
        period=12,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
    )


@dataclass
class Register:
    kit: SchoolKit
    teacher: models.User  # mathematics in 5A and 6B
    colleague: models.User  # Russian in 5A, not its homeroom teacher
    homeroom: models.User  # leads 5A, teaches no subject
    outsider: models.User  # mathematics in 7A only
    district: models.User  # district admin over the school
    parent: models.User  # of child (5A) and sibling (6B)
    child: models.Student  # 5A, with a login of their own
    sibling: models.Student  # 6B
    other_parent: models.User  # of classmate, in 5A only
    classmate: models.Student  # 5A
    lesson: models.Lesson  # 5A mathematics of the teacher's, begun a minute ago, nobody marked


async def _register_world(factory: Factory) -> Register:
    """A school with 5A (six students), 6B and 7A; the lesson to mark is 5A's Mathematics today."""
    kit = await factory.school(classes=("5A", "6B", "7A"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    colleague = await factory.teacher(kit, [("5A", "Russian language")], name="russian")
    homeroom = await factory.homeroom(kit, "5A")
    outsider = await factory.teacher(kit, [("7A", "Mathematics")], name="outsider")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    other_parent = await factory.parent("other")
    classmate = await factory.student(kit, "5A", "vera", guardians=[other_parent], login=False)
    for name in ("gleb", "dina", "egor", "zoya"):
        await factory.student(kit, "5A", name, guardians=[await factory.parent(f"parent-{name}")], login=False)
    lesson = await make_lesson(kit, teacher)
    district = await factory.district_admin()
    return Register(
        kit, teacher, colleague, homeroom, outsider, district, parent, child, sibling, other_parent, classmate, lesson
    )


def _admin(factory: Factory, world: Register) -> Client:
    assert world.kit.admin is not None
    return factory.client(world.kit.admin)


async def _own_login(factory: Factory, child: models.Student) -> Client:
    return factory.client(await models.User.get(id=child.user_id))


async def class_roll(lesson: models.Lesson) -> list[models.Student]:
    return await models.Student.filter(
        enrollments__school_class_id=lesson.school_class_id, enrollments__end_date__isnull=True
    ).order_by("full_name", "id")


async def _mark(client: Client, lesson: models.Lesson, marks: list[dict[str, Any]]) -> dict[str, Any]:
    body = await client.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks})
    result: dict[str, Any] = body["attendanceMark"]
    return result


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.Attendance.all().count(),
        await models.AttendanceRevision.all().count(),
        await models.OutboxEvent.all().count(),
        await models.AuditEntry.all().count(),
    )


async def _register(client: Client, lesson: models.Lesson) -> list[dict[str, Any]] | None:
    node = (await client.data(REGISTER, id=gid(lesson, "Lesson")))["node"]
    assert node is not None
    rows: list[dict[str, Any]] | None = node["register"]
    return rows


async def test_register_marked_then_remarked_with_history_for_teacher_and_family(factory: Factory) -> None:
    world = await _register_world(factory)
    teacher, parent, lesson, child = (
        factory.client(world.teacher),
        factory.client(world.parent),
        world.lesson,
        world.child,
    )
    roll = await class_roll(lesson)
    others = [s for s in roll if s.id != child.id]
    name = world.teacher.full_name
    before = await _register(teacher, lesson)
    assert before is not None
    assert [r["student"]["fullName"] for r in before] == [s.full_name for s in roll]
    assert all(r["status"] is None and r["markedBy"] is None and r["history"] == [] for r in before)

    counts = await _counts()
    first = await _mark(
        teacher,
        lesson,
        [
            {"studentId": gid(child, "Student"), "status": "PRESENT"},
            {"studentId": gid(others[0], "Student"), "status": "LATE", "lateMinutes": 10, "reason": " Bus "},
            {"studentId": gid(others[1], "Student"), "status": "ABSENT_UNEXCUSED"},
        ],
    )
    assert first["__typename"] == "AttendanceMarkSuccess", first
    marked = {r["student"]["id"]: (r["status"], r["lateMinutes"], r["reason"]) for r in first["register"]}
    assert marked[gid(child, "Student")] == ("PRESENT", None, None)
    assert marked[gid(others[0], "Student")] == ("LATE", 10, "Bus")
    assert marked[gid(others[1], "Student")] == ("ABSENT_UNEXCUSED", None, None)
    assert marked[gid(others[2], "Student")] == (None, None, None)
    after = await _counts()
    assert after == (counts[0] + 3, counts[1] + 3, counts[2] + 3, counts[3] + 1)
    events = await models.OutboxEvent.filter(lesson_id=lesson.id).order_by("id")
    assert {(e.kind, e.student_id) for e in events} == {
        ("ATTENDANCE_MARKED", s.id) for s in (child, others[0], others[1])
    }
    unchanged_at = (await models.Attendance.get(lesson_id=lesson.id, student_id=others[0].id)).marked_at

    second = await _mark(
        teacher,
        lesson,
        [
            {"studentId": gid(child, "Student"), "status": "LATE", "lateMinutes": 5},
            {"studentId": gid(others[0], "Student"), "status": "LATE", "lateMinutes": 10, "reason": "Bus"},
            {"studentId": gid(others[1], "Student"), "status": "ABSENT_EXCUSED", "reason": "Doctor's note"},
        ],
    )
    assert second["__typename"] == "AttendanceMarkSuccess", second
    assert await _counts() == (after[0], after[1] + 2, after[2] + 2, after[3] + 1)
    assert (await models.Attendance.get(lesson_id=lesson.id, student_id=others[0].id)).marked_at == unchanged_at

    rows = {r["student"]["id"]: r for r in await _register(teacher, lesson) or []}
    mine = rows[gid(child, "Student")]
    assert (mine["status"], mine["lateMinutes"], mine["markedBy"]["fullName"]) == ("LATE", 5, name)
    assert [(h["oldStatus"], h["newStatus"], h["newLateMinutes"]) for h in mine["history"]] == [
        (None, "PRESENT", None),
        ("PRESENT", "LATE", 5),
    ]
    assert [h["oldReason"] for h in rows[gid(others[1], "Student")]["history"]] == [None, None]
    assert rows[gid(others[1], "Student")]["history"][-1]["newReason"] == "Doctor's note"

    diary = await parent.data(DIARY, id=gid(child, "Student"), d=lesson.date.isoformat())
    entry = next(
        e for d in diary["student"]["diary"] for e in d["entries"] if e["lesson"]["id"] == gid(lesson, "Lesson")
    )
    assert (entry["attendance"], entry["lateMinutes"]) == ("LATE", 5)
    assert entry["attendanceHistory"] == [
        {
            "by": {"fullName": name},
            "oldStatus": None,
            "newStatus": "PRESENT",
            "oldLateMinutes": None,
            "newLateMinutes": None,
            "newReason": None,
        },
        {
            "by": {"fullName": name},
            "oldStatus": "PRESENT",
            "newStatus": "LATE",
            "oldLateMinutes": None,
            "newLateMinutes": 5,
            "newReason": None,
        },
    ]


async def test_every_bad_row_is_reported_and_nothing_written(factory: Factory) -> None:
    world = await _register_world(factory)
    teacher, lesson = factory.client(world.teacher), world.lesson
    roll = await class_roll(lesson)
    stranger = world.sibling  # the 6B child
    assert stranger.id not in {s.id for s in roll}
    counts = await _counts()
    result = await _mark(
        teacher,
        lesson,
        [
            {"studentId": gid(roll[0], "Student"), "status": "PRESENT"},
            {"studentId": gid(roll[0], "Student"), "status": "PRESENT"},
            {"studentId": gid(roll[1], "Student"), "status": "LATE"},
            {"studentId": gid(roll[2], "Student"), "status": "LATE", "lateMinutes": 46},
            {"studentId": gid(roll[3], "Student"), "status": "PRESENT", "lateMinutes": 3},
            {"studentId": gid(roll[4], "Student"), "status": "ABSENT_EXCUSED", "reason": "x" * 501},
            {"studentId": gid(stranger, "Student"), "status": "PRESENT"},
            {"studentId": gid(lesson, "Lesson"), "status": "PRESENT"},
        ],
    )
    assert result["__typename"] == "ValidationError", result
    assert result["code"] == "DUPLICATE_STUDENT"
    assert [f["field"] for f in result["fields"]] == [
        "marks[1].studentId",
        "marks[2].lateMinutes",
        "marks[3].lateMinutes",
        "marks[4].lateMinutes",
        "marks[5].reason",
        "marks[6].studentId",
        "marks[7].studentId",
    ]
    assert "45" in result["fields"][2]["message"]
    assert await _counts() == counts
    ok = await _mark(teacher, lesson, [{"studentId": gid(roll[2], "Student"), "status": "LATE", "lateMinutes": 45}])
    assert ok["__typename"] == "AttendanceMarkSuccess"


async def test_cancelled_future_and_empty_are_refused(factory: Factory) -> None:
    world = await _register_world(factory)
    teacher, lesson = factory.client(world.teacher), world.lesson
    roll = await class_roll(lesson)
    row = [{"studentId": gid(roll[0], "Student"), "status": "PRESENT"}]
    assert (await _mark(teacher, lesson, []))["code"] == "NO_MARKS"
    later = await make_lesson(world.kit, world.teacher, started=False)
    refused = await _mark(teacher, later, row)
    assert (refused["code"], refused["fields"][0]["field"]) == ("LESSON_IN_FUTURE", "lessonId")
    lesson.status = models.LessonStatus.CANCELLED
    await lesson.save(update_fields=["status"])
    assert (await _mark(teacher, lesson, row))["code"] == "LESSON_CANCELLED"
    assert not await models.Attendance.filter(lesson_id__in=[lesson.id, later.id]).exists()


async def test_simultaneous_marks_keep_one_row_and_a_consistent_history(factory: Factory) -> None:
    """Marks of the same student racing each other: each is saved or refused as
    REGISTER_CHANGED (never an internal error), and every revision starts where the one
    before ended."""
    world = await _register_world(factory)
    teacher, lesson = factory.client(world.teacher), world.lesson
    child = (await class_roll(lesson))[0]
    statuses = ["PRESENT", "ABSENT_UNEXCUSED", "ABSENT_EXCUSED", "PRESENT", "ABSENT_UNEXCUSED"]
    results = await asyncio.gather(
        *(_mark(teacher, lesson, [{"studentId": gid(child, "Student"), "status": s}]) for s in statuses)
    )
    outcomes = {(r["__typename"], r.get("code")) for r in results}
    assert outcomes <= {("AttendanceMarkSuccess", None), ("ValidationError", "REGISTER_CHANGED")}
    assert ("AttendanceMarkSuccess", None) in outcomes
    rows = await models.Attendance.filter(lesson_id=lesson.id)
    assert len(rows) == 1
    history = await models.AttendanceRevision.filter(lesson_id=lesson.id).order_by("id")
    assert [r.old_status for r in history] == [None, *[r.new_status for r in history[:-1]]]
    assert history[-1].new_status == rows[0].status


async def test_who_may_mark(factory: Factory) -> None:
    world = await _register_world(factory)
    teacher, lesson, child = factory.client(world.teacher), world.lesson, world.child
    row = [{"studentId": gid(child, "Student"), "status": "PRESENT"}]
    student = await _own_login(factory, child)
    for client in (factory.client(world.parent), student, _admin(factory, world), factory.client(world.district)):
        body = await client.post(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": row})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A teacher of another class only (Mathematics in 7A): the lesson is not there for them.
    outsider = factory.client(world.outsider)
    hidden = await _mark(outsider, lesson, row)
    missing = await _mark(outsider, models.Lesson(id=10**9), row)
    assert hidden["code"] == missing["code"] == "LESSON_NOT_FOUND"
    assert hidden["message"] == missing["message"]
    # A colleague teaching the class another subject (not its homeroom teacher) sees it, may not mark it.
    colleague = factory.client(world.colleague)
    refused = await _mark(colleague, lesson, row)
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert not await models.Attendance.filter(lesson_id=lesson.id).exists()

    # A substitute from another class gives the lesson: they see it, mark it and read its register.
    lesson.original_teacher_id = lesson.teacher_id
    lesson.teacher_id = world.outsider.id
    await lesson.save(update_fields=["original_teacher_id", "teacher_id"])
    substituted = await _mark(outsider, lesson, [{"studentId": gid(child, "Student"), "status": "ABSENT_UNEXCUSED"}])
    assert substituted["__typename"] == "AttendanceMarkSuccess", substituted
    rows = await _register(outsider, lesson)
    assert rows is not None
    assert [r["status"] for r in rows if r["student"]["id"] == gid(child, "Student")] == ["ABSENT_UNEXCUSED"]
    # The planned teacher still marks and reads it.
    assert (await _mark(teacher, lesson, row))["__typename"] == "AttendanceMarkSuccess"
    assert await _register(teacher, lesson)


async def test_who_sees_the_register(factory: Factory) -> None:
    world = await _register_world(factory)
    lesson = world.lesson
    roll = await class_roll(lesson)
    for client in (factory.client(world.teacher), _admin(factory, world), factory.client(world.district)):
        rows = await _register(client, lesson)
        assert rows is not None
        assert [r["student"]["id"] for r in rows] == [gid(s, "Student") for s in roll]
    for client in (
        factory.client(world.parent),
        factory.client(world.other_parent),
        await _own_login(factory, world.child),
        factory.client(world.colleague),
    ):
        assert await _register(client, lesson) is None
    klass = world.kit.classes["5A"]
    assert klass.homeroom_teacher_id == world.homeroom.id
    assert await _register(factory.client(world.homeroom), lesson)


CLASS_REGISTERS = """
query C($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { ... on SchoolClass { lessons(from: $from, to: $to) {
  id register { student { fullName } status lateMinutes reason markedBy { fullName } markedAt fromNotice
    absenceNotice { reason days createdBy { fullName } }
    history { at by { fullName } oldStatus newStatus } } } } } }
"""
DIARY_HISTORY = """
query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) { entries {
  attendance attendanceHistory { at by { fullName } oldStatus newStatus } } } } }
"""


async def _past_registers(factory: Factory, world: Register, roll: list[models.Student]) -> None:
    """Mathematics (period 1) and Russian (period 2) of 5A on the six school days before the
    lesson, every student marked through ``attendanceMark`` (so with a history), the child
    marked twice in Mathematics; the classmate's parent's absence notice on each of those days and
    on the lesson's."""
    statuses = ["PRESENT", "LATE", "ABSENT_UNEXCUSED", "ABSENT_EXCUSED"]
    teacher, colleague = factory.client(world.teacher), factory.client(world.colleague)
    for n, day in enumerate(school_days_before(world.lesson.date, 6)):
        maths = await factory.lesson(world.kit, "5A", "Mathematics", world.teacher, day, period=1)
        russian = await factory.lesson(world.kit, "5A", "Russian language", world.colleague, day, period=2)
        for client, past in ((teacher, maths), (colleague, russian)):
            marks: list[dict[str, Any]] = []
            for i, s in enumerate(roll):
                status = statuses[(n + i) % len(statuses)]
                marks.append(
                    {"studentId": gid(s, "Student"), "status": status, "lateMinutes": 7 if status == "LATE" else None}
                )
            assert (await _mark(client, past, marks))["__typename"] == "AttendanceMarkSuccess"
        again = [{"studentId": gid(world.child, "Student"), "status": "PRESENT"}]
        assert (await _mark(teacher, maths, again))["__typename"] == "AttendanceMarkSuccess"
        await factory.absence_notice(world.classmate, world.other_parent, day, day)
    await factory.absence_notice(world.classmate, world.other_parent, world.lesson.date, world.lesson.date)


async def test_register_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    world = await _register_world(factory)
    teacher, parent, lesson = factory.client(world.teacher), factory.client(world.parent), world.lesson
    roll = await class_roll(lesson)
    await _past_registers(factory, world, roll)
    marks = [{"studentId": gid(s, "Student"), "status": "PRESENT"} for s in roll]
    assert (await _mark(teacher, lesson, marks))["__typename"] == "AttendanceMarkSuccess"
    klass = world.kit.classes["5A"]
    day = {"from": lesson.date.isoformat(), "to": lesson.date.isoformat()}
    weeks = {"from": (lesson.date - timedelta(days=21)).isoformat(), "to": lesson.date.isoformat()}
    small, one = await _count(teacher, count_statements, CLASS_REGISTERS, id=gid(klass, "SchoolClass"), **day)
    large, many = await _count(teacher, count_statements, CLASS_REGISTERS, id=gid(klass, "SchoolClass"), **weeks)
    registers = [x["register"] for x in many["node"]["lessons"] if x["register"] is not None]  # Mathematics
    assert len([x for x in one["node"]["lessons"] if x["register"] is not None]) < len(registers)
    assert all(len(r) == len(roll) for r in registers)
    assert len(large) == len(small), _explain(small, large)

    child = world.child
    small, one = await _count(parent, count_statements, DIARY_HISTORY, id=gid(child, "Student"), **day)
    large, many = await _count(parent, count_statements, DIARY_HISTORY, id=gid(child, "Student"), **weeks)
    histories = [e["attendanceHistory"] for d in one["student"]["diary"] for e in d["entries"]]
    assert [h["newStatus"] for x in histories for h in x] == ["PRESENT"]
    assert len(large) == len(small), _explain(small, large)


LIVE = """
subscription A($studentId: ID) { diaryEvents(studentId: $studentId) { kind lesson { id } attendance } }
"""


async def test_the_family_hears_which_lesson_was_marked_and_how(server_url: str, factory: Factory) -> None:
    world = await _register_world(factory)
    teacher, lesson, child = factory.client(world.teacher), world.lesson, world.child
    mine = await open_socket(server_url, factory.client(world.parent).token)
    theirs = await open_socket(server_url, factory.client(world.other_parent).token)
    try:
        await mine.start(LIVE, studentId=gid(child, "Student"))
        await theirs.start(LIVE)
        await asyncio.sleep(0.2)
        marks: list[dict[str, Any]] = [{"studentId": gid(child, "Student"), "status": "ABSENT_UNEXCUSED"}]
        assert (await _mark(teacher, lesson, marks))["__typename"] == "AttendanceMarkSuccess"
        assert (await mine.next())["payload"]["data"]["diaryEvents"] == {
            "kind": "ATTENDANCE_MARKED",
            "lesson": {"id": gid(lesson, "Lesson")},
            "attendance": "ABSENT_UNEXCUSED",
        }
        marks = [{"studentId": gid(child, "Student"), "status": "LATE", "lateMinutes": 5}]
        assert (await _mark(teacher, lesson, marks))["__typename"] == "AttendanceMarkSuccess"
        assert (await mine.next())["payload"]["data"]["diaryEvents"]["attendance"] == "LATE"
        await theirs.nothing()
    finally:
        await mine.ws.close()
        await theirs.ws.close()
