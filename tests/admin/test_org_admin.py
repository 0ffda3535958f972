"""Running a school without a developer: schools (district admins), subjects, classes,
students, enrolments, transfers and teaching assignments (the school's admins). Every write is
scoped: another school's objects look exactly like ids that do not exist. Each test builds its
own district, schools and people from factories."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

import models
from resolvers.core import to_global_id, today_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid, pk, result

MISSING = {
    "School": to_global_id("School", 10**9),
    "SchoolClass": to_global_id("SchoolClass", 10**9),
    "Subject": to_global_id("Subject", 10**9),
    "Student": to_global_id("Student", 10**9),
}
ERR = "... on ValidationError { fields { field code } } ... on Error { code message }"
SCALE = (
    "gradeScale { kind min max passMark roundingThreshold marks { value numericValue } kindWeights { kind weight } }"
)
SCHOOL_CREATE = (
    "mutation M($input: SchoolCreateInput!) { schoolCreate(input: $input) { __typename "
    f"... on SchoolCreateSuccess {{ school {{ id name timezone {SCALE} }} }} {ERR} }} }}"
)
SCHOOL_UPDATE = (
    "mutation M($input: SchoolUpdateInput!) { schoolUpdate(input: $input) { __typename "
    f"... on SchoolUpdateSuccess {{ school {{ id name timezone {SCALE} }} }} {ERR} }} }}"
)
SUBJECT = "subject { id name archivedAt }"
SUBJECT_CREATE = (
    "mutation M($input: SubjectCreateInput!) { subjectCreate(input: $input) { __typename "
    f"... on SubjectSuccess {{ {SUBJECT} }} {ERR} }} }}"
)
SUBJECT_UPDATE = (
    "mutation M($input: SubjectUpdateInput!) { subjectUpdate(input: $input) { __typename "
    f"... on SubjectSuccess {{ {SUBJECT} }} {ERR} }} }}"
)
SUBJECT_ARCHIVE = (
    "mutation M($input: SubjectArchiveInput!) { subjectArchive(input: $input) { __typename "
    f"... on SubjectSuccess {{ {SUBJECT} }} ... on Error {{ code message }} }} }}"
)
CLASS = "schoolClass { id name gradeLevel letter homeroomTeacher { id fullName } school { name } }"
CLASS_CREATE = (
    "mutation M($input: ClassCreateInput!) { classCreate(input: $input) { __typename "
    f"... on ClassSuccess {{ {CLASS} }} {ERR} }} }}"
)
CLASS_UPDATE = (
    "mutation M($input: ClassUpdateInput!) { classUpdate(input: $input) { __typename "
    f"... on ClassSuccess {{ {CLASS} }} {ERR} }} }}"
)
STUDENT_CREATE = (
    "mutation M($input: StudentCreateInput!) { studentCreate(input: $input) { __typename "
    f"... on StudentCreateSuccess {{ student {{ id fullName school {{ name }} }} }} {ERR} }} }}"
)
ENROLLED = (
    "enrollment { startDate endDate schoolClass { name } } "
    "student { id enrollments { startDate endDate schoolClass { name } } }"
)
ENROLL = (
    "mutation M($input: EnrollmentCreateInput!) { enrollmentCreate(input: $input) { __typename "
    f"... on EnrollmentSuccess {{ {ENROLLED} }} {ERR} }} }}"
)
TRANSFER = (
    "mutation M($input: StudentTransferInput!) { studentTransfer(input: $input) { __typename "
    f"... on EnrollmentSuccess {{ {ENROLLED} }} {ERR} }} }}"
)
LEAVE = (
    "mutation M($input: EnrollmentEndInput!) { enrollmentEnd(input: $input) { __typename "
    f"... on EnrollmentSuccess {{ {ENROLLED} }} {ERR} }} }}"
)
ASSIGNED = "teacher { id } teachingAssignment { teacher { fullName } schoolClass { name } subject { name } }"
ASSIGN = (
    "mutation M($input: TeachingAssignmentInput!) { teachingAssignmentCreate(input: $input) { __typename "
    f"... on TeachingAssignmentSuccess {{ {ASSIGNED} }} {ERR} }} }}"
)
UNASSIGN = (
    "mutation M($input: TeachingAssignmentInput!) { teachingAssignmentDelete(input: $input) { __typename "
    f"... on TeachingAssignmentSuccess {{ {ASSIGNED} }} {ERR} }} }}"
)
SCHOOLS = "{ viewer { schools { id name timezone } } }"
SUBJECTS = (
    "query S($id: ID!, $all: Boolean!) { node(id: $id) { ... on School { "
    "subjects(includeArchived: $all) { id name archivedAt } } } }"
)
CLASSES = "query C($id: ID!) { node(id: $id) { ... on School { classes { id name homeroomTeacher { fullName } } } } }"
STUDENT = (
    "query S($id: ID!) { student(id: $id) { id fullName schoolClass { name } "
    "enrollments { startDate endDate schoolClass { name } } } }"
)
CLASS_STUDENTS = "query C($id: ID!) { node(id: $id) { ... on SchoolClass { students { id } } } }"
DIARY = """query D($id: ID!, $from: Date!, $to: Date!) { student(id: $id) { diary(from: $from, to: $to) {
  date entries { lesson { schoolClass { name } } } } } }"""
TEACHING = "{ viewer { teaching { schoolClass { name } subject { name } } } }"


async def _audit(action: str, object_id: int) -> models.AuditEntry:
    row = await models.AuditEntry.filter(action=action, object_id=object_id).order_by("-id").first()
    assert row is not None, action
    return row


@dataclass
class Org:
    kit: SchoolKit  # the school under test
    admin: Client  # its school admin
    other: SchoolKit  # another school of the same district (classes 5A, 6A; mathematics)
    other_admin: Client  # that school's admin


async def _org(
    factory: Factory,
    classes: tuple[str, ...] = ("5A", "5B"),
    subjects: tuple[str, ...] = ("Mathematics", "History"),
) -> Org:
    """A district of two schools, each with its admin."""
    kit = await factory.school(classes=classes, subjects=subjects)
    other = await factory.school("Other school", subjects=("Mathematics",), classes=("5A", "6A"))
    assert kit.admin is not None
    assert other.admin is not None
    return Org(kit, factory.client(kit.admin), other, factory.client(other.admin))


async def _other_district_admin(factory: Factory) -> Client:
    """The admin of a district other than the factory's (which has no schools yet)."""
    district = await models.District.create(name=f"Other district {factory.tag}")
    user = await factory.user("outsider")
    await models.RoleGrant.create(user=user, role=models.Role.DISTRICT_ADMIN, district=district)
    return factory.client(user)


def _school_days(start: date, end: date) -> list[date]:
    """The weekdays from ``start`` to ``end``, both included."""
    return [
        start + timedelta(days=n) for n in range((end - start).days + 1) if (start + timedelta(days=n)).weekday() < 5
    ]


# --- schools ------------------------------------------------------------------------


async def test_district_admin_creates_and_configures_a_school(factory: Factory) -> None:
    """In a district of its own; the admin of another district neither sees nor changes it."""
    creator = factory.client(await factory.district_admin())
    district = await _other_district_admin(factory)
    created = result(
        await creator.data(
            SCHOOL_CREATE,
            input={
                "name": "  Lyceum   No. 7 ",
                "timezone": "Asia/Yekaterinburg",
                "gradeScale": {"kind": "LETTER", "passMark": 3, "kindWeights": [{"kind": "TEST", "weight": 3}]},
            },
        ),
        "schoolCreate",
    )
    assert created["__typename"] == "SchoolCreateSuccess", created
    school = created["school"]
    assert (school["name"], school["timezone"]) == ("Lyceum No. 7", "Asia/Yekaterinburg")
    assert school["gradeScale"]["kind"] == "LETTER"
    assert [m["value"] for m in school["gradeScale"]["marks"]] == ["A", "B", "C", "D", "F"]
    assert {"kind": "TEST", "weight": 3} in school["gradeScale"]["kindWeights"]
    # Its district admin sees the new school among theirs at once; another district's admin does not.
    assert school["id"] in [s["id"] for s in (await creator.data(SCHOOLS))["viewer"]["schools"]]
    assert school["id"] not in [s["id"] for s in (await district.data(SCHOOLS))["viewer"]["schools"]]
    hidden = result(
        await district.data(SCHOOL_UPDATE, input={"schoolId": school["id"], "name": "Mine"}), "schoolUpdate"
    )
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "SCHOOL_NOT_FOUND")
    entry = await _audit("school.create", pk(school["id"]))
    assert entry.school_id == pk(school["id"])

    updated = result(
        await creator.data(
            SCHOOL_UPDATE,
            input={
                "schoolId": school["id"],
                "timezone": "Europe/Moscow",
                "gradeScale": {"kind": "NUMERIC", "min": 1, "max": 10, "passMark": 4, "roundingThreshold": 0.6},
            },
        ),
        "schoolUpdate",
    )
    assert updated["__typename"] == "SchoolUpdateSuccess", updated
    scale = updated["school"]["gradeScale"]
    assert (updated["school"]["timezone"], scale["kind"], scale["min"], scale["max"]) == (
        "Europe/Moscow",
        "NUMERIC",
        1,
        10,
    )
    assert (scale["passMark"], scale["roundingThreshold"], scale["marks"][0]["value"]) == (4, 0.6, "10")
    assert (await _audit("school.update", pk(school["id"]))).details["timezone"] == {
        "from": "Asia/Yekaterinburg",
        "to": "Europe/Moscow",
    }


TAKEN = "<the name of a school of the district>"  # replaced by the test with its school's name


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": " "}, [("name", "NAME_EMPTY")]),
        ({"name": TAKEN}, [("name", "NAME_TAKEN")]),
        ({"timezone": "Mars/Olympus"}, [("timezone", "INVALID_TIMEZONE")]),
        ({"gradeScale": {"min": 5, "max": 5}}, [("gradeScale.max", "INVALID_SCALE_RANGE")]),
        ({"gradeScale": {"max": 101}}, [("gradeScale.max", "INVALID_SCALE_RANGE")]),
        ({"gradeScale": {"passMark": 6}}, [("gradeScale.passMark", "INVALID_PASS_MARK")]),
        (
            {
                "gradeScale": {
                    "kind": "LETTER",
                    "marks": [{"value": "A", "numericValue": 2}, {"value": "a", "numericValue": 1}],
                }
            },
            [("gradeScale.marks", "INVALID_MARKS")],
        ),
        ({"gradeScale": {"roundingThreshold": 0}}, [("gradeScale.roundingThreshold", "INVALID_ROUNDING_THRESHOLD")]),
        (
            {"gradeScale": {"kindWeights": [{"kind": "EXAM", "weight": 11}]}},
            [("gradeScale.kindWeights", "INVALID_WEIGHT")],
        ),
        (
            {"name": "", "timezone": "nowhere", "gradeScale": {"defaultGradeWeight": 0}},
            [("name", "NAME_EMPTY"), ("timezone", "INVALID_TIMEZONE"), ("gradeScale.kindWeights", "INVALID_WEIGHT")],
        ),
    ],
)
async def test_bad_school_input_is_refused_and_writes_nothing(
    factory: Factory, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    kit = await factory.school()
    district = factory.client(await factory.district_admin())
    if overrides.get("name") == TAKEN:
        overrides = {**overrides, "name": kit.school.name}
    before = (await models.School.all().count(), await models.AuditEntry.all().count())
    body = result(await district.data(SCHOOL_CREATE, input={"name": "Gymnasium 3", **overrides}), "schoolCreate")
    assert body["__typename"] == "ValidationError", body
    assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    assert (await models.School.all().count(), await models.AuditEntry.all().count()) == before


async def test_school_settings_are_the_district_admins(factory: Factory) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    teacher = factory.client(await factory.teacher(kit, [("5A", "Mathematics")]))
    name = kit.school.name
    for client in (admin, teacher):
        body = await client.post(SCHOOL_CREATE, input={"name": "Nope"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await client.post(SCHOOL_UPDATE, input={"schoolId": gid(kit.school, "School"), "name": "Nope"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stranger = await _other_district_admin(factory)
    theirs = result(
        await stranger.data(SCHOOL_UPDATE, input={"schoolId": gid(kit.school, "School"), "name": "Mine"}),
        "schoolUpdate",
    )
    missing = result(
        await stranger.data(SCHOOL_UPDATE, input={"schoolId": MISSING["School"], "name": "Mine"}), "schoolUpdate"
    )
    assert (
        (theirs["code"], theirs["message"])
        == (missing["code"], missing["message"])
        == ("SCHOOL_NOT_FOUND", "No such school.")
    )
    await kit.school.refresh_from_db()
    assert kit.school.name == name


async def test_a_scale_in_use_keeps_its_marks(factory: Factory) -> None:
    """The school has a grade on its scale (1-5): its marks can no longer change."""
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    child = await factory.student(kit, "5A", login=False)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, today_utc() - timedelta(days=1))
    await factory.grade(child, lesson, value="5")
    district = factory.client(await factory.district_admin())
    body = result(
        await district.data(SCHOOL_UPDATE, input={"schoolId": gid(kit.school, "School"), "gradeScale": {"max": 10}}),
        "schoolUpdate",
    )
    assert (body["__typename"], body["code"]) == ("ValidationError", "SCALE_IN_USE")
    await kit.school.refresh_from_db()
    assert kit.school.scale_max == 5


# --- subjects -----------------------------------------------------------------------


async def test_admin_manages_subjects(factory: Factory) -> None:
    org = await _org(factory)
    admin, school = org.admin, org.kit.school
    me = await factory.teacher(org.kit, [("5A", "Mathematics")])
    teacher = factory.client(me)
    school_id = gid(school, "School")
    created = result(
        await admin.data(SUBJECT_CREATE, input={"schoolId": school_id, "name": "Astronomy"}), "subjectCreate"
    )
    assert created["__typename"] == "SubjectSuccess", created
    subject = created["subject"]
    assert (await _audit("subject.create", pk(subject["id"]))).school_id == school.id

    listed = (await admin.data(SUBJECTS, id=school_id, all=False))["node"]["subjects"]
    assert {"id": subject["id"], "name": "Astronomy", "archivedAt": None} in listed
    assert [s["name"] for s in listed] == sorted(s["name"] for s in listed)

    taken = result(
        await admin.data(SUBJECT_CREATE, input={"schoolId": school_id, "name": "Mathematics"}), "subjectCreate"
    )
    assert [(f["field"], f["code"]) for f in taken["fields"]] == [("name", "NAME_TAKEN")]
    renamed = result(
        await admin.data(SUBJECT_UPDATE, input={"subjectId": subject["id"], "name": "Astronomy and Space"}),
        "subjectUpdate",
    )
    assert renamed["subject"]["name"] == "Astronomy and Space"

    archived = result(await admin.data(SUBJECT_ARCHIVE, input={"subjectId": subject["id"]}), "subjectArchive")
    assert archived["subject"]["archivedAt"] is not None
    again = result(await admin.data(SUBJECT_ARCHIVE, input={"subjectId": subject["id"]}), "subjectArchive")
    assert again["subject"]["archivedAt"] == archived["subject"]["archivedAt"]
    assert subject["id"] not in [
        s["id"] for s in (await admin.data(SUBJECTS, id=school_id, all=False))["node"]["subjects"]
    ]
    assert subject["id"] in [s["id"] for s in (await admin.data(SUBJECTS, id=school_id, all=True))["node"]["subjects"]]
    assert await models.AuditEntry.filter(action="subject.archive", object_id=pk(subject["id"])).count() == 1

    # An archived subject takes no new teachers.
    klass = org.kit.classes["5A"]
    refused = result(
        await admin.data(
            ASSIGN,
            input={"teacherId": gid(me, "User"), "classId": gid(klass, "SchoolClass"), "subjectId": subject["id"]},
        ),
        "teachingAssignmentCreate",
    )
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [("subjectId", "SUBJECT_ARCHIVED")]

    body = await teacher.post(SUBJECT_CREATE, input={"schoolId": school_id, "name": "Chess"})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_schools_admin_finds_nothing(factory: Factory) -> None:
    """The admin of another school of the district, and the admin of another district, act on
    this school's objects."""
    org = await _org(factory)
    outsiders = [org.other_admin, await _other_district_admin(factory)]
    school = org.kit.school
    subject = org.kit.subjects["Mathematics"]
    klass = org.kit.classes["5A"]
    before = await models.AuditEntry.all().count()
    pairs = [
        (
            SUBJECT_CREATE,
            "subjectCreate",
            {"schoolId": gid(school, "School"), "name": "X"},
            {"schoolId": MISSING["School"], "name": "X"},
        ),
        (
            SUBJECT_UPDATE,
            "subjectUpdate",
            {"subjectId": gid(subject, "Subject"), "name": "X"},
            {"subjectId": MISSING["Subject"], "name": "X"},
        ),
        (SUBJECT_ARCHIVE, "subjectArchive", {"subjectId": gid(subject, "Subject")}, {"subjectId": MISSING["Subject"]}),
        (
            CLASS_UPDATE,
            "classUpdate",
            {"classId": gid(klass, "SchoolClass"), "letter": "Q"},
            {"classId": MISSING["SchoolClass"], "letter": "Q"},
        ),
        (
            STUDENT_CREATE,
            "studentCreate",
            {"schoolId": gid(school, "School"), "fullName": "X"},
            {"schoolId": MISSING["School"], "fullName": "X"},
        ),
    ]
    for outsider in outsiders:
        for query, name, theirs, missing in pairs:
            a = result(await outsider.data(query, input=theirs), name)
            b = result(await outsider.data(query, input=missing), name)
            assert a["__typename"] == "NotFoundError", (name, a)
            assert (a["code"], a["message"]) == (b["code"], b["message"]), name
    assert await models.AuditEntry.all().count() == before
    await subject.refresh_from_db()
    assert (subject.name, subject.archived_at) == ("Mathematics", None)
    await klass.refresh_from_db()
    assert klass.name == "5A"


# --- classes ------------------------------------------------------------------------


async def test_admin_creates_and_changes_a_class(factory: Factory) -> None:
    org = await _org(factory)
    admin, school = org.admin, org.kit.school
    me = await factory.teacher(org.kit, [("5A", "Mathematics")])
    created = result(
        await admin.data(
            CLASS_CREATE,
            input={
                "schoolId": gid(school, "School"),
                "gradeLevel": 9,
                "letter": " v ",
                "academicYear": org.kit.year.name,
                "homeroomTeacherId": gid(me, "User"),
            },
        ),
        "classCreate",
    )
    assert created["__typename"] == "ClassSuccess", created
    klass = created["schoolClass"]
    assert (klass["name"], klass["homeroomTeacher"]["fullName"], klass["school"]["name"]) == (
        "9V",
        me.full_name,
        school.name,
    )
    listed = (await admin.data(CLASSES, id=gid(school, "School")))["node"]["classes"]
    assert {"id": klass["id"], "name": "9V", "homeroomTeacher": {"fullName": me.full_name}} in listed
    assert (await _audit("class.create", pk(klass["id"]))).school_id == school.id

    changed = result(
        await admin.data(CLASS_UPDATE, input={"classId": klass["id"], "letter": "w", "homeroomTeacherId": None}),
        "classUpdate",
    )
    assert (changed["schoolClass"]["name"], changed["schoolClass"]["homeroomTeacher"]) == ("9W", None)
    kept = result(await admin.data(CLASS_UPDATE, input={"classId": klass["id"], "gradeLevel": 10}), "classUpdate")
    assert (kept["schoolClass"]["name"], kept["schoolClass"]["homeroomTeacher"]) == ("10W", None)


async def test_bad_class_input_is_refused_and_writes_nothing(factory: Factory) -> None:
    org = await _org(factory)
    admin, school = org.admin, org.kit.school
    other_teacher = await factory.teacher(org.other, [("5A", "Mathematics")], name="elsewhere")
    parent_user = await factory.parent()
    await factory.student(org.kit, "5A", guardians=[parent_user], login=False)
    year = org.kit.year.name
    before = (await models.SchoolClass.all().count(), await models.AuditEntry.all().count())
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"gradeLevel": 5, "letter": "a"}, [("letter", "CLASS_EXISTS")]),
        ({"gradeLevel": 13}, [("gradeLevel", "INVALID_GRADE_LEVEL")]),
        ({"letter": "  "}, [("letter", "LETTER_EMPTY")]),
        ({"letter": "ABCDEFGHI"}, [("letter", "LETTER_TOO_LONG")]),
        ({"academicYear": "1999/2000"}, [("academicYear", "ACADEMIC_YEAR_NOT_FOUND")]),
        ({"homeroomTeacherId": gid(other_teacher, "User")}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
        ({"homeroomTeacherId": gid(parent_user, "User")}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
        ({"homeroomTeacherId": to_global_id("User", 10**9)}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
    ]
    for overrides, expected in cases:
        fields = {
            "schoolId": gid(school, "School"),
            "gradeLevel": 11,
            "letter": "K",
            "academicYear": year,
            **overrides,
        }
        body = result(await admin.data(CLASS_CREATE, input=fields), "classCreate")
        assert body["__typename"] == "ValidationError", (overrides, body)
        assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    klass = org.kit.classes["5A"]
    clash = result(
        await admin.data(CLASS_UPDATE, input={"classId": gid(klass, "SchoolClass"), "letter": "B"}), "classUpdate"
    )
    assert [(f["field"], f["code"]) for f in clash["fields"]] == [("letter", "CLASS_EXISTS")]
    assert (await models.SchoolClass.all().count(), await models.AuditEntry.all().count()) == before
    await klass.refresh_from_db()
    assert klass.name == "5A"


# --- the roll -----------------------------------------------------------------------


async def _new_student(admin: Client, school: models.School, name: str) -> str:
    body = result(
        await admin.data(
            STUDENT_CREATE, input={"schoolId": gid(school, "School"), "fullName": name, "birthDate": "2015-02-03"}
        ),
        "studentCreate",
    )
    assert body["__typename"] == "StudentCreateSuccess", body
    student_id: str = body["student"]["id"]
    return student_id


async def test_transfer_moves_the_diary_and_the_teachers_who_see_the_child(factory: Factory) -> None:
    """Enrolled in 5A three weeks ago, moved to 7A five days ago: the diary shows 5A's lessons
    before the move and 7A's after; the 5A maths teacher keeps seeing the child, up to the day
    before the move, and a teacher of 7A sees the child from the move on (README, transfers)."""
    today = today_utc()
    start, moved = today - timedelta(days=21), today - timedelta(days=5)
    org = await _org(factory, classes=("5A", "7A"), subjects=("Mathematics", "Physics"))
    admin = org.admin
    klass_5a, klass_7a = org.kit.classes["5A"], org.kit.classes["7A"]
    maths = await factory.teacher(org.kit, [("5A", "Mathematics")], name="maths")
    physics = await factory.teacher(org.kit, [("7A", "Physics")], name="physics")  # 7A only
    teacher, teacher_7a = factory.client(maths), factory.client(physics)
    # Both classes have a lesson on every school day of those three weeks.
    for day in _school_days(start, today):
        await factory.lesson(org.kit, "5A", "Mathematics", maths, day)
        await factory.lesson(org.kit, "7A", "Physics", physics, day)

    student_id = await _new_student(admin, org.kit.school, "Mira Transferova")
    assert (await teacher.data(STUDENT, id=student_id))["student"] is None
    enrolled = result(
        await admin.data(
            ENROLL,
            input={"studentId": student_id, "classId": gid(klass_5a, "SchoolClass"), "startDate": start.isoformat()},
        ),
        "enrollmentCreate",
    )
    assert enrolled["__typename"] == "EnrollmentSuccess", enrolled
    assert (await teacher.data(STUDENT, id=student_id))["student"]["schoolClass"]["name"] == "5A"
    assert (await teacher_7a.data(STUDENT, id=student_id))["student"] is None

    moved_body = result(
        await admin.data(
            TRANSFER,
            input={"studentId": student_id, "toClassId": gid(klass_7a, "SchoolClass"), "date": moved.isoformat()},
        ),
        "studentTransfer",
    )
    assert moved_body["__typename"] == "EnrollmentSuccess", moved_body
    assert moved_body["student"]["enrollments"] == [
        {
            "startDate": start.isoformat(),
            "endDate": (moved - timedelta(days=1)).isoformat(),
            "schoolClass": {"name": "5A"},
        },
        {"startDate": moved.isoformat(), "endDate": None, "schoolClass": {"name": "7A"}},
    ]
    entry = await _audit("student.transfer", pk(student_id))
    assert (entry.school_id, entry.details["from"], entry.details["to"]) == (
        klass_5a.school_id,
        klass_5a.id,
        klass_7a.id,
    )

    # The new class's teacher sees the child now; the old class's teacher still does.
    seen_by_new = (await teacher_7a.data(STUDENT, id=student_id))["student"]
    assert seen_by_new["schoolClass"]["name"] == "7A"
    assert (await teacher.data(STUDENT, id=student_id))["student"] is not None
    window = {"from": start.isoformat(), "to": today.isoformat()}

    async def classes_in_diary(client: Client) -> set[tuple[bool, str]]:
        days = (await client.data(DIARY, id=student_id, **window))["student"]["diary"]
        return {(d["date"] < moved.isoformat(), e["lesson"]["schoolClass"]["name"]) for d in days for e in d["entries"]}

    # The whole diary moves with the child; each class's teacher sees their own class's part.
    assert await classes_in_diary(admin) == {(True, "5A"), (False, "7A")}
    assert await classes_in_diary(teacher) == {(True, "5A")}
    assert await classes_in_diary(teacher_7a) == {(False, "7A")}
    in_7a = [s["id"] for s in (await admin.data(CLASS_STUDENTS, id=gid(klass_7a, "SchoolClass")))["node"]["students"]]
    in_5a = [s["id"] for s in (await admin.data(CLASS_STUDENTS, id=gid(klass_5a, "SchoolClass")))["node"]["students"]]
    assert student_id in in_7a
    assert student_id not in in_5a

    # Leaving school: the enrolment ends; a later transfer from that day on is refused.
    left = result(
        await admin.data(LEAVE, input={"studentId": student_id, "lastDay": (today - timedelta(days=1)).isoformat()}),
        "enrollmentEnd",
    )
    assert left["enrollment"]["endDate"] == (today - timedelta(days=1)).isoformat()
    in_7a = [s["id"] for s in (await admin.data(CLASS_STUDENTS, id=gid(klass_7a, "SchoolClass")))["node"]["students"]]
    assert student_id not in in_7a
    late = result(
        await admin.data(
            TRANSFER,
            input={"studentId": student_id, "toClassId": gid(klass_5a, "SchoolClass"), "date": today.isoformat()},
        ),
        "studentTransfer",
    )
    assert [(f["field"], f["code"]) for f in late["fields"]] == [("date", "NOT_ENROLLED")]


async def test_bad_enrolments_are_refused_and_write_nothing(factory: Factory) -> None:
    today = today_utc()
    org = await _org(factory)
    admin, school = org.admin, org.kit.school
    first_day = org.kit.year.start_date  # the student is enrolled from the first day of the year
    klass_5a, klass_5b = org.kit.classes["5A"], org.kit.classes["5B"]
    other_class = org.other.classes["5A"]
    district = factory.client(await factory.district_admin())
    parent_user = await factory.parent()
    await factory.student(org.kit, "5A", guardians=[parent_user], login=False)
    others = (factory.client(await factory.teacher(org.kit, [("5A", "Mathematics")])), factory.client(parent_user))
    student_id = await _new_student(admin, school, "Oleg Refusov")
    first = result(
        await admin.data(
            ENROLL,
            input={
                "studentId": student_id,
                "classId": gid(klass_5a, "SchoolClass"),
                "startDate": first_day.isoformat(),
            },
        ),
        "enrollmentCreate",
    )
    assert first["__typename"] == "EnrollmentSuccess", first
    admin2 = org.other_admin
    before = (await models.Enrollment.all().count(), await models.AuditEntry.all().count())
    cases: list[tuple[Client, str, str, dict[str, Any], list[tuple[str, str]]]] = [
        (
            admin,
            ENROLL,
            "enrollmentCreate",
            {"classId": gid(klass_5b, "SchoolClass"), "startDate": today.isoformat()},
            [("startDate", "ALREADY_ENROLLED")],
        ),
        (
            district,
            ENROLL,
            "enrollmentCreate",
            {"classId": gid(other_class, "SchoolClass"), "startDate": (first_day + timedelta(days=365)).isoformat()},
            [("classId", "CLASS_OF_OTHER_SCHOOL"), ("startDate", "ALREADY_ENROLLED")],
        ),
        (
            admin,
            TRANSFER,
            "studentTransfer",
            {"toClassId": gid(klass_5a, "SchoolClass"), "date": today.isoformat()},
            [("toClassId", "SAME_CLASS")],
        ),
        (
            admin,
            TRANSFER,
            "studentTransfer",
            {"toClassId": gid(klass_5b, "SchoolClass"), "date": first_day.isoformat()},
            [("date", "DATE_BEFORE_ENROLLMENT")],
        ),
        (
            admin,
            TRANSFER,
            "studentTransfer",
            {"toClassId": gid(klass_5b, "SchoolClass"), "date": (first_day - timedelta(days=31)).isoformat()},
            [("date", "NOT_ENROLLED")],
        ),
        (
            admin,
            LEAVE,
            "enrollmentEnd",
            {"lastDay": (first_day - timedelta(days=1)).isoformat()},
            [("date", "NOT_ENROLLED")],
        ),
    ]
    for client, query, name, fields, expected in cases:
        body = result(await client.data(query, input={"studentId": student_id, **fields}), name)
        assert body["__typename"] == "ValidationError", (name, body)
        assert [(f["field"], f["code"]) for f in body["fields"]] == expected, (name, fields)
    # Another school's admin: the student and the class are not there.
    for query, name, fields in (
        (
            ENROLL,
            "enrollmentCreate",
            {"studentId": student_id, "classId": gid(other_class, "SchoolClass"), "startDate": today.isoformat()},
        ),
        (
            TRANSFER,
            "studentTransfer",
            {"studentId": student_id, "toClassId": gid(other_class, "SchoolClass"), "date": today.isoformat()},
        ),
        (LEAVE, "enrollmentEnd", {"studentId": student_id, "lastDay": today.isoformat()}),
    ):
        body = result(await admin2.data(query, input=fields), name)
        missing = result(await admin2.data(query, input={**fields, "studentId": MISSING["Student"]}), name)
        assert (
            (body["code"], body["message"])
            == (missing["code"], missing["message"])
            == ("STUDENT_NOT_FOUND", "No such student.")
        )
    student = await models.Student.get(id=pk(student_id))
    for client in others:
        body = await client.post(STUDENT_CREATE, input={"schoolId": gid(org.other.school, "School"), "fullName": "X"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await models.Enrollment.all().count(), await models.AuditEntry.all().count()) == before
    assert student.full_name == "Oleg Refusov"


@pytest.mark.parametrize(
    ("name", "birth", "expected"),
    [(" ", "2015-01-01", "NAME_EMPTY"), ("Future Kid", "2999-01-01", "INVALID_BIRTH_DATE")],
)
async def test_bad_student_input_is_refused(factory: Factory, name: str, birth: str, expected: str) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    admin = factory.client(kit.admin)
    before = await models.Student.all().count()
    body = result(
        await admin.data(
            STUDENT_CREATE, input={"schoolId": gid(kit.school, "School"), "fullName": name, "birthDate": birth}
        ),
        "studentCreate",
    )
    assert (body["__typename"], body["code"]) == ("ValidationError", expected)
    assert await models.Student.all().count() == before


# --- teaching assignments -----------------------------------------------------------


async def test_admin_assigns_and_unassigns_a_teacher(factory: Factory) -> None:
    org = await _org(factory, classes=("6A",))
    admin, school = org.admin, org.kit.school
    user = await factory.teacher(org.kit, [], name="newcomer")
    newcomer = factory.client(user)
    klass = org.kit.classes["6A"]
    history = org.kit.subjects["History"]
    pupil = await factory.student(org.kit, "6A", login=False)
    key = {"teacherId": gid(user, "User"), "classId": gid(klass, "SchoolClass"), "subjectId": gid(history, "Subject")}
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == []
    made = result(await admin.data(ASSIGN, input=key), "teachingAssignmentCreate")
    assert made["__typename"] == "TeachingAssignmentSuccess", made
    assert made["teachingAssignment"] == {
        "teacher": {"fullName": user.full_name},
        "schoolClass": {"name": "6A"},
        "subject": {"name": "History"},
    }
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == [
        {"schoolClass": {"name": "6A"}, "subject": {"name": "History"}}
    ]
    # Now the newcomer sees 6A's students.
    assert (await newcomer.data(STUDENT, id=gid(pupil, "Student")))["student"] is not None
    twice = result(await admin.data(ASSIGN, input=key), "teachingAssignmentCreate")
    assert [(f["field"], f["code"]) for f in twice["fields"]] == [("teacherId", "ASSIGNMENT_EXISTS")]

    gone = result(await admin.data(UNASSIGN, input=key), "teachingAssignmentDelete")
    assert gone["__typename"] == "TeachingAssignmentSuccess", gone
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == []
    assert (await newcomer.data(STUDENT, id=gid(pupil, "Student")))["student"] is None
    again = result(await admin.data(UNASSIGN, input=key), "teachingAssignmentDelete")
    assert (again["__typename"], again["code"]) == ("NotFoundError", "ASSIGNMENT_NOT_FOUND")
    for action in ("teaching.assign", "teaching.unassign"):
        entry = await models.AuditEntry.filter(action=action).order_by("-id").first()
        assert entry is not None
        assert (entry.school_id, entry.details["teacher"], entry.details["class"]) == (school.id, user.id, klass.id)


async def test_bad_assignments_are_refused(factory: Factory) -> None:
    org = await _org(factory)
    admin = org.admin
    klass = org.kit.classes["5A"]
    maths, maths2 = org.kit.subjects["Mathematics"], org.other.subjects["Mathematics"]
    me = await factory.teacher(org.kit, [("5A", "Mathematics")])
    await factory.slot(org.kit, "5A", "Mathematics", me, weekday=1, period=1)
    parent_user = await factory.parent()
    await factory.student(org.kit, "5A", guardians=[parent_user], login=False)
    district = factory.client(await factory.district_admin())
    before = (await models.TeachingAssignment.all().count(), await models.AuditEntry.all().count())
    # The teacher gives 5A maths in the timetable: the assignment stays until the slots change.
    busy = result(
        await admin.data(
            UNASSIGN,
            input={
                "teacherId": gid(me, "User"),
                "classId": gid(klass, "SchoolClass"),
                "subjectId": gid(maths, "Subject"),
            },
        ),
        "teachingAssignmentDelete",
    )
    assert [(f["field"], f["code"]) for f in busy["fields"]] == [("teacherId", "ASSIGNMENT_IN_TIMETABLE")]
    not_teacher = result(
        await admin.data(
            ASSIGN,
            input={
                "teacherId": gid(parent_user, "User"),
                "classId": gid(klass, "SchoolClass"),
                "subjectId": gid(maths, "Subject"),
            },
        ),
        "teachingAssignmentCreate",
    )
    assert [(f["field"], f["code"]) for f in not_teacher["fields"]] == [("teacherId", "NOT_A_TEACHER")]
    mixed = result(
        await district.data(
            ASSIGN,
            input={
                "teacherId": gid(me, "User"),
                "classId": gid(klass, "SchoolClass"),
                "subjectId": gid(maths2, "Subject"),
            },
        ),
        "teachingAssignmentCreate",
    )
    assert [(f["field"], f["code"]) for f in mixed["fields"]] == [("subjectId", "SUBJECT_OF_OTHER_SCHOOL")]
    hidden = result(
        await admin.data(
            ASSIGN,
            input={
                "teacherId": gid(me, "User"),
                "classId": gid(klass, "SchoolClass"),
                "subjectId": gid(maths2, "Subject"),
            },
        ),
        "teachingAssignmentCreate",
    )
    assert (hidden["code"], hidden["message"]) == ("SUBJECT_NOT_FOUND", "No such subject.")
    assert (await models.TeachingAssignment.all().count(), await models.AuditEntry.all().count()) == before


# --- statements ---------------------------------------------------------------------


SCHOOL_LISTS = "{ viewer { schools { subjects(includeArchived: true) { name archivedAt } } } }"
CHILD_ENROLMENTS = "{ viewer { children { enrollments { startDate endDate schoolClass { name school { name } } } } } }"


async def test_new_list_fields_cost_the_same_for_more_data(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """One school's admin costs what the district's admin (two schools) costs; a parent of one
    child what a parent of two (in two classes, one moved there during the year) costs."""
    org = await _org(factory, classes=("5A", "6B"))
    district = factory.client(await factory.district_admin())
    parent_user, other_parent_user = await factory.parent(), await factory.parent("other")
    await factory.student(org.kit, "5A", "anna", guardians=[parent_user])
    sibling = await factory.student(
        org.kit, "6B", "boris", guardians=[parent_user], since=today_utc() - timedelta(days=30)
    )
    await models.Enrollment.create(
        student=sibling,
        school_class=org.kit.classes["5A"],
        start_date=org.kit.year.start_date,
        end_date=today_utc() - timedelta(days=31),
    )
    await factory.student(org.kit, "5A", "vera", guardians=[other_parent_user])
    parent, other_parent = factory.client(parent_user), factory.client(other_parent_user)

    small, one = await _count(org.admin, count_statements, SCHOOL_LISTS)
    large, many = await _count(district, count_statements, SCHOOL_LISTS)
    assert len(many["viewer"]["schools"]) > len(one["viewer"]["schools"]) >= 1
    assert len(large) == len(small), _explain(small, large)
    small, one = await _count(other_parent, count_statements, CHILD_ENROLMENTS)
    large, two = await _count(parent, count_statements, CHILD_ENROLMENTS)
    assert (len(one["viewer"]["children"]), len(two["viewer"]["children"])) == (1, 2)
    assert all(c["enrollments"] for c in two["viewer"]["children"])
    assert len(large) == len(small), _explain(small, large)
    children = models.Student.filter(guardianships__guardian_id=parent_user.id, guardianships__revoked_at__isnull=True)
    assert await children.count() == 2


async def test_enrolments_at_once_leave_the_student_in_one_class(factory: Factory) -> None:
    """Admins enrol the same new student at the same moment: one wins, the others are told the
    student is already enrolled; never two open enrolments."""
    org = await _org(factory, classes=("5A", "5B", "6A", "6B", "7A"))
    admin = org.admin
    classes = list(org.kit.classes.values())
    student_id = await _new_student(admin, org.kit.school, "Race Gonkina")
    start = org.kit.year.start_date.isoformat()
    bodies = await asyncio.gather(
        *(
            admin.data(ENROLL, input={"studentId": student_id, "classId": gid(k, "SchoolClass"), "startDate": start})
            for k in classes * 2
        )
    )
    outcomes = sorted(result(b, "enrollmentCreate")["__typename"] for b in bodies)
    assert outcomes == ["EnrollmentSuccess"] + ["ValidationError"] * 9
    assert await models.Enrollment.filter(student_id=pk(student_id)).count() == 1
