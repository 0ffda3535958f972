"""A child's own login made by a guardian (``childLoginCreate``) and run by the child's guardians
(reset, deactivate, reactivate): who may, what each refusal leaves untouched, the sessions and
sockets that end, the audit trail, and who reads the login's state (``Student.login``,
``Account.createdBy``). Each test builds its own family; the child's login is made through the API
and logged in with (that is what these tests are about)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import httpx

import models
from resolvers.core import now_utc
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid, open_socket

CREATE = """
mutation C($input: ChildLoginCreateInput!) { childLoginCreate(input: $input) {
  __typename
  ... on ChildLoginCreateSuccess { student { id } login { login isActive mustChangePassword managedByFamily
    createdBy { id } } }
  ... on ValidationError { code fields { field code } }
  ... on Error { code message } } }
"""
RESET = """
mutation R($id: ID!) { childLoginPasswordReset(input: {studentId: $id}) {
  __typename ... on ChildLoginPasswordResetSuccess { oneTimePassword login { mustChangePassword } }
  ... on ValidationError { code fields { field code } } ... on Error { code message } } }
"""
DEACTIVATE = """
mutation D($id: ID!, $reason: String!) { childLoginDeactivate(input: {studentId: $id, reason: $reason}) {
  __typename ... on ChildLoginDeactivateSuccess { login { isActive deactivatedAt } }
  ... on ValidationError { code fields { field code } } ... on Error { code message } } }
"""
REACTIVATE = """
mutation A($id: ID!) { childLoginReactivate(input: {studentId: $id}) {
  __typename ... on ChildLoginReactivateSuccess { login { isActive deactivatedAt } }
  ... on ValidationError { code fields { field code } } ... on Error { code message } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) {
  __typename ... on LoginSuccess { accessToken refreshToken mustChangePassword user { id } }
  ... on Error { code message } } }
"""
REFRESH = "mutation S($t: String!) { sessionRefresh(input: {refreshToken: $t}) { __typename ... on Error { code } } }"
ADMIN_DEACTIVATE = """
mutation D($id: ID!) { accountDeactivate(input: {userId: $id, reason: "School decision"}) { __typename } }
"""
ADMIN_REACTIVATE = "mutation A($id: ID!) { accountReactivate(input: {userId: $id}) { __typename } }"
ME = "{ viewer { roles user { id } student { id fullName } children { id } } }"
STUDENT = "query S($id: ID!) { student(id: $id) { id fullName } }"
STUDENT_LOGIN = """
query S($id: ID!) { student(id: $id) { id login { login isActive managedByFamily createdBy { id fullName } } } }
"""
ACCOUNT = "query A($id: ID!) { account(userId: $id) { login createdAt createdBy { id fullName } } }"
CHILDREN_LOGINS = "{ viewer { children { id login { login isActive createdBy { id } } } } }"
EVENTS = "subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind } }"
PASSWORD = "a-long-child-password"


@dataclass
class Family:
    kit: SchoolKit
    child: models.Student  # without a login
    sibling: models.Student  # the same parents' other child, without a login
    mother: models.User
    father: models.User
    stranger: models.User  # a parent of another child of the same class
    strangers_child: models.Student
    teacher: models.User  # teaches the child's class
    admin: models.User  # the school's admin


async def _family(factory: Factory) -> Family:
    kit = await factory.school(classes=("5A",))
    mother, father, stranger = await factory.parent("mother"), await factory.parent("father"), await factory.parent()
    child = await factory.student(kit, "5A", "kid", guardians=[mother, father], login=False)
    sibling = await factory.student(kit, "5A", "sib", guardians=[mother, father], login=False)
    strangers_child = await factory.student(kit, "5A", "other", guardians=[stranger], login=False)
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    assert kit.admin is not None
    return Family(kit, child, sibling, mother, father, stranger, strangers_child, teacher, kit.admin)


def unique(prefix: str = "kid") -> str:
    return f"{prefix}.{secrets.token_hex(4)}"


async def create(client: Client, student: models.Student, **fields: Any) -> dict[str, Any]:
    fields.setdefault("studentId", gid(student, "Student"))
    fields.setdefault("login", unique())
    fields.setdefault("password", PASSWORD)
    result: dict[str, Any] = (await client.data(CREATE, input=fields))["childLoginCreate"]
    return result


async def login(http: httpx.AsyncClient, name: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(LOGIN, login=name, password=password))["login"]
    return result


async def _made(factory: Factory, family: Family, by: models.User | None = None) -> tuple[str, models.User]:
    """The child's login made by ``by`` (the mother): its name and account."""
    created = await create(factory.client(by or family.mother), family.child, login=(name := unique()))
    assert created["__typename"] == "ChildLoginCreateSuccess", created
    return name, await models.User.get(login=name)


async def _state(student: models.Student) -> tuple[int, int | None, int]:
    """What a refused write must leave alone: the accounts, the child's link, the audit rows."""
    await student.refresh_from_db()
    return await models.User.all().count(), student.user_id, await models.AuditEntry.all().count()


async def test_a_guardian_makes_the_login_and_the_child_sees_only_themself(
    factory: Factory, http: httpx.AsyncClient
) -> None:
    family = await _family(factory)
    name = unique()
    created = await create(factory.client(family.mother), family.child, login=f"  {name.upper()} ")
    assert created["__typename"] == "ChildLoginCreateSuccess", created
    assert created["student"]["id"] == gid(family.child, "Student")
    assert created["login"] == {
        "login": name,
        "isActive": True,
        "mustChangePassword": False,
        "managedByFamily": True,
        "createdBy": {"id": gid(family.mother, "User")},
    }

    session = await login(http, name, PASSWORD)
    assert session["__typename"] == "LoginSuccess", session
    assert session["mustChangePassword"] is False
    child = Client(http, session["accessToken"])
    me = (await child.data(ME))["viewer"]
    assert me["roles"] == ["STUDENT"]
    assert me["student"] == {"id": gid(family.child, "Student"), "fullName": family.child.full_name}
    assert me["children"] == []
    assert (await child.data(STUDENT, id=gid(family.child, "Student")))["student"] is not None
    for someone_else in (family.sibling, family.strangers_child):  # not even the sibling
        assert (await child.data(STUDENT, id=gid(someone_else, "Student")))["student"] is None

    account = await models.User.get(login=name)
    await family.child.refresh_from_db()
    assert family.child.user_id == account.id
    assert account.created_by_id == family.mother.id
    grants = await models.RoleGrant.filter(user_id=account.id).values_list("role", "school_id")
    assert grants == [(models.Role.STUDENT, family.kit.school.id)]

    entry = await models.AuditEntry.get(action="account.create", object_id=account.id)
    assert (entry.actor_id, entry.school_id) == (family.mother.id, family.kit.school.id)
    assert entry.details == {
        "login": name,
        "role": "STUDENT",
        "student": family.child.id,
        "children": [],
        "via": "GUARDIAN",
    }
    assert PASSWORD not in str(entry.details)


async def test_the_school_and_the_guardians_read_the_login_nobody_else(
    factory: Factory, http: httpx.AsyncClient
) -> None:
    family = await _family(factory)
    name, account = await _made(factory, family)
    child_id = gid(family.child, "Student")

    admin = factory.client(family.admin)
    seen = (await admin.data(ACCOUNT, id=gid(account, "User")))["account"]
    assert seen["login"] == name
    assert seen["createdBy"] == {"id": gid(family.mother, "User"), "fullName": family.mother.full_name}
    expected = {
        "login": name,
        "isActive": True,
        "managedByFamily": True,
        "createdBy": {"id": gid(family.mother, "User"), "fullName": family.mother.full_name},
    }
    for reader in (family.admin, family.mother, family.father):  # the father reads what the mother made
        assert (await factory.client(reader).data(STUDENT_LOGIN, id=child_id))["student"]["login"] == expected

    # The teacher sees the child, not their login; the child is their own viewer, not a reader.
    teacher = (await factory.client(family.teacher).data(STUDENT_LOGIN, id=child_id))["student"]
    assert teacher == {"id": child_id, "login": None}
    child = Client(http, (await login(http, name, PASSWORD))["accessToken"])
    assert (await child.data(STUDENT_LOGIN, id=child_id))["student"] == {"id": child_id, "login": None}
    assert (await factory.client(family.stranger).data(STUDENT_LOGIN, id=child_id))["student"] is None

    # A revoked guardian reads nothing of it any more.
    await models.Guardianship.filter(guardian_id=family.father.id, student_id=family.child.id).update(
        revoked_at=now_utc()
    )
    assert (await factory.client(family.father).data(STUDENT_LOGIN, id=child_id))["student"] is None
    # An account the school issued shows no guardian.
    assert (await admin.data(ACCOUNT, id=gid(family.mother, "User")))["account"]["createdBy"] is None


async def test_who_may_not_make_it_is_told_not_found_and_nothing_changes(factory: Factory) -> None:
    family = await _family(factory)
    await models.Guardianship.filter(guardian_id=family.father.id, student_id=family.child.id).update(
        revoked_at=now_utc()
    )
    before = await _state(family.child)
    for outsider in (family.stranger, family.teacher, family.admin, family.father):  # father: revoked
        refused = await create(factory.client(outsider), family.child)
        assert (refused["__typename"], refused["code"]) == ("NotFoundError", "STUDENT_NOT_FOUND"), outsider.login
    for bad_id in ("", "nope", gid(family.kit.school, "School"), gid(family.mother, "User")):
        refused = await create(factory.client(family.mother), family.child, studentId=bad_id)
        assert refused["code"] == "STUDENT_NOT_FOUND"
    assert await _state(family.child) == before
    # The father's other child is still his.
    assert (await create(factory.client(family.father), family.sibling))["__typename"] == "ChildLoginCreateSuccess"


async def test_bad_input_is_refused_whole_and_nothing_changes(factory: Factory) -> None:
    family = await _family(factory)
    mother = factory.client(family.mother)
    before = await _state(family.child)

    refused = await create(mother, family.child, login="x", password="short")
    assert refused["__typename"] == "ValidationError"
    assert refused["fields"] == [
        {"field": "login", "code": "LOGIN_INVALID"},
        {"field": "password", "code": "PASSWORD_TOO_SHORT"},
    ]
    name = unique()
    refused = await create(mother, family.child, login=name, password=f"my {name} forever")
    assert refused["fields"] == [{"field": "password", "code": "PASSWORD_IS_LOGIN"}]
    refused = await create(mother, family.child, password="x" * 201)
    assert refused["fields"] == [{"field": "password", "code": "PASSWORD_TOO_LONG"}]
    refused = await create(mother, family.child, login=family.stranger.login)
    assert refused["fields"] == [{"field": "login", "code": "LOGIN_TAKEN"}]
    assert await _state(family.child) == before

    # A child with a login (the school's, or the family's) gets no second one.
    _, account = await _made(factory, family)
    before = await _state(family.child)
    refused = await create(factory.client(family.father), family.child)
    assert refused["fields"] == [{"field": "studentId", "code": "STUDENT_HAS_LOGIN"}]
    assert await _state(family.child) == before
    assert family.child.user_id == account.id


async def test_a_concurrent_double_create_gives_one_account(factory: Factory) -> None:
    family = await _family(factory)
    users = await models.User.all().count()
    results = await asyncio.gather(
        create(factory.client(family.mother), family.child),
        create(factory.client(family.father), family.child),
        create(factory.client(family.mother), family.child),
    )
    kinds = sorted(r["__typename"] for r in results)
    assert kinds == ["ChildLoginCreateSuccess", "ValidationError", "ValidationError"], results
    assert {r["code"] for r in results if r["__typename"] == "ValidationError"} == {"STUDENT_HAS_LOGIN"}
    assert await models.User.all().count() == users + 1
    await family.child.refresh_from_db()
    assert family.child.user_id is not None
    assert await models.AuditEntry.filter(action="account.create", school_id=family.kit.school.id).count() == 1

    # The same login asked for twice at once (two children): one account has it.
    same = unique()
    pair = await asyncio.gather(
        create(factory.client(family.mother), family.sibling, login=same),
        create(factory.client(family.stranger), family.strangers_child, login=same),
    )
    assert sorted(r["__typename"] for r in pair) == ["ChildLoginCreateSuccess", "ValidationError"], pair
    assert [r["code"] for r in pair if r["__typename"] == "ValidationError"] == ["LOGIN_TAKEN"]
    assert await models.User.filter(login=same).count() == 1


async def test_another_guardian_resets_the_password_and_every_session_of_the_child_ends(
    factory: Factory, http: httpx.AsyncClient, server_url: str
) -> None:
    family = await _family(factory)
    name, account = await _made(factory, family)
    session = await login(http, name, PASSWORD)
    child = Client(http, session["accessToken"])
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS, studentId=gid(family.child, "Student"))
    await asyncio.sleep(0.2)

    reset = (await factory.client(family.father).data(RESET, id=gid(family.child, "Student")))[
        "childLoginPasswordReset"
    ]
    assert reset["__typename"] == "ChildLoginPasswordResetSuccess", reset
    assert reset["login"] == {"mustChangePassword": True}
    assert await socket.closed() == 4401
    assert (await child.post(ME))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await Client(http).data(REFRESH, t=session["refreshToken"]))["sessionRefresh"]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    assert (await login(http, name, PASSWORD))["code"] == "INVALID_CREDENTIALS"
    again = await login(http, name, reset["oneTimePassword"])
    assert (again["__typename"], again["mustChangePassword"]) == ("LoginSuccess", True)

    entry = await models.AuditEntry.get(action="password.reset", object_id=account.id)
    assert (entry.actor_id, entry.school_id) == (family.father.id, family.kit.school.id)
    assert entry.details == {"sessionsEnded": 1, "via": "GUARDIAN"}
    assert reset["oneTimePassword"] not in str(entry.details)


async def test_deactivating_closes_the_childs_socket_and_reactivating_brings_the_login_back(
    factory: Factory, http: httpx.AsyncClient, server_url: str
) -> None:
    family = await _family(factory)
    name, account = await _made(factory, family)
    child_id = gid(family.child, "Student")
    mother = factory.client(family.mother)
    session = await login(http, name, PASSWORD)
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS, studentId=child_id)
    await asyncio.sleep(0.2)

    assert (await mother.data(DEACTIVATE, id=child_id, reason=" "))["childLoginDeactivate"]["code"] == "REASON_EMPTY"
    done = (await mother.data(DEACTIVATE, id=child_id, reason="Too much screen time"))["childLoginDeactivate"]
    assert done["__typename"] == "ChildLoginDeactivateSuccess", done
    assert done["login"]["isActive"] is False
    assert await socket.closed() == 4401
    assert (await login(http, name, PASSWORD))["code"] == "ACCOUNT_DEACTIVATED"

    # Nothing more to switch off, and no password to reset while it is off.
    again = (await mother.data(DEACTIVATE, id=child_id, reason="Again"))["childLoginDeactivate"]
    assert again["code"] == "ALREADY_DEACTIVATED"
    assert (await mother.data(RESET, id=child_id))["childLoginPasswordReset"]["code"] == "ACCOUNT_DEACTIVATED"

    back = (await factory.client(family.father).data(REACTIVATE, id=child_id))["childLoginReactivate"]
    assert back == {"__typename": "ChildLoginReactivateSuccess", "login": {"isActive": True, "deactivatedAt": None}}
    assert (await login(http, name, PASSWORD))["__typename"] == "LoginSuccess"
    assert (await mother.data(REACTIVATE, id=child_id))["childLoginReactivate"]["code"] == "NOT_DEACTIVATED"

    rows = await models.AuditEntry.filter(object_type="User", object_id=account.id).order_by("id")
    assert [(r.action, r.actor_id) for r in rows if r.action.startswith("account.")] == [
        ("account.create", family.mother.id),
        ("account.deactivate", family.mother.id),
        ("account.reactivate", family.father.id),
    ]
    deactivated = next(r for r in rows if r.action == "account.deactivate")
    assert deactivated.details == {"reason": "Too much screen time", "sessionsEnded": 1, "via": "GUARDIAN"}
    assert all(r.school_id == family.kit.school.id for r in rows)


async def test_what_the_school_decided_stays_the_schools(factory: Factory) -> None:
    family = await _family(factory)
    admin = factory.client(family.admin)
    mother = factory.client(family.mother)
    child_id = gid(family.child, "Student")

    # No login yet: nothing to run.
    for document, name in ((RESET, "childLoginPasswordReset"), (REACTIVATE, "childLoginReactivate")):
        assert (await mother.data(document, id=child_id))[name]["code"] == "STUDENT_HAS_NO_LOGIN"

    # The school switched the family's login off: only the school switches it back on.
    _, account = await _made(factory, family)
    assert (await admin.data(ADMIN_DEACTIVATE, id=gid(account, "User")))["accountDeactivate"]["__typename"] == (
        "AccountDeactivateSuccess"
    )
    audit_rows = await models.AuditEntry.all().count()
    refused = (await mother.data(REACTIVATE, id=child_id))["childLoginReactivate"]
    assert refused["fields"] == [{"field": "studentId", "code": "DEACTIVATED_BY_SCHOOL"}]
    await account.refresh_from_db()
    assert (account.is_active, account.deactivated_by_id) == (False, family.admin.id)
    assert await models.AuditEntry.all().count() == audit_rows
    assert (await admin.data(ADMIN_REACTIVATE, id=gid(account, "User")))["accountReactivate"]["__typename"] == (
        "AccountReactivateSuccess"
    )

    # A login the school issued is the school's to run.
    issued = await factory.student(family.kit, "5A", "issued", guardians=[family.mother])
    issued_id = gid(issued, "Student")
    assert issued.user_id is not None
    before = await models.User.get(id=issued.user_id)
    for document, name, extra in (
        (RESET, "childLoginPasswordReset", {}),
        (DEACTIVATE, "childLoginDeactivate", {"reason": "No"}),
        (REACTIVATE, "childLoginReactivate", {}),
    ):
        refused = (await mother.data(document, id=issued_id, **extra))[name]
        assert refused["fields"] == [{"field": "studentId", "code": "LOGIN_ISSUED_BY_SCHOOL"}], name
    after = await models.User.get(id=issued.user_id)
    assert (after.password_hash, after.is_active) == (before.password_hash, before.is_active)
    assert await models.AuditEntry.all().count() == audit_rows + 1  # the admin's reactivation only


async def test_a_revoked_guardian_and_outsiders_run_nothing(factory: Factory, http: httpx.AsyncClient) -> None:
    family = await _family(factory)
    name, account = await _made(factory, family)
    child_id = gid(family.child, "Student")
    await models.Guardianship.filter(guardian_id=family.mother.id, student_id=family.child.id).update(
        revoked_at=now_utc()
    )
    before = (account.password_hash, account.is_active, await models.AuditEntry.all().count())
    for outsider in (family.mother, family.stranger, family.teacher, family.admin):
        for document, field, extra in (
            (RESET, "childLoginPasswordReset", {}),
            (DEACTIVATE, "childLoginDeactivate", {"reason": "Because"}),
            (REACTIVATE, "childLoginReactivate", {}),
        ):
            refused = (await factory.client(outsider).data(document, id=child_id, **extra))[field]
            assert (refused["__typename"], refused["code"]) == ("NotFoundError", "STUDENT_NOT_FOUND"), outsider.login
    await account.refresh_from_db()
    assert (account.password_hash, account.is_active, await models.AuditEntry.all().count()) == before
    assert (await login(http, name, PASSWORD))["__typename"] == "LoginSuccess"
    # The guardian who still stands runs the login the revoked one made.
    done = (await factory.client(family.father).data(DEACTIVATE, id=child_id, reason="Ours"))["childLoginDeactivate"]
    assert done["__typename"] == "ChildLoginDeactivateSuccess"


async def test_the_childrens_logins_cost_the_same_statements_for_one_child_or_three(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """``viewer.children { login }`` loads every child's login in one batch."""
    kit = await factory.school(classes=("5A",))
    parent = await factory.parent()
    client = factory.client(parent)
    counts = []
    for kids in (["kid0"], ["kid1", "kid2"]):
        for kid_name in kids:
            kid = await factory.student(kit, "5A", kid_name, guardians=[parent], login=False)
            assert (await create(client, kid))["__typename"] == "ChildLoginCreateSuccess"
        await client.data(CHILDREN_LOGINS)  # warm: the viewer's own statements settle
        count_statements.statements.clear()
        seen = (await client.data(CHILDREN_LOGINS))["viewer"]["children"]
        assert all(c["login"]["createdBy"] == {"id": gid(parent, "User")} for c in seen)
        counts.append((len(seen), count_statements.count))
    assert [n for n, _ in counts] == [1, 3]
    assert counts[0][1] == counts[1][1], counts
