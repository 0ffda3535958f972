"""Roster import: all or nothing with line-numbered problems, idempotent re-import, scope,
and validation whose statement count does not grow with the file. Each test imports into a
school of its own, built from factories."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

import models
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

IMPORT = """
mutation I($input: RosterImportInput!) { rosterImport(input: $input) {
  __typename
  ... on RosterImportSuccess { dryRun counts { kind created updated unchanged }
    issued { oneTimePassword account { login mustChangePassword user { fullName } } } }
  ... on FileRefusedError { code message problems { line column code message } }
  ... on Error { code message } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) {
  __typename ... on LoginSuccess { mustChangePassword } ... on Error { code } } }
"""
HEADER = "type,full_name,external_id,birth_date,class,login,email,relation,student_external_id,subjects"
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "roster-sample.csv"


@dataclass
class Roster:
    kit: SchoolKit  # the classes and subjects the sample file names
    admin: Client  # the school's admin
    school: str  # the school's global id


async def _roster(factory: Factory) -> Roster:
    """A school with the classes (5A, 5B, 6A, 7A) and subjects the sample file names."""
    kit = await factory.school(subjects=("Mathematics", "Physics"), classes=("5A", "5B", "6A", "7A"))
    return Roster(kit, factory.client(kit.admin), gid(kit.school, "School"))


async def run(admin: Client, school: str, csv: str, dry_run: bool = False) -> dict[str, Any]:
    variables = {"schoolId": school, "csv": csv, "dryRun": dry_run}
    result: dict[str, Any] = (await admin.data(IMPORT, input=variables))["rosterImport"]
    return result


def counts(result: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {c["kind"]: (c["created"], c["updated"], c["unchanged"]) for c in result["counts"]}


def roster(tag: str) -> str:
    """The repository's sample file with ids and logins made unique for this test."""
    text = SAMPLE.read_text()
    for old in ("S-1001", "S-1002", "S-1003", "irina.sergeyeva", "pavel.orlov", "n.klimova"):
        text = text.replace(old, f"{old}-{tag}")
    return text


async def totals() -> tuple[int, ...]:
    return (
        await models.Student.all().count(),
        await models.User.all().count(),
        await models.Enrollment.all().count(),
        await models.Guardianship.all().count(),
        await models.TeachingAssignment.all().count(),
        await models.RosterKey.all().count(),
        await models.AuditEntry.all().count(),
    )


async def test_import_then_reimport_changes_nothing(factory: Factory, http: httpx.AsyncClient) -> None:
    world = await _roster(factory)
    admin, school = world.admin, world.school
    tag = secrets.token_hex(3)
    text = roster(tag)
    before = await totals()
    dry = await run(admin, school, text, dry_run=True)
    assert dry["dryRun"] is True
    assert dry["issued"] == []
    assert counts(dry) == {"STUDENT": (3, 0, 0), "GUARDIAN": (2, 0, 0), "TEACHER": (1, 0, 0)}
    assert await totals() == before  # a dry run writes nothing

    done = await run(admin, school, text)
    assert done["__typename"] == "RosterImportSuccess", done
    assert counts(done) == counts(dry)
    issued = {i["account"]["login"]: i for i in done["issued"]}
    assert set(issued) == {f"irina.sergeyeva-{tag}", f"pavel.orlov-{tag}@example.org", f"n.klimova-{tag}"}
    assert all(i["account"]["mustChangePassword"] for i in issued.values())

    alina = await models.Student.get(roster_keys__key=f"S-1001-{tag}")
    enrolled = await models.Enrollment.get(student_id=alina.id).select_related("school_class")
    assert (alina.full_name, str(alina.birth_date), enrolled.school_class.name) == (
        "Alina Sergeyeva",
        "2015-03-14",
        "5B",
    )
    assert enrolled.school_class_id == world.kit.classes["5B"].id
    mother = await models.User.get(login=f"irina.sergeyeva-{tag}")
    children = await models.Guardianship.filter(guardian_id=mother.id).values_list("relation", "student__full_name")
    assert sorted(children) == [("mother", "Alina Sergeyeva"), ("mother", "Boris Sergeyev")]
    # Imported people are found by name like everyone else (bulk writes skip the save hook).
    search = "query S($q: String) { peopleSearch(query: $q, limit: 50) { fullName } }"
    found = (await admin.data(search, q=mother.full_name.split()[-1][:5].upper()))["peopleSearch"]
    assert mother.full_name in [p["fullName"] for p in found]
    klimova = await models.User.get(login=f"n.klimova-{tag}")
    taught = await models.TeachingAssignment.filter(teacher_id=klimova.id).values_list(
        "subject__name", "school_class__grade_level", "school_class__letter"
    )
    assert sorted(taught) == [("Mathematics", 5, "B"), ("Physics", 7, "A")]

    login = issued[f"irina.sergeyeva-{tag}"]
    first = (await Client(http).data(LOGIN, login=login["account"]["login"], password=login["oneTimePassword"]))[
        "login"
    ]
    assert first == {"__typename": "LoginSuccess", "mustChangePassword": True}

    after_first = await totals()
    again = await run(admin, school, text)
    assert counts(again) == {"STUDENT": (0, 0, 3), "GUARDIAN": (0, 0, 2), "TEACHER": (0, 0, 1)}
    assert again["issued"] == []
    assert (await totals())[:6] == after_first[:6]  # only the import's own audit entry is new

    changed = text.replace("Alina Sergeyeva", "Alina Sergeyeva-Lebedeva").replace(
        f"S-1003-{tag},2013-11-30,7A", f"S-1003-{tag},2013-11-30,6A"
    )
    update = await run(admin, school, changed)
    assert counts(update) == {"STUDENT": (0, 2, 1), "GUARDIAN": (0, 0, 2), "TEACHER": (0, 0, 1)}
    assert (await models.Student.get(id=alina.id)).full_name == "Alina Sergeyeva-Lebedeva"
    vera = await models.Student.get(roster_keys__key=f"S-1003-{tag}")
    current = await models.Enrollment.filter(student_id=vera.id, end_date__isnull=True).select_related("school_class")
    assert [e.school_class.name for e in current] == ["6A"]
    assert counts(await run(admin, school, changed)) == {
        "STUDENT": (0, 0, 3),
        "GUARDIAN": (0, 0, 2),
        "TEACHER": (0, 0, 1),
    }


async def test_bad_rows_have_line_numbers_and_nothing_is_written(factory: Factory) -> None:
    world = await _roster(factory)
    taken = await factory.teacher(world.kit, [("5A", "Mathematics")])
    tag = secrets.token_hex(3)
    text = "\n".join(
        [
            HEADER,
            f"student,Good Kid,K1-{tag},2015-01-01,5B,,,,,",  # line 2: fine
            f"student,Bad Date,K2-{tag},2015-02-30,5A,,,,,",  # 3
            f"student,No Class,K3-{tag},2015-01-01,9Z,,,,,",  # 4
            f"student,Twin,K1-{tag},2015-01-01,5A,,,,,",  # 5: duplicate of line 2
            f"guardian,Lost Parent,,,,lost.{tag},,mother,NOPE-{tag},",  # 6
            f"teacher,Taken Login,,,,{taken.login},,,,Mathematics@5A",  # 7: an existing teacher's login
            f"student,=HYPERLINK(1),K4-{tag},2015-01-01,5A,,,,,",  # 8
            f"teacher,Bad Subject,,,,t.{tag},,,,Alchemy@5A;Mathematics@9Z",  # 9
            f"parent,Wrong Type,,,,p.{tag},,,,",  # 10
            "",  # a blank line is skipped
            f'"student","Quoted, Name",K5-{tag},,5A,,,,,',  # 12: no birth date
        ]
    )
    before = await totals()
    refused = await run(world.admin, world.school, text)
    assert refused["__typename"] == "FileRefusedError", refused
    assert [(p["line"], p["column"], p["code"]) for p in refused["problems"]] == [
        (3, "birth_date", "DATE_INVALID"),
        (4, "class", "CLASS_UNKNOWN"),
        (5, "external_id", "DUPLICATE_ROW"),
        (6, "student_external_id", "STUDENT_UNKNOWN"),
        (7, "login", "LOGIN_TAKEN"),
        (8, "full_name", "FORMULA_NOT_ALLOWED"),
        (9, "subjects", "SUBJECT_UNKNOWN"),
        (9, "subjects", "CLASS_UNKNOWN"),
        (10, "type", "TYPE_INVALID"),
        (12, "birth_date", "BIRTH_DATE_REQUIRED"),
    ]
    assert refused["code"] == "DATE_INVALID"
    assert refused["message"].startswith("10 problems; nothing was imported.")
    assert "line 2" in refused["problems"][2]["message"]
    assert await totals() == before
    assert not await models.Student.filter(full_name="Good Kid").exists()


async def test_header_problems(factory: Factory) -> None:
    world = await _roster(factory)
    refused = await run(world.admin, world.school, "Type,name,birthDate,Birth date\nstudent,A,2015-01-01,2015-01-01\n")
    assert [(p["line"], p["column"], p["code"]) for p in refused["problems"]] == [
        (1, "name", "HEADER_UNKNOWN_COLUMN"),
        (1, "birth_date", "HEADER_DUPLICATE_COLUMN"),
        (1, "full_name", "HEADER_MISSING_COLUMN"),
    ]
    assert (await run(world.admin, world.school, "  \n"))["code"] == "CSV_EMPTY"


async def test_scope(factory: Factory) -> None:
    """Another school of the district looks like a school that does not exist to this school's
    admin; a teacher may not import; the district's admin may."""
    world = await _roster(factory)
    other_school = await factory.school("Other school")
    teacher = factory.client(await factory.teacher(world.kit, [("5B", "Mathematics")]))
    district = factory.client(await factory.district_admin())
    text = roster(secrets.token_hex(3))
    other = await run(world.admin, gid(other_school.school, "School"), text)
    missing = await run(world.admin, gid(models.School(id=999999), "School"), text)
    assert other == missing == {"__typename": "NotFoundError", "code": "SCHOOL_NOT_FOUND", "message": "No such school."}
    body = await teacher.post(IMPORT, input={"schoolId": world.school, "csv": text, "dryRun": True})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    checked = await run(district, world.school, text.replace("Physics@7A", "Physics@7A"), dry_run=True)
    assert checked["__typename"] == "RosterImportSuccess"


def _bulk(tag: str, students: int) -> str:
    lines = [HEADER]
    for i in range(students):
        lines.append(f"student,Kid {i} {tag},B{i}-{tag},2015-01-{1 + i % 28:02d},{'5B' if i % 2 else '6A'},,,,,")
        lines.append(f"guardian,Parent {i} {tag},,,,p{i}.{tag},,mother,B{i}-{tag},")
    lines.append(f"teacher,Teacher {tag},,,,t.{tag},,,,Mathematics@5B;Physics@7A")
    return "\n".join(lines)


async def test_statements_do_not_grow_with_rows(factory: Factory, count_statements: StatementCounter) -> None:
    """Validating 3 or 300 rows costs the same statements, and so does writing them."""
    world = await _roster(factory)
    measured = []
    for size in (1, 150):
        tag = secrets.token_hex(3)
        count_statements.statements.clear()
        assert counts(await run(world.admin, world.school, _bulk(tag, size), dry_run=True))["STUDENT"] == (size, 0, 0)
        dry = count_statements.count
        count_statements.statements.clear()
        assert counts(await run(world.admin, world.school, _bulk(tag, size)))["GUARDIAN"] == (size, 0, 0)
        measured.append((dry, count_statements.count))
    assert measured[0] == measured[1], (measured, count_statements.statements)
    assert measured[1][1] <= 25, count_statements.statements


async def test_two_imports_of_one_file_at_once_create_once(factory: Factory) -> None:
    """The second import waits for the first, then finds everything already there."""
    world = await _roster(factory)
    tag = secrets.token_hex(3)
    text = roster(tag)
    first, second = await asyncio.gather(run(world.admin, world.school, text), run(world.admin, world.school, text))
    results = sorted([counts(first), counts(second)], key=lambda c: c["STUDENT"])
    assert results == [
        {"STUDENT": (0, 0, 3), "GUARDIAN": (0, 0, 2), "TEACHER": (0, 0, 1)},
        {"STUDENT": (3, 0, 0), "GUARDIAN": (2, 0, 0), "TEACHER": (1, 0, 0)},
    ]
    assert await models.RosterKey.filter(key__contains=tag).count() == 6
