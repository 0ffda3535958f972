"""A parent reads a child's diary and progress; statement counts do not grow with the data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import models
from tests.conftest import Client, StatementCounter
from tests.helpers import children_of, demo_student, gid, past_lesson

CHILDREN = "{ viewer { children { id fullName schoolClass { name school { name } } } } }"

DIARY_FIELDS = """
  date kind dayOffName
  entries {
    lesson { id date period startsAt endsAt topic room status subject { name } teacher { fullName }
             schoolClass { name } }
    grades { value numericValue weight comment teacher { fullName } createdAt }
    attendance lateMinutes
    homework { text links }
  }
"""
DIARY = (
    "query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { fullName diary(from: $from, to: $to) {"
    + DIARY_FIELDS
    + "} } }"
)
CHILDREN_DIARY = (
    "query C($from: Date!, $to: Date!) { viewer { children { fullName diary(from: $from, to: $to) {"
    + DIARY_FIELDS
    + "} } } }"
)
PROGRESS = """
query P($id: ID!) { student(id: $id) { progress {
  subject { name } grades { value weight } average weightedAverage absences unexcusedAbsences late } } }
"""


def _week(end: date, weeks: int = 1) -> tuple[str, str]:
    return (end - timedelta(days=7 * weeks - 1)).isoformat(), end.isoformat()


async def test_parent_sees_two_children(parent: Client) -> None:
    children = (await parent.data(CHILDREN))["viewer"]["children"]
    assert sorted(c["schoolClass"]["name"] for c in children) == ["5A", "6B"]
    assert {c["schoolClass"]["school"]["name"] for c in children} == {"School No. 1"}
    own = await demo_student("student")
    assert gid(own, "Student") in {c["id"] for c in children}


async def test_diary_has_every_day_with_lessons_grades_attendance(parent: Client) -> None:
    child = await demo_student("student")
    # Two weeks up to the last school day before today (holidays do not leave it empty).
    start, end = _week((await past_lesson("5A", "Mathematics")).date, weeks=2)
    days = (await parent.data(DIARY, id=gid(child, "Student"), **{"from": start, "to": end}))["student"]["diary"]
    assert len(days) == 14
    assert [d["date"] for d in days] == [(date.fromisoformat(start) + timedelta(days=i)).isoformat() for i in range(14)]
    for day in days:
        weekday = date.fromisoformat(day["date"]).weekday()
        if weekday >= 5:
            assert day["kind"] in ("WEEKEND", "VACATION")
            assert day["entries"] == []
        if day["kind"] == "SCHOOL_DAY":
            periods = [e["lesson"]["period"] for e in day["entries"]]
            assert periods == sorted(periods)
            assert periods
            for entry in day["entries"]:
                lesson = entry["lesson"]
                assert lesson["date"] == day["date"]
                assert lesson["schoolClass"]["name"] == "5A"
                assert lesson["startsAt"] < lesson["endsAt"]
                assert lesson["startsAt"].endswith("+00:00")
                assert entry["attendance"] in ("PRESENT", "LATE", "ABSENT_EXCUSED", "ABSENT_UNEXCUSED")
    grades = [g for d in days for e in d["entries"] for g in e["grades"]]
    assert grades, "two weeks of a demo child's diary show grades"
    assert all(g["value"] in {"1", "2", "3", "4", "5"} and g["weight"] >= 1 for g in grades)
    assert any(e["homework"] for d in days for e in d["entries"])


async def test_diary_matches_the_database(parent: Client) -> None:
    """Every grade of the child in the range appears once, on its lesson; no other child's grade."""
    child = await demo_student("student")
    start, end = _week((await past_lesson("5A", "Mathematics")).date, weeks=3)
    days = (await parent.data(DIARY, id=gid(child, "Student"), **{"from": start, "to": end}))["student"]["diary"]
    shown = sorted((e["lesson"]["id"], g["value"]) for d in days for e in d["entries"] for g in e["grades"])
    stored = await models.Grade.filter(
        student_id=child.id,
        date__gte=date.fromisoformat(start),
        date__lte=date.fromisoformat(end),
        deleted_at__isnull=True,
        lesson_id__isnull=False,
    )
    assert shown == sorted((gid(models.Lesson(id=g.lesson_id), "Lesson"), g.value) for g in stored)


async def test_days_off_are_named(parent: Client) -> None:
    child = await demo_student("student")
    day_off = await models.DayOff.filter(school_id=child.school_id, kind=models.DayOffKind.VACATION).first()
    assert day_off is not None
    start = day_off.start_date
    days = await parent.data(
        DIARY, id=gid(child, "Student"), **{"from": start.isoformat(), "to": (start + timedelta(days=2)).isoformat()}
    )
    first = days["student"]["diary"][0]
    assert first["kind"] == "VACATION"
    assert first["dayOffName"] == day_off.name
    assert first["entries"] == []


async def test_diary_range_is_limited(parent: Client) -> None:
    child = await demo_student("student")
    for start, end in (("2026-01-01", "2026-04-03"), ("2026-02-02", "2026-02-01")):
        body = await parent.post(DIARY, id=gid(child, "Student"), **{"from": start, "to": end})
        assert body["data"]["student"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    ok = await parent.post(DIARY, id=gid(child, "Student"), **{"from": "2026-01-01", "to": "2026-04-02"})
    assert "errors" not in ok


async def test_progress_per_subject(parent: Client) -> None:
    child = await demo_student("student")
    rows = (await parent.data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    assert rows
    names = [r["subject"]["name"] for r in rows]
    assert names == sorted(names)
    assert "Mathematics" in names
    for row in rows:
        values = [(int(g["value"]), g["weight"]) for g in row["grades"]]
        if values:
            assert row["average"] == round(sum(v for v, _ in values) / len(values), 2)
            assert row["weightedAverage"] == round(sum(v * w for v, w in values) / sum(w for _, w in values), 2)
        else:
            assert row["average"] is None
            assert row["weightedAverage"] is None
        assert 0 <= row["unexcusedAbsences"] <= row["absences"]


async def test_diary_statement_count_does_not_grow(
    parent: Client, other_parent: Client, count_statements: StatementCounter
) -> None:
    """1 child x 1 week costs the same statements as 3 children x 4 weeks."""
    end = (await past_lesson("5A", "Mathematics")).date
    start, stop = _week(end, 1)
    count_statements.statements.clear()
    data = await other_parent.data(CHILDREN_DIARY, **{"from": start, "to": stop})
    assert len(data["viewer"]["children"]) == 1
    small = count_statements.count

    third = await models.Student.filter(school__name="School No. 2").order_by("id").first()
    assert third is not None
    parent_user = await models.User.get(login="parent")
    extra = await models.Guardianship.create(guardian=parent_user, student=third)
    try:
        count_statements.statements.clear()
        start, stop = _week(end, 4)
        data = await parent.data(CHILDREN_DIARY, **{"from": start, "to": stop})
        large = count_statements.count
        assert len(data["viewer"]["children"]) == 3
        assert sum(len(d["entries"]) for c in data["viewer"]["children"] for d in c["diary"]) > 100
    finally:
        extra.revoked_at = datetime.now(UTC)
        await extra.save()
    assert large == small, (small, large, count_statements.statements)
    # 5 for the diary itself, 1 for the account's standing (active, no password change
    # pending), which every authenticated request reads so that deactivation acts at once.
    assert small <= 6, count_statements.statements


async def test_revoked_guardianship_hides_the_child_at_once(parent: Client) -> None:
    third = await models.Student.filter(school__name="School No. 2").order_by("-id").first()
    assert third is not None
    parent_user = await models.User.get(login="parent")
    link = await models.Guardianship.create(guardian=parent_user, student=third)
    assert (await parent.data(DIARY, id=gid(third, "Student"), **{"from": "2026-01-05", "to": "2026-01-06"}))["student"]
    link.revoked_at = datetime.now(UTC)
    await link.save()
    assert (await parent.data(DIARY, id=gid(third, "Student"), **{"from": "2026-01-05", "to": "2026-01-06"}))[
        "student"
    ] is None
    assert len(await children_of("parent")) == 2
