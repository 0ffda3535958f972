"""Account administration: one-time passwords, password change and reset, deactivation,
and the scope of every admin mutation. Each test builds its own schools and people from
factories; the accounts under test are issued through the API and logged in with their
passwords (that is what these tests are about)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

import models
from resolvers.core import today_utc
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit, school_days_before
from tests.helpers import gid, open_socket

CREATE = """
mutation C($input: AccountCreateInput!) { accountCreate(input: $input) {
  __typename
  ... on AccountCreateSuccess { oneTimePassword account { login isActive mustChangePassword user { id fullName } } }
  ... on ValidationError { code fields { field code } }
  ... on Error { code message } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) {
  __typename ... on LoginSuccess { accessToken refreshToken mustChangePassword user { id } }
  ... on Error { code message } } }
"""
CHANGE = """
mutation P($input: PasswordChangeInput!) { passwordChange(input: $input) {
  __typename ... on LoginSuccess { accessToken refreshToken mustChangePassword }
  ... on ValidationError { code fields { field code } } ... on Error { code } } }
"""
RESET = """
mutation R($id: ID!) { passwordReset(input: {userId: $id}) {
  __typename ... on PasswordResetSuccess { oneTimePassword account { mustChangePassword } }
  ... on ValidationError { code } ... on Error { code message } } }
"""
DEACTIVATE = """
mutation D($id: ID!, $reason: String!) { accountDeactivate(input: {userId: $id, reason: $reason}) {
  __typename ... on AccountDeactivateSuccess { account { isActive deactivatedAt deactivationReason } }
  ... on ValidationError { code fields { field code } } ... on Error { code message } } }
"""
REACTIVATE = """
mutation A($id: ID!) { accountReactivate(input: {userId: $id}) {
  __typename ... on AccountReactivateSuccess { account { isActive deactivatedAt } } ... on Error { code message } } }
"""
REFRESH = """
mutation S($t: String!) { sessionRefresh(input: {refreshToken: $t}) { __typename ... on Error { code } } }
"""
ROLES = "{ viewer { roles } }"
WHO = "{ viewer { user { fullName } } }"
EVENTS = """
subscription E($studentId: ID) { diaryEvents(studentId: $studentId) { kind grade { comment } } }
"""
GRADE = """
mutation G($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename ... on Error { code } } }
"""


@dataclass
class Schools:
    kit: SchoolKit  # a school with class 5B and mathematics
    admin: Client  # its school admin
    other: SchoolKit  # another school of the same district, with its own admin


async def _schools(factory: Factory) -> Schools:
    kit = await factory.school(classes=("5B",))
    other = await factory.school("Other school")
    return Schools(kit, factory.client(kit.admin), other)


@dataclass
class FifthB:
    """A child of 5B with a first guardian, the class's maths teacher and a lesson of theirs
    that has already been given."""

    world: Schools
    child: models.Student
    maths: models.User
    teacher: Client  # the maths teacher
    lesson: models.Lesson


async def _fifth_b(factory: Factory) -> FifthB:
    world = await _schools(factory)
    maths = await factory.teacher(world.kit, [("5B", "Mathematics")], name="maths")
    child = await factory.student(world.kit, "5B", "pupil", guardians=[await factory.parent("mother")])
    day = school_days_before(today_utc(), 1)[0]
    lesson = await factory.lesson(world.kit, "5B", "Mathematics", maths, day)
    return FifthB(world, child, maths, factory.client(maths), lesson)


def unique(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(3)}"


async def create(admin: Client, school: models.School, **fields: Any) -> dict[str, Any]:
    fields.setdefault("schoolId", gid(school, "School"))
    fields.setdefault("role", "TEACHER")
    fields.setdefault("fullName", "Olga Test Teacher")
    result: dict[str, Any] = (await admin.data(CREATE, input=fields))["accountCreate"]
    return result


async def login(http: httpx.AsyncClient, name: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(LOGIN, login=name, password=password))["login"]
    return result


async def activated(
    admin: Client, school: models.School, http: httpx.AsyncClient, **fields: Any
) -> tuple[dict[str, Any], Client, str]:
    """A new account whose one-time password was replaced: (created, its client, password)."""
    created = await create(admin, school, **fields)
    assert created["__typename"] == "AccountCreateSuccess", created
    first = await login(http, created["account"]["login"], created["oneTimePassword"])
    password = "correct horse battery " + secrets.token_hex(2)
    changed = (
        await Client(http, first["accessToken"]).data(
            CHANGE, input={"currentPassword": created["oneTimePassword"], "newPassword": password}
        )
    )["passwordChange"]
    assert changed["__typename"] == "LoginSuccess", changed
    return created, Client(http, changed["accessToken"]), password


def refusal(body: dict[str, Any]) -> tuple[str, str | None]:
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


async def test_one_time_password_flow(factory: Factory, http: httpx.AsyncClient) -> None:
    world = await _schools(factory)
    admin = world.admin
    name = unique("olga")
    created = await create(admin, world.kit.school, login=name, email=f"{name}@example.org")
    assert created["__typename"] == "AccountCreateSuccess", created
    otp = created["oneTimePassword"]
    assert created["account"] == {
        "login": name,
        "isActive": True,
        "mustChangePassword": True,
        "user": {"id": created["account"]["user"]["id"], "fullName": "Olga Test Teacher"},
    }
    user = await models.User.get(login=name)
    assert otp not in user.password_hash
    assert len(otp) >= 12

    first = await login(http, name, otp)
    assert first["__typename"] == "LoginSuccess"
    assert first["mustChangePassword"] is True
    limited = Client(http, first["accessToken"])
    assert (await limited.data(WHO))["viewer"]["user"]["fullName"] == "Olga Test Teacher"
    assert refusal(await limited.post(ROLES)) == ("FORBIDDEN", "PASSWORD_CHANGE_REQUIRED")
    assert refusal(await limited.post("{ viewer { ...V } } fragment V on Viewer { user { id } schools { id } }")) == (
        "FORBIDDEN",
        "PASSWORD_CHANGE_REQUIRED",
    )
    assert refusal(await limited.post(CREATE, input={"fullName": "X", "role": "TEACHER", "schoolId": "x"})) == (
        "FORBIDDEN",
        "PASSWORD_CHANGE_REQUIRED",
    )

    async def change(current: str, new: str) -> dict[str, Any]:
        result: dict[str, Any] = (await limited.data(CHANGE, input={"currentPassword": current, "newPassword": new}))[
            "passwordChange"
        ]
        return result

    assert (await change("wrong-password", "a-new-long-password"))["fields"] == [
        {"field": "currentPassword", "code": "WRONG_PASSWORD"}
    ]
    assert (await change(otp, "short"))["code"] == "PASSWORD_TOO_SHORT"
    assert (await change(otp, otp))["code"] == "PASSWORD_IS_ONE_TIME"
    assert (await change(otp, f"my {name} secret"))["code"] == "PASSWORD_IS_LOGIN"
    assert (await models.User.get(id=user.id)).must_change_password is True  # refusals changed nothing

    done = await change(otp, "a-new-long-password")
    assert done["__typename"] == "LoginSuccess"
    assert done["mustChangePassword"] is False
    # The session goes on with the teacher's full rights, renewed by the fresh pair (its one-time
    # refresh token is used up: tests/access/test_sessions.py).
    assert (await Client(http, done["accessToken"]).data(ROLES))["viewer"]["roles"] == ["TEACHER"]
    assert (await limited.data(ROLES))["viewer"]["roles"] == ["TEACHER"]
    assert (await Client(http).data(REFRESH, t=done["refreshToken"]))["sessionRefresh"]["__typename"] == (
        "LoginSuccess"
    )
    assert (await login(http, name, otp))["code"] == "INVALID_CREDENTIALS"
    assert (await login(http, name, "a-new-long-password"))["mustChangePassword"] is False
    actions = await models.AuditEntry.filter(object_type="User", object_id=user.id).values_list("action", flat=True)
    assert {"account.create", "session.login", "password.change"} <= set(actions)


async def test_create_refusals_write_nothing(factory: Factory) -> None:
    world = await _schools(factory)
    admin, school = world.admin, world.kit.school
    existing = await factory.teacher(world.kit, [("5B", "Mathematics")])
    teacher = factory.client(existing)
    users = await models.User.all().count()
    taken = await create(
        admin, school, login=existing.login, email="not-an-address", role="DISTRICT_ADMIN", fullName=" "
    )
    assert taken["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in taken["fields"]} == {
        ("fullName", "FULL_NAME_EMPTY"),
        ("email", "EMAIL_INVALID"),
        ("role", "ROLE_NOT_ALLOWED"),
        ("login", "LOGIN_TAKEN"),
    }
    assert (await create(admin, school, role="STUDENT"))["code"] == "STUDENT_REQUIRED"
    # Another school looks exactly like a school that does not exist.
    other = await create(admin, school, schoolId=gid(world.other.school, "School"))
    missing = await create(admin, school, schoolId=gid(models.School(id=999999), "School"))
    assert other == missing == {"__typename": "NotFoundError", "code": "SCHOOL_NOT_FOUND", "message": "No such school."}
    assert refusal(await teacher.post(CREATE, input={"fullName": "X", "role": "TEACHER", "schoolId": "x"}))[0] == (
        "FORBIDDEN"
    )
    assert await models.User.all().count() == users


async def test_login_made_from_the_name_and_student_link(factory: Factory) -> None:
    world = await _schools(factory)
    admin, school = world.admin, world.kit.school
    child = await models.Student.create(school=school, full_name="Ana Nova")
    first = await create(admin, school, role="STUDENT", fullName="Ána Nová", studentId=gid(child, "Student"))
    assert first["__typename"] == "AccountCreateSuccess", first
    assert first["account"]["login"].startswith("ana.nova")
    assert (await models.Student.get(id=child.id)).user_id == int(
        (await models.User.get(login=first["account"]["login"])).id
    )
    again = await create(admin, school, role="STUDENT", fullName="Ána Nová", studentId=gid(child, "Student"))
    assert again["code"] == "STUDENT_HAS_LOGIN"


async def test_reset_gives_a_new_one_time_password_and_ends_sessions(factory: Factory, http: httpx.AsyncClient) -> None:
    world = await _schools(factory)
    admin = world.admin
    created, me, password = await activated(admin, world.kit.school, http)
    user_id = created["account"]["user"]["id"]
    session = await login(http, created["account"]["login"], password)
    reset = (await admin.data(RESET, id=user_id))["passwordReset"]
    assert reset["__typename"] == "PasswordResetSuccess"
    assert reset["account"]["mustChangePassword"] is True
    assert (await Client(http).data(REFRESH, t=session["refreshToken"]))["sessionRefresh"]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    # A token issued before the reset stops working at once: its session ended with the reset.
    assert refusal(await me.post(ROLES))[0] == "UNAUTHENTICATED"
    assert (await login(http, created["account"]["login"], password))["code"] == "INVALID_CREDENTIALS"
    fresh = await login(http, created["account"]["login"], reset["oneTimePassword"])
    assert fresh["mustChangePassword"] is True
    entry = await models.AuditEntry.filter(action="password.reset").order_by("-id").first()
    assert entry is not None
    assert entry.school_id == world.kit.school.id


async def test_reset_scope(factory: Factory, http: httpx.AsyncClient) -> None:
    world = await _schools(factory)
    admin = world.admin
    assert world.kit.admin is not None
    assert world.other.admin is not None
    me = world.kit.admin
    parent_user = await factory.parent()
    await factory.student(world.kit, "5B", guardians=[parent_user])
    parent = factory.client(parent_user)
    assert (await admin.data(RESET, id=gid(me, "User")))["passwordReset"]["code"] == "CANNOT_RESET_SELF"
    other_school = world.other.admin  # the admin of another school of the district
    elsewhere = (await admin.data(RESET, id=gid(other_school, "User")))["passwordReset"]
    nobody = (await admin.data(RESET, id=gid(models.User(id=999999), "User")))["passwordReset"]
    assert elsewhere == nobody == {"__typename": "NotFoundError", "code": "USER_NOT_FOUND", "message": "No such user."}
    assert refusal(await parent.post(RESET, id=gid(me, "User")))[0] == "FORBIDDEN"
    assert auth_unchanged(other_school, await models.User.get(id=other_school.id))
    # A district admin manages both schools.
    district = factory.client(await factory.district_admin())
    target, _client, _pw = await activated(admin, world.kit.school, http)
    result = (await district.data(RESET, id=target["account"]["user"]["id"]))["passwordReset"]
    assert result["__typename"] == "PasswordResetSuccess"


def auth_unchanged(before: models.User, after: models.User) -> bool:
    return before.password_hash == after.password_hash and not after.must_change_password


async def test_deactivation_ends_everything_and_keeps_history(
    factory: Factory, http: httpx.AsyncClient, server_url: str
) -> None:
    # A second guardian for a child of 5B.
    fifth_b = await _fifth_b(factory)
    admin, child, teacher = fifth_b.world.admin, fifth_b.child, fifth_b.teacher
    created, parent, password = await activated(
        admin,
        fifth_b.world.kit.school,
        http,
        role="PARENT",
        fullName="Second Guardian",
        childIds=[gid(child, "Student")],
    )
    user_id = created["account"]["user"]["id"]
    session = await login(http, created["account"]["login"], password)
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    await asyncio.sleep(0.2)
    grade = {"studentId": gid(child, "Student"), "lessonId": gid(fifth_b.lesson, "Lesson"), "value": "4"}
    assert (await teacher.data(GRADE, input={**grade, "comment": "before"}))["gradeCreate"]["__typename"] == (
        "GradeCreateSuccess"
    )
    first = await socket.next()
    assert first["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "before"

    assert (await admin.data(DEACTIVATE, id=user_id, reason=" "))["accountDeactivate"]["code"] == "REASON_EMPTY"
    done = (await admin.data(DEACTIVATE, id=user_id, reason="Moved abroad"))["accountDeactivate"]
    assert done["account"]["isActive"] is False
    assert done["account"]["deactivationReason"] == "Moved abroad"

    assert (await teacher.data(GRADE, input={**grade, "comment": "after"}))["gradeCreate"]["__typename"] == (
        "GradeCreateSuccess"
    )
    # Its session ended with it: the socket is closed (4401) instead of delivering "after".
    assert await socket.closed() == 4401

    assert (await login(http, created["account"]["login"], password))["code"] == "ACCOUNT_DEACTIVATED"
    assert (await login(http, created["account"]["login"], "wrong-password"))["code"] == "INVALID_CREDENTIALS"
    assert refusal(await parent.post(WHO)) == ("UNAUTHENTICATED", "ACCOUNT_DEACTIVATED")
    assert (await Client(http).data(REFRESH, t=session["refreshToken"]))["sessionRefresh"]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    # History stays: the guardianship and the audit trail are untouched.
    user = await models.User.get(login=created["account"]["login"])
    assert await models.Guardianship.filter(guardian_id=user.id, revoked_at__isnull=True).count() == 1
    again = (await admin.data(DEACTIVATE, id=user_id, reason="Again"))["accountDeactivate"]
    assert again["code"] == "ALREADY_DEACTIVATED"

    back = (await admin.data(REACTIVATE, id=user_id))["accountReactivate"]
    assert back["account"] == {"isActive": True, "deactivatedAt": None}
    assert (await login(http, created["account"]["login"], password))["__typename"] == "LoginSuccess"
    assert (await admin.data(REACTIVATE, id=user_id))["accountReactivate"]["code"] == "NOT_DEACTIVATED"


async def test_a_deactivated_teacher_still_authors_old_grades(factory: Factory) -> None:
    fifth_b = await _fifth_b(factory)
    admin = fifth_b.world.admin
    grade = await factory.grade(fifth_b.child, fifth_b.lesson, value="4")
    author = fifth_b.maths
    query = "query N($id: ID!) { node(id: $id) { ... on Grade { value teacher { fullName } } } }"
    done = (await admin.data(DEACTIVATE, id=gid(author, "User"), reason="Retired"))["accountDeactivate"]
    assert done["__typename"] == "AccountDeactivateSuccess", done
    seen = (await admin.data(query, id=gid(grade, "Grade")))["node"]
    assert seen == {"value": grade.value, "teacher": {"fullName": author.full_name}}


async def test_deactivation_scope(factory: Factory) -> None:
    world = await _schools(factory)
    admin = world.admin
    assert world.kit.admin is not None
    assert world.other.admin is not None
    me = world.kit.admin
    teacher_user = await factory.teacher(world.kit, [("5B", "Mathematics")])
    teacher = factory.client(teacher_user)
    own = (await admin.data(DEACTIVATE, id=gid(me, "User"), reason="x"))["accountDeactivate"]
    assert own["code"] == "CANNOT_DEACTIVATE_SELF"
    other = world.other.admin  # the admin of another school of the district
    elsewhere = (await admin.data(DEACTIVATE, id=gid(other, "User"), reason="x"))["accountDeactivate"]
    assert elsewhere == {"__typename": "NotFoundError", "code": "USER_NOT_FOUND", "message": "No such user."}
    assert refusal(await teacher.post(DEACTIVATE, id=gid(me, "User"), reason="x"))[0] == "FORBIDDEN"
    assert (await models.User.get(id=other.id)).is_active
    account = "query A($id: ID!) { account(userId: $id) { login isActive } }"
    assert (await admin.data(account, id=gid(other, "User")))["account"] is None
    assert (await admin.data(account, id=gid(teacher_user, "User")))["account"] == {
        "login": teacher_user.login,
        "isActive": True,
    }
    assert (await teacher.data(account, id=gid(me, "User")))["account"] is None


async def test_an_admin_of_another_school_is_out_of_reach(factory: Factory, http: httpx.AsyncClient) -> None:
    """A teacher of this school who also runs another school of the district: this school's
    admin may not reset or deactivate them (that would hand over the other school); the
    district admin may."""
    world = await _schools(factory)
    admin = world.admin
    created, _client, _password = await activated(admin, world.kit.school, http)
    user = await models.User.get(login=created["account"]["login"])
    await models.RoleGrant.create(user_id=user.id, role=models.Role.SCHOOL_ADMIN, school=world.other.school)
    user_id = gid(user, "User")
    assert (await admin.data(RESET, id=user_id))["passwordReset"]["code"] == "USER_NOT_FOUND"
    assert (await admin.data(DEACTIVATE, id=user_id, reason="x"))["accountDeactivate"]["code"] == "USER_NOT_FOUND"
    district_user = await factory.district_admin()
    district = factory.client(district_user)
    assert (await district.data(RESET, id=user_id))["passwordReset"]["__typename"] == "PasswordResetSuccess"
    # A district admin who also teaches at the school is not the school admin's to manage.
    await models.RoleGrant.create(user_id=district_user.id, role=models.Role.TEACHER, school=world.kit.school)
    assert (await admin.data(RESET, id=gid(district_user, "User")))["passwordReset"]["code"] == "USER_NOT_FOUND"


async def test_a_deactivated_token_cannot_subscribe(factory: Factory, http: httpx.AsyncClient, server_url: str) -> None:
    world = await _schools(factory)
    admin = world.admin
    created, client, _password = await activated(admin, world.kit.school, http)
    done = (await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left"))["accountDeactivate"]
    assert done["__typename"] == "AccountDeactivateSuccess"
    # Its session ended with the deactivation: the socket is refused at `connection_init`, with
    # the code graphql-ws clients do not retry (the app signs the user out).
    with pytest.raises(ConnectionClosed) as closed:
        await open_socket(server_url, client.token)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_a_deactivated_token_cannot_download_a_journal(factory: Factory, http: httpx.AsyncClient) -> None:
    world = await _schools(factory)
    admin = world.admin
    created, client, _password = await activated(admin, world.kit.school, http)
    url = "/export/journal.csv?classId=x&subjectId=y"
    assert (await http.get(url, headers=client.headers())).status_code == 404  # logged in, nothing of theirs
    await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left")
    assert (await http.get(url, headers=client.headers())).status_code == 401


ACCOUNTS = """
query A($id: ID!, $first: Int, $after: String, $role: Role, $active: Boolean, $search: String) {
  node(id: $id) { ... on School {
    accounts(first: $first, after: $after, role: $role, isActive: $active, search: $search) {
      edges { cursor node { login isActive roles user { id fullName } } }
      pageInfo { hasNextPage hasPreviousPage endCursor } } } } }
"""
EVERY_SCHOOL = """
{ viewer { schools { name accounts(first: 10) { edges { node { login roles } } pageInfo { hasNextPage } } } } }
"""


async def accounts(client: Client, school: str, **args: Any) -> dict[str, Any] | None:
    node = (await client.data(ACCOUNTS, id=school, **args))["node"]
    return None if node is None else node["accounts"]


async def _staff(factory: Factory, kit: SchoolKit, count: int) -> None:
    """``count`` teachers of ``kit`` (accounts of the school, besides its admin)."""
    for n in range(count):
        await factory.teacher(kit, [], name=f"staff{kit.school.id}-{n}")


async def test_school_accounts_list(factory: Factory) -> None:
    world = await _schools(factory)
    admin = world.admin
    teacher = factory.client(await factory.teacher(world.kit, [("5B", "Mathematics")]))
    school = gid(world.kit.school, "School")
    other_school = gid(world.other.school, "School")
    tag = secrets.token_hex(3)
    made = [
        await create(admin, world.kit.school, fullName=f"Zeta {tag} {n}", login=f"zeta{n}.{tag}") for n in (2, 1, 3)
    ]
    found = await accounts(admin, school, search=f"ZETA {tag}")
    assert found is not None
    assert [e["node"]["login"] for e in found["edges"]] == [f"zeta{n}.{tag}" for n in (1, 2, 3)]
    assert found["edges"][0]["node"]["roles"] == ["TEACHER"]
    first = await accounts(admin, school, search=tag, first=2)
    assert first is not None
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await accounts(admin, school, search=tag, first=2, after=first["pageInfo"]["endCursor"])
    assert rest is not None
    assert [e["node"]["login"] for e in rest["edges"]] == [f"zeta3.{tag}"]
    assert rest["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": True, "endCursor": rest["edges"][0]["cursor"]}

    await admin.data(DEACTIVATE, id=made[0]["account"]["user"]["id"], reason="Left")
    inactive = await accounts(admin, school, search=tag, active=False)
    assert inactive is not None
    assert [e["node"]["login"] for e in inactive["edges"]] == [f"zeta2.{tag}"]
    assert await accounts(admin, school, search=tag, role="PARENT") == {
        "edges": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "endCursor": None},
    }
    assert await accounts(admin, school, search="100%_sure") is not None  # LIKE wildcards are literal

    assert await accounts(teacher, school) is None
    assert (await admin.data(ACCOUNTS, id=other_school))["node"] is None
    district = factory.client(await factory.district_admin())
    assert await accounts(district, other_school, first=1) is not None


async def test_school_accounts_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    world = await _schools(factory)
    for kit in (world.kit, world.other):
        await _staff(factory, kit, 10)
    district = factory.client(await factory.district_admin())
    count_statements.statements.clear()
    one = (await world.admin.data(EVERY_SCHOOL))["viewer"]["schools"]
    small = count_statements.count
    count_statements.statements.clear()
    two = (await district.data(EVERY_SCHOOL))["viewer"]["schools"]
    large = count_statements.count
    assert len(one) == 1
    assert len(two) == 2
    assert all(len(s["accounts"]["edges"]) == 10 for s in two)
    assert large == small, count_statements.statements


CLASS_EVENTS = "subscription C($classId: ID!) { classEvents(classId: $classId) { kind grade { comment } } }"


async def test_a_deactivated_parents_stream_of_all_their_children_ends(
    factory: Factory, http: httpx.AsyncClient, server_url: str
) -> None:
    # Without `studentId`: a child out of sight is skipped, but a deactivation ends it (and the socket).
    fifth_b = await _fifth_b(factory)
    admin, teacher = fifth_b.world.admin, fifth_b.teacher
    child = gid(fifth_b.child, "Student")
    created, _, password = await activated(
        admin, fifth_b.world.kit.school, http, role="PARENT", fullName="Third Guardian", childIds=[child]
    )
    session = await login(http, created["account"]["login"], password)
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    grade = {"studentId": child, "lessonId": gid(fifth_b.lesson, "Lesson"), "value": "5"}
    await teacher.data(GRADE, input={**grade, "comment": "seen"})
    assert (await socket.next())["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "seen"
    await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left")
    await teacher.data(GRADE, input={**grade, "comment": "not seen"})
    assert await socket.closed() == 4401  # the session ended with the account: "not seen" never comes


async def test_a_deactivated_teachers_class_feed_ends(
    factory: Factory, http: httpx.AsyncClient, server_url: str
) -> None:
    fifth_b = await _fifth_b(factory)
    admin, colleague = fifth_b.world.admin, fifth_b.teacher
    klass = fifth_b.world.kit.classes["5B"]
    created, client, _password = await activated(admin, fifth_b.world.kit.school, http)
    user = await models.User.get(login=created["account"]["login"])
    await models.TeachingAssignment.create(teacher=user, school_class=klass, subject_id=fifth_b.lesson.subject_id)
    socket = await open_socket(server_url, client.token)
    await socket.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    await asyncio.sleep(0.2)
    grade = {"studentId": gid(fifth_b.child, "Student"), "lessonId": gid(fifth_b.lesson, "Lesson")}
    await colleague.data(GRADE, input={**grade, "value": "5", "comment": "seen"})
    assert (await socket.next())["payload"]["data"]["classEvents"]["grade"]["comment"] == "seen"
    await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left")
    await colleague.data(GRADE, input={**grade, "value": "4", "comment": "not seen"})
    assert await socket.closed() == 4401  # the session ended with the account: "not seen" never comes
