"""termGradeSet: the subject teacher sets a final grade for a term or the year; the family
sees it in progress and live; changing it later is kept in its history."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

import models
from resolvers.clock import now_utc, today_utc
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import children_of, gid, open_socket, school_class

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


@pytest.fixture
async def child() -> AsyncIterator[models.Student]:
    """``parent2``'s child (5A), whose final grades this module sets and then removes."""
    (kid,) = await children_of("parent2")
    yield kid
    await models.TermGrade.filter(student_id=kid.id).delete()


async def _current_term() -> models.Term:
    today = today_utc()
    term = await models.Term.get(school__name="School No. 1", start_date__lte=today, end_date__gte=today)
    return term


async def _set(client: Client, kid: models.Student, **fields: Any) -> dict[str, Any]:
    subject = fields.pop("subject", "Mathematics")
    school = fields.pop("school", "School No. 1")
    found = await models.Subject.get(school__name=school, name=subject)
    values = {"studentId": gid(kid, "Student"), "subjectId": gid(found, "Subject"), **fields}
    result: dict[str, Any] = (await client.data(SET, input=values))["termGradeSet"]
    return result


async def test_the_teacher_sets_a_term_grade_and_the_family_sees_it(
    teacher: Client, other_parent: Client, child: models.Student
) -> None:
    term = await _current_term()
    before = await _counts()
    result = await _set(teacher, child, termId=gid(term, "Term"), value="4", comment="Solid quarter")
    assert result["__typename"] == "TermGradeSetSuccess", result
    grade = result["termGrade"]
    assert (grade["value"], grade["numericValue"], grade["comment"]) == ("4", 4.0, "Solid quarter")
    assert (grade["term"]["name"], grade["subject"]["name"]) == (term.name, "Mathematics")
    assert [(h["action"], h["oldValue"], h["newValue"]) for h in grade["history"]] == [("CREATED", None, "4")]
    assert await _counts() == tuple(n + 1 for n in before)
    event = await models.OutboxEvent.all().order_by("-id").first()
    assert event is not None
    assert (event.kind, event.student_id) == ("TERM_GRADE_SET", child.id)

    progress = (await other_parent.data(PROGRESS, id=gid(child, "Student")))["student"]["progress"]
    maths = next(p for p in progress if p["subject"]["name"] == "Mathematics")
    assert maths["termGrade"]["value"] == "4"

    changed = await _set(teacher, child, termId=gid(term, "Term"), value="5", comment="Solid quarter")
    assert [(h["action"], h["oldValue"], h["newValue"]) for h in changed["termGrade"]["history"]] == [
        ("CREATED", None, "4"),
        ("UPDATED", "4", "5"),
    ]
    assert changed["termGrade"]["id"] == grade["id"]
    same = await _set(teacher, child, termId=gid(term, "Term"), value="5", comment="Solid quarter")
    assert len(same["termGrade"]["history"]) == 2  # nothing changed, nothing recorded

    year = await _set(teacher, child, value="5")
    assert year["__typename"] == "TermGradeSetSuccess"
    assert year["termGrade"]["term"] is None
    assert year["termGrade"]["id"] != grade["id"]


async def test_a_day_old_final_grade_changes_only_with_a_reason(teacher: Client, child: models.Student) -> None:
    term = await _current_term()
    first = await _set(teacher, child, termId=gid(term, "Term"), value="3")
    await models.TermGrade.filter(student_id=child.id).update(created_at=now_utc() - timedelta(hours=25))
    before = await _counts()
    refused = await _set(teacher, child, termId=gid(term, "Term"), value="4")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "REASON_REQUIRED")
    assert await _counts() == before
    ok = await _set(teacher, child, termId=gid(term, "Term"), value="4", reason="Retook the control work")
    assert ok["termGrade"]["history"][-1]["reason"] == "Retook the control work"
    assert ok["termGrade"]["id"] == first["termGrade"]["id"]


async def test_refusals_write_nothing(teacher: Client, child: models.Student) -> None:
    term = await _current_term()
    later = await models.Term.filter(school_id=term.school_id, start_date__gt=today_utc()).first()
    other_school = await models.Term.filter(school__name="School No. 2").first()
    assert later is not None
    assert other_school is not None
    before = await _counts()
    cases = [
        ({"termId": gid(term, "Term"), "value": "4", "subject": "Russian"}, "NOT_ASSIGNED"),
        ({"termId": gid(term, "Term"), "value": "6"}, "INVALID_VALUE"),
        ({"termId": gid(later, "Term"), "value": "4"}, "TERM_NOT_STARTED"),
        ({"termId": gid(other_school, "Term"), "value": "4"}, "TERM_NOT_FOUND"),
        ({"termId": gid(term, "Term"), "value": "4", "reason": "x" * 501}, "REASON_TOO_LONG"),
    ]
    for fields, code in cases:
        result = await _set(teacher, child, **fields)
        assert result["code"] == code, (fields, result)
    klass = await school_class("School No. 1", "5B")
    stranger = await models.Enrollment.filter(school_class_id=klass.id).first()
    assert stranger is not None
    result = await _set(teacher, models.Student(id=stranger.student_id), termId=gid(term, "Term"), value="4")
    assert result["code"] == "STUDENT_NOT_FOUND"
    assert await _counts() == before


async def test_every_role(
    teacher: Client,
    parent: Client,
    student: Client,
    admin: Client,
    district: Client,
    other_parent: Client,
    child: models.Student,
) -> None:
    term = await _current_term()
    result = await _set(teacher, child, termId=gid(term, "Term"), value="4")
    term_grade_id = result["termGrade"]["id"]
    subject = await models.Subject.get(school__name="School No. 1", name="Mathematics")
    variables = {"studentId": gid(child, "Student"), "subjectId": gid(subject, "Subject"), "value": "5"}
    for not_a_teacher in (parent, student, admin, district, other_parent):
        body = await not_a_teacher.post(SET, input=variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for reader in (other_parent, admin, district, teacher):
        seen = (await reader.data(NODE, id=term_grade_id))["node"]
        assert seen == {"value": "4", "history": [{"action": "CREATED"}]}
    for outsider in (parent, student):  # another family
        assert (await outsider.data(NODE, id=term_grade_id))["node"] is None


async def test_the_family_is_told_live(
    server_url: str,
    http: httpx.AsyncClient,
    teacher: Client,
    child: models.Student,
) -> None:
    family = await login_as(http, "parent2")
    socket = await open_socket(server_url, family.token)
    await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    term = await _current_term()
    await _set(teacher, child, termId=gid(term, "Term"), value="5")
    message = await socket.next()
    event = message["payload"]["data"]["diaryEvents"]
    assert event == {"kind": "TERM_GRADE_SET", "termGrade": {"value": "5", "subject": {"name": "Mathematics"}}}
    await socket.ws.close()


async def test_final_grades_with_history_cost_no_statement_per_child(
    teacher: Client, parent: Client, other_parent: Client, count_statements: StatementCounter, child: models.Student
) -> None:
    """One child's progress with its final grade and history costs what two children's cost."""
    term = await _current_term()
    kids = await children_of("parent")
    for kid in [child, *kids]:
        await _set(teacher, kid, termId=gid(term, "Term"), value="3")
        await _set(teacher, kid, termId=gid(term, "Term"), value="4")
    query = """{ viewer { children { progress { subject { name } termGrade { value
      history { action oldValue newValue by { fullName } } } } } } }"""
    try:
        costs = []
        for client, expected in ((other_parent, 1), (parent, 2)):
            count_statements.statements.clear()
            data = await client.data(query)
            costs.append(count_statements.count)
            graded = [p for c in data["viewer"]["children"] for p in c["progress"] if p["termGrade"]]
            assert len(graded) == expected
            assert all(len(p["termGrade"]["history"]) == 2 for p in graded)
        assert costs[0] == costs[1], costs
    finally:
        await models.TermGrade.filter(student_id__in=[k.id for k in kids]).delete()
