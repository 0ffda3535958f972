"""A transfer to another school on day D (README, "Running a school"; issue 16): the windows
hold for the schools' admins as for the teachers, and whatever a field reaches ``node`` returns
(``resolvers/policy/windows.py``). The old school's admins keep the child's diary up to D - 1
and still see the child, its grades, final grades, remarks and journal rows of their classes;
the new school's admins see it from D, not the old school's lessons or grades."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

import models
from resolvers.core import today_utc
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

NODE = "query N($id: ID!) { node(id: $id) { id } }"

READ = """
query R($id: ID!, $from: Date!, $to: Date!, $subject: ID!) { student(id: $id) {
  diary(from: $from, to: $to) { entries { lesson { id } grades { id lesson { id } } } }
  progressChart(subjectId: $subject, from: $from, to: $to, bucket: MONTH) { gradeCount }
} }
"""

JOURNAL = """
query J($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { rows { student { id } cells { grades { id student { id } lesson { id } } } } }
} } }
"""

REMARK = "query M($id: ID!) { node(id: $id) { ... on Remark { student { id } } } }"


@dataclass
class Moved:
    old: SchoolKit  # the child's 5A, mathematics, up to D - 1
    new: SchoolKit  # its 5B from D
    child: models.Student
    days: list[date]  # days[2] is D
    lessons: list[models.Lesson]  # 5A on days[0..1], 5B on days[2..3]
    grades: list[models.Grade]  # one a lesson
    remark: models.Remark  # written in 5A
    parent: models.User


@pytest.fixture
async def moved(factory: Factory) -> Moved:
    old = await factory.school(name="Old", classes=("5A",))
    new = await factory.school(name="New", classes=("5B",))
    old_teacher = await factory.teacher(old, [("5A", "Mathematics")], name="old")
    new_teacher = await factory.teacher(new, [("5B", "Mathematics")], name="new")
    parent = await factory.parent()
    child = await factory.student(old, "5A", "boris", guardians=[parent], login=False)
    remark = await factory.remark(child, old_teacher, text="Before the move")
    days = school_days_before(today_utc(), 4)
    await models.Enrollment.filter(student_id=child.id).update(end_date=days[2] - timedelta(days=1))
    await models.Enrollment.create(student=child, school_class=new.classes["5B"], start_date=days[2])
    await models.Student.filter(id=child.id).update(school_id=new.school.id)
    lessons, grades = [], []
    for n, day in enumerate(days):
        kit, name, teacher = (old, "5A", old_teacher) if n < 2 else (new, "5B", new_teacher)
        lessons.append(await factory.lesson(kit, name, "Mathematics", teacher, day))
        grades.append(await factory.grade(child, lessons[-1], value=str(2 + n)))
    return Moved(old, new, child, days, lessons, grades, remark, parent)


async def _seen(client: Client, ids: list[str]) -> list[int]:
    return [n for n, i in enumerate(ids) if (await client.data(NODE, id=i))["node"] is not None]


async def _read(client: Client, m: Moved) -> dict[str, Any]:
    """The diary, and the chart of the child's school's (the new school's) mathematics."""
    data = await client.data(
        READ,
        id=gid(m.child, "Student"),
        subject=gid(m.new.subjects["Mathematics"], "Subject"),
        **{"from": str(m.days[0]), "to": str(m.days[-1])},
    )
    student: dict[str, Any] = data["student"]
    return student


@pytest.mark.parametrize(("side", "seen"), [("old", [0, 1]), ("new", [2, 3])])
async def test_each_schools_admin_reads_the_diary_of_its_own_days(
    factory: Factory, moved: Moved, side: str, seen: list[int]
) -> None:
    kit = moved.old if side == "old" else moved.new
    assert kit.admin is not None
    client = factory.client(kit.admin)
    student = await _read(client, moved)
    entries = [e for day in student["diary"] for e in day["entries"]]
    assert [e["lesson"]["id"] for e in entries] == [gid(moved.lessons[n], "Lesson") for n in seen]
    assert [g["id"] for e in entries for g in e["grades"]] == [gid(moved.grades[n], "Grade") for n in seen]
    assert sum(p["gradeCount"] for p in student["progressChart"]) == (len(seen) if side == "new" else 0)
    # Whatever the diary names, node returns: the lessons, the grades and the grades' lessons.
    reached = [e["lesson"]["id"] for e in entries] + [g["lesson"]["id"] for e in entries for g in e["grades"]]
    assert await _seen(client, reached) == list(range(len(reached)))


@pytest.mark.parametrize(("side", "seen"), [("old", [0, 1]), ("new", [2, 3])])
async def test_a_grade_and_its_lesson_by_id_are_the_side_of_their_school(
    factory: Factory, moved: Moved, side: str, seen: list[int]
) -> None:
    kit = moved.old if side == "old" else moved.new
    client = factory.client(kit.admin)
    assert await _seen(client, [gid(g, "Grade") for g in moved.grades]) == seen
    assert await _seen(client, [gid(x, "Lesson") for x in moved.lessons]) == seen


async def test_the_old_schools_admin_still_sees_the_child_its_journal_and_remarks_name(
    factory: Factory, moved: Moved
) -> None:
    """The old class's journal and remarks name the child; the old school's admin may open it
    (node), and reads its diary up to D - 1 only (above)."""
    client = factory.client(moved.old.admin)
    data = await client.data(
        JOURNAL,
        **{
            "class": gid(moved.old.classes["5A"], "SchoolClass"),
            "subject": gid(moved.old.subjects["Mathematics"], "Subject"),
        },
    )
    [row] = data["node"]["journal"]["rows"]
    child = gid(moved.child, "Student")
    assert row["student"]["id"] == child
    graded = [g for c in row["cells"] for g in c["grades"]]
    assert [g["id"] for g in graded] == [gid(g, "Grade") for g in moved.grades[:2]]
    assert {g["student"]["id"] for g in graded} == {child}
    remark = await client.data(REMARK, id=gid(moved.remark, "Remark"))
    assert remark["node"] == {"student": {"id": child}}
    assert (await client.data(NODE, id=child))["node"] == {"id": child}


async def test_the_new_schools_admin_sees_neither_the_old_journal_nor_its_remarks(
    factory: Factory, moved: Moved
) -> None:
    client = factory.client(moved.new.admin)
    assert (await client.data(REMARK, id=gid(moved.remark, "Remark")))["node"] is None
    assert (await client.data(NODE, id=gid(moved.old.classes["5A"], "SchoolClass")))["node"] is None


FINAL = "query F($id: ID!) { node(id: $id) { ... on TermGrade { value term { id name } } } }"


async def test_the_family_reads_the_old_schools_final_grade_with_its_terms_name(factory: Factory, moved: Moved) -> None:
    """A final grade set in the old school: the family sees it, with the old school's term as a
    face (its name and days; ``node(Term)`` does not return it, the family has left that school)."""
    final = await factory.term_grade(moved.old, moved.child, "Mathematics", moved.old.admin or moved.parent)
    await models.TermGrade.filter(id=final.id).update(school_class_id=moved.old.classes["5A"].id)
    client = factory.client(moved.parent)
    data = await client.data(FINAL, id=gid(final, "TermGrade"))
    term = gid(moved.old.term, "Term")
    assert data["node"] == {"value": "5", "term": {"id": term, "name": "Term 1"}}
    assert (await client.data(NODE, id=term))["node"] is None
    assert (await factory.client(moved.new.admin).data(NODE, id=gid(final, "TermGrade")))["node"] is None
    assert (await factory.client(moved.old.admin).data(NODE, id=gid(final, "TermGrade")))["node"] is not None


async def test_the_old_districts_admin_still_sees_a_child_who_moved_to_another_district(
    factory: Factory, moved: Moved
) -> None:
    """Through the child's enrolment in a class of one of the district's schools
    (``policy.visible_students``), as the old school's admin does; the new school, now of another
    district, is not theirs."""
    admin = await factory.district_admin()
    elsewhere = await models.District.create(name="Elsewhere")
    await models.School.filter(id=moved.new.school.id).update(district_id=elsewhere.id)
    client = factory.client(admin)
    assert await _seen(client, [gid(moved.child, "Student"), gid(moved.new.school, "School")]) == [0]
