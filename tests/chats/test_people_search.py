"""peopleSearch: only people the viewer may reach, by the first letters of any word of the
name (case-insensitive in every script, on SQLite and PostgreSQL alike), in name order. Each
test builds its own school from factories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import models
from tests.api.test_pagination import assert_pages_both_ways
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

SEARCH = """
query S($text: String, $category: PeopleCategory, $classId: ID, $limit: Int) {
  peopleSearch(query: $text, category: $category, classId: $classId, limit: $limit) { id fullName } }
"""
NAMES = ("Иван Петров", "Пётр Иванов", "ЁЖИКОВ Олег", "ΣΟΦΊΑ Παπαδοπούλου", "Jürgen Straße", "Ивлева-Смирнова Анна")


async def _names(client: Client, **variables: Any) -> list[str]:
    data = await client.data(SEARCH, **variables)
    return [p["fullName"] for p in data["peopleSearch"]]


async def _ids(client: Client, **variables: Any) -> set[str]:
    data = await client.data(SEARCH, **variables)
    return {p["id"] for p in data["peopleSearch"]}


@dataclass
class School:
    """A school with classes 5A and 6B."""

    kit: SchoolKit
    admin: models.User
    teacher: models.User  # mathematics in 5A and 6B
    parent: models.User  # of `child` (5A) and of `sibling` (6B)
    parent2: models.User  # of `other_child` (5A), unrelated to `parent`
    child: models.Student  # 5A, with a login
    student: models.User  # `child`'s login
    sibling: models.Student  # 6B, with a login
    other_child: models.Student  # 5A, with a login
    classmate: models.Student  # 5A, with a login, a third family's


async def _school(factory: Factory) -> School:
    kit = await factory.school(classes=("5A", "6B"))
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    parent, parent2 = await factory.parent("mother"), await factory.parent("father")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    sibling = await factory.student(kit, "6B", "boris", guardians=[parent])
    other_child = await factory.student(kit, "5A", "vera", guardians=[parent2])
    classmate = await factory.student(kit, "5A", "gleb", guardians=[await factory.parent("third")])
    student = await models.User.get(id=child.user_id)
    return School(kit, kit.admin, teacher, parent, parent2, child, student, sibling, other_child, classmate)


async def _staff(factory: Factory, kit: SchoolKit, full_name: str, name: str) -> models.User:
    """A teacher of ``kit`` called ``full_name`` who teaches no class."""
    user = await factory.user(name, full_name=full_name)
    await models.RoleGrant.create(user=user, role=models.Role.TEACHER, school=kit.school)
    return user


async def _cyrillic(factory: Factory, kit: SchoolKit) -> dict[str, models.User]:
    """Teachers of the school with names in several scripts."""
    return {name: await _staff(factory, kit, name, f"script{n}") for n, name in enumerate(NAMES)}


async def _crowd(factory: Factory, kit: SchoolKit, count: int = 100) -> None:
    """``count`` more teachers of the school, so that a page of 100 people fills."""
    users = [
        models.User(
            login=f"{factory.tag}-crowd{n}",
            password_hash="!",
            full_name=f"Crowd {n:03} {factory.tag}",
            name_folded=models.fold_name(f"Crowd {n:03} {factory.tag}"),
        )
        for n in range(count)
    ]
    await models.User.bulk_create(users)
    created = await models.User.filter(login__startswith=f"{factory.tag}-crowd").values_list("id", flat=True)
    await models.RoleGrant.bulk_create(
        [models.RoleGrant(user_id=uid, role=models.Role.TEACHER, school=kit.school) for uid in created]
    )


async def test_prefix_of_any_word_in_any_case_and_script(factory: Factory) -> None:
    s = await _school(factory)
    await _cyrillic(factory, s.kit)
    admin = factory.client(s.admin)
    assert await _names(admin, text="ив") == ["Иван Петров", "Ивлева-Смирнова Анна", "Пётр Иванов"]
    assert await _names(admin, text="ИВ") == await _names(admin, text="ив")
    assert await _names(admin, text="ив пЕТ") == ["Иван Петров"]
    assert await _names(admin, text="смир") == ["Ивлева-Смирнова Анна"]  # a word after a hyphen
    assert await _names(admin, text="ёж") == ["ЁЖИКОВ Олег"]
    assert await _names(admin, text="σοφ") == ["ΣΟΦΊΑ Παπαδοπούλου"]
    assert await _names(admin, text="STRASS") == ["Jürgen Straße"]  # casefold, not lower: ß is ss
    assert await _names(admin, text="ван") == []  # inside a word is not a prefix
    assert await _names(admin, text="%") == await _names(admin, text="")  # no wildcard injection


async def test_name_order_and_limit(factory: Factory) -> None:
    s = await _school(factory)
    await _cyrillic(factory, s.kit)
    await _crowd(factory, s.kit)
    admin = factory.client(s.admin)
    assert await _names(admin, text="ив", limit=2) == ["Иван Петров", "Ивлева-Смирнова Анна"]
    everyone = await _names(admin, limit=100)
    assert len(everyone) == 100
    assert await _names(admin, limit=3) == everyone[:3]
    body = await admin.post(SEARCH, limit=101)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_other_school_finds_nobody_of_ours(factory: Factory) -> None:
    s = await _school(factory)
    await _cyrillic(factory, s.kit)
    other = await factory.school("Other school")  # of the same district
    assert other.admin is not None
    other_admin = factory.client(other.admin)
    assert await _names(other_admin, text="ив") == []
    assert await _names(other_admin, text="иван пет") == []


async def test_parent_reaches_teachers_parents_and_administration(factory: Factory) -> None:
    s = await _school(factory)
    await _cyrillic(factory, s.kit)
    await factory.school("Other school")  # of the same district, with an admin of its own
    parent = factory.client(s.parent)
    five_a = s.kit.classes["5A"]
    teachers = await _names(parent, category="TEACHERS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert s.teacher.full_name in teachers
    parents = await _ids(parent, category="PARENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert gid(s.parent2, "User") in parents
    assert gid(s.parent, "User") not in parents  # never yourself
    admins = await _names(parent, category="ADMINISTRATION")
    assert admins == [s.admin.full_name]  # not the other school's
    # A teacher of the school who teaches none of the children: not reachable for a parent.
    assert await _names(parent, text="ив пет") == []


async def test_parent_never_reaches_other_children(factory: Factory) -> None:
    s = await _school(factory)
    parent, other_parent = factory.client(s.parent), factory.client(s.parent2)
    five_a = s.kit.classes["5A"]
    own = await _ids(parent, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert own == {gid(s.student, "User")}  # their own child only, no classmates
    theirs = [s.other_child]
    assert await _ids(other_parent, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass")) == {
        gid(models.User(id=c.user_id), "User") for c in theirs
    }
    classmate = await models.Student.get(id=s.classmate.id).select_related("user")
    assert classmate.user is not None
    assert gid(classmate.user, "User") not in await _ids(parent, text=classmate.full_name)


async def test_class_the_viewer_cannot_see_finds_nobody(factory: Factory) -> None:
    s = await _school(factory)
    six_b = s.kit.classes["6B"]  # parent2's child is in 5A only
    other_parent = factory.client(s.parent2)
    assert await _names(other_parent, category="PARENTS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == []
    assert await _names(other_parent, category="TEACHERS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == []


async def test_student_reaches_class_teachers_and_classmates_only(factory: Factory) -> None:
    s = await _school(factory)
    student = factory.client(s.student)
    five_a, six_b = s.kit.classes["5A"], s.kit.classes["6B"]
    classmates = await _ids(student, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    enrolled = await models.Student.filter(enrollments__school_class_id=five_a.id, user_id__isnull=False).exclude(
        user_id=s.student.id
    )
    assert classmates == {gid(models.User(id=c.user_id), "User") for c in enrolled}
    assert await _ids(student, category="STUDENTS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == set()
    teachers = await _names(student, category="TEACHERS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert s.teacher.full_name in teachers
    other_child = s.sibling  # the parent's child in 6B
    assert other_child.user_id is not None
    assert gid(models.User(id=other_child.user_id), "User") not in await _ids(student, limit=100)


async def test_class_category_needs_a_class(factory: Factory) -> None:
    s = await _school(factory)
    body = await factory.client(s.parent).post(SEARCH, category="PARENTS_OF_CLASS")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_renamed_user_is_found_by_the_new_name(factory: Factory) -> None:
    s = await _school(factory)
    admin = factory.client(s.admin)
    person = await _staff(factory, s.kit, "Old Name", "renamed")
    person.full_name = "Новое Имя"
    await person.save(update_fields=["full_name"])
    assert gid(person, "User") in await _ids(admin, text="нов им")
    assert gid(person, "User") not in await _ids(admin, text="old")


async def test_students_are_searchable(factory: Factory) -> None:
    s = await _school(factory)
    child = s.child
    found = await _names(factory.client(s.admin), text=child.full_name.split()[0].upper())
    assert child.full_name in found


async def test_statements_do_not_grow_with_the_results(factory: Factory, count_statements: StatementCounter) -> None:
    s = await _school(factory)
    await _crowd(factory, s.kit, 50)
    admin = factory.client(s.admin)
    small, one = await _count(admin, count_statements, SEARCH, limit=1)
    large, many = await _count(admin, count_statements, SEARCH, limit=50)
    assert (len(one["peopleSearch"]), len(many["peopleSearch"])) == (1, 50)
    assert len(large) == len(small), _explain(small, large)


PEOPLE = """
query P($text: String, $first: Int, $after: String, $last: Int, $before: String) {
  people(query: $text, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id fullName } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
"""


async def test_people_connection_pages_both_ways_by_name(factory: Factory) -> None:
    """`people` finds what `peopleSearch` does, as a connection: by name in pages either way."""
    s = await _school(factory)
    await _cyrillic(factory, s.kit)
    await _crowd(factory, s.kit, 8)
    admin = factory.client(s.admin)
    everyone = await _names(admin, limit=100)

    async def fetch(args: dict[str, Any]) -> dict[str, Any]:
        page: dict[str, Any] = (await admin.data(PEOPLE, **args))["people"]
        return page

    await assert_pages_both_ways(fetch, everyone, lambda node: str(node["fullName"]))
    found = (await admin.data(PEOPLE, text="ив"))["people"]["edges"]
    assert [e["node"]["fullName"] for e in found] == ["Иван Петров", "Ивлева-Смирнова Анна", "Пётр Иванов"]
    for bad in ({"first": -1}, {"last": -1}, {"after": "bm9wZQ"}, {"first": 1, "last": 1}):
        body = await admin.post(PEOPLE, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


async def test_people_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    s = await _school(factory)
    await _crowd(factory, s.kit, 50)
    admin = factory.client(s.admin)
    small, one = await _count(admin, count_statements, PEOPLE, first=1)
    large, many = await _count(admin, count_statements, PEOPLE, first=50)
    assert (len(one["people"]["edges"]), len(many["people"]["edges"])) == (1, 50)
    assert len(large) == len(small), _explain(small, large)
    after = many["people"]["pageInfo"]["endCursor"]
    paged, rest = await _count(admin, count_statements, PEOPLE, first=50, after=after)
    assert rest["people"]["edges"]
    assert len(paged) == len(small) + 1, _explain(small, paged)  # and one for the cursor's name
