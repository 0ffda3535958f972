"""A child's progress against the class: final grades, suggested grades, class averages, the
progress chart and the class rank; who sees them, and what they cost in statements."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

import models
from resolvers import scales
from resolvers.clock import today_utc
from resolvers.ids import to_global_id
from tests.conftest import Client, StatementCounter
from tests.helpers import children_of, demo_student, gid, school_class

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
SEES_DEMO_STUDENT = {"parent": True, "other_parent": False, "student": True, "teacher": True, "admin": True}
SEES_DEMO_STUDENT["district"] = True


def _weighted(grades: list[models.Grade]) -> float | None:
    counted = [(g.numeric_value, g.weight) for g in grades if g.numeric_value is not None]
    total = sum(w for _, w in counted)
    return scales.round_average(sum(v * w for v, w in counted) / total) if total else None


async def _current_term(school_id: int) -> models.Term:
    today = today_utc()
    term = await models.Term.filter(school_id=school_id, start_date__lte=today).order_by("-start_date").first()
    assert term is not None
    return term


async def _maths(school_id: int) -> models.Subject:
    return await models.Subject.get(school_id=school_id, name="Mathematics")


@pytest.fixture
def clients(
    parent: Client, other_parent: Client, student: Client, teacher: Client, admin: Client, district: Client
) -> dict[str, Client]:
    """Every viewer role by name, for parametrized policy tests."""
    return {
        "parent": parent,
        "other_parent": other_parent,
        "student": student,
        "teacher": teacher,
        "admin": admin,
        "district": district,
    }


@pytest.fixture
async def term_grade() -> AsyncIterator[models.TermGrade]:
    """A final grade of the demo student in mathematics for the current term (removed after)."""
    child = await demo_student("student")
    term = await _current_term(child.school_id)
    klass = await school_class("School No. 1", "5A")
    teacher = await models.User.get(login="teacher")
    row = await models.TermGrade.create(
        student=child,
        subject=await _maths(child.school_id),
        school_class=klass,
        academic_year_id=term.academic_year_id,
        term=term,
        period_key=f"term:{term.id}",
        teacher=teacher,
        value="4",
        numeric_value=4.0,
        comment="Steady work",
    )
    yield row
    await row.delete()


async def test_progress_shows_term_grade_suggestion_and_class_average(
    parent: Client, term_grade: models.TermGrade
) -> None:
    child = await demo_student("student")
    rows = (await parent.data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    maths = next(r for r in rows if r["subject"]["name"] == "Mathematics")
    assert maths["termGrade"]["value"] == "4"
    assert maths["termGrade"]["id"] == to_global_id("TermGrade", term_grade.pk)
    assert maths["termGrade"]["comment"] == "Steady work"
    assert maths["termGrade"]["term"]["name"] == (await _current_term(child.school_id)).name
    assert maths["termGrade"]["teacher"]["fullName"]
    assert maths["termGrade"]["student"]["fullName"] == child.full_name
    assert all(r["termGrade"] is None for r in rows if r["subject"]["name"] != "Mathematics")
    school = await models.School.get(id=child.school_id)
    mark = scales.suggest(school, maths["weightedAverage"])
    assert mark is not None
    assert maths["suggestedGrade"] == {"value": mark.value, "numericValue": mark.numeric}
    term = await _current_term(child.school_id)
    klass = await school_class("School No. 1", "5A")
    everyone = await models.Grade.filter(
        school_class_id=klass.id,
        subject__name="Mathematics",
        date__gte=term.start_date,
        date__lte=term.end_date,
        deleted_at__isnull=True,
    )
    assert len({g.student_id for g in everyone}) > 1
    assert maths["classWeightedAverage"] == _weighted(everyone)


async def test_removed_grades_do_not_count_in_class_average(teacher: Client) -> None:
    child = await demo_student("student")
    term = await _current_term(child.school_id)
    klass = await school_class("School No. 1", "5A")
    lesson = await models.Lesson.filter(
        school_class_id=klass.id, subject__name="Mathematics", date__gte=term.start_date
    ).first()
    assert lesson is not None
    removed = await models.Grade.create(
        student=child,
        subject_id=lesson.subject_id,
        school_class=klass,
        lesson=lesson,
        teacher_id=lesson.teacher_id,
        date=lesson.date,
        value="1",
        numeric_value=1.0,
        weight=10,
        deleted_at=lesson.ends_at,
    )
    try:
        rows = (await teacher.data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
        maths = next(r for r in rows if r["subject"]["name"] == "Mathematics")
        counted = await models.Grade.filter(
            school_class_id=klass.id,
            subject_id=lesson.subject_id,
            date__gte=term.start_date,
            date__lte=term.end_date,
            deleted_at__isnull=True,
        )
        assert maths["classWeightedAverage"] == _weighted(counted)
    finally:
        await removed.delete()


@pytest.mark.parametrize("role", ROLES)
async def test_term_grade_visibility(role: str, clients: dict[str, Client], term_grade: models.TermGrade) -> None:
    client = clients[role]
    node = (await client.data(NODE, id=to_global_id("TermGrade", term_grade.pk)))["node"]
    student = (await client.data(PROGRESS, id=gid(await demo_student("student"), "Student")))["student"]
    if SEES_DEMO_STUDENT[role]:
        assert node == {"__typename": "TermGrade", "value": "4"}
        maths = next(r for r in student["progress"] if r["subject"]["name"] == "Mathematics")
        assert maths["termGrade"]["value"] == "4"
    else:
        assert node is None
        assert student is None


async def test_progress_statements(
    parent: Client, other_parent: Client, count_statements: StatementCounter, term_grade: models.TermGrade
) -> None:
    """One child or two: the same statements, term grades and class averages included."""
    only = (await children_of("parent2"))[0]
    other = await models.TermGrade.create(
        student=only,
        subject_id=term_grade.subject_id,
        school_class_id=term_grade.school_class_id,
        academic_year_id=term_grade.academic_year_id,
        term_id=term_grade.term_id,
        period_key=term_grade.period_key,
        teacher_id=term_grade.teacher_id,
        value="5",
        numeric_value=5.0,
    )
    try:
        count_statements.statements.clear()
        one = (await other_parent.data(CHILDREN_PROGRESS))["viewer"]["children"]
        small = count_statements.count
    finally:
        await other.delete()
    count_statements.statements.clear()
    two = (await parent.data(CHILDREN_PROGRESS))["viewer"]["children"]
    assert (len(one), len(two)) == (1, 2)
    assert all(r["classWeightedAverage"] is not None for c in two for r in c["progress"] if r["weightedAverage"])
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


async def test_chart_weeks_match_the_grades(parent: Client) -> None:
    child = await demo_student("student")
    subject = await _maths(child.school_id)
    end = today_utc()
    start = end - timedelta(weeks=6)
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
    klass = await school_class("School No. 1", "5A")
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


async def test_chart_months_and_limits(parent: Client) -> None:
    child = await demo_student("student")
    subject = await _maths(child.school_id)
    start, end = date(2026, 1, 15), date(2026, 4, 2)
    points = (await parent.data(CHART, **_chart_vars(child, subject, start, end, "MONTH")))["student"]["progressChart"]
    assert [p["bucketStart"] for p in points] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01"]
    too_long = await parent.post(CHART, **_chart_vars(child, subject, start, start + timedelta(days=366), "WEEK"))
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    other_school = await models.Subject.filter(school__name="School No. 2").first()
    assert other_school is not None
    foreign = await parent.data(CHART, **_chart_vars(child, other_school, start, end, "WEEK"))
    assert foreign["student"]["progressChart"] == []


@pytest.mark.parametrize("role", ROLES)
async def test_chart_visibility(role: str, clients: dict[str, Client]) -> None:
    client = clients[role]
    child = await demo_student("student")
    end = today_utc()
    data = await client.data(
        CHART, **_chart_vars(child, await _maths(child.school_id), end - timedelta(days=30), end, "WEEK")
    )
    if SEES_DEMO_STUDENT[role]:
        assert len(data["student"]["progressChart"]) >= 5
    else:
        assert data["student"] is None


async def test_chart_statements(parent: Client, count_statements: StatementCounter) -> None:
    """4 weeks or 52: the same statements (one aggregate for the child and the class)."""
    child = await demo_student("student")
    subject = await _maths(child.school_id)
    end = today_utc()
    counts = []
    for weeks in (4, 52):
        count_statements.statements.clear()
        data = await parent.data(CHART, **_chart_vars(child, subject, end - timedelta(weeks=weeks), end, "WEEK"))
        assert len(data["student"]["progressChart"]) >= weeks
        counts.append(count_statements.count)
    assert counts[0] == counts[1], count_statements.statements


# --- the rank -------------------------------------------------------------------------


async def test_rank_is_competition_ranking_of_weighted_averages(parent: Client) -> None:
    child = await demo_student("student")
    term = await _current_term(child.school_id)
    klass = await school_class("School No. 1", "5A")
    grades = await models.Grade.filter(
        school_class_id=klass.id, date__gte=term.start_date, date__lte=term.end_date, deleted_at__isnull=True
    )
    by_student: dict[int, list[models.Grade]] = {}
    for g in grades:
        by_student.setdefault(g.student_id, []).append(g)
    averages = {sid: a for sid, gs in by_student.items() if (a := _weighted(gs)) is not None}
    rank = (await parent.data(RANK, id=gid(child, "Student"), term=gid(term, "Term")))["student"]["rank"]
    assert rank["classSize"] == len(averages) > 1
    assert rank["weightedAverage"] == averages[child.id]
    assert rank["position"] == 1 + sum(1 for a in averages.values() if a > averages[child.id])
    assert rank["classWeightedAverage"] == _weighted(grades)
    school = await models.School.get(id=child.school_id)
    assert [b["mark"]["value"] for b in rank["distribution"]] == [m.value for m in scales.marks(school)]
    assert sum(b["students"] for b in rank["distribution"]) == rank["classSize"]
    for bucket in rank["distribution"]:
        suggested = [
            a for a in averages.values() if (m := scales.suggest(school, a)) and m.value == bucket["mark"]["value"]
        ]
        assert bucket["students"] == len(suggested)
    assert set(rank) == {"position", "classSize", "weightedAverage", "classWeightedAverage", "distribution"}


async def test_rank_ties_share_a_position() -> None:
    from resolvers.progress import competition_position

    averages = [4.5, 4.2, 4.2, 3.9]
    assert [competition_position(averages, a) for a in averages] == [1, 2, 2, 4]


async def test_rank_of_unknown_term_is_null(parent: Client) -> None:
    child = await demo_student("student")
    foreign = await models.Term.filter(school__name="School No. 2").first()
    assert foreign is not None
    data = await parent.data(RANK, id=gid(child, "Student"), term=to_global_id("Term", foreign.pk))
    assert data["student"]["rank"] is None


@pytest.mark.parametrize("role", ROLES)
async def test_rank_visibility(role: str, clients: dict[str, Client]) -> None:
    client = clients[role]
    data = await client.data(RANK, id=gid(await demo_student("student"), "Student"))
    if SEES_DEMO_STUDENT[role]:
        assert data["student"]["rank"]["classSize"] > 1
    else:
        assert data["student"] is None


async def test_rank_statements(parent: Client, other_parent: Client, count_statements: StatementCounter) -> None:
    count_statements.statements.clear()
    one = (await other_parent.data(CHILDREN_RANK))["viewer"]["children"]
    small = count_statements.count
    count_statements.statements.clear()
    two = (await parent.data(CHILDREN_RANK))["viewer"]["children"]
    assert (len(one), len(two)) == (1, 2)
    assert all(c["rank"]["position"] for c in two)
    assert count_statements.count == small, count_statements.statements


async def test_progress_counts_attendance_per_subject(parent: Client) -> None:
    """Absences and late arrivals come from an aggregate statement: they match the register."""
    child = await demo_student("student")
    term = await _current_term(child.school_id)
    end = min(term.end_date, today_utc())
    query = "query P($id: ID!) { student(id: $id) { progress { subject { name } absences unexcusedAbsences late } } }"
    rows = (await parent.data(query, id=gid(child, "Student")))["student"]["progress"]
    marks = await models.Attendance.filter(
        student_id=child.id, date__gte=term.start_date, date__lte=end
    ).select_related("lesson__subject")
    absent = (models.AttendanceStatus.ABSENT_EXCUSED, models.AttendanceStatus.ABSENT_UNEXCUSED)
    assert any(m.status != models.AttendanceStatus.PRESENT for m in marks)
    for row in rows:
        own = [m for m in marks if m.lesson.subject.name == row["subject"]["name"]]
        assert row["absences"] == sum(1 for m in own if m.status in absent)
        assert row["unexcusedAbsences"] == sum(1 for m in own if m.status == models.AttendanceStatus.ABSENT_UNEXCUSED)
        assert row["late"] == sum(1 for m in own if m.status == models.AttendanceStatus.LATE)
