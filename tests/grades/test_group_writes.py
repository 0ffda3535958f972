"""A group's teacher (issue 21, README "Class groups"): a teaching assignment of a group + subject
lets the teacher grade, mark and set homework only in that group's lessons, and only for the
children who were its members on the lesson's day; the register of a group's lesson lists its
members, and is not the other group's teacher's to read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from tortoise.exceptions import IntegrityError

import models
from resolvers.core import today_utc
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

GRADE = """mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""
MARK = """mutation M($input: AttendanceMarkInput!) { attendanceMark(input: $input) { __typename
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""
REGISTER = """query R($id: ID!) { node(id: $id) { ... on Lesson { register { student { id } } } } }"""
ASSIGN = """mutation A($input: TeachingAssignmentInput!) { teachingAssignmentCreate(input: $input) { __typename
  ... on TeachingAssignmentSuccess { teachingAssignment { group { name } schoolClass { name } } }
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""
UNASSIGN = """mutation U($input: TeachingAssignmentInput!) { teachingAssignmentDelete(input: $input) { __typename
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""


@dataclass
class English:
    kit: SchoolKit
    one: models.User  # teaches English to group 1 only
    two: models.User  # teaches English to group 2 only
    ann: models.Student  # group 1 all along
    bob: models.Student  # group 2 all along
    cat: models.Student  # group 2, then group 1 from ``moved``
    moved: Any
    lessons: dict[str, list[models.Lesson]]  # by group: one lesson a day on ``days``
    days: list[Any]


async def _english(factory: Factory) -> English:
    kit = await factory.school(subjects=("English",), classes=("5A",))
    klass = kit.classes["5A"]
    groups = {}
    for name in ("1", "2"):
        groups[name] = await models.ClassGroup.create(
            school=kit.school, academic_year=kit.year, home_class=klass, name=f"5A English {name}", kind="SPLIT"
        )
        await models.ClassGroupClass.create(group=groups[name], school_class=klass)
    teachers = {}
    for name in ("1", "2"):
        teachers[name] = await factory.teacher(kit, [], name=f"english{name}")
        await models.TeachingAssignment.create(
            teacher=teachers[name], school_class=klass, subject=kit.subjects["English"], group=groups[name]
        )
    ann, bob, cat = [await factory.student(kit, "5A", n, login=False) for n in ("ann", "bob", "cat")]
    days = school_days_before(today_utc(), 2)
    moved = days[1]
    start = kit.year.start_date
    await models.GroupMembership.create(student=ann, group=groups["1"], start_date=start)
    await models.GroupMembership.create(student=bob, group=groups["2"], start_date=start)
    await models.GroupMembership.create(
        student=cat, group=groups["2"], start_date=start, end_date=moved - timedelta(days=1)
    )
    await models.GroupMembership.create(student=cat, group=groups["1"], start_date=moved)
    lessons: dict[str, list[models.Lesson]] = {"1": [], "2": []}
    for day in days:
        for name, period in (("1", 3), ("2", 3)):
            lessons[name].append(
                await factory.lesson(kit, "5A", "English", teachers[name], day, period=period, group=groups[name])
            )
    return English(kit, teachers["1"], teachers["2"], ann, bob, cat, moved, lessons, days)


async def _grade(factory: Factory, teacher: models.User, student: models.Student, lesson: models.Lesson) -> str:
    data = await factory.client(teacher).data(
        GRADE, input={"studentId": gid(student, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "5"}
    )
    result: dict[str, Any] = data["gradeCreate"]
    return str(result["__typename"] if result["__typename"] == "GradeCreateSuccess" else result)


async def test_a_group_teacher_grades_only_their_groups_members_on_their_days(factory: Factory) -> None:
    e = await _english(factory)
    first, second = e.lessons["1"]
    assert await _grade(factory, e.one, e.ann, first) == "GradeCreateSuccess"
    # bob is in group 2: not in group 1's lesson
    assert await _grade(factory, e.one, e.bob, first) != "GradeCreateSuccess"
    # cat joined group 1 on the second day: not before
    assert await _grade(factory, e.one, e.cat, first) != "GradeCreateSuccess"
    assert await _grade(factory, e.one, e.cat, second) == "GradeCreateSuccess"
    # ...and group 2's teacher grades cat in group 2's first lesson, not its second
    assert await _grade(factory, e.two, e.cat, e.lessons["2"][0]) == "GradeCreateSuccess"
    assert await _grade(factory, e.two, e.cat, e.lessons["2"][1]) != "GradeCreateSuccess"
    # group 1's teacher writes nothing in group 2's lessons, even for their own pupil
    assert await _grade(factory, e.one, e.ann, e.lessons["2"][0]) != "GradeCreateSuccess"
    assert await models.Grade.filter(student_id__in=[e.ann.id, e.bob.id, e.cat.id]).count() == 3


async def test_a_group_teacher_marks_and_reads_only_their_groups_register(factory: Factory) -> None:
    e = await _english(factory)
    lesson = e.lessons["1"][0]
    one = factory.client(e.one)
    register = (await one.data(REGISTER, id=gid(lesson, "Lesson")))["node"]["register"]
    assert [r["student"]["id"] for r in register] == [gid(e.ann, "Student")]  # cat joined later, bob never
    # the other group's lesson is not theirs at all: not there (``policy.visible_lessons``)
    assert (await one.data(REGISTER, id=gid(e.lessons["2"][0], "Lesson")))["node"] is None
    marks = [{"studentId": gid(s, "Student"), "status": "PRESENT"} for s in (e.ann, e.bob)]
    refused = (await one.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks}))["attendanceMark"]
    assert refused["__typename"] == "ValidationError"
    assert [f["field"] for f in refused["fields"]] == ["marks[1].studentId"]
    ok = await one.data(MARK, input={"lessonId": gid(lesson, "Lesson"), "marks": marks[:1]})
    assert ok["attendanceMark"]["__typename"] != "ValidationError", ok
    other = await one.data(MARK, input={"lessonId": gid(e.lessons["2"][0], "Lesson"), "marks": marks[1:]})
    assert other["attendanceMark"]["__typename"] != "AttendanceMarkSuccess"
    assert await models.Attendance.filter(student_id__in=[e.ann.id, e.bob.id]).count() == 1


async def test_an_admin_assigns_a_teacher_to_a_group(factory: Factory) -> None:
    e = await _english(factory)
    assert e.kit.admin is not None
    teacher = await factory.teacher(e.kit, [], name="third")
    group = await models.ClassGroup.get(name="5A English 2", school_id=e.kit.school.id)
    made = await factory.client(e.kit.admin).data(
        ASSIGN,
        input={
            "teacherId": gid(teacher, "User"),
            "classId": gid(e.kit.classes["5A"], "SchoolClass"),
            "subjectId": gid(e.kit.subjects["English"], "Subject"),
            "groupId": gid(group, "ClassGroup"),
        },
    )
    assert made["teachingAssignmentCreate"]["teachingAssignment"] == {
        "group": {"name": "5A English 2"},
        "schoolClass": {"name": "5A"},
    }
    entry = await models.AuditEntry.filter(action="teaching.assign", school_id=e.kit.school.id).first()
    assert entry is not None
    assert entry.details["group"] == group.id
    assert await _grade(factory, teacher, e.bob, e.lessons["2"][0]) == "GradeCreateSuccess"
    assert await _grade(factory, teacher, e.ann, e.lessons["1"][0]) != "GradeCreateSuccess"


async def test_one_teacher_holds_both_groups_of_a_class_and_subject(factory: Factory) -> None:
    """Migration 0024: the unique key of an assignment includes the group, so one teacher holds
    "5A English 1" and "5A English 2"; the same row twice, a group of a class + subject taught
    as a whole, and a second class-wide row (in the database itself) are still refused."""
    e = await _english(factory)
    assert e.kit.admin is not None
    admin = factory.client(e.kit.admin)
    teacher = await factory.teacher(e.kit, [], name="both")
    klass, english = e.kit.classes["5A"], e.kit.subjects["English"]
    groups = {g.name: g for g in await models.ClassGroup.filter(school_id=e.kit.school.id)}
    key = {
        "teacherId": gid(teacher, "User"),
        "classId": gid(klass, "SchoolClass"),
        "subjectId": gid(english, "Subject"),
    }
    one = {**key, "groupId": gid(groups["5A English 1"], "ClassGroup")}
    two = {**key, "groupId": gid(groups["5A English 2"], "ClassGroup")}
    for input_ in (one, two):
        made = (await admin.data(ASSIGN, input=input_))["teachingAssignmentCreate"]
        assert made["__typename"] == "TeachingAssignmentSuccess", made
    twice = (await admin.data(ASSIGN, input=two))["teachingAssignmentCreate"]
    assert twice["fields"] == [{"field": "teacherId", "code": "ASSIGNMENT_EXISTS"}]
    assert await _grade(factory, teacher, e.ann, e.lessons["1"][0]) == "GradeCreateSuccess"
    assert await _grade(factory, teacher, e.bob, e.lessons["2"][0]) == "GradeCreateSuccess"
    # ending one group's assignment leaves the other
    gone = (await admin.data(UNASSIGN, input=one))["teachingAssignmentDelete"]
    assert gone["__typename"] == "TeachingAssignmentSuccess", gone
    assert await _grade(factory, teacher, e.ann, e.lessons["1"][1]) != "GradeCreateSuccess"
    assert await _grade(factory, teacher, e.bob, e.lessons["2"][1]) == "GradeCreateSuccess"
    # the whole class, then a group of it: the group adds nothing
    whole = (await admin.data(ASSIGN, input=key))["teachingAssignmentCreate"]
    assert whole["__typename"] == "TeachingAssignmentSuccess", whole
    covered = (await admin.data(ASSIGN, input=one))["teachingAssignmentCreate"]
    assert covered["fields"] == [{"field": "teacherId", "code": "ASSIGNMENT_EXISTS"}]
    rows = [r[0] for r in await models.TeachingAssignment.filter(teacher_id=teacher.id).values_list("group_id")]
    assert sorted(rows, key=lambda g: g or 0) == [None, groups["5A English 2"].id]
    # the database holds the keys whatever a resolver checks
    with pytest.raises(IntegrityError):
        await models.TeachingAssignment.create(teacher=teacher, school_class=klass, subject=english)
    with pytest.raises(IntegrityError):
        await models.TeachingAssignment.create(
            teacher=teacher, school_class=klass, subject=english, group=groups["5A English 2"]
        )


async def test_a_group_assignment_in_the_timetable_is_kept(factory: Factory) -> None:
    """Deleting a group assignment is refused while the group's slots still have the teacher;
    the teacher's class-wide assignment is not held back by slots of a group they keep."""
    e = await _english(factory)
    assert e.kit.admin is not None
    admin = factory.client(e.kit.admin)
    klass, english = e.kit.classes["5A"], e.kit.subjects["English"]
    group = await models.ClassGroup.get(school_id=e.kit.school.id, name="5A English 1")
    await models.TeachingAssignment.create(teacher=e.one, school_class=klass, subject=english)
    await models.TimetableSlot.create(
        school_class=klass,
        subject=english,
        teacher=e.one,
        group=group,
        weekday=1,
        period=1,
        valid_from=e.kit.year.start_date,
    )
    key = {"teacherId": gid(e.one, "User"), "classId": gid(klass, "SchoolClass"), "subjectId": gid(english, "Subject")}
    kept = (await admin.data(UNASSIGN, input={**key, "groupId": gid(group, "ClassGroup")}))["teachingAssignmentDelete"]
    assert kept["fields"] == [{"field": "teacherId", "code": "ASSIGNMENT_IN_TIMETABLE"}]
    gone = (await admin.data(UNASSIGN, input=key))["teachingAssignmentDelete"]
    assert gone["__typename"] == "TeachingAssignmentSuccess", gone
    left = await models.TeachingAssignment.filter(teacher_id=e.one.id).values_list("group_id")
    assert [r[0] for r in left] == [group.id]


GRADE_NODE = """query G($id: ID!) { node(id: $id) { ... on Grade { id } } }"""
UPDATE = """mutation U($input: GradeUpdateInput!) { gradeUpdate(input: $input) { __typename ... on Error { code } } }"""


async def test_a_group_teacher_changes_only_the_grades_of_their_groups_lessons(factory: Factory) -> None:
    """A group's teacher reads a member's whole diary on their days in the group (README "Class
    groups"), grades of the whole class's lessons of the same subject included, but changes only
    those given in the group's lessons: another is GRADE_NOT_FOUND, as a grade not there."""
    e = await _english(factory)
    whole = await factory.teacher(e.kit, [("5A", "English")], name="english_whole")
    lesson = await factory.lesson(e.kit, "5A", "English", whole, e.days[0], period=1)
    outside = await factory.grade(e.ann, lesson)
    inside = await factory.grade(e.ann, e.lessons["1"][0])
    client = factory.client(e.one)

    async def update(grade: models.Grade) -> str:
        data = await client.data(UPDATE, input={"gradeId": gid(grade, "Grade"), "value": "3", "reason": "probe"})
        result: dict[str, Any] = data["gradeUpdate"]
        return str(result.get("code") or result["__typename"])

    assert (await client.data(GRADE_NODE, id=gid(outside, "Grade")))["node"] is not None  # in ann's diary
    assert await update(outside) == "GRADE_NOT_FOUND"
    assert await update(inside) == "GradeUpdateSuccess"
    assert (await models.Grade.get(id=outside.id)).value == "4"
    # the whole class's teacher changes it
    whole_client = factory.client(whole)
    found = await whole_client.data(UPDATE, input={"gradeId": gid(outside, "Grade"), "value": "2", "reason": "probe"})
    assert found["gradeUpdate"]["__typename"] == "GradeUpdateSuccess"


TERM_GRADE = """mutation T($input: TermGradeSetInput!) { termGradeSet(input: $input) { __typename
  ... on ValidationError { fields { field code } } ... on Error { code } } }"""


async def test_a_group_teacher_sets_final_grades_only_for_their_groups_members_today(factory: Factory) -> None:
    """A final grade is the subject's for the year: a group's teacher sets it for the children in
    their group today (cat moved to group 1), not for the other group's; nothing is written when
    refused."""
    e = await _english(factory)
    english = gid(e.kit.subjects["English"], "Subject")

    async def final(teacher: models.User, student: models.Student) -> dict[str, Any]:
        data = await factory.client(teacher).data(
            TERM_GRADE, input={"studentId": gid(student, "Student"), "subjectId": english, "value": "5"}
        )
        result: dict[str, Any] = data["termGradeSet"]
        return result

    for teacher, student in ((e.two, e.ann), (e.one, e.bob)):  # never in their group: not there
        assert await final(teacher, student) == {"__typename": "NotFoundError", "code": "STUDENT_NOT_FOUND"}
    refused = await final(e.two, e.cat)  # seen while in group 2, no longer their pupil
    assert refused["__typename"] == "ValidationError", refused
    assert {"field": "subjectId", "code": "NOT_ASSIGNED"} in refused["fields"]
    assert not await models.TermGrade.filter(student_id__in=[e.ann.id, e.bob.id, e.cat.id]).exists()
    for teacher, student in ((e.one, e.ann), (e.one, e.cat), (e.two, e.bob)):
        assert (await final(teacher, student))["__typename"] == "TermGradeSetSuccess", (teacher.login, student.id)
