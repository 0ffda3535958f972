"""Hand-in (README "Hand-in"): homeworkSubmit, submissionReturn, submissionGrade; who sees the
work (the student, their guardians, the teachers who set homework for its lesson, nobody else);
the owed-work marker of ``Homework.handIn``; the live events. Each test builds its school with
``tests/classwork/test_homework._school``."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import models
from pubsub.broker import EventKind
from resolvers.core import from_global_id, now_utc, today_utc
from tests.api.test_statements import _count, _explain
from tests.classwork.test_files import PNG, _upload
from tests.classwork.test_homework import MATHS, School, _school
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory
from tests.helpers import gid, open_socket

WORK = """id status late attempt text submittedAt returnedAt returnComment gradedAt
  attachments { id name } grade { id value kind lesson { id } submission { id } } homework { id } student { id }"""
SUBMIT = (
    "mutation S($input: HomeworkSubmitInput!) { homeworkSubmit(input: $input) { __typename "
    "... on HomeworkSubmitSuccess { submission {" + WORK + "} } "
    "... on ValidationError { fields { field code } } ... on Error { code message } } }"
)
RETURN = (
    "mutation R($input: SubmissionReturnInput!) { submissionReturn(input: $input) { __typename "
    "... on SubmissionReturnSuccess { submission {" + WORK + "} } "
    "... on ValidationError { fields { field code } } ... on Error { code message } } }"
)
GRADE = (
    "mutation G($input: SubmissionGradeInput!) { submissionGrade(input: $input) { __typename "
    "... on SubmissionGradeSuccess { submission {" + WORK + "} } "
    "... on ValidationError { fields { field code } } ... on Error { code message } } }"
)
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
HAND_IN = """query H($id: ID!, $student: ID!) { node(id: $id) { ... on Homework {
  handIn(studentId: $student) { status owed dueAt submission { id } } } } }"""
HOMEWORK_WORK = """query W($id: ID!) { node(id: $id) { ... on Homework { submissions { id student { id } } } } }"""


def _pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


def _user(student: models.Student) -> models.User:
    assert student.user_id is not None
    return models.User(id=student.user_id)


async def _call(client: Client, document: str, **input: Any) -> dict[str, Any]:
    data = await client.data(document, input=input)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.Submission.all().count(),
        await models.Grade.all().count(),
        await models.AuditEntry.all().count(),
        await models.OutboxEvent.all().count(),
    )


async def test_hand_in_return_hand_in_again_and_grade(factory: Factory) -> None:
    school = await _school(factory)
    student, teacher = factory.client(_user(school.child)), factory.client(school.teacher)
    due = school.past("5A", MATHS)  # started already: the work is late
    homework = await factory.homework(due, "Exercises 1-5")
    first = await _upload(student, PNG, "page 1.png")
    result = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="  My answers  ", fileIds=[first])
    assert result["__typename"] == "HomeworkSubmitSuccess", result
    work = result["submission"]
    assert (work["status"], work["late"], work["attempt"], work["text"]) == ("LATE", True, 1, "My answers")
    assert [a["name"] for a in work["attachments"]] == ["page 1.png"]
    assert work["student"] == {"id": gid(school.child, "Student")}
    entry = await models.AuditEntry.get(action="submission.submit", object_id=_pk(work["id"]))
    assert entry.details == {
        "homework": homework.id,
        "student": school.child.id,
        "status": "LATE",
        "attempt": 1,
        "late": True,
        "files": 1,
    }
    assert "answers" not in str(entry.details)
    assert "page" not in str(entry.details)
    (event,) = await models.OutboxEvent.filter(submission_id=_pk(work["id"]))
    assert (event.kind, event.student_id, event.school_class_id) == (
        EventKind.SUBMISSION_HANDED_IN,
        school.child.id,
        school.kit.classes["5A"].id,
    )

    returned = await _call(teacher, RETURN, submissionId=work["id"], comment="Show the working for 3.")
    assert returned["__typename"] == "SubmissionReturnSuccess", returned
    assert (returned["submission"]["status"], returned["submission"]["returnComment"]) == (
        "RETURNED",
        "Show the working for 3.",
    )
    again = await _call(teacher, RETURN, submissionId=work["id"], comment="Twice")
    assert (again["__typename"], again["code"]) == ("ValidationError", "SUBMISSION_RETURNED")
    assert "Show" not in str(
        (await models.AuditEntry.get(action="submission.return", object_id=_pk(work["id"]))).details
    )

    second = await _upload(student, PNG, "page 2.png")
    result = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="With working", fileIds=[second])
    work = result["submission"]
    assert (work["status"], work["attempt"], work["text"]) == ("LATE", 2, "With working")
    assert [a["name"] for a in work["attachments"]] == ["page 2.png"]  # replaced: the first file is gone
    assert not await models.StoredFile.filter(id=_pk(first)).exists()

    graded = await _call(teacher, GRADE, submissionId=work["id"], value="5", comment="Good")
    assert graded["__typename"] == "SubmissionGradeSuccess", graded
    work = graded["submission"]
    assert work["status"] == "GRADED"
    assert work["gradedAt"] is not None
    assert work["grade"]["value"] == "5"
    assert work["grade"]["kind"] == "HOMEWORK"
    assert work["grade"]["lesson"] == {"id": gid(due, "Lesson")}  # the journal, on the due lesson
    assert work["grade"]["submission"] == {"id": work["id"]}  # linked both ways
    grade = await models.Grade.get(id=_pk(work["grade"]["id"]))
    assert (grade.student_id, grade.teacher_id, grade.date) == (school.child.id, school.teacher.id, due.date)
    assert await models.GradeRevision.filter(grade_id=grade.id).count() == 1  # as gradeCreate writes it
    assert await models.AuditEntry.filter(action="grade.create", object_id=grade.id).exists()
    kinds = {r.kind for r in await models.OutboxEvent.filter(student_id=school.child.id, lesson_id=due.id)}
    assert {EventKind.GRADE_ADDED, EventKind.SUBMISSION_GRADED} <= kinds
    graded_entry = await models.AuditEntry.get(action="submission.grade", object_id=_pk(work["id"]))
    assert graded_entry.details["grade"] == grade.id
    assert "Good" not in str(graded_entry.details)

    before = await _counts()
    closed = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="Once more")
    assert (closed["__typename"], closed["code"]) == ("ValidationError", "SUBMISSION_GRADED")
    for document, extra in ((RETURN, {"comment": "x"}), (GRADE, {"value": "4"})):
        refused = await _call(teacher, document, submissionId=work["id"], **extra)
        assert refused["code"] == "SUBMISSION_GRADED"
    assert await _counts() == before


async def test_on_time_work_and_its_refusals(factory: Factory) -> None:
    school = await _school(factory)
    student, teacher = factory.client(_user(school.child)), factory.client(school.teacher)
    homework = await factory.homework(school.upcoming("5A", MATHS)[0])
    before = await _counts()
    empty = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="   ")
    assert (empty["__typename"], empty["code"]) == ("ValidationError", "SUBMISSION_EMPTY")
    bad = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="x" * 10001, fileIds=["nope"])
    assert {(f["field"], f["code"]) for f in bad["fields"]} == {
        ("text", "TEXT_TOO_LONG"),
        ("fileIds", "FILE_NOT_FOUND"),
    }
    assert await _counts() == before

    work = (await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="Done"))["submission"]
    assert (work["status"], work["late"]) == ("SUBMITTED", False)
    early = await _call(teacher, GRADE, submissionId=work["id"], value="5")
    assert (early["__typename"], early["code"]) == ("ValidationError", "LESSON_IN_FUTURE")  # the due lesson's
    wrong = await _call(teacher, GRADE, submissionId=work["id"], value="11")
    # validated whole, each problem on a field of the input (the due lesson is the work's)
    assert {(f["field"], f["code"]) for f in wrong["fields"]} == {
        ("submissionId", "LESSON_IN_FUTURE"),
        ("value", "INVALID_VALUE"),
    }
    blank = await _call(teacher, RETURN, submissionId=work["id"], comment="  ")
    assert blank["code"] == "TEXT_EMPTY"
    assert (await models.Submission.get(id=_pk(work["id"]))).status == models.SubmissionStatus.SUBMITTED


async def test_who_hands_in(factory: Factory) -> None:
    school = await _school(factory)
    homework = await factory.homework(school.upcoming("5A", MATHS)[0])
    other_class = await factory.homework(school.upcoming("6B", MATHS)[0])
    student = factory.client(_user(school.child))
    before = await _counts()
    for outsider in (school.parent, school.teacher):  # a guardian does not hand in for the child
        body = await outsider_post(factory.client(outsider), homework)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = await _call(student, SUBMIT, homeworkId=gid(other_class, "Homework"), text="x")
    assert (missing["__typename"], missing["code"]) == ("NotFoundError", "HOMEWORK_NOT_FOUND")
    # The child leaves the class after a lesson they attended: nothing more is handed in there, not even
    # the work that lesson was due for.
    attended = await factory.homework(school.past("5A", MATHS))
    await models.Enrollment.filter(student_id=school.child.id).update(end_date=school.past("5A", MATHS).date)
    closed = await _call(student, SUBMIT, homeworkId=gid(attended, "Homework"), text="x")
    assert (closed["__typename"], closed["code"]) == ("ValidationError", "SUBMISSION_NOT_OPEN"), closed
    # The class's later lessons are no longer the child's: their homework is not there at all.
    later = await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="x")
    assert (later["__typename"], later["code"]) == ("NotFoundError", "HOMEWORK_NOT_FOUND"), later
    assert await _counts() == before


async def outsider_post(client: Client, homework: models.Homework) -> dict[str, Any]:
    body: dict[str, Any] = await client.post(SUBMIT, input={"homeworkId": gid(homework, "Homework"), "text": "x"})
    return body


async def _group_teacher(factory: Factory, school: School) -> models.User:
    """A teacher of mathematics to a group of 5A the child is not in."""
    klass = school.kit.classes["5A"]
    group = await models.ClassGroup.create(
        school=school.kit.school,
        academic_year=school.kit.year,
        home_class=klass,
        name=f"5A g {factory.tag}",
        kind="SPLIT",
    )
    await models.ClassGroupClass.create(group=group, school_class=klass)
    other = await models.Student.get(guardianships__guardian_id=school.other_parent.id)
    await models.GroupMembership.create(student=other, group=group, start_date=school.kit.year.start_date)
    teacher = await factory.teacher(school.kit, [], name="group")
    await models.TeachingAssignment.create(
        teacher=teacher, school_class=klass, subject=school.kit.subjects[MATHS], group=group
    )
    return teacher


async def test_who_sees_the_work(factory: Factory) -> None:
    school = await _school(factory)
    student = factory.client(_user(school.child))
    homework = await factory.homework(school.past("5A", MATHS))
    file_id = await _upload(student)
    work = (await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="Mine", fileIds=[file_id]))[
        "submission"
    ]
    elsewhere = await factory.school(classes=("5A",))
    outsider_teacher = await factory.teacher(elsewhere, [("5A", MATHS)], name="elsewhere")
    readers = {
        "the student": _user(school.child),
        "their parent": school.parent,
        "the teacher": school.teacher,
    }
    outsiders = {
        "another family": school.other_parent,
        "another subject's teacher": school.russian,
        "another class's teacher": school.stranger,
        "another school's teacher": outsider_teacher,
        "another group's teacher": await _group_teacher(factory, school),
    }
    assert school.kit.admin is not None
    outsiders["the school's admin"] = school.kit.admin
    for who, user in readers.items():
        client = factory.client(user)
        assert (await client.data(NODE, id=work["id"]))["node"] == {"__typename": "Submission", "id": work["id"]}, who
        assert (await client.data(NODE, id=file_id))["node"] is not None, who
        listed = (await client.data(HOMEWORK_WORK, id=gid(homework, "Homework")))["node"]["submissions"]
        assert [w["id"] for w in listed] == [work["id"]], who
    for who, user in outsiders.items():
        client = factory.client(user)
        assert (await client.data(NODE, id=work["id"]))["node"] is None, who
        assert (await client.data(NODE, id=file_id))["node"] is None, who
        node = (await client.data(HOMEWORK_WORK, id=gid(homework, "Homework")))["node"]
        assert node is None or node["submissions"] == [], who
        for document, extra in ((RETURN, {"comment": "x"}), (GRADE, {"value": "4"})):
            body = await client.post(document, input={"submissionId": work["id"], **extra})
            if "errors" in body:
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", who  # not a teacher at all
            else:
                refused = next(iter(body["data"].values()))
                assert (refused["__typename"], refused["code"]) == ("NotFoundError", "SUBMISSION_NOT_FOUND"), who
    # The family's own is theirs after the child left the class; the teacher still reads it.
    await models.Enrollment.filter(student_id=school.child.id).update(end_date=today_utc() - timedelta(days=1))
    for user in (_user(school.child), school.parent, school.teacher):
        assert (await factory.client(user).data(NODE, id=work["id"]))["node"] is not None
    # A revoked guardianship ends the parent's reading.
    await models.Guardianship.filter(guardian_id=school.parent.id).update(revoked_at=now_utc())
    assert (await factory.client(school.parent).data(NODE, id=work["id"]))["node"] is None


async def test_hand_in_and_owed_work(factory: Factory) -> None:
    school = await _school(factory)
    past = await factory.homework(school.past("5A", MATHS))
    coming = await factory.homework(school.upcoming("5A", MATHS)[0])
    child = gid(school.child, "Student")
    parent, student = factory.client(school.parent), factory.client(_user(school.child))

    async def hand_in(client: Client, homework: models.Homework, who: str = child) -> Any:
        return (await client.data(HAND_IN, id=gid(homework, "Homework"), student=who))["node"]["handIn"]

    owed = await hand_in(parent, past)
    assert (owed["status"], owed["owed"], owed["submission"]) == ("ASSIGNED", True, None)  # due time passed
    assert owed["dueAt"].startswith(school.past("5A", MATHS).starts_at.strftime("%Y-%m-%dT%H:%M"))
    assert (await hand_in(parent, coming))["owed"] is False  # not due yet
    work = (await _call(student, SUBMIT, homeworkId=gid(past, "Homework"), text="Late"))["submission"]
    for client in (parent, student):
        late = await hand_in(client, past)
        assert (late["status"], late["owed"], late["submission"]) == ("LATE", False, {"id": work["id"]})
    # Not yours, or not for them: null.
    assert await hand_in(factory.client(school.other_parent), past) is None
    assert await hand_in(factory.client(school.teacher), past) is None
    assert await hand_in(parent, past, gid(school.sibling, "Student")) is None  # 6B: not their lesson


async def test_statements_do_not_grow_with_the_work(factory: Factory, count_statements: StatementCounter) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    due = school.past("5A", MATHS)
    klass = gid(school.kit.classes["5A"], "SchoolClass")
    query = """query Q($id: ID!, $d: Date!, $s: ID!) { node(id: $id) { ... on SchoolClass {
      submissions(from: $d, to: $d) { id status attachments { id } grade { id } student { id } homework { id
        submissions { id } handIn(studentId: $s) { status owed } } } } } }"""
    student_ids = [s.id for s in await models.Student.filter(enrollments__school_class_id=school.kit.classes["5A"].id)]
    students = sorted(await models.Student.filter(id__in=student_ids), key=lambda s: s.id != school.child.id)

    async def hand_in(homework: models.Homework, student: models.Student) -> None:
        row = await models.Submission.create(
            homework=homework, student=student, text="x", status="SUBMITTED", submitted_at=now_utc()
        )
        await factory.upload(school.teacher, submission_id=row.id)

    first = await factory.homework(due)
    await hand_in(first, students[0])
    small, data = await _count(
        teacher, count_statements, query, id=klass, d=due.date.isoformat(), s=gid(school.child, "Student")
    )
    assert len(data["node"]["submissions"]) == 1
    family_small, _data = await _count(
        parent, count_statements, query, id=klass, d=due.date.isoformat(), s=gid(school.child, "Student")
    )
    for homework in (first, await factory.homework(due, "More")):
        for student in students[1 if homework is first else 0 :]:
            await hand_in(homework, student)
    large, data = await _count(
        teacher, count_statements, query, id=klass, d=due.date.isoformat(), s=gid(school.child, "Student")
    )
    assert len(data["node"]["submissions"]) == 2 * len(students) > 1
    assert len(small) == len(large), _explain(small, large)
    family_large, data = await _count(
        parent, count_statements, query, id=klass, d=due.date.isoformat(), s=gid(school.child, "Student")
    )
    (handed_in, *_rest) = data["node"]["submissions"]
    assert len(data["node"]["submissions"]) == 2  # the child's own two, each with its handIn
    assert handed_in["homework"]["handIn"] == {"status": "SUBMITTED", "owed": False}
    assert len(family_small) == len(family_large), _explain(family_small, family_large)


async def test_live_events(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    klass = gid(school.kit.classes["5A"], "SchoolClass")
    teacher, student = factory.client(school.teacher), factory.client(_user(school.child))
    feed = await open_socket(server_url, teacher.token)
    await feed.start(CLASS_EVENTS, classId=klass)
    other_subject = await open_socket(server_url, factory.client(school.russian).token)
    await other_subject.start(CLASS_EVENTS, classId=klass)
    family = await open_socket(server_url, factory.client(school.parent).token)
    await family.start(EVENTS, studentId=gid(school.child, "Student"))
    stranger = await open_socket(server_url, factory.client(school.other_parent).token)
    await stranger.start(EVENTS)
    child_feed = await open_socket(server_url, factory.client(school.russian).token)  # the child's diary, as staff
    await child_feed.start(EVENTS, studentId=gid(school.child, "Student"))
    await asyncio.sleep(0.2)
    homework = await factory.homework(school.past("5A", MATHS))
    work = (await _call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text="Live"))["submission"]
    seen = (await feed.next())["payload"]["data"]["classEvents"]
    assert seen == {"kind": "SUBMISSION_HANDED_IN", "submission": {"id": work["id"], "status": "LATE"}}
    assert (await family.next())["payload"]["data"]["diaryEvents"]["kind"] == "SUBMISSION_HANDED_IN"
    await _call(teacher, RETURN, submissionId=work["id"], comment="Redo")
    back = (await family.next())["payload"]["data"]["diaryEvents"]
    assert back == {"kind": "SUBMISSION_RETURNED", "submission": {"id": work["id"], "status": "RETURNED"}}
    assert (await feed.next())["payload"]["data"]["classEvents"]["kind"] == "SUBMISSION_RETURNED"
    await other_subject.nothing()  # another subject's teacher of the class: not theirs
    await stranger.nothing()
    await child_feed.nothing()
    for socket in (feed, other_subject, family, stranger, child_feed):
        await socket.ws.close()


EVENTS = """subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind submission { id status } } }"""
CLASS_EVENTS = """subscription C($classId: ID!) { classEvents(classId: $classId) { kind submission { id status } } }"""


async def test_a_first_hand_in_from_two_devices_at_once_keeps_one_work(factory: Factory) -> None:
    """Two first hand-ins at the same moment (a phone and a laptop): one work, never an internal
    error; the one that lost the race (PostgreSQL: the unique student + homework) is told to
    reload, the other is the work."""
    school = await _school(factory)
    homework = await factory.homework(school.upcoming("5A", MATHS)[0])
    student = factory.client(_user(school.child))
    results = await asyncio.gather(
        *(_call(student, SUBMIT, homeworkId=gid(homework, "Homework"), text=f"Device {n}") for n in range(4))
    )
    outcomes = [r["__typename"] for r in results]
    assert "HomeworkSubmitSuccess" in outcomes, results
    for r in results:
        if r["__typename"] != "HomeworkSubmitSuccess":
            assert (r["__typename"], r["code"]) == ("ValidationError", "SUBMISSION_CHANGED_MEANWHILE"), r
    work = await models.Submission.get(homework_id=homework.id, student_id=school.child.id)
    assert work.attempt == outcomes.count("HomeworkSubmitSuccess")
    audited = await models.AuditEntry.filter(action="submission.submit", object_id=work.id).count()
    assert audited == work.attempt
