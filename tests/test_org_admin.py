"""Running a school without a developer: schools (district admins), subjects, classes,
students, enrolments, transfers and teaching assignments (the school's admins). Every write is
scoped: another school's objects look exactly like ids that do not exist."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

import models
from resolvers import auth
from resolvers.ids import from_global_id, to_global_id
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import children_of, gid, school_class
from tests.test_statements import _count, _explain

_HASH: list[str] = []


async def account(http: httpx.AsyncClient, login: str, *grants: dict[str, Any]) -> Client:
    """A user with password `demo` and the given role grants, logged in."""
    if not _HASH:
        _HASH.append(auth.hash_password("demo"))
    user, _ = await models.User.get_or_create(login=login, defaults={"password_hash": _HASH[0], "full_name": login})
    for grant in grants:
        await models.RoleGrant.get_or_create(user_id=user.id, **grant)
    return await login_as(http, login)


async def other_district_admin(http: httpx.AsyncClient) -> Client:
    district, _ = await models.District.get_or_create(name="Other District")
    return await account(http, "district.other", {"role": models.Role.DISTRICT_ADMIN, "district_id": district.id})


def result(body: dict[str, Any], name: str) -> dict[str, Any]:
    value: dict[str, Any] = body[name]
    return value


def pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


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


async def _school1() -> models.School:
    return await models.School.get(name="School No. 1")


async def _year(school: models.School) -> str:
    year = await models.AcademicYear.filter(school_id=school.id).order_by("-start_date").first()
    assert year is not None
    return year.name


# --- schools ------------------------------------------------------------------------


async def test_district_admin_creates_and_configures_a_school(http: httpx.AsyncClient, district: Client) -> None:
    """In a district of its own, so that the demo district stays as the other tests know it."""
    creator = await other_district_admin(http)
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


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": " "}, [("name", "NAME_EMPTY")]),
        ({"name": "School No. 1"}, [("name", "NAME_TAKEN")]),
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
    district: Client, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    before = (await models.School.all().count(), await models.AuditEntry.all().count())
    body = result(await district.data(SCHOOL_CREATE, input={"name": "Gymnasium 3", **overrides}), "schoolCreate")
    assert body["__typename"] == "ValidationError", body
    assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    assert (await models.School.all().count(), await models.AuditEntry.all().count()) == before


async def test_school_settings_are_the_district_admins(
    http: httpx.AsyncClient, district: Client, admin: Client, teacher: Client
) -> None:
    school1 = await _school1()
    for client in (admin, teacher):
        body = await client.post(SCHOOL_CREATE, input={"name": "Nope"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await client.post(SCHOOL_UPDATE, input={"schoolId": gid(school1, "School"), "name": "Nope"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stranger = await other_district_admin(http)
    theirs = result(
        await stranger.data(SCHOOL_UPDATE, input={"schoolId": gid(school1, "School"), "name": "Mine"}), "schoolUpdate"
    )
    missing = result(
        await stranger.data(SCHOOL_UPDATE, input={"schoolId": MISSING["School"], "name": "Mine"}), "schoolUpdate"
    )
    assert (
        (theirs["code"], theirs["message"])
        == (missing["code"], missing["message"])
        == ("SCHOOL_NOT_FOUND", "No such school.")
    )
    await school1.refresh_from_db()
    assert school1.name == "School No. 1"


async def test_a_scale_in_use_keeps_its_marks(district: Client) -> None:
    school1 = await _school1()
    body = result(
        await district.data(SCHOOL_UPDATE, input={"schoolId": gid(school1, "School"), "gradeScale": {"max": 10}}),
        "schoolUpdate",
    )
    assert (body["__typename"], body["code"]) == ("ValidationError", "SCALE_IN_USE")
    await school1.refresh_from_db()
    assert school1.scale_max == 5


# --- subjects -----------------------------------------------------------------------


async def test_admin_manages_subjects(http: httpx.AsyncClient, admin: Client, teacher: Client) -> None:
    school1 = await _school1()
    school_id = gid(school1, "School")
    created = result(
        await admin.data(SUBJECT_CREATE, input={"schoolId": school_id, "name": "Astronomy"}), "subjectCreate"
    )
    assert created["__typename"] == "SubjectSuccess", created
    subject = created["subject"]
    assert (await _audit("subject.create", pk(subject["id"]))).school_id == school1.id

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
    klass = await school_class("School No. 1", "5A")
    me = await models.User.get(login="teacher")
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


async def test_another_schools_admin_finds_nothing(http: httpx.AsyncClient) -> None:
    """School No. 2's admin, and the admin of another district, act on School No. 1's objects."""
    outsiders = [await login_as(http, "admin2"), await other_district_admin(http)]
    school1 = await _school1()
    subject = await models.Subject.get(school_id=school1.id, name="Mathematics")
    klass = await school_class("School No. 1", "5A")
    before = await models.AuditEntry.all().count()
    pairs = [
        (
            SUBJECT_CREATE,
            "subjectCreate",
            {"schoolId": gid(school1, "School"), "name": "X"},
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
            {"schoolId": gid(school1, "School"), "fullName": "X"},
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


# --- classes ------------------------------------------------------------------------


async def test_admin_creates_and_changes_a_class(http: httpx.AsyncClient, admin: Client) -> None:
    school1 = await _school1()
    me = await models.User.get(login="teacher")
    created = result(
        await admin.data(
            CLASS_CREATE,
            input={
                "schoolId": gid(school1, "School"),
                "gradeLevel": 9,
                "letter": " v ",
                "academicYear": await _year(school1),
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
        "School No. 1",
    )
    listed = (await admin.data(CLASSES, id=gid(school1, "School")))["node"]["classes"]
    assert {"id": klass["id"], "name": "9V", "homeroomTeacher": {"fullName": me.full_name}} in listed
    assert (await _audit("class.create", pk(klass["id"]))).school_id == school1.id

    changed = result(
        await admin.data(CLASS_UPDATE, input={"classId": klass["id"], "letter": "w", "homeroomTeacherId": None}),
        "classUpdate",
    )
    assert (changed["schoolClass"]["name"], changed["schoolClass"]["homeroomTeacher"]) == ("9W", None)
    kept = result(await admin.data(CLASS_UPDATE, input={"classId": klass["id"], "gradeLevel": 10}), "classUpdate")
    assert (kept["schoolClass"]["name"], kept["schoolClass"]["homeroomTeacher"]) == ("10W", None)


async def test_bad_class_input_is_refused_and_writes_nothing(http: httpx.AsyncClient, admin: Client) -> None:
    school1 = await _school1()
    other_teacher = await models.RoleGrant.filter(role=models.Role.TEACHER, school__name="School No. 2").first()
    parent_user = await models.User.get(login="parent")
    assert other_teacher is not None
    year = await _year(school1)
    before = (await models.SchoolClass.all().count(), await models.AuditEntry.all().count())
    cases: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
        ({"gradeLevel": 5, "letter": "a"}, [("letter", "CLASS_EXISTS")]),
        ({"gradeLevel": 13}, [("gradeLevel", "INVALID_GRADE_LEVEL")]),
        ({"letter": "  "}, [("letter", "LETTER_EMPTY")]),
        ({"letter": "ABCDEFGHI"}, [("letter", "LETTER_TOO_LONG")]),
        ({"academicYear": "1999/2000"}, [("academicYear", "ACADEMIC_YEAR_NOT_FOUND")]),
        ({"homeroomTeacherId": to_global_id("User", other_teacher.user_id)}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
        ({"homeroomTeacherId": gid(parent_user, "User")}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
        ({"homeroomTeacherId": to_global_id("User", 10**9)}, [("homeroomTeacherId", "NOT_A_TEACHER")]),
    ]
    for overrides, expected in cases:
        fields = {
            "schoolId": gid(school1, "School"),
            "gradeLevel": 11,
            "letter": "K",
            "academicYear": year,
            **overrides,
        }
        body = result(await admin.data(CLASS_CREATE, input=fields), "classCreate")
        assert body["__typename"] == "ValidationError", (overrides, body)
        assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    klass = await school_class("School No. 1", "5A")
    clash = result(
        await admin.data(CLASS_UPDATE, input={"classId": gid(klass, "SchoolClass"), "letter": "B"}), "classUpdate"
    )
    assert [(f["field"], f["code"]) for f in clash["fields"]] == [("letter", "CLASS_EXISTS")]
    assert (await models.SchoolClass.all().count(), await models.AuditEntry.all().count()) == before
    await klass.refresh_from_db()
    assert klass.name == "5A"


# --- the roll -----------------------------------------------------------------------


async def _new_student(admin: Client, name: str, school: models.School | None = None) -> str:
    school = school or await _school1()
    body = result(
        await admin.data(
            STUDENT_CREATE, input={"schoolId": gid(school, "School"), "fullName": name, "birthDate": "2015-02-03"}
        ),
        "studentCreate",
    )
    assert body["__typename"] == "StudentCreateSuccess", body
    student_id: str = body["student"]["id"]
    return student_id


async def test_transfer_moves_the_diary_and_the_teachers_who_see_the_child(
    http: httpx.AsyncClient, admin: Client, teacher: Client
) -> None:
    """Enrolled in 5A three weeks ago, moved to 7A five days ago: the diary shows 5A's lessons
    before the move and 7A's after; the 5A maths teacher keeps seeing the child (the old diary),
    a teacher of 7A only sees the child from the move on."""
    today = datetime.now(UTC).date()
    start, moved = today - timedelta(days=21), today - timedelta(days=5)
    klass_5a, klass_7a = await school_class("School No. 1", "5A"), await school_class("School No. 1", "7A")
    teaches_5a = await models.TeachingAssignment.filter(school_class_id=klass_5a.id).values_list(
        "teacher_id", flat=True
    )
    only_7a = (
        await models.TeachingAssignment.filter(school_class_id=klass_7a.id)
        .exclude(teacher_id__in=list(teaches_5a))
        .exclude(teacher_id=klass_5a.homeroom_teacher_id)
        .select_related("teacher")
        .first()
    )
    assert only_7a is not None
    teacher_7a = await login_as(http, only_7a.teacher.login)

    student_id = await _new_student(admin, "Mira Transferova")
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
    diary = await teacher.data(DIARY, id=student_id, **{"from": start.isoformat(), "to": today.isoformat()})
    days = diary["student"]["diary"]
    classes = {(d["date"] < moved.isoformat(), e["lesson"]["schoolClass"]["name"]) for d in days for e in d["entries"]}
    assert classes == {(True, "5A"), (False, "7A")}
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


async def test_bad_enrolments_are_refused_and_write_nothing(
    http: httpx.AsyncClient, admin: Client, district: Client
) -> None:
    today = datetime.now(UTC).date()
    klass_5a, klass_5b = await school_class("School No. 1", "5A"), await school_class("School No. 1", "5B")
    school2 = await models.School.get(name="School No. 2")
    other_class = await models.SchoolClass.filter(school_id=school2.id).first()
    assert other_class is not None
    student_id = await _new_student(admin, "Oleg Refusov")
    first = result(
        await admin.data(
            ENROLL, input={"studentId": student_id, "classId": gid(klass_5a, "SchoolClass"), "startDate": "2026-09-01"}
        ),
        "enrollmentCreate",
    )
    assert first["__typename"] == "EnrollmentSuccess", first
    admin2, others = await login_as(http, "admin2"), (await login_as(http, "teacher"), await login_as(http, "parent"))
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
            {"classId": gid(other_class, "SchoolClass"), "startDate": "2027-09-01"},
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
            {"toClassId": gid(klass_5b, "SchoolClass"), "date": "2026-09-01"},
            [("date", "DATE_BEFORE_ENROLLMENT")],
        ),
        (
            admin,
            TRANSFER,
            "studentTransfer",
            {"toClassId": gid(klass_5b, "SchoolClass"), "date": "2026-08-01"},
            [("date", "NOT_ENROLLED")],
        ),
        (admin, LEAVE, "enrollmentEnd", {"lastDay": "2026-08-31"}, [("date", "NOT_ENROLLED")]),
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
            {"studentId": student_id, "classId": gid(other_class, "SchoolClass"), "startDate": "2027-01-01"},
        ),
        (
            TRANSFER,
            "studentTransfer",
            {"studentId": student_id, "toClassId": gid(other_class, "SchoolClass"), "date": "2027-01-01"},
        ),
        (LEAVE, "enrollmentEnd", {"studentId": student_id, "lastDay": "2027-01-01"}),
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
        body = await client.post(STUDENT_CREATE, input={"schoolId": gid(school2, "School"), "fullName": "X"})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await models.Enrollment.all().count(), await models.AuditEntry.all().count()) == before
    assert student.full_name == "Oleg Refusov"


@pytest.mark.parametrize(
    ("name", "birth", "expected"),
    [(" ", "2015-01-01", "NAME_EMPTY"), ("Future Kid", "2999-01-01", "INVALID_BIRTH_DATE")],
)
async def test_bad_student_input_is_refused(admin: Client, name: str, birth: str, expected: str) -> None:
    before = await models.Student.all().count()
    school1 = await _school1()
    body = result(
        await admin.data(
            STUDENT_CREATE, input={"schoolId": gid(school1, "School"), "fullName": name, "birthDate": birth}
        ),
        "studentCreate",
    )
    assert (body["__typename"], body["code"]) == ("ValidationError", expected)
    assert await models.Student.all().count() == before


# --- teaching assignments -----------------------------------------------------------


async def test_admin_assigns_and_unassigns_a_teacher(http: httpx.AsyncClient, admin: Client) -> None:
    school1 = await _school1()
    newcomer = await account(http, "t.newcomer", {"role": models.Role.TEACHER, "school_id": school1.id})
    user = await models.User.get(login="t.newcomer")
    klass = await school_class("School No. 1", "6A")
    history = await models.Subject.get(school_id=school1.id, name="History")
    key = {"teacherId": gid(user, "User"), "classId": gid(klass, "SchoolClass"), "subjectId": gid(history, "Subject")}
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == []
    made = result(await admin.data(ASSIGN, input=key), "teachingAssignmentCreate")
    assert made["__typename"] == "TeachingAssignmentSuccess", made
    assert made["teachingAssignment"] == {
        "teacher": {"fullName": "t.newcomer"},
        "schoolClass": {"name": "6A"},
        "subject": {"name": "History"},
    }
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == [
        {"schoolClass": {"name": "6A"}, "subject": {"name": "History"}}
    ]
    # Now the newcomer sees 6A's students.
    pupil = await models.Enrollment.filter(school_class_id=klass.id, end_date__isnull=True).first()
    assert pupil is not None
    assert (await newcomer.data(STUDENT, id=to_global_id("Student", pupil.student_id)))["student"] is not None
    twice = result(await admin.data(ASSIGN, input=key), "teachingAssignmentCreate")
    assert [(f["field"], f["code"]) for f in twice["fields"]] == [("teacherId", "ASSIGNMENT_EXISTS")]

    gone = result(await admin.data(UNASSIGN, input=key), "teachingAssignmentDelete")
    assert gone["__typename"] == "TeachingAssignmentSuccess", gone
    assert (await newcomer.data(TEACHING))["viewer"]["teaching"] == []
    assert (await newcomer.data(STUDENT, id=to_global_id("Student", pupil.student_id)))["student"] is None
    again = result(await admin.data(UNASSIGN, input=key), "teachingAssignmentDelete")
    assert (again["__typename"], again["code"]) == ("NotFoundError", "ASSIGNMENT_NOT_FOUND")
    for action in ("teaching.assign", "teaching.unassign"):
        entry = await models.AuditEntry.filter(action=action).order_by("-id").first()
        assert entry is not None
        assert (entry.school_id, entry.details["teacher"], entry.details["class"]) == (school1.id, user.id, klass.id)


async def test_bad_assignments_are_refused(http: httpx.AsyncClient, admin: Client) -> None:
    school1 = await _school1()
    school2 = await models.School.get(name="School No. 2")
    me = await models.User.get(login="teacher")
    parent_user = await models.User.get(login="parent")
    klass = await school_class("School No. 1", "5A")
    maths = await models.Subject.get(school_id=school1.id, name="Mathematics")
    maths2 = await models.Subject.get(school_id=school2.id, name="Mathematics")
    district = await login_as(http, "district")
    before = (await models.TeachingAssignment.all().count(), await models.AuditEntry.all().count())
    # The demo teacher gives 5A maths in the timetable: the assignment stays until the slots change.
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
    admin: Client, district: Client, parent: Client, other_parent: Client, count_statements: StatementCounter
) -> None:
    small, one = await _count(admin, count_statements, SCHOOL_LISTS)
    large, many = await _count(district, count_statements, SCHOOL_LISTS)
    assert len(many["viewer"]["schools"]) > len(one["viewer"]["schools"]) >= 1
    assert len(large) == len(small), _explain(small, large)
    small, one = await _count(other_parent, count_statements, CHILD_ENROLMENTS)
    large, two = await _count(parent, count_statements, CHILD_ENROLMENTS)
    assert (len(one["viewer"]["children"]), len(two["viewer"]["children"])) == (1, 2)
    assert all(c["enrollments"] for c in two["viewer"]["children"])
    assert len(large) == len(small), _explain(small, large)
    assert len(await children_of("parent")) == 2


async def test_enrolments_at_once_leave_the_student_in_one_class(admin: Client) -> None:
    """Admins enrol the same new student at the same moment: one wins, the others are told the
    student is already enrolled; never two open enrolments."""
    classes = [await school_class("School No. 1", name) for name in ("5A", "5B", "6A", "6B", "7A")]
    student_id = await _new_student(admin, "Race Gonkina")
    bodies = await asyncio.gather(
        *(
            admin.data(
                ENROLL, input={"studentId": student_id, "classId": gid(k, "SchoolClass"), "startDate": "2026-09-01"}
            )
            for k in classes * 2
        )
    )
    outcomes = sorted(result(b, "enrollmentCreate")["__typename"] for b in bodies)
    assert outcomes == ["EnrollmentSuccess"] + ["ValidationError"] * 9
    assert await models.Enrollment.filter(student_id=pk(student_id)).count() == 1
