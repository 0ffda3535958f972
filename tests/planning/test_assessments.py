"""assessmentPlan / assessmentCancel: a teacher of a coming lesson announces a control work, a
test, a dictation...; families see it on the lesson (diary, journal) and in
``Student.upcomingAssessments``, live; a cancelled lesson hides it. Each test builds its own
school from factories (``tests/classwork/test_homework.py``'s)."""

from __future__ import annotations

import asyncio
from typing import Any

import models
from resolvers.core import today_utc
from tests.api.test_statements import _count, _explain
from tests.classwork.test_homework import MATHS, RUSSIAN, _school, _user
from tests.conftest import StatementCounter
from tests.factories import Factory
from tests.helpers import gid, open_socket

FIELDS = "id kind description cancelled lesson { id } plannedBy { fullName }"
PLAN = (
    "mutation P($input: AssessmentPlanInput!) { assessmentPlan(input: $input) { __typename "
    "... on AssessmentSuccess { assessment { " + FIELDS + " } } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
CANCEL = (
    "mutation C($input: AssessmentCancelInput!) { assessmentCancel(input: $input) { __typename "
    "... on AssessmentSuccess { assessment { " + FIELDS + " } } ... on Error { code message } } }"
)
UPCOMING = """query U($id: ID!, $days: Int) { student(id: $id) { upcomingAssessments(days: $days) {
  id kind description lesson { id date assessment { id } } } } }"""
DIARY = """query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) {
  entries { lesson { id assessment { kind description } } } } } }"""
JOURNAL = """query J($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { lessons { id assessment { kind } } } } } }"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id ... on PlannedAssessment { kind } } }"
CHILDREN = """query { viewer { children { upcomingAssessments(days: 30) {
  kind description plannedBy { fullName } lesson { date subject { name } assessment { id } } } } } }"""
EVENTS = (
    "subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind lesson { id assessment { kind } } } }"
)


async def _plan(client: Any, lesson: models.Lesson, kind: str = "CONTROL_WORK", text: str = "Fractions") -> Any:
    return (await client.data(PLAN, input={"lessonId": gid(lesson, "Lesson"), "kind": kind, "description": text}))[
        "assessmentPlan"
    ]


async def _cancel(client: Any, lesson: models.Lesson) -> Any:
    return (await client.data(CANCEL, input={"lessonId": gid(lesson, "Lesson")}))["assessmentCancel"]


async def _state() -> tuple[int, int, list[tuple[Any, ...]]]:
    rows = await models.PlannedAssessment.all().order_by("id").values_list("id", "kind", "description", "cancelled_at")
    return await models.AuditEntry.all().count(), await models.OutboxEvent.all().count(), list(rows)


async def test_a_teacher_announces_and_families_see_it(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    lesson = school.upcoming("5A", MATHS)[1]
    result = await _plan(teacher, lesson, "CONTROL_WORK", "  Fractions and decimals ")
    assert result["__typename"] == "AssessmentSuccess", result
    planned = result["assessment"]
    assert (planned["kind"], planned["description"], planned["cancelled"]) == (
        "CONTROL_WORK",
        "Fractions and decimals",
        False,
    )
    assert planned["plannedBy"]["fullName"] == school.teacher.full_name

    child = gid(school.child, "Student")
    upcoming = (await parent.data(UPCOMING, id=child, days=14))["student"]["upcomingAssessments"]
    assert upcoming == [
        {
            "id": planned["id"],
            "kind": "CONTROL_WORK",
            "description": "Fractions and decimals",
            "lesson": {
                "id": gid(lesson, "Lesson"),
                "date": lesson.date.isoformat(),
                "assessment": {"id": planned["id"]},
            },
        }
    ]
    student = factory.client(_user(school.child))
    assert (await student.data(UPCOMING, id=child, days=14))["student"]["upcomingAssessments"] == upcoming
    # Not beyond the days asked for; not in the sibling's class.
    too_near = (lesson.date - today_utc()).days - 1
    assert (await parent.data(UPCOMING, id=child, days=too_near))["student"]["upcomingAssessments"] == []
    sibling = gid(school.sibling, "Student")
    assert (await parent.data(UPCOMING, id=sibling, days=14))["student"]["upcomingAssessments"] == []
    diary = await parent.data(DIARY, id=child, d=lesson.date.isoformat())
    entries = [e["lesson"] for d in diary["student"]["diary"] for e in d["entries"]]
    assert {
        "id": gid(lesson, "Lesson"),
        "assessment": {"kind": "CONTROL_WORK", "description": "Fractions and decimals"},
    } in entries
    journal = await teacher.data(
        JOURNAL,
        **{"class": gid(school.kit.classes["5A"], "SchoolClass")},
        subject=gid(school.kit.subjects[MATHS], "Subject"),
    )
    assert {"id": gid(lesson, "Lesson"), "assessment": {"kind": "CONTROL_WORK"}} in journal["node"]["journal"][
        "lessons"
    ]
    assert (await parent.data(NODE, id=planned["id"]))["node"] == {
        "__typename": "PlannedAssessment",
        "id": planned["id"],
        "kind": "CONTROL_WORK",
    }

    pk = (await models.PlannedAssessment.get(lesson_id=lesson.id)).id
    entry = await models.AuditEntry.filter(action="assessment.plan", object_id=pk).get()
    assert entry.details == {"lesson": lesson.id, "kind": "CONTROL_WORK"}  # never the description
    enrolled = await models.Enrollment.filter(school_class_id=lesson.school_class_id).count()
    assert await models.OutboxEvent.filter(lesson_id=lesson.id, kind="ASSESSMENT_PLANNED").count() == enrolled

    # A change, then the same again (nothing), then called off, then announced again.
    changed = await _plan(teacher, lesson, "DICTATION", "Spelling")
    assert (changed["assessment"]["id"], changed["assessment"]["kind"]) == (planned["id"], "DICTATION")
    before = await _state()
    assert (await _plan(teacher, lesson, "DICTATION", "Spelling"))["__typename"] == "AssessmentSuccess"
    assert await _state() == before
    update = await models.AuditEntry.filter(action="assessment.update", object_id=pk).get()
    assert update.details == {
        "lesson": lesson.id,
        "before": {"kind": "CONTROL_WORK"},
        "after": {"kind": "DICTATION"},
        "fields": ["kind", "description"],
    }
    cancelled = await _cancel(teacher, lesson)
    assert cancelled["assessment"]["cancelled"] is True
    assert (await parent.data(UPCOMING, id=child, days=14))["student"]["upcomingAssessments"] == []
    assert (await parent.data(NODE, id=planned["id"]))["node"] is None
    again = await _cancel(teacher, lesson)
    assert (again["__typename"], again["code"]) == ("NotFoundError", "ASSESSMENT_NOT_FOUND")
    revived = await _plan(teacher, lesson, "TEST", "Revision")
    assert (revived["assessment"]["id"], revived["assessment"]["cancelled"]) == (planned["id"], False)
    kinds = await models.OutboxEvent.filter(lesson_id=lesson.id, student_id=school.child.id).order_by("id")
    assert [e.kind for e in kinds] == [
        "ASSESSMENT_PLANNED",
        "ASSESSMENT_CHANGED",
        "ASSESSMENT_CANCELLED",
        "ASSESSMENT_PLANNED",
    ]


async def test_a_cancelled_lesson_hides_its_assessment(factory: Factory) -> None:
    school = await _school(factory)
    parent = factory.client(school.parent)
    lesson = school.upcoming("5A", MATHS)[0]
    planned = (await _plan(factory.client(school.teacher), lesson))["assessment"]
    await models.Lesson.filter(id=lesson.id).update(status=models.LessonStatus.CANCELLED)
    child = gid(school.child, "Student")
    assert (await parent.data(UPCOMING, id=child, days=14))["student"]["upcomingAssessments"] == []
    assert (await parent.data(NODE, id=planned["id"]))["node"] is None
    diary = await parent.data(DIARY, id=child, d=lesson.date.isoformat())
    assert {"id": gid(lesson, "Lesson"), "assessment": None} in [
        e["lesson"] for d in diary["student"]["diary"] for e in d["entries"]
    ]
    await models.Lesson.filter(id=lesson.id).update(status=models.LessonStatus.SCHEDULED)  # restored: back
    assert len((await parent.data(UPCOMING, id=child, days=14))["student"]["upcomingAssessments"]) == 1


async def test_bad_input_is_refused_and_writes_nothing(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    coming, started = school.upcoming("5A", MATHS)[0], school.past("5A", MATHS)
    off = school.upcoming("5A", MATHS)[1]
    await models.Lesson.filter(id=off.id).update(status=models.LessonStatus.CANCELLED)
    before = await _state()
    for lesson, kind, text, code, field in (
        (coming, "CLASSWORK", "x", "ASSESSMENT_KIND_INVALID", "kind"),
        (coming, "ORAL", "x", "ASSESSMENT_KIND_INVALID", "kind"),
        (coming, "TEST", "   ", "TEXT_EMPTY", "description"),
        (coming, "TEST", "x" * 1001, "TEXT_TOO_LONG", "description"),
        (coming, "TEST", "bad\x00", "INVALID_CHARACTERS", "description"),
        (started, "TEST", "x", "LESSON_STARTED", "lessonId"),
        (off, "TEST", "x", "LESSON_CANCELLED", "lessonId"),
    ):
        result = await _plan(teacher, lesson, kind, text)
        assert (result["__typename"], result["code"]) == ("ValidationError", code), result
        assert field in [f["field"] for f in result["fields"]]
    none = await _cancel(teacher, coming)
    assert (none["__typename"], none["code"]) == ("NotFoundError", "ASSESSMENT_NOT_FOUND")
    assert await _state() == before
    bad_days = await factory.client(school.parent).post(UPCOMING, id=gid(school.child, "Student"), days=93)
    assert bad_days["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_who_may_announce(factory: Factory) -> None:
    school = await _school(factory)
    assert school.kit.admin is not None
    lesson = school.upcoming("5A", MATHS)[0]
    planned = (await _plan(factory.client(school.teacher), lesson))["assessment"]
    before = await _state()
    for user in (school.parent, _user(school.child), school.kit.admin, await factory.district_admin()):
        client = factory.client(user)
        for document, fields in (
            (PLAN, {"lessonId": gid(lesson, "Lesson"), "kind": "TEST", "description": "x"}),
            (CANCEL, {"lessonId": gid(lesson, "Lesson")}),
        ):
            body = await client.post(document, input=fields)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await factory.school("Other")
    far = await factory.teacher(other, [("5A", MATHS)], name="far")
    missing = await _plan(factory.client(school.stranger), models.Lesson(id=10**9))
    assert (missing["code"], missing["message"]) == ("LESSON_NOT_FOUND", "No such lesson.")
    for user in (school.stranger, far):
        for answer in (await _plan(factory.client(user), lesson), await _cancel(factory.client(user), lesson)):
            assert (answer["code"], answer["message"]) == (missing["code"], missing["message"])
        # Nor does anyone outside see it.
        assert (await factory.client(user).data(NODE, id=planned["id"]))["node"] is None
    assert (await factory.client(school.other_parent).data(NODE, id=planned["id"]))["node"] is not None  # 5A
    outsider = await factory.parent("outsider")
    assert (await factory.client(outsider).data(NODE, id=planned["id"]))["node"] is None
    for answer in (
        await _plan(factory.client(school.russian), lesson),
        await _cancel(factory.client(school.russian), lesson),
    ):
        assert (answer["__typename"], answer["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _state() == before
    # A substitute announces for the lesson they give.
    given = school.upcoming("5A", RUSSIAN)[1]
    given.teacher_id, given.original_teacher_id = school.teacher.id, given.teacher_id
    await given.save(update_fields=["teacher_id", "original_teacher_id"])
    assert (await _plan(factory.client(school.teacher), given, "DICTATION"))["__typename"] == "AssessmentSuccess"


async def test_upcoming_assessments_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """One announced assessment or four, over both children, cost the same statements."""
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    await _plan(teacher, school.upcoming("5A", MATHS)[0])
    small, one = await _count(parent, count_statements, CHILDREN)
    await _plan(teacher, school.upcoming("5A", MATHS)[1], "TEST")
    await _plan(teacher, school.upcoming("6B", MATHS)[0], "QUIZ")
    await _plan(teacher, school.upcoming("6B", MATHS)[1], "EXAM")
    large, four = await _count(parent, count_statements, CHILDREN)
    assert sum(len(c["upcomingAssessments"]) for c in one["viewer"]["children"]) == 1
    assert sum(len(c["upcomingAssessments"]) for c in four["viewer"]["children"]) == 4
    assert len(large) == len(small), _explain(small, large)


async def test_the_family_hears_of_an_assessment_live(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    mine = await open_socket(server_url, factory.client(school.parent).token)
    await mine.start(EVENTS, studentId=gid(school.sibling, "Student"))
    theirs = await open_socket(server_url, factory.client(school.other_parent).token)  # their child is in 5A
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    lesson = school.upcoming("6B", MATHS)[0]
    await _plan(teacher, lesson, "TEST")
    planned = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert planned == {
        "kind": "ASSESSMENT_PLANNED",
        "lesson": {"id": gid(lesson, "Lesson"), "assessment": {"kind": "TEST"}},
    }
    await _plan(teacher, lesson, "CONTROL_WORK")
    changed = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert changed["kind"] == "ASSESSMENT_CHANGED"
    assert changed["lesson"]["assessment"] == {"kind": "CONTROL_WORK"}
    await _cancel(teacher, lesson)
    cancelled = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert cancelled == {"kind": "ASSESSMENT_CANCELLED", "lesson": {"id": gid(lesson, "Lesson"), "assessment": None}}
    await theirs.nothing()
    for socket in (mine, theirs):
        await socket.ws.close()
