"""A transfer on day D, field by field (README, "Running a school"): the old class's teacher
sees the child's lessons, grades, attendance, homework, absence notices and progress up to
D - 1, the new class's teacher from D; the family and the admins see all of it
(``resolvers/policy/windows.py``). An absence notice spanning D is seen whole by both sides
(it overlaps both windows)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

import models
from resolvers.core import today_utc
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

DIARY = """
query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) {
  diary(from: $from, to: $to) { date entries { lesson { id } grades { value } attendance homework { text } } }
  absenceNotices(from: $from, to: $to) { id from to }
  progress { subject { name } grades { value } absences } } }
"""


@dataclass
class Transfer:
    kit: SchoolKit
    child: models.Student
    old_teacher: models.User  # mathematics in 5A
    new_teacher: models.User  # mathematics in 5B
    parent: models.User
    days: list[date]  # four school days before today; the transfer is on days[2]
    lessons: list[models.Lesson]  # one a day: 5A on days[0..1], 5B on days[2..3]
    notices: list[models.AbsenceNotice]  # days[0]; days[1]..days[2] (across D); days[3]


async def _transfer(factory: Factory) -> Transfer:
    kit = await factory.school(classes=("5A", "5B"))
    old_teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="old")
    new_teacher = await factory.teacher(kit, [("5B", "Mathematics")], name="new")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent], login=False)
    days = school_days_before(today_utc(), 4)
    moved = days[2]
    await models.Enrollment.filter(student_id=child.id).update(end_date=moved - timedelta(days=1))
    await models.Enrollment.create(student=child, school_class=kit.classes["5B"], start_date=moved)
    lessons = []
    for n, day in enumerate(days):
        old = day < moved
        lesson = await factory.lesson(
            kit, "5A" if old else "5B", "Mathematics", old_teacher if old else new_teacher, day
        )
        await factory.grade(child, lesson, value=str(2 + n))  # 2, 3 in 5A; 4, 5 in 5B
        await factory.mark(child, lesson, models.AttendanceStatus.ABSENT_UNEXCUSED)
        await factory.homework(lesson, text=f"Homework {n}")
        lessons.append(lesson)
    notices = [
        await factory.absence_notice(child, parent, days[0], days[0]),
        await factory.absence_notice(child, parent, days[1], days[2]),
        await factory.absence_notice(child, parent, days[3], days[3]),
    ]
    return Transfer(kit, child, old_teacher, new_teacher, parent, days, lessons, notices)


async def _read(client: Client, t: Transfer) -> dict[str, Any]:
    data = await client.data(DIARY, id=gid(t.child, "Student"), **{"from": str(t.days[0]), "to": str(t.days[-1])})
    student: dict[str, Any] = data["student"]
    assert student is not None
    return student


def _entries(student: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for day in student["diary"] for e in day["entries"]]


@pytest.fixture
async def transfer(factory: Factory) -> Transfer:
    return await _transfer(factory)


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", [0, 1]), ("new_teacher", [2, 3]), ("parent", [0, 1, 2, 3])])
async def test_diary_lessons_grades_attendance_homework_follow_the_windows(
    factory: Factory, transfer: Transfer, who: str, seen: list[int]
) -> None:
    student = await _read(factory.client(getattr(transfer, who)), transfer)
    entries = _entries(student)
    assert [e["lesson"]["id"] for e in entries] == [gid(transfer.lessons[n], "Lesson") for n in seen]
    assert [g["value"] for e in entries for g in e["grades"]] == [str(2 + n) for n in seen]
    assert [e["attendance"] for e in entries] == ["ABSENT_UNEXCUSED"] * len(seen)
    assert [h["text"] for e in entries for h in e["homework"]] == [f"Homework {n}" for n in seen]
    # Every day of the range is still listed: only the rows outside the window are left out.
    assert len(student["diary"]) == (transfer.days[-1] - transfer.days[0]).days + 1


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", [0, 1]), ("new_teacher", [1, 2]), ("parent", [0, 1, 2])])
async def test_absence_notices_overlapping_the_window_are_seen_whole(
    factory: Factory, transfer: Transfer, who: str, seen: list[int]
) -> None:
    """The notice across the transfer day (``notices[1]``) is seen by both sides, whole."""
    student = await _read(factory.client(getattr(transfer, who)), transfer)
    assert [n["id"] for n in student["absenceNotices"]] == [gid(transfer.notices[n], "AbsenceNotice") for n in seen]
    across = [n for n in student["absenceNotices"] if n["id"] == gid(transfer.notices[1], "AbsenceNotice")]
    assert [(n["from"], n["to"]) for n in across] == [(str(transfer.days[1]), str(transfer.days[2]))]


@pytest.mark.parametrize(
    ("who", "grades", "absences"),
    [("old_teacher", ["2", "3"], 2), ("new_teacher", ["4", "5"], 2), ("parent", ["2", "3", "4", "5"], 4)],
)
async def test_progress_counts_only_the_grades_inside_the_window(
    factory: Factory, transfer: Transfer, who: str, grades: list[str], absences: int
) -> None:
    student = await _read(factory.client(getattr(transfer, who)), transfer)
    maths = [p for p in student["progress"] if p["subject"]["name"] == "Mathematics"]
    assert [sorted(g["value"] for g in p["grades"]) for p in maths] == [grades]
    assert [p["absences"] for p in maths] == [absences]


EVENTS = "subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind student { id } } }"
GRADE = "mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }"


async def test_the_diary_stream_follows_the_windows(server_url: str, factory: Factory, transfer: Transfer) -> None:
    """The new class's teacher grades the child: their own stream hears of it, the old class's
    teacher's does not; the old class's teacher's grade of a lesson before D reaches both the
    old side and the family."""
    child = gid(transfer.child, "Student")
    old = await open_socket(server_url, factory.client(transfer.old_teacher).token)
    new = await open_socket(server_url, factory.client(transfer.new_teacher).token)
    await old.start(EVENTS, studentId=child)
    await new.start(EVENTS, studentId=child)
    await asyncio.sleep(0.2)  # let the subscriptions reach the broker before the writes
    graded = await factory.client(transfer.new_teacher).data(
        GRADE, input={"studentId": child, "lessonId": gid(transfer.lessons[3], "Lesson"), "value": "5"}
    )
    assert graded["gradeCreate"]["__typename"] == "GradeCreateSuccess", graded
    assert (await new.next())["payload"]["data"]["diaryEvents"] == {"kind": "GRADE_ADDED", "student": {"id": child}}
    await old.nothing()
    graded = await factory.client(transfer.old_teacher).data(
        GRADE, input={"studentId": child, "lessonId": gid(transfer.lessons[1], "Lesson"), "value": "4"}
    )
    assert graded["gradeCreate"]["__typename"] == "GradeCreateSuccess", graded
    assert (await old.next())["payload"]["data"]["diaryEvents"] == {"kind": "GRADE_ADDED", "student": {"id": child}}
    await new.nothing()
    await old.ws.close()
    await new.ws.close()


NODE = "query N($id: ID!) { node(id: $id) { id } }"


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", [0, 1]), ("new_teacher", [2, 3]), ("parent", [0, 1, 2, 3])])
async def test_a_grade_by_id_follows_the_windows(
    factory: Factory, transfer: Transfer, who: str, seen: list[int]
) -> None:
    client = factory.client(getattr(transfer, who))
    found = []
    for n, lesson in enumerate(transfer.lessons):
        grade = await models.Grade.get(lesson_id=lesson.id, student_id=transfer.child.id)
        if (await client.data(NODE, id=gid(grade, "Grade")))["node"] is not None:
            found.append(n)
    assert found == seen


CHART = """
query C($id: ID!, $subject: ID!, $from: Date!, $to: Date!) { student(id: $id) {
  progressChart(subjectId: $subject, from: $from, to: $to, bucket: MONTH) { gradeCount }
  rank { position classSize } } }
"""


@pytest.mark.parametrize(("who", "counted"), [("old_teacher", 2), ("new_teacher", 2), ("parent", 4)])
async def test_the_progress_chart_counts_only_the_grades_inside_the_window(
    factory: Factory, transfer: Transfer, who: str, counted: int
) -> None:
    data = await factory.client(getattr(transfer, who)).data(
        CHART,
        id=gid(transfer.child, "Student"),
        subject=gid(transfer.kit.subjects["Mathematics"], "Subject"),
        **{"from": str(transfer.days[0]), "to": str(transfer.days[-1])},
    )
    assert sum(p["gradeCount"] for p in data["student"]["progressChart"]) == counted


@pytest.mark.parametrize(("who", "ranked"), [("old_teacher", False), ("new_teacher", True), ("parent", True)])
async def test_the_class_rank_is_the_new_classs_side(
    factory: Factory, transfer: Transfer, who: str, ranked: bool
) -> None:
    """The rank places the child in its current class (5B): the old class's teacher does not
    see it; the new class's teacher and the family do."""
    data = await factory.client(getattr(transfer, who)).data(
        CHART,
        id=gid(transfer.child, "Student"),
        subject=gid(transfer.kit.subjects["Mathematics"], "Subject"),
        **{"from": str(transfer.days[0]), "to": str(transfer.days[-1])},
    )
    rank = data["student"]["rank"]
    assert (rank is not None) == ranked
    if ranked:
        assert rank == {"position": 1, "classSize": 1}


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", [0, 1]), ("new_teacher", [1, 2]), ("parent", [0, 1, 2])])
async def test_an_absence_notice_by_id_follows_the_windows(
    factory: Factory, transfer: Transfer, who: str, seen: list[int]
) -> None:
    """``node`` agrees with ``Student.absenceNotices``: the notice across D is both sides'."""
    client = factory.client(getattr(transfer, who))
    found = [
        n
        for n, notice in enumerate(transfer.notices)
        if (await client.data(NODE, id=gid(notice, "AbsenceNotice")))["node"] is not None
    ]
    assert found == seen


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", ["5A"]), ("new_teacher", ["5B"]), ("parent", ["5A", "5B"])])
async def test_a_final_grade_by_id_is_the_side_of_the_class_it_was_set_in(
    factory: Factory, transfer: Transfer, who: str, seen: list[str]
) -> None:
    finals = {}
    for name in ("5A", "5B"):
        finals[name] = await models.TermGrade.create(
            student=transfer.child,
            subject=transfer.kit.subjects["Mathematics" if name == "5A" else "Russian language"],
            school_class=transfer.kit.classes[name],
            academic_year=transfer.kit.year,
            term=transfer.kit.term,
            period_key=f"term:{transfer.kit.term.id}",
            teacher=transfer.old_teacher if name == "5A" else transfer.new_teacher,
            value="5",
            numeric_value=5.0,
        )
    client = factory.client(getattr(transfer, who))
    found = [n for n, row in finals.items() if (await client.data(NODE, id=gid(row, "TermGrade")))["node"] is not None]
    assert found == seen


NOTICE_LESSONS = "query L($id: ID!) { node(id: $id) { ... on AbsenceNotice { lessons { id } } } }"


@pytest.mark.parametrize(("who", "seen"), [("old_teacher", [1]), ("new_teacher", [2]), ("parent", [1, 2])])
async def test_a_notice_across_the_transfer_shows_each_side_the_lessons_of_its_own_class(
    factory: Factory, transfer: Transfer, who: str, seen: list[int]
) -> None:
    """The notice across D, for chosen lessons: one of 5A before D, one of 5B on D. Both sides
    read the notice whole, each the lessons it may open."""
    notice = transfer.notices[1]
    await models.AbsenceNotice.filter(id=notice.id).update(kind=models.AbsenceNoticeKind.LESSONS)
    for n in (1, 2):
        await models.AbsenceNoticeItem.filter(notice_id=notice.id, date=transfer.days[n]).update(
            lesson_id=transfer.lessons[n].id
        )
    client = factory.client(getattr(transfer, who))
    data = await client.data(NOTICE_LESSONS, id=gid(notice, "AbsenceNotice"))
    lessons = [x["id"] for x in data["node"]["lessons"]]
    assert lessons == [gid(transfer.lessons[n], "Lesson") for n in seen]
    for x in lessons:  # each one node returns to the same viewer
        assert (await client.data(NODE, id=x))["node"] is not None


FINALS = """
query F($id: ID!, $class: ID!, $subject: ID!) {
  student(id: $id) { progress { subject { name } termGrade { id } } }
  node(id: $class) { ... on SchoolClass { journal(subjectId: $subject) { rows { student { id } termGrade { id } } } } }
}
"""


@pytest.mark.parametrize(("who", "klass", "shown"), [("old_teacher", "5A", False), ("new_teacher", "5B", True)])
async def test_the_new_classs_final_grade_is_not_the_old_sides(
    factory: Factory, transfer: Transfer, who: str, klass: str, shown: bool
) -> None:
    """A final grade set in 5B after the move: the new class's teacher reads it in the progress
    and in 5B's journal; the old class's teacher in neither (nor in 5A's journal, whose row of
    the child ends at D - 1)."""
    final = await factory.term_grade(transfer.kit, transfer.child, "Mathematics", transfer.new_teacher)
    data = await factory.client(getattr(transfer, who)).data(
        FINALS,
        id=gid(transfer.child, "Student"),
        **{
            "class": gid(transfer.kit.classes[klass], "SchoolClass"),
            "subject": gid(transfer.kit.subjects["Mathematics"], "Subject"),
        },
    )
    expected = {"id": gid(final, "TermGrade")} if shown else None
    maths = [p["termGrade"] for p in data["student"]["progress"] if p["subject"]["name"] == "Mathematics"]
    assert maths == [expected]
    rows = data["node"]["journal"]["rows"]
    assert [r["termGrade"] for r in rows if r["student"]["id"] == gid(transfer.child, "Student")] == [expected]


async def test_the_family_no_longer_sees_the_old_classs_lessons_after_the_transfer(
    factory: Factory, transfer: Transfer
) -> None:
    """The old class goes on without the child: its lessons from the transfer on, their
    homework and their files are not the family's (no longer their child's class), while the
    lessons the child had there stay in the family's diary."""
    t = transfer
    later = [await factory.lesson(t.kit, "5A", "Mathematics", t.old_teacher, day, period=2) for day in t.days[2:]]
    homework = [await factory.homework(lesson, text="5A after the move") for lesson in later]
    parent = factory.client(t.parent)
    for lesson, work in zip(later, homework, strict=True):
        assert (await parent.data(NODE, id=gid(lesson, "Lesson")))["node"] is None
        assert (await parent.data(NODE, id=gid(work, "Homework")))["node"] is None
    for lesson in t.lessons[:2]:
        assert (await parent.data(NODE, id=gid(lesson, "Lesson")))["node"] is not None
    # The old class's teacher still sees them: it is the family's view that ends.
    teacher = factory.client(t.old_teacher)
    assert (await teacher.data(NODE, id=gid(later[0], "Lesson")))["node"] is not None
