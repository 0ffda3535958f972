"""A school's audit log: for its admins and its district's, newest first, filtered, paged;
null for everyone else; one statement for any number of schools. Each test builds its own
district of two schools from factories."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import models
from resolvers.core import now_utc
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

LOG = """
query A($id: ID!, $first: Int, $after: String, $action: String, $actorId: ID, $from: DateTime, $to: DateTime) {
  node(id: $id) { ... on School { auditLog(first: $first, after: $after, action: $action, actorId: $actorId,
      from: $from, to: $to) {
    edges { cursor node { action objectType objectId details address at actor { id fullName } } }
    pageInfo { hasNextPage hasPreviousPage endCursor } } } } }
"""
CREATE = """
mutation C($input: AccountCreateInput!) { accountCreate(input: $input) {
  __typename ... on AccountCreateSuccess { account { user { id } } } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) { __typename } }
"""
ALL_SCHOOLS = """
{ viewer { schools { name
  auditLog(first: 5) { edges { node { action actor { fullName } } } pageInfo { hasNextPage } } } } }
"""


@dataclass
class District:
    """A district of two schools, each with its admin; a teacher and a parent of the first."""

    kit: SchoolKit
    admin: models.User
    teacher: models.User
    parent: models.User
    other: SchoolKit
    other_admin: models.User
    district_admin: models.User


async def _district(factory: Factory, teacher_password: str | None = None) -> District:
    kit = await factory.school()
    other = await factory.school("Other school")
    assert kit.admin is not None
    assert other.admin is not None
    teacher = await factory.user("maths", password=teacher_password)
    await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=kit.school)
    parent = await factory.parent()
    await factory.student(kit, "5A", "anna", guardians=[parent])
    return District(kit, kit.admin, teacher, parent, other, other.admin, await factory.district_admin())


def school(kit: SchoolKit) -> str:
    return gid(kit.school, "School")


async def log(client: Client, school_id: str, **args: Any) -> dict[str, Any] | None:
    node = (await client.data(LOG, id=school_id, **args))["node"]
    if node is None:
        return None
    result: dict[str, Any] | None = node["auditLog"]
    return result


async def test_admin_reads_account_actions_newest_first(factory: Factory) -> None:
    d = await _district(factory)
    admin, school_id = factory.client(d.admin), school(d.kit)
    # An earlier write in the school by someone else.
    await models.AuditEntry.create(actor=d.teacher, school=d.kit.school, action="test.write", object_type="Test")
    for _ in range(3):
        name = f"audited.{secrets.token_hex(3)}"
        fields = {"fullName": "Audited Person", "role": "TEACHER", "schoolId": school_id, "login": name}
        created = (await admin.data(CREATE, input=fields))["accountCreate"]
    page = await log(admin, school_id, action="account.create", first=1)
    assert page is not None
    [edge] = page["edges"]
    entry = edge["node"]
    assert entry["action"] == "account.create"
    assert entry["objectType"] == "User"
    assert entry["objectId"] == created["account"]["user"]["id"]
    assert entry["details"]["login"] == name
    assert entry["details"]["role"] == "TEACHER"
    assert "password" not in str(entry["details"]).lower()
    admin_user = d.admin
    assert entry["actor"] == {"id": gid(admin_user, "User"), "fullName": admin_user.full_name}
    assert entry["address"] == "127.0.0.1"

    # Newest first, paged by cursor with no overlap.
    first = await log(admin, school_id, first=2)
    assert first is not None
    assert first["pageInfo"]["hasNextPage"] is True
    second = await log(admin, school_id, first=2, after=first["pageInfo"]["endCursor"])
    assert second is not None
    assert second["pageInfo"]["hasPreviousPage"] is True
    times = [e["node"]["at"] for e in first["edges"] + second["edges"]]
    cursors = [e["cursor"] for e in first["edges"] + second["edges"]]
    assert times == sorted(times, reverse=True)
    assert len(set(cursors)) == 4

    mine = await log(admin, school_id, actorId=gid(admin_user, "User"), first=50)
    assert mine is not None
    assert {e["node"]["actor"]["fullName"] for e in mine["edges"]} == {admin_user.full_name}
    future = now_utc() + timedelta(hours=1)
    assert await log(admin, school_id, **{"from": future.isoformat()}) == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
    }
    recent = await log(admin, school_id, action="account.create", **{"from": (future - timedelta(hours=2)).isoformat()})
    assert recent is not None
    assert recent["edges"][0]["node"]["objectId"] == created["account"]["user"]["id"]
    past = await log(admin, school_id, action="account.create", to=(now_utc() - timedelta(days=400)).isoformat())
    assert past is not None
    assert past["edges"] == []


async def test_logins_are_filed_under_the_users_school(factory: Factory) -> None:
    d = await _district(factory, teacher_password="s3cret-pass")
    login = await factory.client(None).data(LOGIN, login=d.teacher.login, password="s3cret-pass")
    assert login["login"]["__typename"] == "LoginSuccess"
    page = await log(factory.client(d.admin), school(d.kit), action="session.login", first=1)
    assert page is not None
    assert page["edges"][0]["node"]["actor"]["fullName"] == d.teacher.full_name


async def test_nobody_else_reads_it(factory: Factory) -> None:
    d = await _district(factory)
    admin, teacher, parent = factory.client(d.admin), factory.client(d.teacher), factory.client(d.parent)
    school_one, school_two = school(d.kit), school(d.other)
    assert await log(teacher, school_one) is None  # a teacher sees the school, not its log
    assert await log(parent, school_one) is None
    other_admin = factory.client(d.other_admin)
    assert (await other_admin.data(LOG, id=school_one))["node"] is None
    assert await log(other_admin, school_two) is not None
    district = factory.client(d.district_admin)
    assert await log(district, school_one) is not None
    assert await log(district, school_two) is not None
    bad = await admin.post(LOG, id=school_one, after="not-a-cursor")
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_statements_do_not_grow_with_schools(factory: Factory, count_statements: StatementCounter) -> None:
    d = await _district(factory)
    admin, district = factory.client(d.admin), factory.client(d.district_admin)
    # Each school's newest entry names someone other than the reader, so both sides load actors
    # (the reader's own row is already in hand from the account check).
    for kit in (d.kit, d.other):
        await models.AuditEntry.create(actor=d.teacher, school=kit.school, action="test.write", object_type="Test")
    small, data_one = await _count(admin, count_statements, ALL_SCHOOLS)
    large, data_two = await _count(district, count_statements, ALL_SCHOOLS)
    one, two = data_one["viewer"]["schools"], data_two["viewer"]["schools"]
    assert len(one) == 1
    assert len(two) == 2
    assert all(s["auditLog"]["edges"] for s in two)
    assert len(large) == len(small), _explain(small, large)
