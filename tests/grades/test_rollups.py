"""The roll-ups stay exactly what a full recomputation gives, whatever writes happen: grades
given, corrected, removed; registers marked and re-marked; absence notices sent and
withdrawn. Refused and rolled-back writes leave them as they were. Each test builds its own
school and its journal from factories."""

from __future__ import annotations

import asyncio
import os
import random
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

import models
from edge.settings import Settings
from resolvers import core, grades, policy
from resolvers.core import today_utc
from resolvers.loaders import Loaders
from resolvers.sessions import Context, Viewer
from tests.factories import Factory, SchoolKit, school_days_before, school_days_from
from tests.grades.test_group_reads import _groups
from tests.helpers import gid

GRADES_CREATE = (
    "mutation G($input: GradesCreateInput!) { gradesCreate(input: $input) { __typename "
    "... on GradesCreateSuccess { grades { id } } ... on Error { code message } } }"
)
GRADE_UPDATE = (
    "mutation U($input: GradeUpdateInput!) { gradeUpdate(input: $input) { __typename ... on Error { code message } } }"
)
GRADE_DELETE = (
    "mutation D($input: GradeDeleteInput!) { gradeDelete(input: $input) { __typename ... on Error { code message } } }"
)
MARK = (
    "mutation M($input: AttendanceMarkInput!) { attendanceMark(input: $input) { __typename "
    "... on Error { code message } } }"
)
NOTICE_CREATE = (
    "mutation N($input: AbsenceNoticeCreateInput!) { absenceNoticeCreate(input: $input) { __typename "
    "... on AbsenceNoticeCreateSuccess { notice { id } } ... on Error { code message } } }"
)
NOTICE_DELETE = (
    "mutation N($input: AbsenceNoticeDeleteInput!) { absenceNoticeDelete(input: $input) { __typename "
    "... on Error { code message } } }"
)
pytestmark = pytest.mark.usefixtures("rebuilt")


@pytest.fixture(scope="module")
async def rebuilt(database: None) -> None:
    """Start from roll-ups equal to the data: other modules' set-up code writes rows through the
    ORM, past the writers (which is what ``rollups-check --repair`` is for)."""
    async with in_transaction():
        await grades.rebuild()


STATUSES = ["PRESENT", "LATE", "ABSENT_EXCUSED", "ABSENT_UNEXCUSED"]


async def assert_consistent() -> None:
    found = await grades.check()
    assert all(v == (0, 0) for v in found.values()), found


async def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    names = [t.name for t in grades.ALL_TABLES] + ["rollup_lowest_mark"]
    found = {}
    for name in names:
        rows = await core.fetch(f"SELECT * FROM {name} ORDER BY id", [])
        found[name] = [tuple(r.values()) for r in rows]
    return found


async def _roster(lesson: models.Lesson) -> list[str]:
    ids = sorted(await policy.enrolled_on(lesson.school_class_id, lesson.date))
    return [gid(await models.Student.get(id=i), "Student") for i in ids]


@dataclass
class Journal:
    kit: SchoolKit  # classes 5A (five students) and 6B (three)
    teacher: models.User  # mathematics in both
    parent: models.User
    child: models.Student  # the parent's, in 5A
    # Per class: the mathematics lessons that have taken place, the latest first.
    past: dict[str, list[models.Lesson]] = field(default_factory=dict)


async def _journal(factory: Factory) -> Journal:
    """Mathematics in 5A on the last four school days and in 6B on the last two, each lesson
    with a register (one absence) and two grades, written the way the writers write them."""
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent], login=False)
    roster = {"5A": [child], "6B": []}
    for class_name, names in (("5A", ("boris", "vera", "gleb", "dina")), ("6B", ("egor", "zoya", "ivan"))):
        roster[class_name] += [await factory.student(kit, class_name, name, login=False) for name in names]
    journal = Journal(kit, teacher, parent, child)
    for class_name, days in (("5A", 4), ("6B", 2)):
        lessons = await factory.lessons(kit, class_name, "Mathematics", teacher, school_days_before(today_utc(), days))
        journal.past[class_name] = lessons[::-1]
        for lesson in lessons:
            students = roster[class_name]
            for n, student in enumerate(students):
                absent = n == len(students) - 1
                status = models.AttendanceStatus.ABSENT_UNEXCUSED if absent else models.AttendanceStatus.PRESENT
                await factory.mark(student, lesson, status)
            await factory.grade(students[0], lesson, value="5", weight=2)
            await factory.grade(students[1], lesson, value="3")
    return journal


async def test_rebuilt_rollups_equal_a_full_recomputation(factory: Factory) -> None:
    school_id = (await _journal(factory)).kit.school.id
    async with in_transaction():
        await grades.rebuild()
    await assert_consistent()
    assert await models.GradeRollup.filter(school_id=school_id, grades__gt=0).count() > 0
    assert await models.AttendanceRollup.filter(school_id=school_id, marked__gt=0).count() > 0
    assert await models.LowestMarkRollup.filter(school_id=school_id, students__gt=0).count() > 0


async def test_random_writes_keep_rollups_equal_to_a_full_recomputation(factory: Factory) -> None:
    rng = random.Random(20261129)  # noqa: S311 (a reproducible sequence of writes)
    journal = await _journal(factory)
    teacher = factory.client(journal.teacher)
    lessons = [journal.past["5A"][i] for i in (0, 1, 2, 3)]
    lessons += [journal.past["6B"][i] for i in (0, 1)]
    rosters = {x.id: await _roster(x) for x in lessons}
    live: list[str] = []
    counts = {"create": 0, "update": 0, "delete": 0, "mark": 0}
    for step in range(36):
        lesson = rng.choice(lessons)
        roster = rosters[lesson.id]
        op = rng.choice(["create", "create", "update", "delete", "mark", "mark"]) if live else "create"
        if op == "create":
            rows = [
                {"studentId": rng.choice(roster), "value": str(rng.randint(1, 5)), "weight": rng.randint(1, 4)}
                for _ in range(rng.randint(1, 4))
            ]
            body = await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows})
            assert body["gradesCreate"]["__typename"] == "GradesCreateSuccess", body
            live += [g["id"] for g in body["gradesCreate"]["grades"]]
        elif op == "update":
            change: dict[str, Any] = {"gradeId": rng.choice(live), "reason": "Recounted"}
            if rng.random() < 0.7:
                change["value"] = str(rng.randint(1, 5))
            if rng.random() < 0.5:
                change["weight"] = rng.randint(1, 4)
            body = await teacher.data(GRADE_UPDATE, input=change)
            assert body["gradeUpdate"]["__typename"] == "GradeUpdateSuccess", body
        elif op == "delete":
            victim = live.pop(rng.randrange(len(live)))
            body = await teacher.data(GRADE_DELETE, input={"gradeId": victim, "reason": "Wrong student"})
            assert body["gradeDelete"]["__typename"] == "GradeDeleteSuccess", body
        else:
            marks = []
            for student_id in rng.sample(roster, rng.randint(1, min(5, len(roster)))):
                status = rng.choice(STATUSES)
                late = 5 if status == "LATE" else None
                marks.append({"studentId": student_id, "status": status, "lateMinutes": late})
            body = await teacher.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks})
            assert body["attendanceMark"]["__typename"] == "AttendanceMarkSuccess", body
        counts[op] += 1
        if step % 6 == 5:
            await assert_consistent()
    assert all(counts.values()), counts
    await assert_consistent()


async def test_absence_notices_move_attendance_rollups(factory: Factory) -> None:
    journal = await _journal(factory)
    child = journal.child
    assert await models.Guardianship.exists(guardian_id=journal.parent.id, student_id=child.id)
    tomorrow = today_utc() + timedelta(days=1)
    # Lessons of the child's class within the week of the notice, in the term: pre-marked.
    coming = [day for day in school_days_from(tomorrow, 5) if day <= tomorrow + timedelta(days=6)]
    await factory.lessons(journal.kit, "5A", "Mathematics", journal.teacher, coming, period=2)
    parent = factory.client(journal.parent)
    before = await snapshot()
    body = await parent.data(
        NOTICE_CREATE,
        input={
            "studentId": gid(child, "Student"),
            "kind": "BY_DAY",
            "from": tomorrow.isoformat(),
            "to": (tomorrow + timedelta(days=6)).isoformat(),
            "reason": "Flu",
        },
    )
    assert body["absenceNoticeCreate"]["__typename"] == "AbsenceNoticeCreateSuccess", body
    premarked = await models.Attendance.filter(notice_id__isnull=False, student_id=child.id).count()
    await assert_consistent()
    assert premarked == len(coming) > 0  # lessons in a term were pre-marked: the roll-ups counted them
    assert await snapshot() != before
    notice_id = body["absenceNoticeCreate"]["notice"]["id"]
    body = await parent.data(NOTICE_DELETE, input={"noticeId": notice_id})
    assert body["absenceNoticeDelete"]["__typename"] == "AbsenceNoticeDeleteSuccess", body
    await assert_consistent()


async def test_a_refused_write_leaves_the_rollups_unchanged(factory: Factory) -> None:
    journal = await _journal(factory)
    teacher = factory.client(journal.teacher)
    lesson = journal.past["5A"][0]
    roster = await _roster(lesson)
    before = await snapshot()
    rows = [{"studentId": roster[0], "value": "5"}, {"studentId": roster[1], "value": "7"}]
    body = await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows})
    assert body["gradesCreate"]["__typename"] == "ValidationError"
    marks = [{"studentId": roster[0], "status": "ABSENT_UNEXCUSED"}, {"studentId": roster[1], "status": "LATE"}]
    body = await teacher.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks})
    assert body["attendanceMark"]["__typename"] == "ValidationError"  # LATE without minutes
    assert await snapshot() == before


async def test_a_rolled_back_write_takes_its_rollup_changes_with_it(
    app: Any, settings: Settings, factory: Factory
) -> None:
    """The roll-up statements run in the writer's transaction: when it fails after them, they go too."""
    journal = await _journal(factory)
    lesson = journal.past["5A"][0]
    viewer = Viewer(journal.teacher.id)
    ctx = Context(request=None, viewer=viewer, loaders=Loaders(viewer), broker=app.state.broker, settings=settings)
    before = await snapshot()
    row = grades.GradeRow(student_id=(await _roster(lesson))[0], value="1", weight=5)

    async def fails_after_writing() -> None:
        async with in_transaction():
            assert await grades.create_grades(ctx, gid(lesson, "Lesson"), [row])
            assert await snapshot() != before  # counted inside the transaction...
            raise RuntimeError("the request fails later")

    with pytest.raises(RuntimeError, match="fails later"):
        await fails_after_writing()
    assert await snapshot() == before  # ...and gone with it
    await assert_consistent()


async def test_repair_rebuilds_what_drifted(factory: Factory) -> None:
    school_id = (await _journal(factory)).kit.school.id
    row = await models.GradeRollup.filter(school_id=school_id, grades__gt=0).first()
    assert row is not None
    async with in_transaction():
        await models.GradeRollup.filter(id=row.id).update(grades=row.grades + 3)
        drift = await grades.check()
        assert drift["rollup_grade"] == (1, 1)
        await grades.rebuild()
    await assert_consistent()


async def _command(settings: Settings, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": settings.database_url, "SECRET_KEY": settings.secret_key}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "server.py", "rollups-check", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return int(process.returncode or 0), out.decode()


async def test_the_check_command_finds_drift_and_repairs_it(settings: Settings, factory: Factory) -> None:
    school_id = (await _journal(factory)).kit.school.id
    assert (await _command(settings))[0] == 0
    row = await models.AttendanceRollup.filter(school_id=school_id, marked__gt=0).first()
    assert row is not None
    await models.AttendanceRollup.filter(id=row.id).update(unexcused=row.unexcused + 1)
    code, out = await _command(settings)
    assert code == 1
    assert "rollup_attendance: 1 stored rows not in the recomputation, 1 recomputed rows not stored" in out
    assert (await _command(settings, "--repair"))[0] == 0
    assert (await _command(settings))[0] == 0
    await assert_consistent()


async def test_group_lessons_keep_rollups_equal_to_a_full_recomputation(factory: Factory) -> None:
    """Two groups of one class meeting at the same hour, a child who moved group, a cross-class
    group: each group's teacher grades and marks their members; the roll-ups still add up."""
    g = await _groups(factory)
    for name in ("en", "de", "pro"):
        teacher = factory.client(g.teachers[name])
        for lesson in g.lessons[name][:2]:
            roster = await _attending(lesson)
            rows = [{"studentId": s, "value": "4", "weight": 2} for s in roster]
            body = await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows})
            assert body["gradesCreate"]["__typename"] == "GradesCreateSuccess", body
            marks = [
                {"studentId": s, "status": "ABSENT_UNEXCUSED" if n == 0 else "PRESENT"} for n, s in enumerate(roster)
            ]
            body = await teacher.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks})
            assert body["attendanceMark"]["__typename"] == "AttendanceMarkSuccess", body
    await assert_consistent()
    graded = await models.GradeRollup.filter(school_id=g.kit.school.id).values_list("grades", flat=True)
    # en: ann, then ann and cat; de: ben and cat, then ben; pro: dan twice
    assert sum(int(str(n)) for n in graded) == (1 + 2) + (2 + 1) + 2


async def _attending(lesson: models.Lesson) -> list[str]:
    ids = sorted(await policy.attendees(lesson))
    return [gid(await models.Student.get(id=i), "Student") for i in ids]


async def test_a_cross_class_members_grades_and_marks_count_in_their_own_class(factory: Factory) -> None:
    """A cross-class group's lessons are filed under its home class (5A); its member from 5B is
    graded and marked there, and every roll-up (the dashboard's, the stats', the at-risk list's)
    counts those grades and marks in 5B, the child's own class: checked against a recomputation
    in Python from the grades, the marks and the enrolments, not from the roll-ups' SQL."""
    g = await _groups(factory)
    a, b = g.kit.classes["5A"], g.kit.classes["5B"]
    for name, lessons in (("pro", g.lessons["pro"][:2]), ("maths", g.lessons["maths"][:1])):
        teacher = factory.client(g.teachers[name])
        for lesson in lessons:
            roster = await _attending(lesson)
            rows = [{"studentId": s, "value": "3", "weight": 1} for s in roster]
            body = await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows})
            assert body["gradesCreate"]["__typename"] == "GradesCreateSuccess", body
            marks = [{"studentId": s, "status": "ABSENT_UNEXCUSED"} for s in roster]
            body = await teacher.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks})
            assert body["attendanceMark"]["__typename"] == "AttendanceMarkSuccess", body
    await assert_consistent()
    dan = g.children["dan"]
    assert {x.school_class_id for x in await models.Grade.filter(student_id=dan.id)} == {b.id}

    enrolled = {
        e.student_id: e.school_class_id for e in await models.Enrollment.filter(school_class_id__in=[a.id, b.id])
    }
    by_class: dict[int, int] = {}
    for grade in await models.Grade.filter(school_class__school_id=g.kit.school.id, deleted_at__isnull=True):
        by_class[enrolled[grade.student_id]] = by_class.get(enrolled[grade.student_id], 0) + 1
    marked: dict[int, int] = {}
    for mark in await models.Attendance.filter(lesson__school_class__school_id=g.kit.school.id):
        marked[enrolled[mark.student_id]] = marked.get(enrolled[mark.student_id], 0) + 1
    assert by_class == {a.id: 4, b.id: 2}  # maths: ann, ben, cat, eve; the profile group: dan twice
    assert marked == by_class

    def summed(rows: list[Any], measure: str) -> dict[int, int]:
        found: dict[int, int] = {}
        for row in rows:
            found[row.school_class_id] = found.get(row.school_class_id, 0) + getattr(row, measure)
        return {k: v for k, v in found.items() if v}

    school = {"school_id": g.kit.school.id}
    assert summed(await models.GradeRollup.filter(**school), "grades") == by_class
    assert summed(await models.StudentMarkRollup.filter(**school), "grades") == by_class
    assert summed(await models.AttendanceRollup.filter(**school), "marked") == marked
    assert summed(await models.StudentAttendanceRollup.filter(**school), "unexcused") == marked
    # the class's own pupils only: 5B's dashboard rows name dan, 5A's do not
    students = await models.StudentAttendanceRollup.filter(school_class_id=a.id).values_list("student_id", flat=True)
    assert dan.id not in {int(str(s)) for s in students}


JOURNAL = """query J($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { rows { student { id } average } } } } }"""


async def test_a_cross_class_members_grades_stay_in_the_groups_journal(factory: Factory) -> None:
    """Filed under 5B (their own class), the 5B member's grades of the cross-class group's lessons
    are still in the group's journal (filed under 5A, its home class)."""
    g = await _groups(factory)
    dan = g.children["dan"]
    await factory.grade(dan, g.lessons["pro"][0], "3")
    assert {x.school_class_id for x in await models.Grade.filter(student_id=dan.id)} == {g.kit.classes["5B"].id}
    ids = {"class": gid(g.kit.classes["5A"], "SchoolClass"), "subject": gid(g.kit.subjects["Mathematics"], "Subject")}
    data = await factory.client(g.teachers["pro"]).data(JOURNAL, **ids)
    assert data["node"]["journal"]["rows"] == [{"student": {"id": gid(dan, "Student")}, "average": 3.0}]
