"""A child's progress against the class: final grades, suggested grades, class averages, the
progress chart and the class rank; who sees them, and what they cost in statements. Each test
builds its own classes from factories, dated from the clock's today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

import models
from resolvers import grades as grading
from resolvers.core import to_global_id, today_utc
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, half_up

PROGRESS = """
query P($id: ID!) { student(id: $id) { progress {
  subject { name } weightedAverage classWeightedAverage suggestedGrade { value numericValue }
  termGrade { id value numericValue comment term { name } subject { name } student { fullName }
              teacher { fullName } createdAt updatedAt } } } }
"""
CHILDREN_PROGRESS = """
{ viewer { children { fullName progress { subject { name } weightedAverage classWeightedAverage
  suggestedGrade { value } termGrade { value term { name } teacher { fullName } } } } } }
"""
CHART = """
query C($id: ID!, $subject: ID!, $from: Date!, $to: Date!, $bucket: ChartBucket) { student(id: $id) {
  progressChart(subjectId: $subject, from: $from, to: $to, bucket: $bucket) {
    bucketStart weightedAverage runningWeightedAverage classWeightedAverage gradeCount } } }
"""
RANK = """
query R($id: ID!, $term: ID) { student(id: $id) { rank(termId: $term) {
  position classSize weightedAverage classWeightedAverage distribution { mark { value numericValue } students } } } }
"""
CHILDREN_RANK = "{ viewer { children { rank { position classSize weightedAverage distribution { students } } } } }"
NODE = "query N($id: ID!) { node(id: $id) { __typename ... on TermGrade { value } } }"
ROLES = ["parent", "other_parent", "student", "teacher", "admin", "district"]
SEES_THE_CHILD = {"parent": True, "other_parent": False, "student": True, "teacher": True, "admin": True}
SEES_THE_CHILD["district"] = True


@dataclass
class Classroom:
    """5A and 6B of a factory school over the last weeks, with a viewer in every role."""

    kit: SchoolKit
    users: dict[str, models.User]  # one per ROLES entry: "student" is the child's own login
    child: models.Student  # 5A, the parent's
    classmate: models.Student  # 5A, the other parent's
    sibling: models.Student  # 6B, the parent's
    away: date  # the Monday of the week the child was ill (no grades, every lesson excused)

    @property
    def maths(self) -> models.Subject:
        return self.kit.subjects["Mathematics"]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def _classroom(factory: Factory, weeks: int = 6) -> Classroom:
    """A school with mathematics and Russian in 5A and 6B on alternate school days over the
    last ``weeks`` weeks. In 5A: Anna (the parent's child, with a login of her own), Boris (the
    other parent's, all fives), Vera (graded exactly as Anna: a tie) and Daria (never graded).
    Anna is marked at every lesson (present, late, present, unexcused in turn; the whole week
    two weeks back excused, as ill) and graded when there. In 6B: Gleb (the parent's second
    child) and Olga. Boris is marked present throughout."""
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    russian = await factory.teacher(kit, [("5A", "Russian language"), ("6B", "Russian language")], name="russian")
    parent, other_parent = await factory.parent(), await factory.parent("other")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    classmate = await factory.student(kit, "5A", "boris", guardians=[other_parent])
    twin = await factory.student(kit, "5A", "vera", login=False)
    await factory.student(kit, "5A", "daria", login=False)
    sibling = await factory.student(kit, "6B", "gleb", guardians=[parent])
    olga = await factory.student(kit, "6B", "olga", login=False)

    days = school_days_before(today_utc(), 5 * weeks)
    away = _monday(today_utc()) - timedelta(weeks=2)
    turns = [
        models.AttendanceStatus.PRESENT,
        models.AttendanceStatus.LATE,
        models.AttendanceStatus.PRESENT,
        models.AttendanceStatus.ABSENT_UNEXCUSED,
    ]
    for n, day in enumerate(days):
        subject, teacher_of = ("Mathematics", teacher) if n % 2 == 0 else ("Russian language", russian)
        lesson = await factory.lesson(kit, "5A", subject, teacher_of, day, period=1 + n % 2)
        status = models.AttendanceStatus.ABSENT_EXCUSED if _monday(day) == away else turns[n // 2 % len(turns)]
        await factory.mark(child, lesson, status, late_minutes=10 if status == models.AttendanceStatus.LATE else None)
        await factory.mark(classmate, lesson, models.AttendanceStatus.PRESENT)
        if status in (models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE):
            value, weight = (str(3 + n // 2 % 3), 1 + n // 2 % 2) if subject == "Mathematics" else ("4", 1)
            await factory.grade(child, lesson, value, weight)
            await factory.grade(twin, lesson, value, weight)
        await factory.grade(classmate, lesson, "5")
        sixth = await factory.lesson(kit, "6B", subject, teacher_of, day, period=3)
        await factory.mark(sibling, sixth, models.AttendanceStatus.PRESENT)
        await factory.grade(sibling, sixth, "4" if subject == "Mathematics" else "3")
        await factory.grade(olga, sixth, "5")

    assert kit.admin is not None
    users = {
        "parent": parent,
        "other_parent": other_parent,
        "student": await models.User.get(id=child.user_id),
        "teacher": teacher,
        "admin": kit.admin,
        "district": await factory.district_admin(),
    }
    return Classroom(kit, users, child, classmate, sibling, away)


async def _term_grade(factory: Factory, room: Classroom, student: models.Student, value: str) -> models.TermGrade:
    """A final grade in mathematics for the term, given by the mathematics teacher."""
    return await factory.term_grade(room.kit, student, "Mathematics", room.users["teacher"], value=value)


async def _child_elsewhere(factory: Factory, parent: models.User) -> models.Student:
    """A third child of ``parent``, in 7A of another school, with a mathematics grade."""
    kit = await factory.school("Other school", classes=("7A",))
    teacher = await factory.teacher(kit, [("7A", "Mathematics")], name="t7")
    child = await factory.student(kit, "7A", "dmitry", guardians=[parent])
    lesson = await factory.lesson(kit, "7A", "Mathematics", teacher, school_days_before(today_utc(), 1)[0])
    await factory.grade(child, lesson, "5")
    await factory.term_grade(kit, child, "Mathematics", teacher, value="5")
    return child


def _weighted(grades: list[models.Grade]) -> float | None:
    """The oracle: a weighted average rounded half up in decimal, as the API promises."""
    counted = [(g.numeric_value, g.weight) for g in grades if g.numeric_value is not None]
    total = sum(w for _, w in counted)
    return float(half_up(sum(v * w for v, w in counted), total)) if total else None


async def test_progress_shows_term_grade_suggestion_and_class_average(factory: Factory) -> None:
    room = await _classroom(factory)
    term_grade = await _term_grade(factory, room, room.child, "4")
    term_grade.comment = "Steady work"
    await term_grade.save(update_fields=["comment"])
    child, term, klass = room.child, room.kit.term, room.kit.classes["5A"]
    rows = (await factory.client(room.users["parent"]).data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    maths = next(r for r in rows if r["subject"]["name"] == "Mathematics")
    assert maths["termGrade"]["value"] == "4"
    assert maths["termGrade"]["id"] == to_global_id("TermGrade", term_grade.pk)
    assert maths["termGrade"]["comment"] == "Steady work"
    assert maths["termGrade"]["term"]["name"] == term.name
    assert maths["termGrade"]["teacher"]["fullName"] == room.users["teacher"].full_name
    assert maths["termGrade"]["student"]["fullName"] == child.full_name
    assert [r["subject"]["name"] for r in rows if r["termGrade"] is None] == ["Russian language"]
    mark = grading.suggest(room.kit.school, maths["weightedAverage"])
    assert mark is not None
    assert maths["suggestedGrade"] == {"value": mark.value, "numericValue": mark.numeric}
    everyone = await models.Grade.filter(
        school_class_id=klass.id,
        subject__name="Mathematics",
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    assert len({g.student_id for g in everyone}) > 1
    assert maths["classWeightedAverage"] == _weighted(everyone)


# The figures a line loads, asked for through a named fragment, an inline one and an alias.
PROGRESS_IN_FRAGMENTS = """
query P($id: ID!) { student(id: $id) { progress { subject { name } ...Final
  ... on SubjectProgress { suggestedGrade { value } } classAverage: classWeightedAverage } } }
fragment Final on SubjectProgress { termGrade { value } }
"""


async def test_progress_figures_asked_in_fragments(factory: Factory) -> None:
    """A line's term grade, suggestion and class average are found only when the query asks
    for them: asked through fragments and an alias, they are what the plain query answers."""
    room = await _classroom(factory)
    await _term_grade(factory, room, room.child, "4")
    parent = factory.client(room.users["parent"])
    plain = (await parent.data(PROGRESS, id=gid(room.child, "Student")))["student"]["progress"]
    nested = (await parent.data(PROGRESS_IN_FRAGMENTS, id=gid(room.child, "Student")))["student"]["progress"]
    assert [r["subject"] for r in nested] == [r["subject"] for r in plain]
    assert [r["termGrade"] for r in nested] == [
        {"value": t["value"]} if t else None for t in (r["termGrade"] for r in plain)
    ]
    assert [r["suggestedGrade"] for r in nested] == [
        {"value": m["value"]} if m else None for m in (r["suggestedGrade"] for r in plain)
    ]
    assert [r["classAverage"] for r in nested] == [r["classWeightedAverage"] for r in plain]
    assert any(r["termGrade"] for r in nested)
    assert all(r["classAverage"] is not None for r in nested)


async def test_removed_grades_do_not_count_in_class_average(factory: Factory) -> None:
    room = await _classroom(factory, weeks=2)
    child, term, klass = room.child, room.kit.term, room.kit.classes["5A"]
    lesson = await models.Lesson.filter(
        school_class_id=klass.id, subject_id=room.maths.id, date__gte=term.start_date
    ).first()
    assert lesson is not None
    removed = await factory.remove_grade(await factory.grade(child, lesson, "1", weight=10))
    rows = (await factory.client(room.users["teacher"]).data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    maths = next(r for r in rows if r["subject"]["name"] == "Mathematics")
    counted = await models.Grade.filter(
        school_class_id=klass.id,
        subject_id=lesson.subject_id,
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    assert maths["classWeightedAverage"] == _weighted(counted) != _weighted([*counted, removed])


@pytest.mark.parametrize("role", ROLES)
async def test_term_grade_visibility(role: str, factory: Factory) -> None:
    room = await _classroom(factory, weeks=1)
    term_grade = await _term_grade(factory, room, room.child, "4")
    client = factory.client(room.users[role])
    node = (await client.data(NODE, id=to_global_id("TermGrade", term_grade.pk)))["node"]
    student = (await client.data(PROGRESS, id=gid(room.child, "Student")))["student"]
    if SEES_THE_CHILD[role]:
        assert node == {"__typename": "TermGrade", "value": "4"}
        maths = next(r for r in student["progress"] if r["subject"]["name"] == "Mathematics")
        assert maths["termGrade"]["value"] == "4"
    else:
        assert node is None
        assert student is None


async def test_progress_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """One child or three (two schools): the same statements, term grades and class averages
    included."""
    room = await _classroom(factory, weeks=2)
    await _term_grade(factory, room, room.child, "4")
    await _term_grade(factory, room, room.classmate, "5")
    await _child_elsewhere(factory, room.users["parent"])
    count_statements.statements.clear()
    one = (await factory.client(room.users["other_parent"]).data(CHILDREN_PROGRESS))["viewer"]["children"]
    small = count_statements.count
    count_statements.statements.clear()
    three = (await factory.client(room.users["parent"]).data(CHILDREN_PROGRESS))["viewer"]["children"]
    assert (len(one), len(three)) == (1, 3)
    assert [r["termGrade"]["value"] for c in one for r in c["progress"] if r["termGrade"]] == ["5"]
    assert sorted(r["termGrade"]["value"] for c in three for r in c["progress"] if r["termGrade"]) == ["4", "5"]
    assert all(r["classWeightedAverage"] is not None for c in three for r in c["progress"] if r["weightedAverage"])
    assert count_statements.count == small, count_statements.statements


# --- the chart ------------------------------------------------------------------------


def _chart_vars(child: models.Student, subject: models.Subject, start: date, end: date, bucket: str) -> dict[str, str]:
    return {
        "id": gid(child, "Student"),
        "subject": to_global_id("Subject", subject.pk),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "bucket": bucket,
    }


async def test_chart_weeks_match_the_grades(factory: Factory) -> None:
    room = await _classroom(factory)
    child, subject, klass = room.child, room.maths, room.kit.classes["5A"]
    end = today_utc()
    start = end - timedelta(weeks=6)
    parent = factory.client(room.users["parent"])
    points = (await parent.data(CHART, **_chart_vars(child, subject, start, end, "WEEK")))["student"]["progressChart"]
    monday = start - timedelta(days=start.weekday())
    expected_starts = []
    while monday <= end:
        expected_starts.append(monday.isoformat())
        monday += timedelta(days=7)
    assert [p["bucketStart"] for p in points] == expected_starts
    own = await models.Grade.filter(
        student_id=child.id, subject_id=subject.id, date__gte=start, date__lte=end, deleted_at__isnull=True
    )
    assert sum(p["gradeCount"] for p in points) == len(own) > 0
    for point in points:
        first = date.fromisoformat(point["bucketStart"])
        last = min(first + timedelta(days=6), end)
        in_bucket = [g for g in own if first <= g.date <= last]
        assert point["weightedAverage"] == _weighted(in_bucket)
        assert point["runningWeightedAverage"] == _weighted([g for g in own if g.date <= last])
        everyone = await models.Grade.filter(
            school_class_id=klass.id,
            subject_id=subject.id,
            date__gte=max(first, start),
            date__lte=last,
            deleted_at__isnull=True,
        )
        assert point["classWeightedAverage"] == _weighted(everyone)
        if not in_bucket:
            assert point["weightedAverage"] is None
            assert point["gradeCount"] == 0
    ill = next(p for p in points if p["bucketStart"] == room.away.isoformat())
    assert (ill["gradeCount"], ill["weightedAverage"]) == (0, None)
    assert ill["classWeightedAverage"] is not None
    assert ill["runningWeightedAverage"] is not None


async def test_chart_months_and_limits(factory: Factory) -> None:
    room = await _classroom(factory, weeks=1)
    child, subject, parent = room.child, room.maths, factory.client(room.users["parent"])
    start, end = date(2026, 1, 15), date(2026, 4, 2)
    points = (await parent.data(CHART, **_chart_vars(child, subject, start, end, "MONTH")))["student"]["progressChart"]
    assert [p["bucketStart"] for p in points] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    too_long = await parent.post(CHART, **_chart_vars(child, subject, start, start + timedelta(days=366), "WEEK"))
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    other_school = (await factory.school("Other school")).subjects["Mathematics"]
    end = today_utc()
    foreign = await parent.data(CHART, **_chart_vars(child, other_school, end - timedelta(days=30), end, "WEEK"))
    assert foreign["student"]["progressChart"] == []


@pytest.mark.parametrize("role", ROLES)
async def test_chart_visibility(role: str, factory: Factory) -> None:
    room = await _classroom(factory, weeks=1)
    end = today_utc()
    data = await factory.client(room.users[role]).data(
        CHART, **_chart_vars(room.child, room.maths, end - timedelta(days=30), end, "WEEK")
    )
    if SEES_THE_CHILD[role]:
        assert len(data["student"]["progressChart"]) >= 5
    else:
        assert data["student"] is None


async def test_chart_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """4 weeks or 52, with a grade a week for the child and the class: the same statements
    (one aggregate for the child and the class)."""
    room = await _classroom(factory, weeks=1)
    teacher = room.users["teacher"]
    for weeks_ago in range(1, 17):
        day = _monday(today_utc()) - timedelta(weeks=weeks_ago)
        lesson = await factory.lesson(room.kit, "5A", "Mathematics", teacher, day, period=4)
        await factory.grade(room.child, lesson, str(3 + weeks_ago % 3))
        await factory.grade(room.classmate, lesson, "5")
    parent = factory.client(room.users["parent"])
    end = today_utc()
    counts, grades = [], []
    for weeks in (4, 52):
        count_statements.statements.clear()
        data = await parent.data(
            CHART, **_chart_vars(room.child, room.maths, end - timedelta(weeks=weeks), end, "WEEK")
        )
        points = data["student"]["progressChart"]
        assert len(points) >= weeks
        counts.append(count_statements.count)
        grades.append(sum(p["gradeCount"] for p in points))
    assert grades[0] < grades[1]
    assert counts[0] == counts[1], count_statements.statements


# --- the rank -------------------------------------------------------------------------


async def test_rank_is_competition_ranking_of_weighted_averages(factory: Factory) -> None:
    room = await _classroom(factory, weeks=2)
    child, term, klass, school = room.child, room.kit.term, room.kit.classes["5A"], room.kit.school
    grades = await models.Grade.filter(
        school_class_id=klass.id, date__gte=term.start_date, date__lte=term.end_date, deleted_at__isnull=True
    )
    by_student: dict[int, list[models.Grade]] = {}
    for g in grades:
        by_student.setdefault(g.student_id, []).append(g)
    averages = {sid: a for sid, gs in by_student.items() if (a := _weighted(gs)) is not None}
    parent = factory.client(room.users["parent"])
    rank = (await parent.data(RANK, id=gid(child, "Student"), term=gid(term, "Term")))["student"]["rank"]
    assert rank["classSize"] == len(averages) == 3  # Daria, never graded, is not ranked
    assert rank["weightedAverage"] == averages[child.id]
    assert rank["position"] == 1 + sum(1 for a in averages.values() if a > averages[child.id]) == 2  # tied with Vera
    assert rank["classWeightedAverage"] == _weighted(grades)
    assert [b["mark"]["value"] for b in rank["distribution"]] == [m.value for m in grading.marks(school)]
    assert sum(b["students"] for b in rank["distribution"]) == rank["classSize"]
    for bucket in rank["distribution"]:
        suggested = [
            a for a in averages.values() if (m := grading.suggest(school, a)) and m.value == bucket["mark"]["value"]
        ]
        assert bucket["students"] == len(suggested)
    assert set(rank) == {"position", "classSize", "weightedAverage", "classWeightedAverage", "distribution"}


async def test_rank_ties_share_a_position() -> None:
    from resolvers.progress import competition_position

    averages = [4.5, 4.2, 4.2, 3.9]
    assert [competition_position(averages, a) for a in averages] == [1, 2, 2, 4]


async def test_rank_of_unknown_term_is_null(factory: Factory) -> None:
    room = await _classroom(factory, weeks=1)
    foreign = (await factory.school("Other school")).term
    parent = factory.client(room.users["parent"])
    data = await parent.data(RANK, id=gid(room.child, "Student"), term=to_global_id("Term", foreign.pk))
    assert data["student"]["rank"] is None


@pytest.mark.parametrize("role", ROLES)
async def test_rank_visibility(role: str, factory: Factory) -> None:
    room = await _classroom(factory, weeks=1)
    data = await factory.client(room.users[role]).data(RANK, id=gid(room.child, "Student"))
    if SEES_THE_CHILD[role]:
        assert data["student"]["rank"]["classSize"] > 1
    else:
        assert data["student"] is None


async def test_rank_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """One child or three (two schools): the same statements."""
    room = await _classroom(factory, weeks=2)
    await _child_elsewhere(factory, room.users["parent"])
    count_statements.statements.clear()
    one = (await factory.client(room.users["other_parent"]).data(CHILDREN_RANK))["viewer"]["children"]
    small = count_statements.count
    count_statements.statements.clear()
    three = (await factory.client(room.users["parent"]).data(CHILDREN_RANK))["viewer"]["children"]
    assert (len(one), len(three)) == (1, 3)
    assert all(c["rank"]["position"] for c in three)
    assert count_statements.count == small, count_statements.statements


async def test_progress_counts_attendance_per_subject(factory: Factory) -> None:
    """Absences and late arrivals come from an aggregate statement: they match the register."""
    room = await _classroom(factory)
    child, term = room.child, room.kit.term
    end = min(term.end_date, today_utc())
    query = "query P($id: ID!) { student(id: $id) { progress { subject { name } absences unexcusedAbsences late } } }"
    rows = (await factory.client(room.users["parent"]).data(query, id=gid(child, "Student")))["student"]["progress"]
    marks = await models.Attendance.filter(
        student_id=child.id, date__gte=term.start_date, date__lte=end
    ).select_related("lesson__subject")
    absent = (models.AttendanceStatus.ABSENT_EXCUSED, models.AttendanceStatus.ABSENT_UNEXCUSED)
    assert any(m.status != models.AttendanceStatus.PRESENT for m in marks)
    assert [r["subject"]["name"] for r in rows] == ["Mathematics", "Russian language"]
    for row in rows:
        own = [m for m in marks if m.lesson.subject.name == row["subject"]["name"]]
        assert row["absences"] == sum(1 for m in own if m.status in absent)
        assert row["unexcusedAbsences"] == sum(1 for m in own if m.status == models.AttendanceStatus.ABSENT_UNEXCUSED)
        assert row["late"] == sum(1 for m in own if m.status == models.AttendanceStatus.LATE)
    assert all(r["absences"] > r["unexcusedAbsences"] > 0 and r["late"] > 0 for r in rows)
