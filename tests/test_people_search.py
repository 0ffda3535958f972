"""peopleSearch: only people the viewer may reach, by the first letters of any word of the
name (case-insensitive in every script, on SQLite and PostgreSQL alike), in name order."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import models
from tests.chat_helpers import make_person, user
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import children_of, demo_student, gid, school_class
from tests.test_statements import _count, _explain

SEARCH = """
query S($text: String, $category: PeopleCategory, $classId: ID, $limit: Int) {
  peopleSearch(query: $text, category: $category, classId: $classId, limit: $limit) { id fullName } }
"""


async def _names(client: Client, **variables: Any) -> list[str]:
    data = await client.data(SEARCH, **variables)
    return [p["fullName"] for p in data["peopleSearch"]]


async def _ids(client: Client, **variables: Any) -> set[str]:
    data = await client.data(SEARCH, **variables)
    return {p["id"] for p in data["peopleSearch"]}


@pytest.fixture(scope="module")
async def cyrillic(http: httpx.AsyncClient) -> dict[str, models.User]:
    """Teachers of School No. 1 with names in several scripts."""
    people = {}
    names = ("Иван Петров", "Пётр Иванов", "ЁЖИКОВ Олег", "ΣΟΦΊΑ Παπαδοπούλου", "Jürgen Straße", "Ивлева-Смирнова Анна")
    for name in names:
        people[name], _ = await make_person(http, name)
    return people


async def test_prefix_of_any_word_in_any_case_and_script(admin: Client, cyrillic: dict[str, models.User]) -> None:
    assert await _names(admin, text="ив") == ["Иван Петров", "Ивлева-Смирнова Анна", "Пётр Иванов"]
    assert await _names(admin, text="ИВ") == await _names(admin, text="ив")
    assert await _names(admin, text="ив пЕТ") == ["Иван Петров"]
    assert await _names(admin, text="смир") == ["Ивлева-Смирнова Анна"]  # a word after a hyphen
    assert await _names(admin, text="ёж") == ["ЁЖИКОВ Олег"]
    assert await _names(admin, text="σοφ") == ["ΣΟΦΊΑ Παπαδοπούλου"]
    assert await _names(admin, text="STRASS") == ["Jürgen Straße"]  # casefold, not lower: ß is ss
    assert await _names(admin, text="ван") == []  # inside a word is not a prefix
    assert await _names(admin, text="%") == await _names(admin, text="")  # no wildcard injection


async def test_name_order_and_limit(admin: Client, cyrillic: dict[str, models.User]) -> None:
    assert await _names(admin, text="ив", limit=2) == ["Иван Петров", "Ивлева-Смирнова Анна"]
    everyone = await _names(admin, limit=100)
    assert len(everyone) == 100
    assert await _names(admin, limit=3) == everyone[:3]
    body = await admin.post(SEARCH, limit=101)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_other_school_finds_nobody_of_ours(http: httpx.AsyncClient, cyrillic: dict[str, models.User]) -> None:
    other_admin = await login_as(http, "admin2")
    assert await _names(other_admin, text="ив") == []
    assert await _names(other_admin, text="иван пет") == []


async def test_parent_reaches_teachers_parents_and_administration(
    parent: Client, other_parent: Client, cyrillic: dict[str, models.User]
) -> None:
    five_a = await school_class("School No. 1", "5A")
    teachers = await _names(parent, category="TEACHERS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert (await user("teacher")).full_name in teachers
    parents = await _ids(parent, category="PARENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert gid(await user("parent2"), "User") in parents
    assert gid(await user("parent"), "User") not in parents  # never yourself
    admins = await _names(parent, category="ADMINISTRATION")
    assert admins == [(await user("admin")).full_name]  # not School No. 2's
    # A teacher of the school who teaches none of the children: not reachable for a parent.
    assert await _names(parent, text="ив пет") == []


async def test_parent_never_reaches_other_children(parent: Client, other_parent: Client) -> None:
    five_a = await school_class("School No. 1", "5A")
    own = await _ids(parent, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert own == {gid(await user("student"), "User")}  # their own child only, no classmates
    theirs = await children_of("parent2")
    assert await _ids(other_parent, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass")) == {
        gid(models.User(id=c.user_id), "User") for c in theirs
    }
    classmate = (
        await models.Student.filter(enrollments__school_class_id=five_a.id, user_id__isnull=False)
        .exclude(user__login="student")
        .select_related("user")
        .first()
    )
    assert classmate is not None
    assert classmate.user is not None
    assert gid(classmate.user, "User") not in await _ids(parent, text=classmate.full_name)


async def test_class_the_viewer_cannot_see_finds_nobody(other_parent: Client) -> None:
    six_b = await school_class("School No. 1", "6B")  # parent2's child is in 5A only
    assert await _names(other_parent, category="PARENTS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == []
    assert await _names(other_parent, category="TEACHERS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == []


async def test_student_reaches_class_teachers_and_classmates_only(student: Client) -> None:
    five_a, six_b = await school_class("School No. 1", "5A"), await school_class("School No. 1", "6B")
    classmates = await _ids(student, category="STUDENTS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    enrolled = await models.Student.filter(enrollments__school_class_id=five_a.id, user_id__isnull=False).exclude(
        user__login="student"
    )
    assert classmates == {gid(models.User(id=s.user_id), "User") for s in enrolled}
    assert await _ids(student, category="STUDENTS_OF_CLASS", classId=gid(six_b, "SchoolClass")) == set()
    teachers = await _names(student, category="TEACHERS_OF_CLASS", classId=gid(five_a, "SchoolClass"))
    assert (await user("teacher")).full_name in teachers
    other_child = (await children_of("parent"))[1]  # the demo parent's child in 6B
    assert other_child.user_id is not None
    assert gid(models.User(id=other_child.user_id), "User") not in await _ids(student, limit=100)


async def test_class_category_needs_a_class(parent: Client) -> None:
    body = await parent.post(SEARCH, category="PARENTS_OF_CLASS")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_renamed_user_is_found_by_the_new_name(http: httpx.AsyncClient, admin: Client) -> None:
    person, _ = await make_person(http, "Old Name")
    person.full_name = "Новое Имя"
    await person.save(update_fields=["full_name"])
    assert gid(person, "User") in await _ids(admin, text="нов им")
    assert gid(person, "User") not in await _ids(admin, text="old")


async def test_demo_users_are_searchable(admin: Client) -> None:
    child = await demo_student("student")
    found = await _names(admin, text=child.full_name.split()[0].upper())
    assert child.full_name in found


async def test_statements_do_not_grow_with_the_results(admin: Client, count_statements: StatementCounter) -> None:
    small, one = await _count(admin, count_statements, SEARCH, limit=1)
    large, many = await _count(admin, count_statements, SEARCH, limit=50)
    assert (len(one["peopleSearch"]), len(many["peopleSearch"])) == (1, 50)
    assert len(large) == len(small), _explain(small, large)
