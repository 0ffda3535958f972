"""Account administration: one-time passwords, password change and reset, deactivation,
and the scope of every admin mutation."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import httpx

import models
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import gid, open_socket, past_lesson, school_class

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


async def school_id(name: str = "School No. 1") -> str:
    return gid(await models.School.get(name=name), "School")


def unique(prefix: str) -> str:
    return f"{prefix}.{secrets.token_hex(3)}"


async def create(admin: Client, **fields: Any) -> dict[str, Any]:
    fields.setdefault("schoolId", await school_id())
    fields.setdefault("role", "TEACHER")
    fields.setdefault("fullName", "Olga Test Teacher")
    result: dict[str, Any] = (await admin.data(CREATE, input=fields))["accountCreate"]
    return result


async def login(http: httpx.AsyncClient, name: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(LOGIN, login=name, password=password))["login"]
    return result


async def activated(admin: Client, http: httpx.AsyncClient, **fields: Any) -> tuple[dict[str, Any], Client, str]:
    """A new account whose one-time password was replaced: (created, its client, password)."""
    created = await create(admin, **fields)
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


async def test_one_time_password_flow(admin: Client, http: httpx.AsyncClient) -> None:
    name = unique("olga")
    created = await create(admin, login=name, email=f"{name}@example.org")
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
    # The one-time session is over; the new one has the teacher's full rights.
    assert (await Client(http).data(REFRESH, t=first["refreshToken"]))["sessionRefresh"]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    assert (await Client(http, done["accessToken"]).data(ROLES))["viewer"]["roles"] == ["TEACHER"]
    assert (await login(http, name, otp))["code"] == "INVALID_CREDENTIALS"
    assert (await login(http, name, "a-new-long-password"))["mustChangePassword"] is False
    actions = await models.AuditEntry.filter(object_type="User", object_id=user.id).values_list("action", flat=True)
    assert {"account.create", "session.login", "password.change"} <= set(actions)


async def test_create_refusals_write_nothing(admin: Client, teacher: Client) -> None:
    users = await models.User.all().count()
    taken = await create(admin, login="teacher", email="not-an-address", role="DISTRICT_ADMIN", fullName=" ")
    assert taken["__typename"] == "ValidationError"
    assert {(f["field"], f["code"]) for f in taken["fields"]} == {
        ("fullName", "FULL_NAME_EMPTY"),
        ("email", "EMAIL_INVALID"),
        ("role", "ROLE_NOT_ALLOWED"),
        ("login", "LOGIN_TAKEN"),
    }
    assert (await create(admin, role="STUDENT"))["code"] == "STUDENT_REQUIRED"
    # Another school looks exactly like a school that does not exist.
    other = await create(admin, schoolId=await school_id("School No. 2"))
    missing = await create(admin, schoolId=gid(models.School(id=999999), "School"))
    assert other == missing == {"__typename": "NotFoundError", "code": "SCHOOL_NOT_FOUND", "message": "No such school."}
    assert refusal(await teacher.post(CREATE, input={"fullName": "X", "role": "TEACHER", "schoolId": "x"}))[0] == (
        "FORBIDDEN"
    )
    assert await models.User.all().count() == users


async def test_login_made_from_the_name_and_student_link(admin: Client, http: httpx.AsyncClient) -> None:
    child = await models.Student.create(school=await models.School.get(name="School No. 1"), full_name="Ana Nova")
    first = await create(admin, role="STUDENT", fullName="Ána Nová", studentId=gid(child, "Student"))
    assert first["__typename"] == "AccountCreateSuccess", first
    assert first["account"]["login"].startswith("ana.nova")
    assert (await models.Student.get(id=child.id)).user_id == int(
        (await models.User.get(login=first["account"]["login"])).id
    )
    again = await create(admin, role="STUDENT", fullName="Ána Nová", studentId=gid(child, "Student"))
    assert again["code"] == "STUDENT_HAS_LOGIN"


async def test_reset_gives_a_new_one_time_password_and_ends_sessions(admin: Client, http: httpx.AsyncClient) -> None:
    created, me, password = await activated(admin, http)
    user_id = created["account"]["user"]["id"]
    session = await login(http, created["account"]["login"], password)
    reset = (await admin.data(RESET, id=user_id))["passwordReset"]
    assert reset["__typename"] == "PasswordResetSuccess"
    assert reset["account"]["mustChangePassword"] is True
    assert (await Client(http).data(REFRESH, t=session["refreshToken"]))["sessionRefresh"]["code"] == (
        "INVALID_REFRESH_TOKEN"
    )
    # A token issued before the reset is limited at once: the reset user must change it first.
    assert refusal(await me.post(ROLES)) == ("FORBIDDEN", "PASSWORD_CHANGE_REQUIRED")
    assert (await login(http, created["account"]["login"], password))["code"] == "INVALID_CREDENTIALS"
    fresh = await login(http, created["account"]["login"], reset["oneTimePassword"])
    assert fresh["mustChangePassword"] is True
    entry = await models.AuditEntry.filter(action="password.reset").order_by("-id").first()
    assert entry is not None
    assert entry.school_id == (await models.School.get(name="School No. 1")).id


async def test_reset_scope(admin: Client, parent: Client, http: httpx.AsyncClient) -> None:
    me = await models.User.get(login="admin")
    assert (await admin.data(RESET, id=gid(me, "User")))["passwordReset"]["code"] == "CANNOT_RESET_SELF"
    other_school = await models.User.get(login="admin2")
    elsewhere = (await admin.data(RESET, id=gid(other_school, "User")))["passwordReset"]
    nobody = (await admin.data(RESET, id=gid(models.User(id=999999), "User")))["passwordReset"]
    assert elsewhere == nobody == {"__typename": "NotFoundError", "code": "USER_NOT_FOUND", "message": "No such user."}
    assert refusal(await parent.post(RESET, id=gid(me, "User")))[0] == "FORBIDDEN"
    assert auth_unchanged(other_school, await models.User.get(login="admin2"))
    # A district admin manages both schools.
    district = await login_as(http, "district")
    target, _client, _pw = await activated(admin, http)
    result = (await district.data(RESET, id=target["account"]["user"]["id"]))["passwordReset"]
    assert result["__typename"] == "PasswordResetSuccess"


def auth_unchanged(before: models.User, after: models.User) -> bool:
    return before.password_hash == after.password_hash and not after.must_change_password


async def test_deactivation_ends_everything_and_keeps_history(
    admin: Client, http: httpx.AsyncClient, server_url: str
) -> None:
    # A second guardian for a child of 5B (a class the other suites' live tests leave alone).
    klass = await school_class("School No. 1", "5B")
    enrolled = await models.Enrollment.filter(school_class_id=klass.id).order_by("id").first()
    assert enrolled is not None
    child = await models.Student.get(id=enrolled.student_id)
    maths = await models.TeachingAssignment.get(school_class_id=klass.id, subject__name="Mathematics").select_related(
        "teacher"
    )
    teacher = await login_as(http, maths.teacher.login)
    created, parent, password = await activated(
        admin, http, role="PARENT", fullName="Second Guardian", childIds=[gid(child, "Student")]
    )
    user_id = created["account"]["user"]["id"]
    session = await login(http, created["account"]["login"], password)
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS, studentId=gid(child, "Student"))
    await asyncio.sleep(0.2)
    lesson = await past_lesson("5B", "Mathematics")
    grade = {"studentId": gid(child, "Student"), "lessonId": gid(lesson, "Lesson"), "value": "4"}
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
    ended = await socket.next()
    assert ended["type"] == "complete", ended  # the stream ends instead of delivering "after"
    await socket.ws.close()

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
    await models.Guardianship.filter(guardian_id=user.id).delete()  # leave the demo families as they were


async def test_a_deactivated_teacher_still_authors_old_grades(admin: Client, parent: Client) -> None:
    grade = await models.Grade.filter(
        student__school__name="School No. 1", deleted_at__isnull=True, teacher__login__not="teacher"
    ).first()
    assert grade is not None
    author = await models.User.get(id=grade.teacher_id)
    query = "query N($id: ID!) { node(id: $id) { ... on Grade { value teacher { fullName } } } }"
    try:
        done = (await admin.data(DEACTIVATE, id=gid(author, "User"), reason="Retired"))["accountDeactivate"]
        assert done["__typename"] == "AccountDeactivateSuccess", done
        seen = (await admin.data(query, id=gid(grade, "Grade")))["node"]
        assert seen == {"value": grade.value, "teacher": {"fullName": author.full_name}}
    finally:
        await admin.data(REACTIVATE, id=gid(author, "User"))


async def test_deactivation_scope(admin: Client, teacher: Client) -> None:
    me = await models.User.get(login="admin")
    own = (await admin.data(DEACTIVATE, id=gid(me, "User"), reason="x"))["accountDeactivate"]
    assert own["code"] == "CANNOT_DEACTIVATE_SELF"
    other = await models.User.get(login="admin2")
    elsewhere = (await admin.data(DEACTIVATE, id=gid(other, "User"), reason="x"))["accountDeactivate"]
    assert elsewhere == {"__typename": "NotFoundError", "code": "USER_NOT_FOUND", "message": "No such user."}
    assert refusal(await teacher.post(DEACTIVATE, id=gid(me, "User"), reason="x"))[0] == "FORBIDDEN"
    assert (await models.User.get(login="admin2")).is_active
    account = "query A($id: ID!) { account(userId: $id) { login isActive } }"
    assert (await admin.data(account, id=gid(other, "User")))["account"] is None
    assert (await admin.data(account, id=gid(await models.User.get(login="teacher"), "User")))["account"] == {
        "login": "teacher",
        "isActive": True,
    }
    assert (await teacher.data(account, id=gid(me, "User")))["account"] is None


async def test_an_admin_of_another_school_is_out_of_reach(admin: Client, http: httpx.AsyncClient) -> None:
    """A teacher of School No. 1 who also runs School No. 2: School No. 1's admin may not reset
    or deactivate them (that would hand over School No. 2); the district admin may."""
    created, _client, _password = await activated(admin, http)
    user = await models.User.get(login=created["account"]["login"])
    await models.RoleGrant.create(
        user_id=user.id, role=models.Role.SCHOOL_ADMIN, school=await models.School.get(name="School No. 2")
    )
    user_id = gid(user, "User")
    assert (await admin.data(RESET, id=user_id))["passwordReset"]["code"] == "USER_NOT_FOUND"
    assert (await admin.data(DEACTIVATE, id=user_id, reason="x"))["accountDeactivate"]["code"] == "USER_NOT_FOUND"
    district = await login_as(http, "district")
    assert (await district.data(RESET, id=user_id))["passwordReset"]["__typename"] == "PasswordResetSuccess"
    district_user = await models.User.get(login="district")
    grant = await models.RoleGrant.create(
        user_id=district_user.id, role=models.Role.TEACHER, school=await models.School.get(name="School No. 1")
    )
    try:  # a district admin who also teaches at the school is not the school admin's to manage
        assert (await admin.data(RESET, id=gid(district_user, "User")))["passwordReset"]["code"] == "USER_NOT_FOUND"
    finally:
        await grant.delete()


async def test_a_deactivated_token_cannot_subscribe(admin: Client, http: httpx.AsyncClient, server_url: str) -> None:
    created, client, _password = await activated(admin, http)
    done = (await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left"))["accountDeactivate"]
    assert done["__typename"] == "AccountDeactivateSuccess"
    socket = await open_socket(server_url, client.token)
    await socket.start(EVENTS)
    message = await socket.next()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    await socket.ws.close()


async def test_a_deactivated_token_cannot_download_a_journal(admin: Client, http: httpx.AsyncClient) -> None:
    created, client, _password = await activated(admin, http)
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


async def test_school_accounts_list(admin: Client, teacher: Client, http: httpx.AsyncClient) -> None:
    school = await school_id()
    tag = secrets.token_hex(3)
    made = [await create(admin, fullName=f"Zeta {tag} {n}", login=f"zeta{n}.{tag}") for n in (2, 1, 3)]
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
    assert (await admin.data(ACCOUNTS, id=await school_id("School No. 2")))["node"] is None
    district = await login_as(http, "district")
    assert await accounts(district, await school_id("School No. 2"), first=1) is not None


async def test_school_accounts_statements_do_not_grow(
    admin: Client, http: httpx.AsyncClient, count_statements: StatementCounter
) -> None:
    district = await login_as(http, "district")
    count_statements.statements.clear()
    one = (await admin.data(EVERY_SCHOOL))["viewer"]["schools"]
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
    admin: Client, http: httpx.AsyncClient, server_url: str
) -> None:
    # Without `studentId`: a child out of sight is skipped, but an account out of standing ends it.
    klass = await school_class("School No. 1", "5B")
    enrolled = await models.Enrollment.filter(school_class_id=klass.id).order_by("-id").first()
    assert enrolled is not None
    child = gid(models.Student(id=enrolled.student_id), "Student")
    maths = await models.TeachingAssignment.get(school_class_id=klass.id, subject__name="Mathematics").select_related(
        "teacher"
    )
    teacher = await login_as(http, maths.teacher.login)
    created, _, password = await activated(admin, http, role="PARENT", fullName="Third Guardian", childIds=[child])
    session = await login(http, created["account"]["login"], password)
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    grade = {"studentId": child, "lessonId": gid(await past_lesson("5B", "Mathematics"), "Lesson"), "value": "5"}
    await teacher.data(GRADE, input={**grade, "comment": "seen"})
    assert (await socket.next())["payload"]["data"]["diaryEvents"]["grade"]["comment"] == "seen"
    await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left")
    await teacher.data(GRADE, input={**grade, "comment": "not seen"})
    assert (await socket.next())["type"] == "complete"
    await socket.ws.close()
    await models.Guardianship.filter(guardian__login=created["account"]["login"]).delete()


async def test_a_deactivated_teachers_class_feed_ends(admin: Client, http: httpx.AsyncClient, server_url: str) -> None:
    klass = await school_class("School No. 1", "5B")
    maths = await models.TeachingAssignment.get(school_class_id=klass.id, subject__name="Mathematics").select_related(
        "teacher"
    )
    colleague = await login_as(http, maths.teacher.login)
    created, client, _password = await activated(admin, http)
    user = await models.User.get(login=created["account"]["login"])
    await models.TeachingAssignment.create(teacher=user, school_class=klass, subject_id=maths.subject_id)
    socket = await open_socket(server_url, client.token)
    await socket.start(CLASS_EVENTS, classId=gid(klass, "SchoolClass"))
    await asyncio.sleep(0.2)
    enrolled = await models.Enrollment.filter(school_class_id=klass.id).order_by("id").first()
    assert enrolled is not None
    lesson = await past_lesson("5B", "Mathematics")
    grade = {"studentId": gid(models.Student(id=enrolled.student_id), "Student"), "lessonId": gid(lesson, "Lesson")}
    await colleague.data(GRADE, input={**grade, "value": "5", "comment": "seen"})
    assert (await socket.next())["payload"]["data"]["classEvents"]["grade"]["comment"] == "seen"
    await admin.data(DEACTIVATE, id=created["account"]["user"]["id"], reason="Left")
    await colleague.data(GRADE, input={**grade, "value": "4", "comment": "not seen"})
    assert (await socket.next())["type"] == "complete"
    await socket.ws.close()
    await models.TeachingAssignment.filter(teacher_id=user.id).delete()
