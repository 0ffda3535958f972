"""gradesCreate, gradeUpdate, gradeDelete: a class's grades at once, corrections with their
history, removals that stay visible as removed. Nobody silently turns a 2 into a 3.
Each test builds its own school from factories, dated from the clock's today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import models
from resolvers import grade_changes
from resolvers.core import from_global_id, now_utc, today_utc
from resolvers.errors import ValidationFailed
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

RESULT = """
  __typename
  ... on ValidationError { fields { field code } }
  ... on Error { code message }
"""
GRADES_CREATE = (
    "mutation G($input: GradesCreateInput!) { gradesCreate(input: $input) {"
    + RESULT
    + "... on GradesCreateSuccess { grades { id value weight kind student { id } history { action newValue } } } } }"
)
GRADE_FIELDS = """id value weight comment removed removedAt removeReason removedBy { fullName }
  history { action at by { fullName } oldValue newValue oldWeight newWeight oldKind newKind
    oldComment newComment reason }"""
UPDATE = (
    "mutation U($input: GradeUpdateInput!) { gradeUpdate(input: $input) {"
    + RESULT
    + "... on GradeUpdateSuccess { grade { "
    + GRADE_FIELDS
    + " } } } }"
)
DELETE = (
    "mutation D($input: GradeDeleteInput!) { gradeDelete(input: $input) {"
    + RESULT
    + "... on GradeDeleteSuccess { grade { "
    + GRADE_FIELDS
    + " } } } }"
)
NODE = "query N($id: ID!) { node(id: $id) { ... on Grade { " + GRADE_FIELDS + " } } }"
DIARY = """query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  entries { lesson { id } grades { id value history { action oldValue newValue reason by { fullName } } }
    removedGrades { id value removed removeReason removedBy { fullName } history { action } } } } } }"""
PROGRESS = "query P($id: ID!) { student(id: $id) { progress { subject { name } grades { id } } } }"


@dataclass
class World:
    kit: SchoolKit
    teacher: models.User  # mathematics in 5A and 6B
    colleague: models.User  # Russian in 5A
    parent: models.User
    child: models.Student  # 5A, with a login of their own
    sibling: models.Student  # 6B, the same parent's
    other_parent: models.User  # of a classmate in 5A
    district: models.User
    maths: list[models.Lesson]  # past mathematics lessons of 5A, newest first

    async def student(self) -> models.User:
        """The child's own login."""
        return await models.User.get(id=self.child.user_id)


async def _world(factory: Factory, school_days: int = 2, **school_fields: Any) -> World:
    """A school where a test weighs 2; 5A has three pupils of two families and the parent's
    second child is in 6B; mathematics in 5A on each of the last ``school_days`` school days."""
    kit = await factory.school(
        subjects=("Mathematics", "Russian"), classes=("5A", "6B"), **{"kind_weights": {"TEST": 2}, **school_fields}
    )
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    colleague = await factory.teacher(kit, [("5A", "Russian")], name="russian")
    parent = await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent])
    other_parent = await factory.parent("other")
    await factory.student(kit, "5A", "vera", guardians=[other_parent])
    await factory.student(kit, "5A", "gleb", login=False)
    days = school_days_before(today_utc(), school_days)
    maths = [await factory.lesson(kit, "5A", "Mathematics", teacher, day) for day in reversed(days)]
    district = await factory.district_admin()
    return World(kit, teacher, colleague, parent, child, sibling, other_parent, district, maths)


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.Grade.all().count(),
        await models.GradeRevision.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def _class_ids(lesson: models.Lesson) -> list[int]:
    rows = await models.Enrollment.filter(school_class_id=lesson.school_class_id).order_by("student_id")
    return [r.student_id for r in rows]


async def _give(teacher: Client, child: models.Student, lesson: models.Lesson, value: str = "2") -> str:
    """The teacher gives the child a grade in a past 5A mathematics lesson."""
    rows = [{"studentId": gid(child, "Student"), "value": value}]
    result = await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows})
    created = result["gradesCreate"]
    assert created["__typename"] == "GradesCreateSuccess", created
    return str(created["grades"][0]["id"])


def _pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def _update(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(UPDATE, input=fields))["gradeUpdate"]
    return result


async def _delete(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(DELETE, input=fields))["gradeDelete"]
    return result


async def test_a_whole_class_is_graded_in_one_call(factory: Factory) -> None:
    world = await _world(factory)
    lesson = world.maths[0]
    students = await _class_ids(lesson)
    rows = [
        {"studentId": gid(models.Student(id=s), "Student"), "value": str(2 + i % 4), "kind": "TEST"}
        for i, s in enumerate(students)
    ]
    before = await _counts()
    result = (
        await factory.client(world.teacher).data(
            GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows}
        )
    )["gradesCreate"]
    assert result["__typename"] == "GradesCreateSuccess", result
    n = len(students)
    assert [g["student"]["id"] for g in result["grades"]] == [r["studentId"] for r in rows]
    assert {(g["kind"], g["weight"]) for g in result["grades"]} == {("TEST", 2)}  # the school's weight for tests
    assert all(g["history"] == [{"action": "CREATED", "newValue": g["value"]}] for g in result["grades"])
    assert await _counts() == (before[0] + n, before[1] + n, before[2] + n, before[3] + n)

    child = world.child
    day = lesson.date.isoformat()
    diary = await factory.client(world.parent).data(DIARY, id=gid(child, "Student"), **{"from": day, "to": day})
    entry = next(
        e for d in diary["student"]["diary"] for e in d["entries"] if e["lesson"]["id"] == gid(lesson, "Lesson")
    )
    mine = next(g for g in result["grades"] if g["student"]["id"] == gid(child, "Student"))
    assert mine["id"] in [g["id"] for g in entry["grades"]]


async def test_one_bad_row_refuses_the_whole_call(factory: Factory) -> None:
    world = await _world(factory)
    teacher, lesson = factory.client(world.teacher), world.maths[0]
    students = await _class_ids(lesson)
    sibling = world.sibling  # the 6B child
    assert sibling.id not in students
    rows = [
        {"studentId": gid(models.Student(id=students[0]), "Student"), "value": "5"},
        {"studentId": gid(models.Student(id=students[1]), "Student"), "value": "7"},
        {"studentId": gid(sibling, "Student"), "value": "4", "weight": 11},
        {"studentId": "bm9wZQ==", "value": "4"},
    ]
    before = await _counts()
    result = (await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows}))[
        "gradesCreate"
    ]
    assert result["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in result["fields"]} == {
        ("grades[1].value", "INVALID_VALUE"),
        ("grades[2].studentId", "STUDENT_NOT_IN_CLASS"),
        ("grades[2].weight", "INVALID_WEIGHT"),
        ("grades[3].studentId", "STUDENT_NOT_IN_CLASS"),
    }
    assert await _counts() == before
    empty = (await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": []}))["gradesCreate"]
    assert empty["code"] == "NO_GRADES"


async def test_a_correction_is_kept_in_the_history_the_family_reads(factory: Factory) -> None:
    world = await _world(factory)
    teacher = factory.client(world.teacher)
    grade_id = await _give(teacher, world.child, world.maths[0], value="2")
    before = await _counts()
    result = await _update(teacher, gradeId=grade_id, value="3", comment="Retook the test", reason="Retake")
    assert result["__typename"] == "GradeUpdateSuccess", result
    grade = result["grade"]
    assert (grade["value"], grade["comment"]) == ("3", "Retook the test")
    created, updated = grade["history"]
    assert (created["action"], created["newValue"]) == ("CREATED", "2")
    assert (updated["action"], updated["oldValue"], updated["newValue"]) == ("UPDATED", "2", "3")
    assert (updated["oldComment"], updated["newComment"], updated["reason"]) == (None, "Retook the test", "Retake")
    assert updated["by"]["fullName"] == created["by"]["fullName"]
    after = await _counts()
    assert after == (before[0], before[1] + 1, before[2] + 1, before[3] + 1)
    event = await models.OutboxEvent.filter(grade_id=_pk(grade_id)).order_by("-id").first()
    assert event is not None
    assert event.kind == "GRADE_CHANGED"

    assert world.kit.admin is not None
    for viewer in (world.parent, await world.student(), world.kit.admin):
        seen = (await factory.client(viewer).data(NODE, id=grade_id))["node"]
        assert [h["action"] for h in seen["history"]] == ["CREATED", "UPDATED"]
        assert seen["history"][1]["oldValue"] == "2"

    same = await _update(teacher, gradeId=grade_id, value="3")
    assert same["__typename"] == "GradeUpdateSuccess"
    assert len(same["grade"]["history"]) == 2  # nothing changed, nothing recorded
    assert await _counts() == after


async def test_a_day_old_grade_needs_a_reason(factory: Factory) -> None:
    world = await _world(factory)
    teacher = factory.client(world.teacher)
    grade_id = await _give(teacher, world.child, world.maths[0], value="4")
    await models.Grade.filter(id=_pk(grade_id)).update(created_at=now_utc() - timedelta(hours=25))
    before = await _counts()
    refused = await _update(teacher, gradeId=grade_id, value="5")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "REASON_REQUIRED")
    refused = await _delete(teacher, gradeId=grade_id)
    assert refused["code"] == "REASON_REQUIRED"
    assert await _counts() == before
    grade = await models.Grade.get(id=_pk(grade_id))
    assert grade.value == "4"
    ok = await _update(teacher, gradeId=grade_id, value="5", reason="Checked the paper again")
    assert ok["__typename"] == "GradeUpdateSuccess"


async def test_a_removed_grade_stops_counting_and_shows_as_removed(factory: Factory) -> None:
    world = await _world(factory)
    teacher, parent, child, lesson = (
        factory.client(world.teacher),
        factory.client(world.parent),
        world.child,
        world.maths[0],
    )
    grade_id = await _give(teacher, child, lesson, value="2")
    result = await _delete(teacher, gradeId=grade_id, reason="Given to the wrong student")
    assert result["__typename"] == "GradeDeleteSuccess", result
    grade = result["grade"]
    assert (grade["removed"], grade["removeReason"]) == (True, "Given to the wrong student")
    assert grade["removedBy"]["fullName"]
    assert [h["action"] for h in grade["history"]] == ["CREATED", "DELETED"]
    event = await models.OutboxEvent.filter(grade_id=_pk(grade_id)).order_by("-id").first()
    assert event is not None
    assert event.kind == "GRADE_REMOVED"

    day = lesson.date.isoformat()
    diary = await parent.data(DIARY, id=gid(child, "Student"), **{"from": day, "to": day})
    entry = next(
        e for d in diary["student"]["diary"] for e in d["entries"] if e["lesson"]["id"] == gid(lesson, "Lesson")
    )
    assert grade_id not in [g["id"] for g in entry["grades"]]
    removed = next(g for g in entry["removedGrades"] if g["id"] == grade_id)
    assert (removed["value"], removed["removed"], removed["removeReason"]) == ("2", True, "Given to the wrong student")
    progress = await parent.data(PROGRESS, id=gid(child, "Student"))
    assert grade_id not in [g["id"] for p in progress["student"]["progress"] for g in p["grades"]]
    assert (await parent.data(NODE, id=grade_id))["node"]["removed"] is True

    again = await _update(teacher, gradeId=grade_id, value="5", reason="x")
    assert again["code"] == "GRADE_REMOVED"
    again = await _delete(teacher, gradeId=grade_id, reason="x")
    assert again["code"] == "GRADE_REMOVED"


async def test_only_the_classes_teachers_may_change_a_grade(factory: Factory) -> None:
    world = await _world(factory)
    teacher = factory.client(world.teacher)
    grade_id = await _give(teacher, world.child, world.maths[1], value="3")
    colleague = factory.client(world.colleague)  # teaches Russian in 5A: sees the child, not this grade's subject
    before = await _counts()
    for other in (colleague,):
        result = await _update(other, gradeId=grade_id, value="5", reason="x")
        assert (result["__typename"], result["code"]) == ("NotFoundError", "GRADE_NOT_FOUND")
        result = await _delete(other, gradeId=grade_id, reason="x")
        assert result["code"] == "GRADE_NOT_FOUND"
    missing = await _update(teacher, gradeId=gid(models.Grade(id=10**9), "Grade"), value="5")
    assert missing["code"] == "GRADE_NOT_FOUND"  # a grade that does not exist looks the same
    lesson = world.maths[0]
    rows = {
        "lessonId": gid(lesson, "Lesson"),
        "grades": [{"studentId": gid(world.child, "Student"), "value": "5"}],
    }
    assert world.kit.admin is not None
    parent, student, admin = (
        factory.client(world.parent),
        factory.client(await world.student()),
        factory.client(world.kit.admin),
    )
    district, other_parent = factory.client(world.district), factory.client(world.other_parent)
    for not_a_teacher in (parent, student, admin, district, other_parent):
        for document, variables in (
            (UPDATE, {"gradeId": grade_id, "value": "5"}),
            (DELETE, {"gradeId": grade_id, "reason": "x"}),
            (GRADES_CREATE, rows),
        ):
            body = await not_a_teacher.post(document, input=variables)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await _counts() == before
    assert (await other_parent.data(NODE, id=grade_id))["node"] is None
    for reader in (parent, student, admin, district, teacher):
        seen = (await reader.data(NODE, id=grade_id))["node"]
        assert [h["action"] for h in seen["history"]] == ["CREATED"]


async def test_letter_scale(factory: Factory) -> None:
    world = await _world(
        factory,
        scale_kind=models.ScaleKind.LETTER,
        scale_marks=[{"value": "A", "numeric": 5}, {"value": "B", "numeric": 4}],
    )
    teacher, lesson, child = factory.client(world.teacher), world.maths[0], world.child
    rows = [{"studentId": gid(child, "Student"), "value": "b"}, {"studentId": gid(child, "Student"), "value": "5"}]
    refused = (await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows}))[
        "gradesCreate"
    ]
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [("grades[1].value", "INVALID_VALUE")]
    assert "one of A, B" in refused["message"]
    ok = (await teacher.data(GRADES_CREATE, input={"lessonId": gid(lesson, "Lesson"), "grades": rows[:1]}))[
        "gradesCreate"
    ]
    assert ok["grades"][0]["value"] == "B"
    stored = await models.Grade.get(id=_pk(ok["grades"][0]["id"]))
    assert stored.numeric_value == 4.0


async def test_two_teachers_correcting_at_once_cannot_both_win(factory: Factory) -> None:
    world = await _world(factory)
    teacher = factory.client(world.teacher)
    grade_id = await _give(teacher, world.child, world.maths[0], value="3")
    stale = await models.Grade.get(id=_pk(grade_id))
    assert (await _update(teacher, gradeId=grade_id, value="4"))["__typename"] == "GradeUpdateSuccess"
    revisions = await models.GradeRevision.filter(grade_id=stale.id).count()
    with pytest.raises(ValidationFailed) as refused:
        await grade_changes._apply(stale, value="5", numeric_value=5.0)
    assert refused.value.code == "GRADE_CHANGED_MEANWHILE"
    assert (await models.Grade.get(id=stale.id)).value == "4"
    assert await models.GradeRevision.filter(grade_id=stale.id).count() == revisions


async def test_history_and_removed_grades_cost_no_statement_per_grade(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """One day with one grade and one removed grade costs what four weeks of them cost."""
    world = await _world(factory, school_days=20)
    teacher, child = factory.client(world.teacher), world.child
    lesson = world.maths[0]
    kept = await _give(teacher, child, lesson, value="4")
    removed = await _give(teacher, child, lesson, value="2")
    assert (await _delete(teacher, gradeId=removed, reason="Duplicate"))["__typename"] == "GradeDeleteSuccess"
    # The four weeks before: a grade in every other lesson, corrected or removed now and then.
    for n, earlier in enumerate(world.maths[1::2]):
        grade_id = await _give(teacher, child, earlier, value=str(3 + n % 3))
        if n % 3 == 1:
            assert (await _update(teacher, gradeId=grade_id, value="5", reason="Retake"))["__typename"] == (
                "GradeUpdateSuccess"
            )
        if n % 3 == 2:
            assert (await _delete(teacher, gradeId=grade_id, reason="Duplicate"))["__typename"] == (
                "GradeDeleteSuccess"
            )
    day = lesson.date.isoformat()
    start = (lesson.date - timedelta(days=27)).isoformat()
    counts, sizes = [], []
    for first in (day, start):
        count_statements.statements.clear()
        data = await factory.client(world.parent).data(DIARY, id=gid(child, "Student"), **{"from": first, "to": day})
        counts.append(count_statements.count)
        entries = [e for d in data["student"]["diary"] for e in d["entries"]]
        sizes.append((sum(len(e["grades"]) for e in entries), sum(len(e["removedGrades"]) for e in entries)))
    assert sizes[0][0] >= 1
    assert sizes[0][1] >= 1
    assert sizes[1][0] > sizes[0][0]
    assert counts[0] == counts[1], (counts, sizes)
    assert kept != removed
