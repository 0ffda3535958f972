"""Announcements: who posts, who reads, who is notified; every refusal writes nothing. Each
test builds its own school from factories."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

import models
from resolvers.core import from_global_id
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid
from tests.notifying import inbox

CREATE = """
mutation C($input: AnnouncementCreateInput!) { announcementCreate(input: $input) {
  __typename
  ... on AnnouncementSuccess { announcement { id title body audience pinned publishedAt
    school { name } schoolClass { name } author { fullName } } }
  ... on ValidationError { code message fields { field code } }
  ... on NotFoundError { code message } } }
"""
UPDATE = """
mutation U($input: AnnouncementUpdateInput!) { announcementUpdate(input: $input) {
  __typename ... on AnnouncementSuccess { announcement { title body pinned updatedAt } }
  ... on Error { code message } } }
"""
DELETE = """
mutation D($input: AnnouncementDeleteInput!) { announcementDelete(input: $input) {
  __typename ... on AnnouncementDeleteSuccess { announcementId } ... on Error { code message } } }
"""
LIST = """
query L($schoolId: ID, $classId: ID, $first: Int, $after: String) { viewer {
  announcements(schoolId: $schoolId, classId: $classId, first: $first, after: $after) {
    edges { cursor node { id title audience pinned school { name } schoolClass { name } author { fullName } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


async def _counts() -> tuple[int, int, int]:
    return (
        await models.Announcement.all().count(),
        await models.AuditEntry.all().count(),
        await models.Notification.all().count(),
    )


async def _create(client: Client, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["announcementCreate"]
    return result


@dataclass
class School:
    """A school with classes 5A, 6B and 7A, each led by a homeroom teacher of its own."""

    kit: SchoolKit
    admin: models.User
    teacher: models.User  # mathematics in 5A and 6B; leads no class
    parent: models.User  # of `child` (5A) and of a child in 6B
    parent2: models.User  # of one child in 5A, unrelated to `parent`
    parent_6b: models.User  # whose only child is in 6B
    child: models.Student  # 5A
    student: models.User  # `child`'s login
    leads: dict[str, models.User]  # the homeroom teacher of each class


async def _school(factory: Factory) -> School:
    kit = await factory.school(classes=("5A", "6B", "7A"))
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    leads = {name: await factory.homeroom(kit, name) for name in ("5A", "6B", "7A")}
    parent, parent2, parent_6b = await factory.parent("mother"), await factory.parent("father"), await factory.parent()
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    await factory.student(kit, "6B", "boris", guardians=[parent])
    await factory.student(kit, "5A", "vera", guardians=[parent2])
    await factory.student(kit, "6B", "gleb", guardians=[parent_6b])
    await factory.student(kit, "7A", "dina", guardians=[await factory.parent("seventh")])
    student = await models.User.get(id=child.user_id)
    return School(kit, kit.admin, teacher, parent, parent2, parent_6b, child, student, leads)


async def _other_school(factory: Factory) -> SchoolKit:
    """Another school of the same district, with a 5A of its own."""
    return await factory.school("Other school")


async def _post(client: Client, kit: SchoolKit, **fields: Any) -> dict[str, Any]:
    result = await _create(client, **{"schoolId": gid(kit.school, "School"), "body": "Text", **fields})
    assert result["__typename"] == "AnnouncementSuccess", result
    announcement: dict[str, Any] = result["announcement"]
    return announcement


async def _titles(client: Client) -> list[str]:
    data = await client.data(LIST, first=100)
    return [e["node"]["title"] for e in data["viewer"]["announcements"]["edges"]]


async def test_admin_posts_for_the_whole_school(factory: Factory) -> None:
    s, other = await _school(factory), await _other_school(factory)
    admin, parent, student, teacher = (factory.client(u) for u in (s.admin, s.parent, s.student, s.teacher))
    district = factory.client(await factory.district_admin())
    before = await _counts()
    posted = await _post(admin, s.kit, title="  School concert on Friday  ", body=" In the hall. ", audience="EVERYONE")
    assert (posted["title"], posted["body"], posted["audience"], posted["pinned"]) == (
        "School concert on Friday",
        "In the hall.",
        "EVERYONE",
        False,
    )
    assert (posted["school"], posted["schoolClass"], posted["author"]) == (
        {"name": s.kit.school.name},
        None,
        {"fullName": s.admin.full_name},
    )
    after = await _counts()
    assert (after[0], after[1]) == (before[0] + 1, before[1] + 1)
    assert after[2] > before[2] + 10  # the school's families and teachers
    for client in (admin, parent, student, teacher, district):
        assert "School concert on Friday" in await _titles(client)
    for client in (parent, student, teacher):
        kinds = [(n["kind"], n["announcement"]) for n in await inbox(client, first=5)]
        assert ("ANNOUNCEMENT_PUBLISHED", {"title": "School concert on Friday"}) in kinds
    assert "School concert on Friday" not in [
        n["announcement"] and n["announcement"]["title"] for n in await inbox(admin)
    ]
    assert other.admin is not None
    other_admin = factory.client(other.admin)
    assert "School concert on Friday" not in await _titles(other_admin)
    assert (await other_admin.data(NODE, id=posted["id"]))["node"] is None


async def test_class_announcement_reaches_only_its_audience(factory: Factory) -> None:
    s = await _school(factory)
    parent, other_parent, student, teacher = (factory.client(u) for u in (s.parent, s.parent2, s.student, s.teacher))
    lead_5a = factory.client(s.leads["5A"])
    klass = s.kit.classes["5A"]
    posted = await _post(
        lead_5a, s.kit, classId=gid(klass, "SchoolClass"), title="5A: bring gym shoes", audience="PARENTS"
    )
    assert posted["schoolClass"] == {"name": "5A"}
    for client in (parent, other_parent, lead_5a):
        assert "5A: bring gym shoes" in await _titles(client)
        assert (await client.data(NODE, id=posted["id"]))["node"] == {"__typename": "Announcement", "id": posted["id"]}
    for client in (parent, other_parent):
        assert [n["kind"] for n in await inbox(client, first=1)] == ["ANNOUNCEMENT_PUBLISHED"]
    # Not for the students (PARENTS only), nor 5A's teachers, nor the parents of another class.
    parent_6b = factory.client(s.parent_6b)
    for client in (student, teacher, parent_6b):
        assert "5A: bring gym shoes" not in await _titles(client)
        assert (await client.data(NODE, id=posted["id"]))["node"] is None
        assert all(
            (n["announcement"] or {}).get("title") != "5A: bring gym shoes" for n in await inbox(client, first=20)
        )


async def test_teachers_only_and_students_only(factory: Factory) -> None:
    s = await _school(factory)
    admin, parent, student, teacher = (factory.client(u) for u in (s.admin, s.parent, s.student, s.teacher))
    await _post(admin, s.kit, title="Staff meeting at 15:00", audience="TEACHERS")
    await _post(admin, s.kit, title="Olympiad for students", audience="STUDENTS")
    assert "Staff meeting at 15:00" in await _titles(teacher)
    assert "Olympiad for students" not in await _titles(teacher)
    assert "Olympiad for students" in await _titles(student)
    for client in (parent, student):
        assert "Staff meeting at 15:00" not in await _titles(client)
    assert "Olympiad for students" not in await _titles(parent)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": " "}, "TITLE_EMPTY", "title"),
        ({"title": "x" * 201}, "TITLE_TOO_LONG", "title"),
        ({"body": ""}, "BODY_EMPTY", "body"),
    ],
)
async def test_bad_text_is_refused(factory: Factory, overrides: dict[str, Any], code: str, field: str) -> None:
    s = await _school(factory)
    before = await _counts()
    result = await _create(
        factory.client(s.admin),
        **{"schoolId": gid(s.kit.school, "School"), "title": "t", "body": "b", "audience": "EVERYONE", **overrides},
    )
    assert (result["__typename"], result["code"]) == ("ValidationError", code)
    assert [f["field"] for f in result["fields"]] == [field]
    assert await _counts() == before


async def test_who_may_post(factory: Factory) -> None:
    s, other = await _school(factory), await _other_school(factory)
    teacher, parent, admin = factory.client(s.teacher), factory.client(s.parent), factory.client(s.admin)
    klass = s.kit.classes["5A"]
    lead_6b = factory.client(s.leads["6B"])
    before = await _counts()
    base = {"schoolId": gid(s.kit.school, "School"), "title": "t", "body": "b", "audience": "EVERYONE"}
    # The teacher teaches 5A but does not lead it; a parent posts nothing; 6B's lead not for 5A.
    for client, extra in (
        (teacher, {"classId": gid(klass, "SchoolClass")}),
        (parent, {}),
        (parent, {"classId": gid(klass, "SchoolClass")}),
        (lead_6b, {}),
    ):
        result = await _create(client, **base, **extra)
        assert (result["__typename"], result["code"]) == ("ValidationError", "NOT_ALLOWED"), result
    # A class of another school is not there for this admin, and an admin cannot mix schools.
    hidden = await _create(admin, **base, classId=gid(other.classes["5A"], "SchoolClass"))
    assert (hidden["__typename"], hidden["code"]) == ("NotFoundError", "CLASS_NOT_FOUND")
    missing = await _create(admin, **{**base, "schoolId": gid(other.school, "School")})
    assert (missing["code"], missing["message"]) == ("SCHOOL_NOT_FOUND", "No such school.")
    assert await _counts() == before


async def test_update_and_delete(factory: Factory) -> None:
    s = await _school(factory)
    admin, parent, other_parent = factory.client(s.admin), factory.client(s.parent), factory.client(s.parent2)
    lead_5a, lead_6b = factory.client(s.leads["5A"]), factory.client(s.leads["6B"])
    klass = s.kit.classes["5A"]
    posted = await _post(lead_5a, s.kit, classId=gid(klass, "SchoolClass"), title="Excursion", audience="EVERYONE")
    for client in (lead_6b, parent):
        refused = (await client.data(UPDATE, input={"announcementId": posted["id"], "title": "Hacked"}))[
            "announcementUpdate"
        ]
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "ANNOUNCEMENT_NOT_FOUND")
        gone = (await client.data(DELETE, input={"announcementId": posted["id"]}))["announcementDelete"]
        assert gone["code"] == "ANNOUNCEMENT_NOT_FOUND"
    changed = (
        await lead_5a.data(UPDATE, input={"announcementId": posted["id"], "title": "Excursion moved", "pinned": True})
    )["announcementUpdate"]
    assert changed["announcement"]["title"] == "Excursion moved"
    assert changed["announcement"]["pinned"] is True
    assert changed["announcement"]["updatedAt"]
    empty = (await admin.data(UPDATE, input={"announcementId": posted["id"], "body": " "}))["announcementUpdate"]
    assert (empty["__typename"], empty["code"]) == ("ValidationError", "BODY_EMPTY")
    assert "Excursion moved" in await _titles(parent)
    parsed = from_global_id(posted["id"])
    assert parsed is not None
    assert await models.Notification.filter(announcement_id=parsed[1], user_id=s.parent.id).exists()
    deleted = (await admin.data(DELETE, input={"announcementId": posted["id"]}))["announcementDelete"]
    assert deleted == {"__typename": "AnnouncementDeleteSuccess", "announcementId": posted["id"]}
    for client in (parent, other_parent, lead_5a):
        assert "Excursion moved" not in await _titles(client)
        # Its notification is not shown any more either.
        assert all((n["announcement"] or {}).get("title") != "Excursion moved" for n in await inbox(client, first=50))
    entries = await models.AuditEntry.filter(object_type="Announcement", object_id=parsed[1]).values("action")
    actions = [e["action"] for e in entries]
    assert sorted(actions) == ["announcement.create", "announcement.delete", "announcement.update"]


async def test_pages_newest_first(factory: Factory) -> None:
    s = await _school(factory)
    admin = factory.client(s.admin)
    for i in range(3):
        await _post(admin, s.kit, title=f"Page item {i}", audience="TEACHERS")
    first = (await admin.data(LIST, first=2))["viewer"]["announcements"]
    assert [e["node"]["title"] for e in first["edges"]] == ["Page item 2", "Page item 1"]
    assert first["pageInfo"]["hasNextPage"] is True
    more = (await admin.data(LIST, first=1, after=first["pageInfo"]["endCursor"]))["viewer"]["announcements"]
    assert [e["node"]["title"] for e in more["edges"]] == ["Page item 0"]
    assert more["pageInfo"]["hasPreviousPage"] is True
    body = await admin.post(LIST, first=-1)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_announcement_statements(factory: Factory, count_statements: StatementCounter) -> None:
    """A page of 1 announcement costs what a page of 20 costs (school, class, author by loaders)."""
    s = await _school(factory)
    admin, lead_7a = factory.client(s.admin), factory.client(s.leads["7A"])
    klass = s.kit.classes["7A"]
    await _post(lead_7a, s.kit, classId=gid(klass, "SchoolClass"), title="Only one", audience="TEACHERS")
    for i in range(20):
        await _post(
            admin,
            s.kit,
            title=f"Many {i}",
            audience="TEACHERS",
            **({"classId": gid(klass, "SchoolClass")} if i % 2 else {}),
        )
    small, one = await _count(admin, count_statements, LIST, first=1)
    large, many = await _count(admin, count_statements, LIST, first=20)
    assert len(one["viewer"]["announcements"]["edges"]) == 1
    assert len(many["viewer"]["announcements"]["edges"]) == 20
    assert {e["node"]["schoolClass"] is None for e in many["viewer"]["announcements"]["edges"]} == {True, False}
    assert len(large) == len(small), _explain(small, large)


async def test_student_sees_class_news_of_their_class(factory: Factory) -> None:
    s = await _school(factory)
    lead_5a = factory.client(s.leads["5A"])
    klass = s.kit.classes["5A"]
    await _post(lead_5a, s.kit, classId=gid(klass, "SchoolClass"), title="5A students: quiz", audience="STUDENTS")
    assert "5A students: quiz" in await _titles(factory.client(s.student))
