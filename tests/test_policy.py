"""Not yours looks exactly like not there: for every role, every root field and node()."""

from __future__ import annotations

import pytest

import models
from tests.conftest import Client
from tests.helpers import children_of, demo_student, gid, past_lesson, school_class

STUDENT = "query S($id: ID!) { student(id: $id) { id fullName } }"
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
CLASS_STUDENTS = "query C($id: ID!) { node(id: $id) { ... on SchoolClass { name students { id fullName } } } }"
SCHOOLS = "{ viewer { schools { name classes { name } } } }"
TEACHING = "{ viewer { roles teaching { schoolClass { name school { name } } subject { name } } } }"


async def _sees_student(client: Client, student: models.Student) -> bool:
    data = await client.data(STUDENT, id=gid(student, "Student"))
    node = await client.data(NODE, id=gid(student, "Student"))
    assert (data["student"] is None) == (node["node"] is None)
    return data["student"] is not None


async def _sees_node(
    client: Client, obj: models.Grade | models.Lesson | models.SchoolClass | models.School, name: str
) -> bool:
    return (await client.data(NODE, id=gid(obj, name)))["node"] is not None


async def test_other_parent_sees_nothing_of_the_family(other_parent: Client) -> None:
    for child in await children_of("parent"):
        assert not await _sees_student(other_parent, child)
        grade = await models.Grade.filter(student_id=child.id).first()
        assert grade is not None
        assert not await _sees_node(other_parent, grade, "Grade")
    own = await children_of("parent2")
    assert len(own) == 1
    assert await _sees_student(other_parent, own[0])


async def test_parent_sees_own_children_not_classmates(parent: Client) -> None:
    children = await children_of("parent")
    assert len(children) == 2
    for child in children:
        assert await _sees_student(parent, child)
    parent2_child = (await children_of("parent2"))[0]
    assert not await _sees_student(parent, parent2_child)
    klass = await school_class("School No. 1", "5A")
    data = (await parent.data(CLASS_STUDENTS, id=gid(klass, "SchoolClass")))["node"]
    assert data["name"] == "5A"
    assert [s["id"] for s in data["students"]] == [gid(await demo_student("student"), "Student")]


async def test_parent_cannot_see_other_classes_or_schools(parent: Client) -> None:
    assert not await _sees_node(parent, await school_class("School No. 1", "7A"), "SchoolClass")
    assert not await _sees_node(parent, await past_lesson("7A", "Mathematics"), "Lesson")
    school2 = await models.School.get(name="School No. 2")
    assert not await _sees_node(parent, school2, "School")
    schools = (await parent.data(SCHOOLS))["viewer"]["schools"]
    assert [s["name"] for s in schools] == ["School No. 1"]
    assert sorted(c["name"] for c in schools[0]["classes"]) == ["5A", "6B"]


async def test_student_sees_only_themself(student: Client) -> None:
    me = await demo_student("student")
    assert await _sees_student(student, me)
    klass = await school_class("School No. 1", "5A")
    data = (await student.data(CLASS_STUDENTS, id=gid(klass, "SchoolClass")))["node"]
    assert [s["id"] for s in data["students"]] == [gid(me, "Student")]
    children = await children_of("parent")
    sibling = next(c for c in children if c.id != me.id)
    assert not await _sees_student(student, sibling)


async def test_teacher_sees_taught_classes_only(teacher: Client) -> None:
    data = (await teacher.data(TEACHING))["viewer"]
    assert data["roles"] == ["TEACHER"]
    assert [(t["schoolClass"]["name"], t["subject"]["name"]) for t in data["teaching"]] == [
        ("5A", "Mathematics"),
        ("6B", "Mathematics"),
    ]
    klass = await school_class("School No. 1", "5A")
    students = (await teacher.data(CLASS_STUDENTS, id=gid(klass, "SchoolClass")))["node"]["students"]
    enrolled = await models.Enrollment.filter(school_class_id=klass.id, end_date__isnull=True).count()
    assert len(students) == enrolled > 1
    other = await models.Enrollment.filter(school_class__letter="B", school_class__grade_level=5).first()
    assert other is not None
    assert not await _sees_student(teacher, await models.Student.get(id=other.student_id))
    assert not await _sees_node(teacher, await school_class("School No. 1", "7A"), "SchoolClass")
    assert not await _sees_node(teacher, await models.School.get(name="School No. 2"), "School")


async def test_school_admin_sees_own_school_only(admin: Client) -> None:
    assert await _sees_student(admin, await demo_student("student"))
    school2 = await models.Student.filter(school__name="School No. 2").first()
    assert school2 is not None
    assert not await _sees_student(admin, school2)
    schools = (await admin.data(SCHOOLS))["viewer"]["schools"]
    assert [s["name"] for s in schools] == ["School No. 1"]
    assert len(schools[0]["classes"]) == await models.SchoolClass.filter(school__name="School No. 1").count()


async def test_district_admin_sees_the_district(district: Client) -> None:
    school2 = await models.Student.filter(school__name="School No. 2").first()
    assert school2 is not None
    assert await _sees_student(district, school2)
    schools = (await district.data(SCHOOLS))["viewer"]["schools"]
    assert sorted(s["name"] for s in schools) == ["School No. 1", "School No. 2"]


@pytest.mark.parametrize("bad_id", ["", "x", "U3R1ZGVudDow", "U3R1ZGVudDotMQ", "TGVzc29uOjE", "Tm9wZToxMjM"])
async def test_malformed_or_foreign_ids_are_null(parent: Client, bad_id: str) -> None:
    # "Student:0", "Student:-1", "Lesson:1" (not a student id), "Nope:123"
    assert (await parent.data(STUDENT, id=bad_id))["student"] is None
    body = await parent.data(NODE, id=bad_id)
    assert body["node"] is None or body["node"]["__typename"] == "Lesson"


async def test_unknown_and_invisible_look_the_same(other_parent: Client) -> None:
    child = (await children_of("parent"))[0]
    hidden = await other_parent.post(STUDENT, id=gid(child, "Student"))
    missing = await other_parent.post(STUDENT, id=gid(models.Student(id=10**9), "Student"))
    assert hidden == missing == {"data": {"student": None}}
