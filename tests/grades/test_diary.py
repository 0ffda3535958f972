"""A parent reads a child's diary and progress; statement counts do not grow with the data.
Each test builds its own family from factories, dated from the clock's today."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import models
from clients.documents import CHILDREN_DIARY, DIARY_FIELDS
from resolvers import loaders
from resolvers.core import now_utc, today_utc
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, half_up

CHILDREN = "{ viewer { children { id fullName schoolClass { name school { name } } } } }"

DIARY = (
    "query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { fullName diary(from: $from, to: $to) {"
    + DIARY_FIELDS
    + "} } }"
)
PROGRESS = """
query P($id: ID!) { student(id: $id) { progress {
  subject { name } grades { value weight } average weightedAverage absences unexcusedAbsences late } } }
"""


@dataclass
class Family:
    kit: SchoolKit
    teacher: models.User
    parent: models.User
    child: models.Student  # 5A
    sibling: models.Student  # 6B
    days: list[date]  # the school days with lessons, oldest first


async def _family(factory: Factory, school_days: int = 10, graded: bool = True) -> Family:
    """A parent with a child in 5A and one in 6B; mathematics (period 1) and Russian (period 2)
    in 5A and mathematics in 6B on each of the last ``school_days`` school days, every lesson
    marked, the 5A child graded in every mathematics lesson and given homework in Russian."""
    kit = await factory.school(classes=("5A", "6B"))
    teacher = await factory.teacher(
        kit, [("5A", "Mathematics"), ("5A", "Russian language"), ("6B", "Mathematics")], name="maths"
    )
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent])
    days = school_days_before(today_utc(), school_days)
    marks = [models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE, models.AttendanceStatus.ABSENT_EXCUSED]
    for n, day in enumerate(days):
        maths = await factory.lesson(kit, "5A", "Mathematics", teacher, day, period=1, topic=f"Fractions {n}")
        russian = await factory.lesson(kit, "5A", "Russian language", teacher, day, period=2)
        other = await factory.lesson(kit, "6B", "Mathematics", teacher, day, period=3)
        status = marks[n % len(marks)]
        await factory.mark(child, maths, status, late_minutes=5 if status == models.AttendanceStatus.LATE else None)
        await factory.mark(child, russian, models.AttendanceStatus.PRESENT)
        await factory.mark(sibling, other, models.AttendanceStatus.PRESENT)
        if graded and status != models.AttendanceStatus.ABSENT_EXCUSED:
            await factory.grade(child, maths, value=str(3 + n % 3), weight=1 + n % 2)
        await models.Homework.create(lesson=russian, text=f"Exercise {n}", assigned_by=teacher)
    return Family(kit, teacher, parent, child, sibling, days)


async def test_parent_sees_their_children_and_no_one_else(factory: Factory) -> None:
    family = await _family(factory, school_days=1)
    stranger = await factory.student(family.kit, "5A", "vera", guardians=[await factory.parent("other")])
    children = (await factory.client(family.parent).data(CHILDREN))["viewer"]["children"]
    assert sorted(c["schoolClass"]["name"] for c in children) == ["5A", "6B"]
    assert {c["schoolClass"]["school"]["name"] for c in children} == {family.kit.school.name}
    assert {c["id"] for c in children} == {gid(family.child, "Student"), gid(family.sibling, "Student")}
    assert gid(stranger, "Student") not in {c["id"] for c in children}


async def test_diary_has_every_day_with_lessons_grades_attendance(factory: Factory) -> None:
    family = await _family(factory)
    end = family.days[-1]
    start = end - timedelta(days=13)
    days = (
        await factory.client(family.parent).data(
            DIARY, id=gid(family.child, "Student"), **{"from": start.isoformat(), "to": end.isoformat()}
        )
    )["student"]["diary"]
    assert [d["date"] for d in days] == [(start + timedelta(days=i)).isoformat() for i in range(14)]
    for day in days:
        when = date.fromisoformat(day["date"])
        if when.weekday() >= 5:
            assert day["kind"] == "WEEKEND"
            assert day["entries"] == []
            continue
        assert day["kind"] == "SCHOOL_DAY"
        entries = day["entries"]
        if when not in family.days:
            assert entries == []
            continue
        # Only the child's own class: 5A's two lessons, in period order; never 6B's.
        assert [(e["lesson"]["period"], e["lesson"]["subject"]["name"]) for e in entries] == [
            (1, "Mathematics"),
            (2, "Russian language"),
        ]
        for entry in entries:
            lesson = entry["lesson"]
            assert lesson["date"] == day["date"]
            assert lesson["schoolClass"]["name"] == "5A"
            assert lesson["startsAt"] < lesson["endsAt"]
            assert lesson["startsAt"].endswith("+00:00")
            assert entry["attendance"] in ("PRESENT", "LATE", "ABSENT_EXCUSED")
        maths, russian = entries
        if maths["attendance"] == "LATE":
            assert maths["lateMinutes"] == 5
        assert maths["lesson"]["topic"].startswith("Fractions")
        assert bool(maths["grades"]) == (maths["attendance"] != "ABSENT_EXCUSED")
        assert russian["grades"] == []
        assert russian["homework"][0]["text"].startswith("Exercise")
    grades = [g for d in days for e in d["entries"] for g in e["grades"]]
    assert grades
    assert all(g["value"] in {"3", "4", "5"} and g["teacher"]["fullName"] == family.teacher.full_name for g in grades)


async def test_diary_matches_the_database(factory: Factory) -> None:
    """Every grade of the child in the range appears once, on its lesson; no other child's grade."""
    family = await _family(factory)
    classmate = await factory.student(family.kit, "5A", "vera", guardians=[await factory.parent("other")])
    for lesson in await models.Lesson.filter(school_class_id=family.kit.classes["5A"].id):
        await factory.grade(classmate, lesson, value="2")
    start, end = family.days[0], family.days[-1]
    days = (
        await factory.client(family.parent).data(
            DIARY, id=gid(family.child, "Student"), **{"from": start.isoformat(), "to": end.isoformat()}
        )
    )["student"]["diary"]
    shown = sorted((e["lesson"]["id"], g["value"]) for d in days for e in d["entries"] for g in e["grades"])
    stored = await models.Grade.filter(student_id=family.child.id, deleted_at__isnull=True)
    assert shown == sorted((gid(models.Lesson(id=g.lesson_id), "Lesson"), g.value) for g in stored)
    assert "2" not in {value for _lesson, value in shown}


async def test_days_off_are_named(factory: Factory) -> None:
    family = await _family(factory, school_days=1)
    start = today_utc() + timedelta(days=3)
    await models.DayOff.create(
        school=family.kit.school,
        kind=models.DayOffKind.VACATION,
        name="Spring vacation",
        start_date=start,
        end_date=start + timedelta(days=6),
    )
    days = await factory.client(family.parent).data(
        DIARY,
        id=gid(family.child, "Student"),
        **{"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()},
    )
    first = days["student"]["diary"][0]
    assert (first["kind"], first["dayOffName"], first["entries"]) == ("VACATION", "Spring vacation", [])


async def test_each_childs_diary_has_its_own_schools_days_off(factory: Factory) -> None:
    """Children in two schools, read together: the days off come with the diary's statement, each
    child's from their own school (a vacation of one school is not the other's), and a day off of
    the school of two of the children shows in both their diaries."""
    family = await _family(factory, school_days=1)
    other_kit = await factory.school("Other school", classes=("7A",))
    third = await factory.student(other_kit, "7A", "gleb", guardians=[family.parent])
    start = today_utc() + timedelta(days=3)
    await models.DayOff.create(
        school=family.kit.school,
        kind=models.DayOffKind.VACATION,
        name="Spring vacation",
        start_date=start,
        end_date=start + timedelta(days=6),
    )
    end = start + timedelta(days=2)
    data = await factory.client(family.parent).data(
        "query C($from: Date!, $to: Date!) { viewer { children { fullName diary(from: $from, to: $to) {"
        " date kind dayOffName } } } }",
        **{"from": start.isoformat(), "to": end.isoformat()},
    )
    shown = {c["fullName"]: [(d["kind"], d["dayOffName"]) for d in c["diary"]] for c in data["viewer"]["children"]}
    vacation = [("VACATION", "Spring vacation")] * 3
    assert shown[family.child.full_name] == shown[family.sibling.full_name] == vacation
    assert all(name is None for _kind, name in shown[third.full_name]), shown[third.full_name]


async def test_diary_range_is_limited(factory: Factory) -> None:
    family = await _family(factory, school_days=1)
    parent, child = factory.client(family.parent), gid(family.child, "Student")
    for start, end in (("2026-01-01", "2026-04-03"), ("2026-02-02", "2026-02-01")):
        body = await parent.post(DIARY, id=child, **{"from": start, "to": end})
        assert body["data"]["student"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    ok = await parent.post(DIARY, id=child, **{"from": "2026-01-01", "to": "2026-04-02"})
    assert "errors" not in ok


async def test_progress_per_subject(factory: Factory) -> None:
    """Averages are rounded half up, as the API promises: 29/8 = 3.625 shows as 3.63 (a float
    ``round`` would say 3.62), and the weighted 50/16 = 3.125 as 3.13 (not 3.12)."""
    family = await _family(factory, school_days=8, graded=False)
    maths = await models.Lesson.filter(
        school_class_id=family.kit.classes["5A"].id, subject_id=family.kit.subjects["Mathematics"].id
    ).order_by("date")
    marks = [(5, 1), (5, 1), (4, 1), (4, 1), (3, 1), (3, 3), (3, 4), (2, 4)]
    for lesson, (value, weight) in zip(maths, marks, strict=True):
        await factory.grade(family.child, lesson, value=str(value), weight=weight)
    rows = (await factory.client(family.parent).data(PROGRESS, id=gid(family.child, "Student")))["student"]["progress"]
    names = [r["subject"]["name"] for r in rows]
    assert names == sorted(names) == ["Mathematics", "Russian language"]
    by_name = {r["subject"]["name"]: r for r in rows}
    row = by_name["Mathematics"]
    assert sorted((int(g["value"]), g["weight"]) for g in row["grades"]) == sorted(marks)
    assert row["average"] == float(half_up(sum(v for v, _ in marks), len(marks))) == 3.63
    assert row["weightedAverage"] == float(half_up(sum(v * w for v, w in marks), sum(w for _, w in marks))) == 3.13
    # Of the eight marks on mathematics: PRESENT, LATE, ABSENT_EXCUSED, ... in turn.
    assert (row["absences"], row["unexcusedAbsences"], row["late"]) == (2, 0, 3)
    russian = by_name["Russian language"]
    assert (russian["grades"], russian["average"], russian["weightedAverage"]) == ([], None, None)


async def _children_diary(client: Client, weeks: int, end: date) -> dict[str, object]:
    start = end - timedelta(days=7 * weeks - 1)
    return await client.data(CHILDREN_DIARY, **{"from": start.isoformat(), "to": end.isoformat()})


async def test_diary_statement_count_does_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    """1 child x 1 week costs the same statements as 3 children (two schools) x 4 weeks."""
    family = await _family(factory, school_days=20)
    other_kit = await factory.school("Other school", classes=("7A",))
    other_teacher = await factory.teacher(other_kit, [("7A", "Mathematics")], name="t7")
    third = await factory.student(other_kit, "7A", "gleb", guardians=[family.parent])
    for day in family.days:
        await factory.grade(third, await factory.lesson(other_kit, "7A", "Mathematics", other_teacher, day))
    small_parent = await factory.parent("small")
    await factory.guardianship(family.kit, small_parent, family.sibling)
    end = family.days[-1]

    count_statements.statements.clear()
    data = await _children_diary(factory.client(small_parent), 1, end)
    small = count_statements.count
    assert len(data["viewer"]["children"]) == 1  # type: ignore[index]

    count_statements.statements.clear()
    data = await _children_diary(factory.client(family.parent), 4, end)
    large = count_statements.count
    children = data["viewer"]["children"]  # type: ignore[index]
    assert len(children) == 3
    assert sum(len(d["entries"]) for c in children for d in c["diary"]) == 20 * (2 + 1 + 1)
    assert large == small, (small, large, count_statements.statements)
    # The account's standing (active, no password change pending: every authenticated request
    # reads it, so that deactivation acts at once) with the children (``sessions.admit``), their
    # lessons with marks, homework and grades and their schools' days off (one statement); and
    # whether the viewer sees the children's classes and schools whole (faces, issue 16: one
    # statement per type, for all children). The viewer's windows on the children
    # (resolvers/policy/windows.py) cost none: their own children's are whole, known from the
    # statement that found them (``Loaders.prime_children``).
    assert small == 3, count_statements.statements


NAMES = "{ viewer { children { id fullName } } }"


async def test_the_children_come_with_the_session_and_are_read_again_by_every_request(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """A family's first field, ``viewer.children``, is read with the request's session in one
    statement (``sessions.admit`` with ``policy.children_ids``), by name, on every request: a
    guardianship revoked is gone from the very next request and back when restored; a teacher
    has none; an ended session reads nothing."""
    family = await _family(factory, school_days=1)
    parent = factory.client(family.parent)
    both = [
        {"id": gid(family.child, "Student"), "fullName": family.child.full_name},
        {"id": gid(family.sibling, "Student"), "fullName": family.sibling.full_name},
    ]
    count_statements.statements.clear()
    assert (await parent.data(NAMES))["viewer"]["children"] == both
    assert len(count_statements.statements) == 1, count_statements.statements
    link = models.Guardianship.filter(guardian_id=family.parent.id, student_id=family.child.id)
    await link.update(revoked_at=now_utc())
    assert (await parent.data(NAMES))["viewer"]["children"] == both[1:]
    await link.update(revoked_at=None)
    assert (await parent.data(NAMES))["viewer"]["children"] == both
    count_statements.statements.clear()
    assert (await factory.client(family.teacher).data(NAMES))["viewer"]["children"] == []
    assert len(count_statements.statements) == 1, count_statements.statements
    await models.Session.filter(user_id=family.parent.id).update(ended_at=now_utc(), end_reason="LOGOUT")
    assert (await parent.post(NAMES))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_revoked_guardianship_hides_the_child_at_once(factory: Factory) -> None:
    family = await _family(factory, school_days=1)
    parent = factory.client(family.parent)
    day = {"from": family.days[0].isoformat(), "to": family.days[0].isoformat()}
    assert (await parent.data(DIARY, id=gid(family.sibling, "Student"), **day))["student"]
    link = await models.Guardianship.get(guardian_id=family.parent.id, student_id=family.sibling.id)
    link.revoked_at = now_utc()
    await link.save()
    assert (await parent.data(DIARY, id=gid(family.sibling, "Student"), **day))["student"] is None
    children = (await parent.data(CHILDREN))["viewer"]["children"]
    assert [c["id"] for c in children] == [gid(family.child, "Student")]


async def test_a_lessons_homework_items_show_once_each_in_order_for_every_child(factory: Factory) -> None:
    """Twins in one class: the lesson's two homework items (and not the removed third) appear
    once each, oldest first, in both diaries and on the lesson itself."""
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent()
    twins = [await factory.student(kit, "5A", name, guardians=[parent]) for name in ("ivan", "irina")]
    day = school_days_before(today_utc(), 1)[0]
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    await factory.homework(lesson, "Read chapter 2")
    await factory.homework(lesson, "Exercises 10-12")
    removed = await factory.homework(lesson, "Withdrawn")
    removed.deleted_at = now_utc()
    await removed.save()
    query = (
        "query C($from: Date!, $to: Date!) { viewer { children { fullName diary(from: $from, to: $to) {"
        " entries { homework { text } lesson { homework { text } } } } } } }"
    )
    data = await factory.client(parent).data(query, **{"from": day.isoformat(), "to": day.isoformat()})
    children = data["viewer"]["children"]
    assert len(children) == 2
    for child in children:
        (entry,) = child["diary"][0]["entries"]
        expected = [{"text": "Read chapter 2"}, {"text": "Exercises 10-12"}]
        assert entry["homework"] == expected
        assert entry["lesson"]["homework"] == expected
    assert {c["fullName"] for c in children} == {t.full_name for t in twins}


async def test_the_diary_statement_reads_every_column_of_what_it_makes(factory: Factory) -> None:
    """The diary is one hand-written statement (``resolvers/loaders.py``) whose rows become
    lessons, classes, subjects and homework: a column added to one of those models and not to
    the statement would leave the object without it, and a field reading it would fail (a
    group lesson's ``audience`` did, once)."""
    await factory.school()  # the models are set up
    statement = loaders._DIARY_SQL
    for prefix, model in (
        ("l_", models.Lesson),
        ("c_", models.SchoolClass),
        ("s_", models.Subject),
        ("h_", models.Homework),
        ("a_", models.Attendance),
        ("g_", models.Grade),
        ("d_", models.DayOff),
    ):
        # Read by the statement, or filled from the column of the row it repeats (``_DIARY_SAME``).
        names = {*re.findall(rf"AS ({prefix}\w+)", statement), *loaders._DIARY_SAME}
        read = {name.removeprefix(prefix) for name in names if name.startswith(prefix)}
        assert set(model._meta.fields_db_projection.values()) <= read, (model.__name__, prefix)
