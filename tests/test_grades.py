"""gradeCreate: a teacher grades their own class + subject; every refusal writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import models
from tests.conftest import Client
from tests.helpers import children_of, demo_student, future_lesson, gid, past_lesson

CREATE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) {
  __typename
  ... on GradeCreateSuccess { grade { id value numericValue weight comment kind
      student { fullName } subject { name } teacher { fullName } lesson { id } createdAt } }
  ... on ValidationError { fields { field message } }
  ... on Error { code message }
} }
"""
DIARY = """query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) {
  entries { lesson { id } grades { id value comment } } } } }"""


async def _counts() -> tuple[int, int, int]:
    grades, audit = await models.Grade.all().count(), await models.AuditEntry.all().count()
    return grades, audit, await models.OutboxEvent.all().count()


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["gradeCreate"]
    return result


async def test_teacher_grades_and_parent_sees_it_at_once(teacher: Client, parent: Client) -> None:
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Mathematics")
    before = await _counts()
    result = await _create(
        teacher,
        studentId=gid(child, "Student"),
        lessonId=gid(lesson, "Lesson"),
        value=" 4 ",
        weight=2,
        comment="Good work at the board",
        kind="TEST",
    )
    assert result["__typename"] == "GradeCreateSuccess", result
    grade = result["grade"]
    assert (grade["value"], grade["numericValue"], grade["weight"], grade["kind"]) == ("4", 4.0, 2, "TEST")
    assert grade["subject"]["name"] == "Mathematics"
    assert grade["lesson"]["id"] == gid(lesson, "Lesson")
    created = datetime.fromisoformat(grade["createdAt"])
    assert abs(created - datetime.now(UTC)) < timedelta(minutes=1)
    after = await _counts()
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)  # grade, audit entry, outbox event

    diary = await parent.data(DIARY, id=gid(child, "Student"), d=lesson.date.isoformat())
    entries = [e for d in diary["student"]["diary"] for e in d["entries"]]
    entry = next(e for e in entries if e["lesson"]["id"] == gid(lesson, "Lesson"))
    assert {"id": grade["id"], "value": "4", "comment": "Good work at the board"} in entry["grades"]
    audit = await models.AuditEntry.filter(action="grade.create").order_by("-id").first()
    assert audit is not None
    assert audit.object_id == int(await _pk(grade["id"]))


async def _pk(global_id: str) -> int:
    from resolvers.ids import from_global_id

    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def test_default_weight_is_the_schools(teacher: Client) -> None:
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Mathematics", offset=1)
    result = await _create(teacher, studentId=gid(child, "Student"), lessonId=gid(lesson, "Lesson"), value="5")
    school = await models.School.get(id=child.school_id)
    assert result["grade"]["weight"] == school.default_grade_weight
    assert result["grade"]["kind"] == "CLASSWORK"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"value": "6"}, "INVALID_VALUE", "value"),
        ({"value": "0"}, "INVALID_VALUE", "value"),
        ({"value": "4+"}, "INVALID_VALUE", "value"),
        ({"value": ""}, "INVALID_VALUE", "value"),
        ({"weight": 11}, "INVALID_WEIGHT", "weight"),
        ({"weight": 0}, "INVALID_WEIGHT", "weight"),
        ({"comment": "x" * 1001}, "COMMENT_TOO_LONG", "comment"),
    ],
)
async def test_bad_input_is_refused_and_writes_nothing(
    teacher: Client, overrides: dict[str, Any], code: str, field: str
) -> None:
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Mathematics")
    before = await _counts()
    fields = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5", **overrides}
    result = await _create(teacher, **fields)
    assert result["__typename"] == "ValidationError"
    assert result["code"] == code
    assert field in [f["field"] for f in result["fields"]]
    assert await _counts() == before


async def test_all_problems_are_reported_together(teacher: Client) -> None:
    child = await demo_student("student")
    lesson = await future_lesson("5A", "Mathematics")
    result = await _create(
        teacher, studentId=gid(child, "Student"), lessonId=gid(lesson, "Lesson"), value="9", weight=42
    )
    assert result["__typename"] == "ValidationError"
    assert {f["field"] for f in result["fields"]} == {"lessonId", "value", "weight"}


async def test_other_subject_in_own_class_is_refused(teacher: Client) -> None:
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Russian")
    before = await _counts()
    result = await _create(teacher, studentId=gid(child, "Student"), lessonId=gid(lesson, "Lesson"), value="5")
    assert (result["__typename"], result["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _counts() == before


async def test_class_not_taught_is_not_found(teacher: Client) -> None:
    lesson = await past_lesson("5B", "Mathematics")
    enrolled = await models.Enrollment.filter(school_class_id=lesson.school_class_id).first()
    assert enrolled is not None
    before = await _counts()
    result = await _create(
        teacher,
        studentId=gid(models.Student(id=enrolled.student_id), "Student"),
        lessonId=gid(lesson, "Lesson"),
        value="5",
    )
    assert (result["__typename"], result["code"]) == ("NotFoundError", "STUDENT_NOT_FOUND")
    child = await demo_student("student")
    result = await _create(teacher, studentId=gid(child, "Student"), lessonId=gid(lesson, "Lesson"), value="5")
    assert (result["__typename"], result["code"]) == ("NotFoundError", "LESSON_NOT_FOUND")
    assert await _counts() == before


async def test_student_of_another_class_is_refused(teacher: Client) -> None:
    me = await demo_student("student")
    children = await children_of("parent")
    sibling = next(c for c in children if c.id != me.id)  # in 6B
    lesson = await past_lesson("5A", "Mathematics")
    result = await _create(teacher, studentId=gid(sibling, "Student"), lessonId=gid(lesson, "Lesson"), value="5")
    assert (result["__typename"], result["code"]) == ("ValidationError", "STUDENT_NOT_IN_CLASS")


async def test_future_and_cancelled_lessons_are_refused(teacher: Client) -> None:
    child = await demo_student("student")
    future = await future_lesson("5A", "Mathematics")
    result = await _create(teacher, studentId=gid(child, "Student"), lessonId=gid(future, "Lesson"), value="5")
    assert result["code"] == "LESSON_IN_FUTURE"
    cancelled = await past_lesson("5A", "Mathematics", offset=3)
    await models.Lesson.filter(id=cancelled.id).update(status=models.LessonStatus.CANCELLED)
    try:
        result = await _create(teacher, studentId=gid(child, "Student"), lessonId=gid(cancelled, "Lesson"), value="5")
        assert result["code"] == "LESSON_CANCELLED"
    finally:
        await models.Lesson.filter(id=cancelled.id).update(status=models.LessonStatus.SCHEDULED)


async def test_non_teachers_are_forbidden(parent: Client, anonymous: Client) -> None:
    child = await demo_student("student")
    lesson = await past_lesson("5A", "Mathematics")
    variables = {"input": {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"}}
    body = await parent.post(CREATE, **variables)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await anonymous.post(CREATE, **variables)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
