"""thematicPlanImport: a teacher's ordered topics for a class + subject + term, from CSV or XLSX,
fill the term's lessons in date order, all or nothing, every bad row reported with its line, and
what did not fit shown. Each test builds its own school from factories."""

from __future__ import annotations

import base64
import io
from typing import Any

from openpyxl import Workbook

import models
from tests.classwork.test_homework import MATHS, RUSSIAN, School, _school, _user
from tests.factories import Factory
from tests.helpers import gid

IMPORT = (
    "mutation I($input: ThematicPlanImportInput!) { thematicPlanImport(input: $input) { __typename "
    "... on ThematicPlanImportSuccess { dryRun placed changed lessons { id topic } "
    "  unplacedTopics { line topic hours } lessonsWithoutTopic { id } } "
    "... on FileRefusedError { problems { line column code message } } "
    "... on ValidationError { fields { field message } } ... on Error { code message } } }"
)
DIARY = """query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  entries { lesson { id topic } } } } }"""
PAST = 3  # lessons of each class + subject before today; two more come after


def _input(school: School, file: str, **fields: Any) -> dict[str, Any]:
    kit = school.kit
    return {
        "classId": gid(kit.classes["5A"], "SchoolClass"),
        "subjectId": gid(kit.subjects[MATHS], "Subject"),
        "termId": gid(kit.term, "Term"),
        "file": file,
        **fields,
    }


async def _import(client: Any, inp: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(IMPORT, input=inp))["thematicPlanImport"]
    return result


async def _state() -> tuple[int, int, list[tuple[Any, ...]]]:
    lessons = await models.Lesson.all().order_by("id").values_list("id", "topic")
    return await models.AuditEntry.all().count(), await models.OutboxEvent.all().count(), list(lessons)


def _xlsx(rows: list[list[Any]]) -> str:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode()


async def test_a_csv_plan_fills_the_terms_lessons_in_date_order(factory: Factory) -> None:
    school = await _school(factory, past_days=PAST)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    lessons = school.lessons["5A", MATHS]
    assert len(lessons) == PAST + 2
    plan = "Topic,Hours\nNatural numbers,2\n\nFractions,2\nDecimals,2\n"
    before = await _state()

    dry = await _import(teacher, _input(school, plan, dryRun=True))
    assert dry["__typename"] == "ThematicPlanImportSuccess", dry
    assert dry["dryRun"] is True
    assert await _state() == before

    done = await _import(teacher, _input(school, plan))
    for result in (dry, done):
        assert [x["topic"] for x in result["lessons"]] == [
            "Natural numbers",
            "Natural numbers",
            "Fractions",
            "Fractions",
            "Decimals",
        ]
        assert [x["id"] for x in result["lessons"]] == [gid(x, "Lesson") for x in lessons]
        assert (result["placed"], result["changed"]) == (5, 5)
        assert result["unplacedTopics"] == [{"line": 5, "topic": "Decimals", "hours": 1}]  # line 3 is empty
        assert result["lessonsWithoutTopic"] == []
    assert done["dryRun"] is False
    # The other classes and subjects are untouched.
    assert {
        x.topic
        for x in await models.Lesson.filter(school_class__school_id=school.kit.school.id).exclude(
            id__in=[x.id for x in lessons]
        )
    } == {None}

    diary = await parent.data(
        DIARY,
        id=gid(school.child, "Student"),
        **{"from": lessons[0].date.isoformat(), "to": lessons[-1].date.isoformat()},
    )
    topics = {e["lesson"]["id"]: e["lesson"]["topic"] for d in diary["student"]["diary"] for e in d["entries"]}
    assert topics[gid(lessons[2], "Lesson")] == "Fractions"

    entry = await models.AuditEntry.filter(action="lesson.plan_import", object_id=lessons[0].school_class_id).get()
    assert entry.details == {
        "class": school.kit.classes["5A"].id,
        "subject": school.kit.subjects[MATHS].id,
        "term": school.kit.term.id,
        "topics": 3,
        "lessons": 5,
        "unplaced": 1,
        "untopiced": 0,
    }
    enrolled = await models.Enrollment.filter(school_class_id=lessons[0].school_class_id).count()
    assert (
        await models.OutboxEvent.filter(kind="LESSON_TOPIC_SET", lesson_id__in=[x.id for x in lessons]).count()
        == 5 * enrolled
    )

    # Fewer topics than lessons: the rest keep theirs and are listed; unchanged lessons send nothing.
    fewer = await _import(teacher, _input(school, "тема\nNatural numbers\nSets\n"))
    assert (fewer["placed"], fewer["changed"], fewer["unplacedTopics"]) == (2, 1, [])
    assert fewer["lessonsWithoutTopic"] == [{"id": gid(x, "Lesson")} for x in lessons[2:]]
    assert (
        await models.OutboxEvent.filter(kind="LESSON_TOPIC_SET", lesson_id__in=[x.id for x in lessons]).count()
        == 6 * enrolled
    )


async def test_an_xlsx_plan(factory: Factory) -> None:
    school = await _school(factory, past_days=PAST)
    workbook = _xlsx([["Тема", "Часы"], ["Angles", 3], ["Triangles", None], [None, None], ["Circles", 2]])
    result = await _import(factory.client(school.teacher), _input(school, workbook, format="XLSX"))
    assert result["__typename"] == "ThematicPlanImportSuccess", result
    assert [x["topic"] for x in result["lessons"]] == ["Angles", "Angles", "Angles", "Triangles", "Circles"]
    assert result["unplacedTopics"] == [{"line": 5, "topic": "Circles", "hours": 1}]

    bad = _xlsx([["topic", "hours"], ["", 2], ["Angles", 0], ["=HYPERLINK(1)", 1]])
    refused = await _import(factory.client(school.teacher), _input(school, bad, format="XLSX"))
    assert refused["__typename"] == "FileRefusedError"
    assert [(p["line"], p["column"], p["code"]) for p in refused["problems"]] == [
        (2, "topic", "TOPIC_REQUIRED"),
        (3, "hours", "HOURS_INVALID"),
        (4, "topic", "FORMULA_NOT_ALLOWED"),
    ]


async def test_every_bad_row_is_reported_and_nothing_is_written(factory: Factory) -> None:
    school = await _school(factory, past_days=PAST)
    teacher = factory.client(school.teacher)
    before = await _state()
    plan = 'topic,hours\nGood,1\n,2\nAlso good,two\n"=1+1",1\n' + "x" * 501 + ",1\nLast,1,extra\nBad\u202e,1\n"
    result = await _import(teacher, _input(school, plan))
    assert result["__typename"] == "FileRefusedError", result
    assert result["code"] == "TOPIC_REQUIRED"
    assert result["message"].startswith("6 problems; nothing was imported. Line 3:")
    assert [(p["line"], p["column"], p["code"]) for p in result["problems"]] == [
        (3, "topic", "TOPIC_REQUIRED"),
        (4, "hours", "HOURS_INVALID"),
        (5, "topic", "FORMULA_NOT_ALLOWED"),
        (6, "topic", "CELL_TOO_LONG"),
        (7, None, "ROW_WIDTH"),
        (8, "topic", "INVALID_CHARACTERS"),
    ]
    for file, code in (
        ("topic;hours\nA;1\n", "HEADER_UNKNOWN_COLUMN"),
        ("hours\n1\n", "HEADER_MISSING_COLUMN"),
        ("topic,topic\na,b\n", "HEADER_DUPLICATE_COLUMN"),
        ("topic,hours\n", "PLAN_EMPTY"),
    ):
        refused = await _import(teacher, _input(school, file))
        assert (refused["__typename"], refused["code"]) == ("FileRefusedError", code), refused
        assert refused["problems"][0]["line"] == 1
    for file, fields, code in (
        ("   ", {}, "CSV_EMPTY"),
        ("topic\n" + "a\n" * 501, {}, "CSV_TOO_LARGE"),
        ('topic\n"unclosed\n', {}, "CSV_MALFORMED"),
        ("not base64!", {"format": "XLSX"}, "XLSX_MALFORMED"),
        (base64.b64encode(b"PK\x03\x04 not a zip").decode(), {"format": "XLSX"}, "XLSX_MALFORMED"),
        ("topic\nA\n", {"format": "XLSX"}, "XLSX_MALFORMED"),
    ):
        refused = await _import(teacher, _input(school, file, **fields))
        assert (refused["__typename"], refused["code"]) == ("ValidationError", code), refused
    assert await _state() == before


async def test_who_may_import_a_plan(factory: Factory) -> None:
    school = await _school(factory, past_days=PAST)
    assert school.kit.admin is not None
    plan = "topic\nA\n"
    before = await _state()
    for user in (school.parent, _user(school.child), school.kit.admin, await factory.district_admin()):
        body = await factory.client(user).post(IMPORT, input=_input(school, plan))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await factory.school("Other")
    far = await factory.teacher(other, [("5A", MATHS)], name="far")
    missing = await _import(
        factory.client(school.stranger), _input(school, plan, classId=gid(models.SchoolClass(id=10**9), "SchoolClass"))
    )
    assert (missing["code"], missing["message"]) == ("CLASS_NOT_FOUND", "No such class.")
    for user in (school.stranger, far):  # 7A's teacher, another school's
        hidden = await _import(factory.client(user), _input(school, plan))
        assert (hidden["code"], hidden["message"]) == (missing["code"], missing["message"])
    # Another school's subject and term are not there either.
    mine = factory.client(school.teacher)
    for fields, code in (
        ({"subjectId": gid(other.subjects[MATHS], "Subject")}, "SUBJECT_NOT_FOUND"),
        ({"termId": gid(other.term, "Term")}, "TERM_NOT_FOUND"),
    ):
        assert (await _import(mine, _input(school, plan, **fields)))["code"] == code
    # The Russian teacher sees 5A but does not teach its mathematics; a substitute of one lesson
    # does not plan the term.
    given = school.upcoming("5A", MATHS)[0]
    given.teacher_id, given.original_teacher_id = school.russian.id, given.teacher_id
    await given.save(update_fields=["teacher_id", "original_teacher_id"])
    refused = await _import(factory.client(school.russian), _input(school, plan))
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    own = await _import(
        factory.client(school.russian), _input(school, plan, subjectId=gid(school.kit.subjects[RUSSIAN], "Subject"))
    )
    assert own["__typename"] == "ThematicPlanImportSuccess"
    assert await models.Lesson.filter(topic="A", subject_id=school.kit.subjects[MATHS].id).count() == 0
    assert (await _state())[2] != before[2]


async def test_a_groups_teacher_does_not_plan_the_whole_class(factory: Factory) -> None:
    """A teacher of one group of the class + subject (issue 21) does not fill the lessons of the
    whole class, nor the other group's: the import is the class-wide teacher's."""
    school = await _school(factory, past_days=PAST)
    klass, maths = school.kit.classes["5A"], school.kit.subjects[MATHS]
    group = await models.ClassGroup.create(
        school=school.kit.school, academic_year=school.kit.year, home_class=klass, name="5A maths 1", kind="SPLIT"
    )
    await models.ClassGroupClass.create(group=group, school_class=klass)
    halves = await factory.teacher(school.kit, [], name="halves")
    await models.TeachingAssignment.create(teacher=halves, school_class=klass, subject=maths, group=group)
    before = await _state()
    refused = await _import(factory.client(halves), _input(school, "topic\nA\n"))
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_ASSIGNED")
    assert await _state() == before
