"""Not yours looks exactly like not there: for every role, every root field and node().
Each test builds its own two schools and families from factories."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import models
from resolvers.core import today_utc
from tests.client import Client
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid

STUDENT = "query S($id: ID!) { student(id: $id) { id fullName } }"
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
CLASS_STUDENTS = "query C($id: ID!) { node(id: $id) { ... on SchoolClass { name students { id fullName } } } }"
SCHOOLS = "{ viewer { schools { name classes { name } } } }"
TEACHING = "{ viewer { roles teaching { schoolClass { name school { name } } subject { name } } } }"


@dataclass
class World:
    kit: SchoolKit  # classes 5A, 5B, 6B and 7A
    other_kit: SchoolKit  # another school of the same district
    teacher: models.User  # mathematics in 5A and 6B, nothing else
    parent: models.User
    child: models.Student  # 5A, the parent's, with a login of their own
    sibling: models.Student  # 6B, the parent's
    other_parent: models.User
    classmate: models.Student  # 5A, the other parent's only child
    in_5b: models.Student
    far_away: models.Student  # in the other school
    lesson_7a: models.Lesson


async def _world(factory: Factory) -> World:
    """Two schools of one district; in the first a parent with a child in 5A and one in 6B,
    another parent with one child in 5A, children in 5B and 7A; one graded school day."""
    kit = await factory.school(classes=("5A", "5B", "6B", "7A"))
    other_kit = await factory.school("Other school", classes=("5A",))
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    colleague = await factory.teacher(kit, [("7A", "Mathematics")], name="colleague")
    parent, other_parent = await factory.parent(), await factory.parent("other")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent], login=False)
    classmate = await factory.student(kit, "5A", "vera", guardians=[other_parent], login=False)
    in_5b = await factory.student(kit, "5B", "gleb", login=False)
    in_7a = await factory.student(kit, "7A", "dina", login=False)
    far_away = await factory.student(other_kit, "5A", "egor", login=False)
    (day,) = school_days_before(today_utc(), 1)
    for class_name, who, by in (("5A", (child, classmate), teacher), ("6B", (sibling,), teacher)):
        lesson = await factory.lesson(kit, class_name, "Mathematics", by, day)
        for student in who:
            await factory.grade(student, lesson, value="4")
    lesson_7a = await factory.lesson(kit, "7A", "Mathematics", colleague, day)
    await factory.grade(in_7a, lesson_7a, value="5")
    return World(kit, other_kit, teacher, parent, child, sibling, other_parent, classmate, in_5b, far_away, lesson_7a)


async def _sees_student(client: Client, student: models.Student) -> bool:
    data = await client.data(STUDENT, id=gid(student, "Student"))
    node = await client.data(NODE, id=gid(student, "Student"))
    assert (data["student"] is None) == (node["node"] is None)
    return data["student"] is not None


async def _sees_node(
    client: Client, obj: models.Grade | models.Lesson | models.SchoolClass | models.School, name: str
) -> bool:
    return (await client.data(NODE, id=gid(obj, name)))["node"] is not None


async def test_other_parent_sees_nothing_of_the_family(factory: Factory) -> None:
    world = await _world(factory)
    other_parent = factory.client(world.other_parent)
    for child in (world.child, world.sibling):
        assert not await _sees_student(other_parent, child)
        grade = await models.Grade.filter(student_id=child.id).first()
        assert grade is not None
        assert not await _sees_node(other_parent, grade, "Grade")
    own = await models.Student.filter(guardianships__guardian_id=world.other_parent.id)
    assert own == [world.classmate]
    assert await _sees_student(other_parent, own[0])


async def test_parent_sees_own_children_not_classmates(factory: Factory) -> None:
    world = await _world(factory)
    parent = factory.client(world.parent)
    children = await models.Student.filter(guardianships__guardian_id=world.parent.id)
    assert len(children) == 2
    for child in children:
        assert await _sees_student(parent, child)
    assert not await _sees_student(parent, world.classmate)
    data = (await parent.data(CLASS_STUDENTS, id=gid(world.kit.classes["5A"], "SchoolClass")))["node"]
    assert data["name"] == "5A"
    assert [s["id"] for s in data["students"]] == [gid(world.child, "Student")]


async def test_parent_cannot_see_other_classes_or_schools(factory: Factory) -> None:
    world = await _world(factory)
    parent = factory.client(world.parent)
    assert not await _sees_node(parent, world.kit.classes["7A"], "SchoolClass")
    assert not await _sees_node(parent, world.lesson_7a, "Lesson")
    assert not await _sees_node(parent, world.other_kit.school, "School")
    schools = (await parent.data(SCHOOLS))["viewer"]["schools"]
    assert [s["name"] for s in schools] == [world.kit.school.name]
    assert sorted(c["name"] for c in schools[0]["classes"]) == ["5A", "6B"]


async def test_student_sees_only_themself(factory: Factory) -> None:
    world = await _world(factory)
    assert world.child.user_id is not None
    student = factory.client(await models.User.get(id=world.child.user_id))
    assert await _sees_student(student, world.child)
    data = (await student.data(CLASS_STUDENTS, id=gid(world.kit.classes["5A"], "SchoolClass")))["node"]
    assert [s["id"] for s in data["students"]] == [gid(world.child, "Student")]
    assert not await _sees_student(student, world.sibling)


async def test_teacher_sees_taught_classes_only(factory: Factory) -> None:
    world = await _world(factory)
    teacher = factory.client(world.teacher)
    data = (await teacher.data(TEACHING))["viewer"]
    assert data["roles"] == ["TEACHER"]
    assert [(t["schoolClass"]["name"], t["subject"]["name"]) for t in data["teaching"]] == [
        ("5A", "Mathematics"),
        ("6B", "Mathematics"),
    ]
    klass = world.kit.classes["5A"]
    students = (await teacher.data(CLASS_STUDENTS, id=gid(klass, "SchoolClass")))["node"]["students"]
    enrolled = await models.Enrollment.filter(school_class_id=klass.id, end_date__isnull=True).count()
    assert len(students) == enrolled > 1
    assert not await _sees_student(teacher, world.in_5b)
    assert not await _sees_node(teacher, world.kit.classes["7A"], "SchoolClass")
    assert not await _sees_node(teacher, world.other_kit.school, "School")


async def test_school_admin_sees_own_school_only(factory: Factory) -> None:
    world = await _world(factory)
    assert world.kit.admin is not None
    admin = factory.client(world.kit.admin)
    assert await _sees_student(admin, world.child)
    assert not await _sees_student(admin, world.far_away)
    schools = (await admin.data(SCHOOLS))["viewer"]["schools"]
    assert [s["name"] for s in schools] == [world.kit.school.name]
    assert len(schools[0]["classes"]) == await models.SchoolClass.filter(school_id=world.kit.school.id).count() == 4


async def test_district_admin_sees_the_district(factory: Factory) -> None:
    world = await _world(factory)
    district = factory.client(await factory.district_admin())
    assert await _sees_student(district, world.far_away)
    schools = (await district.data(SCHOOLS))["viewer"]["schools"]
    assert sorted(s["name"] for s in schools) == sorted([world.kit.school.name, world.other_kit.school.name])


@pytest.mark.parametrize("bad_id", ["", "x", "U3R1ZGVudDow", "U3R1ZGVudDotMQ", "TGVzc29uOjE", "Tm9wZToxMjM"])
async def test_malformed_or_foreign_ids_are_null(factory: Factory, bad_id: str) -> None:
    # "Student:0", "Student:-1", "Lesson:1" (not a student id), "Nope:123"
    parent = factory.client((await _world(factory)).parent)
    assert (await parent.data(STUDENT, id=bad_id))["student"] is None
    body = await parent.data(NODE, id=bad_id)
    assert body["node"] is None or body["node"]["__typename"] == "Lesson"


async def test_unknown_and_invisible_look_the_same(factory: Factory) -> None:
    world = await _world(factory)
    other_parent = factory.client(world.other_parent)
    hidden = await other_parent.post(STUDENT, id=gid(world.child, "Student"))
    missing = await other_parent.post(STUDENT, id=gid(models.Student(id=10**9), "Student"))
    assert hidden == missing  # the cost in `extensions` too
    assert hidden["data"] == {"student": None}
