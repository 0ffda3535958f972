"""termGradeSet: the subject teacher sets a final grade for a term or the year; the family
sees it in progress and live; changing it later is kept in its history.

Each test builds its own school, families and terms from factories, dated from the clock's today."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import models
from resolvers.core import now_utc, today_utc
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

SET = """
mutation S($input: TermGradeSetInput!) { termGradeSet(input: $input) {
  __typename
  ... on TermGradeSetSuccess { termGrade { id value numericValue comment term { name } subject { name }
      teacher { fullName } history { action oldValue newValue reason by { fullName } } } }
  ... on ValidationError { fields { field code } }
  ... on Error { code message }
} }
"""
PROGRESS = """query P($id: ID!) { student(id: $id) { progress { subject { name }
  termGrade { id value history { action oldValue newValue reason } } } } }"""
NODE = "query N($id: ID!) { node(id: $id) { ... on TermGrade { value history { action } } } }"
EVENTS = """subscription { diaryEvents { kind termGrade { value subject { name } } } }"""


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.TermGrade.all().count(),
        await models.TermGradeRevision.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


@dataclass
class Classes:
    kit: SchoolKit  # 5A, 6B and 5B; its one term is split: the current one and a later one
    term: models.Term  # the current term
    later: models.Term  # starts after today
    teacher: models.User  # mathematics in 5A and 6B (not 5B, not Russian)
    family: models.User  # the parent of ``child``
    child: models.Student  # 5A
    parent: models.User  # another family: the parent of ``kids``
    kids: list[models.Student]  # 5A (with a login of their own) and 6B
    kid_user: models.User  # the 5A kid's login


async def _classes(factory: Factory) -> Classes:
    """A school whose mathematics teacher teaches 5A and 6B (a lesson in each on the last three
    school days); a family with a child in 5A and another with a child in 5A and one in 6B."""
    kit = await factory.school(subjects=("Mathematics", "Russian"), classes=("5A", "6B", "5B"))
    today = today_utc()
    kit.term.end_date = today + timedelta(days=30)
    await kit.term.save(update_fields=["end_date"])
    later = await models.Term.create(
        academic_year=kit.year,
        school=kit.school,
        name="Term 2",
        number=2,
        start_date=today + timedelta(days=31),
        end_date=kit.year.end_date,
    )
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")])
    for class_name in ("5A", "6B"):  # progress lists the subjects the class has had lessons in
        await factory.lessons(kit, class_name, "Mathematics", teacher, school_days_before(today, 3))
    family = await factory.parent("family")
    child = await factory.student(kit, "5A", "child", guardians=[family])
    parent = await factory.parent()
    kids = [
        await factory.student(kit, "5A", "kid", guardians=[parent]),
        await factory.student(kit, "6B", "sibling", guardians=[parent], login=False),
    ]
    kid_user = await models.User.get(id=kids[0].user_id)
    return Classes(kit, kit.term, later, teacher, family, child, parent, kids, kid_user)


async def _set(client: Client, kit: SchoolKit, kid: models.Student, **fields: Any) -> dict[str, Any]:
    subject = kit.subjects[fields.pop("subject", "Mathematics")]
    values = {"studentId": gid(kid, "Student"), "subjectId": gid(subject, "Subject"), **fields}
    result: dict[str, Any] = (await client.data(SET, input=values))["termGradeSet"]
    return result


async def test_the_teacher_sets_a_term_grade_and_the_family_sees_it(factory: Factory) -> None:
    world = await _classes(factory)
    teacher, family, child, kit = factory.client(world.teacher), factory.client(world.family), world.child, world.kit
    term = world.term
    before = await _counts()
    result = await _set(teacher, kit, child, termId=gid(term, "Term"), value="4", comment="Solid quarter")
    assert result["__typename"] == "TermGradeSetSuccess", result
    grade = result["termGrade"]
    assert (grade["value"], grade["numericValue"], grade["comment"]) == ("4", 4.0, "Solid quarter")
    assert (grade["term"]["name"], grade["subject"]["name"]) == (term.name, "Mathematics")
    assert [(h["action"], h["oldValue"], h["newValue"]) for h in grade["history"]] == [("CREATED", None, "4")]
    assert await _counts() == tuple(n + 1 for n in before)
    event = await models.OutboxEvent.all().order_by("-id").first()
    assert event is not None
    assert (event.kind, event.student_id) == ("TERM_GRADE_SET", child.id)

    progress = (await family.data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    maths = next(p for p in progress if p["subject"]["name"] == "Mathematics")
    assert maths["termGrade"]["value"] == "4"

    changed = await _set(teacher, kit, child, termId=gid(term, "Term"), value="5", comment="Solid quarter")
    assert [(h["action"], h["oldValue"], h["newValue"]) for h in changed["termGrade"]["history"]] == [
        ("CREATED", None, "4"),
        ("UPDATED", "4", "5"),
    ]
    assert changed["termGrade"]["id"] == grade["id"]
    same = await _set(teacher, kit, child, termId=gid(term, "Term"), value="5", comment="Solid quarter")
    assert len(same["termGrade"]["history"]) == 2  # nothing changed, nothing recorded

    year = await _set(teacher, kit, child, value="5")
    assert year["__typename"] == "TermGradeSetSuccess"
    assert year["termGrade"]["term"] is None
    assert year["termGrade"]["id"] != grade["id"]


async def test_a_day_old_final_grade_changes_only_with_a_reason(factory: Factory) -> None:
    world = await _classes(factory)
    teacher, child, kit, term = factory.client(world.teacher), world.child, world.kit, world.term
    first = await _set(teacher, kit, child, termId=gid(term, "Term"), value="3")
    await models.TermGrade.filter(student_id=child.id).update(created_at=now_utc() - timedelta(hours=25))
    before = await _counts()
    refused = await _set(teacher, kit, child, termId=gid(term, "Term"), value="4")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "REASON_REQUIRED")
    assert await _counts() == before
    ok = await _set(teacher, kit, child, termId=gid(term, "Term"), value="4", reason="Retook the control work")
    assert ok["termGrade"]["history"][-1]["reason"] == "Retook the control work"
    assert ok["termGrade"]["id"] == first["termGrade"]["id"]


async def test_refusals_write_nothing(factory: Factory) -> None:
    world = await _classes(factory)
    teacher, child, kit, term, later = factory.client(world.teacher), world.child, world.kit, world.term, world.later
    other_school = (await factory.school("Other school")).term
    assert later.start_date > today_utc()
    before = await _counts()
    cases = [
        ({"termId": gid(term, "Term"), "value": "4", "subject": "Russian"}, "NOT_ASSIGNED"),
        ({"termId": gid(term, "Term"), "value": "6"}, "INVALID_VALUE"),
        ({"termId": gid(later, "Term"), "value": "4"}, "TERM_NOT_STARTED"),
        ({"termId": gid(other_school, "Term"), "value": "4"}, "TERM_NOT_FOUND"),
        ({"termId": gid(term, "Term"), "value": "4", "reason": "x" * 501}, "REASON_TOO_LONG"),
    ]
    for fields, code in cases:
        result = await _set(teacher, kit, child, **fields)
        assert result["code"] == code, (fields, result)
    stranger = await factory.student(kit, "5B", "stranger", login=False)  # a class the teacher does not teach
    result = await _set(teacher, kit, stranger, termId=gid(term, "Term"), value="4")
    assert result["code"] == "STUDENT_NOT_FOUND"
    assert await _counts() == before


async def test_every_role(factory: Factory) -> None:
    world = await _classes(factory)
    teacher, child, kit = factory.client(world.teacher), world.child, world.kit
    other_parent, parent, student = (
        factory.client(world.family),
        factory.client(world.parent),
        factory.client(world.kid_user),
    )
    admin, district = factory.client(kit.admin), factory.client(await factory.district_admin())
    result = await _set(teacher, kit, child, termId=gid(world.term, "Term"), value="4")
    term_grade_id = result["termGrade"]["id"]
    subject = kit.subjects["Mathematics"]
    variables = {"studentId": gid(child, "Student"), "subjectId": gid(subject, "Subject"), "value": "5"}
    for not_a_teacher in (parent, student, admin, district, other_parent):
        body = await not_a_teacher.post(SET, input=variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for reader in (other_parent, admin, district, teacher):
        seen = (await reader.data(NODE, id=term_grade_id))["node"]
        assert seen == {"value": "4", "history": [{"action": "CREATED"}]}
    for outsider in (parent, student):  # another family
        assert (await outsider.data(NODE, id=term_grade_id))["node"] is None


async def test_the_family_is_told_live(factory: Factory, server_url: str) -> None:
    world = await _classes(factory)
    family = factory.client(world.family)
    socket = await open_socket(server_url, family.token)
    await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    await _set(factory.client(world.teacher), world.kit, world.child, termId=gid(world.term, "Term"), value="5")
    message = await socket.next()
    event = message["payload"]["data"]["diaryEvents"]
    assert event == {"kind": "TERM_GRADE_SET", "termGrade": {"value": "5", "subject": {"name": "Mathematics"}}}
    await socket.ws.close()


async def test_final_grades_with_history_cost_no_statement_per_child(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """One child's progress with its final grade and history costs what two children's cost."""
    world = await _classes(factory)
    teacher, term = factory.client(world.teacher), world.term
    for kid in [world.child, *world.kids]:
        await _set(teacher, world.kit, kid, termId=gid(term, "Term"), value="3")
        await _set(teacher, world.kit, kid, termId=gid(term, "Term"), value="4")
    query = """{ viewer { children { progress { subject { name } termGrade { value
      history { action oldValue newValue by { fullName } } } } } } }"""
    costs = []
    for client, expected in ((factory.client(world.family), 1), (factory.client(world.parent), 2)):
        count_statements.statements.clear()
        data = await client.data(query)
        costs.append(count_statements.count)
        graded = [p for c in data["viewer"]["children"] for p in c["progress"] if p["termGrade"]]
        assert len(graded) == expected
        assert all(len(p["termGrade"]["history"]) == 2 for p in graded)
    assert costs[0] == costs[1], costs


FINALS = """query F($id: ID!, $year: ID!) { student(id: $id) { fullName
  finalGrades(academicYearId: $year) { value term { name } subject { name } } } }"""


async def test_a_years_final_grades_list_each_terms_and_the_years(factory: Factory) -> None:
    """``Student.finalGrades``: the family reads the term's grade and the year's, the year's last;
    a teacher of the child's new class after a transfer reads the child but not the old class's
    final grades; another year's list is empty."""
    world = await _classes(factory)
    kit, child, teacher = world.kit, world.child, factory.client(world.teacher)
    await _set(teacher, kit, child, value="5", subject="Mathematics")  # the year's
    await _set(teacher, kit, child, termId=gid(world.term, "Term"), value="4")
    year = gid(kit.year, "AcademicYear")
    family = factory.client(world.family)
    seen = (await family.data(FINALS, id=gid(child, "Student"), year=year))["student"]["finalGrades"]
    assert seen == [
        {"value": "4", "term": {"name": world.term.name}, "subject": {"name": "Mathematics"}},
        {"value": "5", "term": None, "subject": {"name": "Mathematics"}},
    ]
    other = await models.AcademicYear.create(
        school=kit.school,
        name="Next",
        start_date=kit.year.end_date + timedelta(days=1),
        end_date=kit.year.end_date + timedelta(days=300),
    )
    later = (await family.data(FINALS, id=gid(child, "Student"), year=gid(other, "AcademicYear")))["student"]
    assert later["finalGrades"] == []
    # The child moves from 5A to 5B today: 5B's teacher now reads the child, not 5A's final grades.
    moved = await models.Enrollment.get(student_id=child.id, end_date__isnull=True)
    moved.end_date = today_utc() - timedelta(days=1)
    await moved.save(update_fields=["end_date"])
    await models.Enrollment.create(student=child, school_class=kit.classes["5B"], start_date=today_utc())
    new_teacher = factory.client(await factory.teacher(kit, [("5B", "Mathematics")], name="new"))
    theirs = (await new_teacher.data(FINALS, id=gid(child, "Student"), year=year))["student"]
    assert theirs == {"fullName": child.full_name, "finalGrades": []}
    assert len((await teacher.data(FINALS, id=gid(child, "Student"), year=year))["student"]["finalGrades"]) == 2


async def test_final_grades_of_a_year_cost_no_statement_per_child(
    factory: Factory, count_statements: StatementCounter
) -> None:
    world = await _classes(factory)
    teacher = factory.client(world.teacher)
    for kid in [world.child, *world.kids]:
        await _set(teacher, world.kit, kid, termId=gid(world.term, "Term"), value="4")
        await _set(teacher, world.kit, kid, value="5")
    query = """query Y($year: ID!) { viewer { children { finalGrades(academicYearId: $year) { value
      term { name } subject { name } history { action } } } } }"""
    costs = []
    for client, expected in ((factory.client(world.family), 2), (factory.client(world.parent), 4)):
        count_statements.statements.clear()
        data = await client.data(query, year=gid(world.kit.year, "AcademicYear"))
        costs.append(count_statements.count)
        assert sum(len(c["finalGrades"]) for c in data["viewer"]["children"]) == expected
    assert costs[0] == costs[1], costs
