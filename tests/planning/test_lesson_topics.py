"""lessonTopicSet: a teacher of the class + subject (or the lesson's substitute) writes a lesson's
topic and plan note; families read the topic in the diary and the journal, live; the plan note
is the staff's. Each test builds its own school from factories (``tests/classwork/test_homework.py``'s)."""

from __future__ import annotations

import asyncio
from typing import Any

import models
from tests.classwork.test_homework import MATHS, RUSSIAN, _school, _user
from tests.factories import Factory
from tests.helpers import gid, open_socket

SET = (
    "mutation S($input: LessonTopicSetInput!) { lessonTopicSet(input: $input) { __typename "
    "... on LessonTopicSetSuccess { lesson { id topic planNote } } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
DIARY = """query D($id: ID!, $d: Date!) { student(id: $id) { diary(from: $d, to: $d) {
  entries { lesson { id topic planNote } } } } }"""
JOURNAL = """query J($class: ID!, $subject: ID!) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject) { lessons { id topic planNote } } } } }"""
EVENTS = "subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind lesson { id topic } } }"


async def _set(client: Any, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(SET, input=fields))["lessonTopicSet"]
    return result


async def _state() -> tuple[int, int, list[tuple[Any, ...]]]:
    lessons = await models.Lesson.all().order_by("id").values_list("id", "topic", "plan_note")
    return await models.AuditEntry.all().count(), await models.OutboxEvent.all().count(), list(lessons)


async def test_teacher_sets_the_topic_and_the_class_reads_it(factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    lesson = school.upcoming("5A", MATHS)[0]
    result = await _set(
        teacher, lessonId=gid(lesson, "Lesson"), topic="  Fractions:   adding  ", planNote="Bring rulers"
    )
    assert result["__typename"] == "LessonTopicSetSuccess", result
    assert result["lesson"] == {"id": gid(lesson, "Lesson"), "topic": "Fractions: adding", "planNote": "Bring rulers"}

    diary = await parent.data(DIARY, id=gid(school.child, "Student"), d=lesson.date.isoformat())
    entries = [e for d in diary["student"]["diary"] for e in d["entries"]]
    assert {"id": gid(lesson, "Lesson"), "topic": "Fractions: adding", "planNote": None} in [
        e["lesson"] for e in entries
    ]
    journal = await teacher.data(
        JOURNAL,
        **{"class": gid(school.kit.classes["5A"], "SchoolClass")},
        subject=gid(school.kit.subjects[MATHS], "Subject"),
    )
    columns = journal["node"]["journal"]["lessons"]
    assert {"id": gid(lesson, "Lesson"), "topic": "Fractions: adding", "planNote": "Bring rulers"} in columns

    entry = await models.AuditEntry.filter(action="lesson.topic", object_id=lesson.id).get()
    assert entry.details == {"fields": ["topic", "planNote"]}  # which fields, never their text
    events = await models.OutboxEvent.filter(lesson_id=lesson.id, kind="LESSON_TOPIC_SET")
    enrolled = await models.Enrollment.filter(school_class_id=lesson.school_class_id).count()
    assert len(events) == enrolled

    # Only the plan note: staff business, no event; an empty topic clears it.
    await _set(teacher, lessonId=gid(lesson, "Lesson"), planNote="Bring compasses")
    assert await models.OutboxEvent.filter(lesson_id=lesson.id, kind="LESSON_TOPIC_SET").count() == enrolled
    cleared = await _set(teacher, lessonId=gid(lesson, "Lesson"), topic="")
    assert cleared["lesson"]["topic"] is None
    # The same again changes nothing and records nothing.
    before = await _state()
    assert (await _set(teacher, lessonId=gid(lesson, "Lesson"), topic=""))["__typename"] == "LessonTopicSetSuccess"
    assert await _state() == before


async def test_bad_input_is_refused_and_writes_nothing(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    lesson = gid(school.upcoming("5A", MATHS)[0], "Lesson")
    before = await _state()
    for fields, code, path in (
        ({}, "NOTHING_TO_CHANGE", "input"),
        ({"topic": "x" * 501}, "TEXT_TOO_LONG", "topic"),
        ({"topic": "bad\u202etopic"}, "INVALID_CHARACTERS", "topic"),
        ({"topic": "ok", "planNote": "x" * 1001}, "TEXT_TOO_LONG", "planNote"),
    ):
        result = await _set(teacher, lessonId=lesson, **fields)
        assert (result["__typename"], result["code"]) == ("ValidationError", code), result
        assert path in [f["field"] for f in result["fields"]]
    assert await _state() == before


async def test_who_may_set_a_topic(factory: Factory) -> None:
    school = await _school(factory)
    assert school.kit.admin is not None
    lesson = school.upcoming("5A", MATHS)[0]
    before = await _state()
    for user in (school.parent, _user(school.child), school.kit.admin, await factory.district_admin()):
        body = await factory.client(user).post(SET, input={"lessonId": gid(lesson, "Lesson"), "topic": "x"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # A teacher of another class, or of another school: exactly like a lesson that does not exist.
    other = await factory.school("Other")
    far = await factory.teacher(other, [("5A", MATHS)], name="far")
    missing = await _set(factory.client(school.stranger), lessonId=gid(models.Lesson(id=10**9), "Lesson"), topic="x")
    assert (missing["code"], missing["message"]) == ("LESSON_NOT_FOUND", "No such lesson.")
    for user in (school.stranger, far):
        hidden = await _set(factory.client(user), lessonId=gid(lesson, "Lesson"), topic="x")
        assert (hidden["code"], hidden["message"]) == (missing["code"], missing["message"])
    # The Russian teacher sees 5A's lessons but does not teach its mathematics.
    refused = await _set(factory.client(school.russian), lessonId=gid(lesson, "Lesson"), topic="x")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _state() == before


async def test_a_substitute_plans_the_lesson_they_give_only(factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    given, other = school.upcoming("5A", RUSSIAN)
    given.teacher_id, given.original_teacher_id = school.teacher.id, given.teacher_id
    await given.save(update_fields=["teacher_id", "original_teacher_id"])
    assert (await _set(teacher, lessonId=gid(given, "Lesson"), topic="A poem"))["__typename"] == "LessonTopicSetSuccess"
    refused = await _set(teacher, lessonId=gid(other, "Lesson"), topic="A poem")
    assert refused["code"] == "NOT_ASSIGNED"


async def test_the_family_hears_of_a_topic_live(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher = factory.client(school.teacher)
    mine = await open_socket(server_url, factory.client(school.parent).token)
    await mine.start(EVENTS, studentId=gid(school.sibling, "Student"))
    theirs = await open_socket(server_url, factory.client(school.other_parent).token)  # their child is in 5A
    await theirs.start(EVENTS)
    await asyncio.sleep(0.2)
    lesson = school.upcoming("6B", MATHS)[0]
    await _set(teacher, lessonId=gid(lesson, "Lesson"), topic="Decimals")
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert event == {"kind": "LESSON_TOPIC_SET", "lesson": {"id": gid(lesson, "Lesson"), "topic": "Decimals"}}
    await theirs.nothing()
    for socket in (mine, theirs):
        await socket.ws.close()
