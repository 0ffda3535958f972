"""How a family gets in: accountRegister, then accessRequestSubmit; the school's admins
approve (the parent sees the child at once) or refuse with a reason within 72 hours. The
documents in a request are read only by the applicant and the school's admins. Each test
builds its own schools, staff and applicants from factories."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, datetime, timedelta
from typing import Any

import pytest

import models
from edge.settings import Settings
from resolvers.core import now_utc, to_global_id
from tests.api.test_statements import _count, _explain
from tests.client import Client
from tests.conftest import LOGIN, StatementCounter, client_for
from tests.factories import Factory, SchoolKit
from tests.helpers import access_application, gid, pk, result

REGISTER = """mutation R($input: AccountRegisterInput!) { accountRegister(input: $input) { __typename
  ... on LoginSuccess { accessToken user { id fullName } }
  ... on RateLimitedError { code retryAfterSeconds }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }"""
REQUEST = """id status childFullName childBirthDate birthCertificateNumber identityDocument relation
  consentGivenAt submittedAt dueAt overdue reviewedAt reviewedBy { fullName } refusalReason comment
  school { name } applicant { fullName } student { id fullName }"""
ERR = "... on ValidationError { fields { field code } } ... on Error { code message }"
SUBMIT = (
    "mutation S($input: AccessRequestSubmitInput!) { accessRequestSubmit(input: $input) { __typename "
    f"... on AccessRequestSuccess {{ accessRequest {{ {REQUEST} }} }} {ERR} }} }}"
)
APPROVE = (
    "mutation A($input: AccessRequestApproveInput!) { accessRequestApprove(input: $input) { __typename "
    f"... on AccessRequestSuccess {{ accessRequest {{ {REQUEST} }} }} {ERR} }} }}"
)
REFUSE = (
    "mutation F($input: AccessRequestRefuseInput!) { accessRequestRefuse(input: $input) { __typename "
    f"... on AccessRequestSuccess {{ accessRequest {{ {REQUEST} }} }} {ERR} }} }}"
)
WITHDRAW = (
    "mutation W($input: AccessRequestWithdrawInput!) { accessRequestWithdraw(input: $input) { __typename "
    f"... on AccessRequestSuccess {{ accessRequest {{ {REQUEST} }} }} {ERR} }} }}"
)
MINE = f"{{ viewer {{ roles children {{ id fullName schoolClass {{ name }} }} accessRequests {{ {REQUEST} }} }} }}"
NODE = f"query N($id: ID!) {{ node(id: $id) {{ __typename ... on AccessRequest {{ {REQUEST} }} }} }}"
LIST = """query L($id: ID!, $status: AccessRequestStatus, $overdue: Boolean, $first: Int, $after: String,
  $last: Int, $before: String) { node(id: $id) { ... on School {
  accessRequests(status: $status, overdue: $overdue, first: $first, after: $after, last: $last, before: $before) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id status dueAt overdue childFullName birthCertificateNumber identityDocument
      applicant { fullName } reviewedBy { fullName } student { fullName } school { name } } } } } } }"""
DIRECTORY = "{ schoolDirectory { schoolId name } }"
MY_REQUESTS = f"{{ viewer {{ accessRequests {{ {REQUEST} }} }} }}"

_serial = itertools.count(1)
TAKEN = "<a login somebody has>"


async def _applicant(factory: Factory) -> Client:
    """A fresh account with no role (made directly: accountRegister is limited)."""
    return factory.client(await factory.user(f"applicant{next(_serial)}"))


async def _other_district_admin(factory: Factory) -> Client:
    """The admin of a district of their own, with none of the factory's schools."""
    district = await models.District.create(name=f"Other district {factory.tag}")
    user = await factory.user("elsewhere")
    await models.RoleGrant.create(user=user, role=models.Role.DISTRICT_ADMIN, district=district)
    return factory.client(user)


async def _schools(factory: Factory) -> tuple[SchoolKit, SchoolKit]:
    """Two schools of one district, with classes 5A and 5B in the first and 5A in the second."""
    return await factory.school("School one", classes=("5A", "5B")), await factory.school("School two")


def _admin(factory: Factory, kit: SchoolKit) -> Client:
    assert kit.admin is not None
    return factory.client(kit.admin)


async def _child(kit: SchoolKit, name: str, born: date, klass: str = "5A") -> models.Student:
    """A student of the school exactly as named, born on ``born``: what an approval matches."""
    child = await models.Student.create(full_name=name, birth_date=born, school_id=kit.school.id)
    await models.Enrollment.create(student=child, school_class=kit.classes[klass], start_date=kit.year.start_date)
    return child


async def _submit(client: Client, school: models.School, **overrides: Any) -> dict[str, Any]:
    return result(await client.data(SUBMIT, input=access_application(school, **overrides)), "accessRequestSubmit")


async def _counts() -> tuple[int, int, int, int]:
    return (
        await models.AccessRequest.all().count(),
        await models.Guardianship.all().count(),
        await models.RoleGrant.all().count(),
        await models.AuditEntry.all().count(),
    )


# --- registration -------------------------------------------------------------------


async def test_a_parent_registers_and_sees_nothing_yet(settings: Settings, factory: Factory) -> None:
    login = f"mama.{factory.tag}"
    async with client_for(settings, address="10.20.0.1") as http:
        body = result(
            await Client(http).data(
                REGISTER,
                input={
                    "login": f" Mama.{factory.tag.upper()} ",
                    "password": "correct horse",
                    "fullName": "Anna Petrova",
                    "email": "anna@example.org",
                },
            ),
            "accountRegister",
        )
        assert body["__typename"] == "LoginSuccess", body
        assert body["user"]["fullName"] == "Anna Petrova"
        me = Client(http, body["accessToken"])
        viewer = (await me.data(MINE))["viewer"]
        assert (viewer["roles"], viewer["children"], viewer["accessRequests"]) == ([], [], [])
        again = await Client(http).data(LOGIN, login=login.upper(), password="correct horse")
        assert again["login"]["__typename"] == "LoginSuccess"
        user = await models.User.get(login=login)
        assert (user.email, user.full_name) == ("anna@example.org", "Anna Petrova")
        assert await models.AuditEntry.exists(action="account.register", actor_id=user.id, address="10.20.0.1")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"login": TAKEN}, [("login", "INVALID_LOGIN")]),  # like a malformed one: tests/access/test_oracles.py
        ({"login": "x"}, [("login", "INVALID_LOGIN")]),
        ({"login": "bad login!"}, [("login", "INVALID_LOGIN")]),
        ({"password": "short"}, [("password", "PASSWORD_TOO_SHORT")]),
        ({"password": "new.parent.1"}, [("password", "PASSWORD_IS_LOGIN")]),
        ({"fullName": "  "}, [("fullName", "NAME_EMPTY")]),
        ({"email": "not-an-address"}, [("email", "INVALID_EMAIL")]),
        (
            {"login": "", "password": "", "email": ""},
            [("login", "INVALID_LOGIN"), ("password", "PASSWORD_TOO_SHORT"), ("email", "INVALID_EMAIL")],
        ),
    ],
)
async def test_bad_registrations_are_refused(
    factory: Factory, anonymous: Client, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    if overrides.get("login") == TAKEN:
        overrides = {"login": (await factory.user("someone")).login}
    before = await models.User.all().count()
    fields = {
        "login": "new.parent.1",
        "password": "long enough pass",
        "fullName": "New Parent",
        "email": "n@example.org",
    }
    body = result(await anonymous.data(REGISTER, input={**fields, **overrides}), "accountRegister")
    assert body["__typename"] == "ValidationError", body
    assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    assert await models.User.all().count() == before


async def test_registration_is_rate_limited_per_address(settings: Settings, factory: Factory) -> None:
    async with client_for(settings, address="10.20.0.2", registrations_per_address=2) as http:
        anonymous = Client(http)
        for n in range(2):
            fields = {
                "login": f"limited.{factory.tag}.{n}",
                "password": "long enough pass",
                "fullName": "P",
                "email": "p@example.org",
            }
            assert (
                result(await anonymous.data(REGISTER, input=fields), "accountRegister")["__typename"] == "LoginSuccess"
            )
        before = await models.User.all().count()
        fields = {
            "login": f"limited.{factory.tag}.2",
            "password": "long enough pass",
            "fullName": "P",
            "email": "p@example.org",
        }
        body = result(await anonymous.data(REGISTER, input=fields), "accountRegister")
        assert (body["__typename"], body["code"]) == ("RateLimitedError", "RATE_LIMITED")
        assert body["retryAfterSeconds"] > 0
        assert await models.User.all().count() == before
    async with client_for(settings, address="10.20.0.3", registrations_per_address=2) as http:
        fields = {
            "login": f"limited.{factory.tag}.3",
            "password": "long enough pass",
            "fullName": "P",
            "email": "p@example.org",
        }
        assert (
            result(await Client(http).data(REGISTER, input=fields), "accountRegister")["__typename"] == "LoginSuccess"
        )


# --- submitting ---------------------------------------------------------------------


async def test_submit_then_approve_links_the_child_at_once(factory: Factory) -> None:
    kit, _ = await _schools(factory)
    school1, admin = kit.school, _admin(factory, kit)
    child = await _child(kit, "Vera Zayavkina", date(2015, 4, 5))
    applicant = await _applicant(factory)
    directory = (await applicant.data(DIRECTORY))["schoolDirectory"]
    assert {"schoolId": gid(school1, "School"), "name": school1.name} in directory

    submitted = await _submit(applicant, school1, childFullName="  vera   zayavkina ")
    assert submitted["__typename"] == "AccessRequestSuccess", submitted
    request = submitted["accessRequest"]
    assert (request["status"], request["childFullName"], request["relation"]) == (
        "SUBMITTED",
        "vera zayavkina",
        "MOTHER",
    )
    due = datetime.fromisoformat(request["dueAt"]) - datetime.fromisoformat(request["submittedAt"])
    assert due == timedelta(hours=72)
    assert (request["overdue"], request["student"], request["reviewedAt"]) == (False, None, None)
    assert request["consentGivenAt"] is not None
    entry = await models.AuditEntry.get(action="access_request.submit", object_id=pk(request["id"]))
    assert entry.school_id == school1.id
    assert "123456" not in str(entry.details)  # the audit trail names the request, not the documents

    mine = (await applicant.data(MINE))["viewer"]
    assert [r["id"] for r in mine["accessRequests"]] == [request["id"]]
    assert mine["accessRequests"][0]["birthCertificateNumber"] == "II-MYu 123456"
    listed = (await admin.data(LIST, id=gid(school1, "School"), status="SUBMITTED"))["node"]["accessRequests"]
    assert request["id"] in [e["node"]["id"] for e in listed["edges"]]

    approved = result(await admin.data(APPROVE, input={"requestId": request["id"]}), "accessRequestApprove")
    assert approved["__typename"] == "AccessRequestSuccess", approved
    done = approved["accessRequest"]
    assert kit.admin is not None
    assert (done["status"], done["student"], done["reviewedBy"]) == (
        "APPROVED",
        {"id": gid(child, "Student"), "fullName": "Vera Zayavkina"},
        {"fullName": kit.admin.full_name},
    )
    # The parent's very next query shows the child, in their class.
    mine = (await applicant.data(MINE))["viewer"]
    assert mine["roles"] == ["PARENT"]
    assert mine["children"] == [
        {"id": gid(child, "Student"), "fullName": "Vera Zayavkina", "schoolClass": {"name": "5A"}}
    ]
    assert mine["accessRequests"][0]["status"] == "APPROVED"
    assert applicant.user_id is not None
    link = await models.Guardianship.get(student_id=child.id, guardian_id=int(applicant.user_id))
    assert (link.relation, link.revoked_at) == ("mother", None)
    assert (
        await models.AuditEntry.get(action="access_request.approve", object_id=pk(request["id"]))
    ).school_id == school1.id

    again = result(await admin.data(APPROVE, input={"requestId": request["id"]}), "accessRequestApprove")
    assert [(f["field"], f["code"]) for f in again["fields"]] == [("requestId", "NOT_PENDING")]
    # A new request for the same child: the applicant is already the guardian.
    second = (await _submit(applicant, school1, childFullName="Vera Zayavkina"))["accessRequest"]
    refused = result(await admin.data(APPROVE, input={"requestId": second["id"]}), "accessRequestApprove")
    assert [(f["field"], f["code"]) for f in refused["fields"]] == [("studentId", "ALREADY_GUARDIAN")]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"childFullName": " "}, [("childFullName", "NAME_EMPTY")]),
        ({"childBirthDate": "2999-01-01"}, [("childBirthDate", "INVALID_BIRTH_DATE")]),
        ({"birthCertificateNumber": ""}, [("birthCertificateNumber", "CERTIFICATE_REQUIRED")]),
        ({"birthCertificateNumber": "1" * 51}, [("birthCertificateNumber", "CERTIFICATE_TOO_LONG")]),
        ({"identityDocument": "  "}, [("identityDocument", "DOCUMENT_REQUIRED")]),
        ({"consent": False}, [("consent", "CONSENT_REQUIRED")]),
        (
            {"consent": False, "identityDocument": ""},
            [("identityDocument", "DOCUMENT_REQUIRED"), ("consent", "CONSENT_REQUIRED")],
        ),
    ],
)
async def test_bad_applications_are_refused_and_write_nothing(
    factory: Factory, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    kit = await factory.school()
    applicant = await _applicant(factory)
    before = await _counts()
    body = await _submit(applicant, kit.school, **overrides)
    assert body["__typename"] == "ValidationError", body
    assert [(f["field"], f["code"]) for f in body["fields"]] == expected
    assert await _counts() == before


async def test_a_duplicate_pending_request_is_refused(factory: Factory) -> None:
    kit1, kit2 = await _schools(factory)
    school1 = kit1.school
    applicant = await _applicant(factory)
    first = await _submit(applicant, school1, childFullName="Dup Dupov", birthCertificateNumber="AB-1")
    assert first["__typename"] == "AccessRequestSuccess", first
    before = await _counts()
    for overrides in (
        {"childFullName": "DUP  dupov", "birthCertificateNumber": "ZZ-9"},
        {"childFullName": "Other Name", "birthCertificateNumber": "ab 1"},
    ):
        body = await _submit(applicant, school1, **overrides)
        assert [(f["field"], f["code"]) for f in body["fields"]] == [("childFullName", "DUPLICATE_REQUEST")]
    assert await _counts() == before
    # Another applicant, or the same one for another school, may apply.
    assert (await _submit(await _applicant(factory), school1, childFullName="Dup Dupov"))[
        "__typename"
    ] == "AccessRequestSuccess"
    assert (await _submit(applicant, kit2.school, childFullName="Dup Dupov"))["__typename"] == "AccessRequestSuccess"


async def test_students_cannot_apply_and_unknown_schools_are_not_found(factory: Factory) -> None:
    kit = await factory.school()
    pupil = await factory.student(kit, "5A", "pupil")
    assert pupil.user_id is not None
    student = factory.client(await models.User.get(id=pupil.user_id))
    body = await student.post(SUBMIT, input=access_application(kit.school))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    missing = await _submit(await _applicant(factory), models.School(id=10**9))
    assert (missing["__typename"], missing["code"]) == ("NotFoundError", "SCHOOL_NOT_FOUND")


# --- who sees a request -------------------------------------------------------------


async def test_only_the_applicant_and_the_schools_admins_see_a_request(factory: Factory) -> None:
    kit1, kit2 = await _schools(factory)
    school1 = kit1.school
    admin, admin2 = _admin(factory, kit1), _admin(factory, kit2)
    district = factory.client(await factory.district_admin())
    teacher = factory.client(await factory.teacher(kit1, [("5A", "Mathematics")], name="maths"))
    families = [await factory.parent(f"mother{n}") for n in (1, 2)]
    for n, guardian in enumerate(families):
        await factory.student(kit1, "5A", f"pupil{n}", guardians=[guardian], login=False)
    parent, other_parent = (factory.client(user) for user in families)
    applicant = await _applicant(factory)
    request = (await _submit(applicant, school1, childFullName="Secret Child", birthCertificateNumber="SC-777"))[
        "accessRequest"
    ]
    for reader in (applicant, admin, district):
        seen = (await reader.data(NODE, id=request["id"]))["node"]
        assert (seen["birthCertificateNumber"], seen["identityDocument"]) == ("SC-777", "Passport 4510 123456")
    stranger = await _other_district_admin(factory)
    for outsider in (admin2, teacher, parent, other_parent, stranger, await _applicant(factory)):
        assert (await outsider.data(NODE, id=request["id"]))["node"] is None
        assert request["id"] not in [r["id"] for r in (await outsider.data(MINE))["viewer"]["accessRequests"]]
    # The school's list: its admins see it; a teacher of the school reaches the school but not the list.
    assert request["id"] in [
        e["node"]["id"] for e in (await admin.data(LIST, id=gid(school1, "School")))["node"]["accessRequests"]["edges"]
    ]
    assert (await teacher.data(LIST, id=gid(school1, "School")))["node"]["accessRequests"] == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None},
        "edges": [],
    }
    # Deciding: another school's admin finds nothing, exactly like an id that does not exist.
    missing = to_global_id("AccessRequest", 10**9)
    before = await _counts()
    for mutation, name, extra in (
        (APPROVE, "accessRequestApprove", {}),
        (REFUSE, "accessRequestRefuse", {"reason": "NOT_PARENT", "comment": "no"}),
    ):
        theirs = result(await admin2.data(mutation, input={"requestId": request["id"], **extra}), name)
        nothing = result(await admin2.data(mutation, input={"requestId": missing, **extra}), name)
        assert (
            (theirs["code"], theirs["message"])
            == (nothing["code"], nothing["message"])
            == ("ACCESS_REQUEST_NOT_FOUND", "No such access request.")
        )
    for client in (teacher, parent):
        body = await client.post(APPROVE, input={"requestId": request["id"]})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Withdrawing is the applicant's alone.
    for other in (parent, admin):
        body = result(await other.data(WITHDRAW, input={"requestId": request["id"]}), "accessRequestWithdraw")
        assert (body["__typename"], body["code"]) == ("NotFoundError", "ACCESS_REQUEST_NOT_FOUND")
    assert await _counts() == before
    assert (await applicant.data(NODE, id=request["id"]))["node"]["status"] == "SUBMITTED"


# --- refusing, withdrawing, choosing the child ------------------------------------------


async def test_refusal_reaches_the_applicant_with_reason_and_comment(factory: Factory) -> None:
    kit = await factory.school()
    school1, admin = kit.school, _admin(factory, kit)
    applicant = await _applicant(factory)
    request = (await _submit(applicant, school1, childFullName="Nobody Known"))["accessRequest"]
    before = await _counts()
    empty = result(
        await admin.data(REFUSE, input={"requestId": request["id"], "reason": "NOT_STUDYING_HERE", "comment": " "}),
        "accessRequestRefuse",
    )
    assert [(f["field"], f["code"]) for f in empty["fields"]] == [("comment", "COMMENT_REQUIRED")]
    assert await _counts() == before
    refused = result(
        await admin.data(
            REFUSE,
            input={
                "requestId": request["id"],
                "reason": "NOT_STUDYING_HERE",
                "comment": "No such pupil in our school.",
            },
        ),
        "accessRequestRefuse",
    )
    assert refused["accessRequest"]["status"] == "REFUSED"
    seen = (await applicant.data(MINE))["viewer"]
    assert seen["children"] == []
    mine = next(r for r in seen["accessRequests"] if r["id"] == request["id"])
    assert (mine["status"], mine["refusalReason"], mine["comment"]) == (
        "REFUSED",
        "NOT_STUDYING_HERE",
        "No such pupil in our school.",
    )
    assert mine["reviewedAt"] is not None
    assert (
        await models.AuditEntry.get(action="access_request.refuse", object_id=pk(request["id"]))
    ).school_id == school1.id
    withdrawn = result(await applicant.data(WITHDRAW, input={"requestId": request["id"]}), "accessRequestWithdraw")
    assert [(f["field"], f["code"]) for f in withdrawn["fields"]] == [("requestId", "NOT_PENDING")]


async def test_applicant_withdraws_a_pending_request(factory: Factory) -> None:
    kit = await factory.school()
    applicant = await _applicant(factory)
    request = (await _submit(applicant, kit.school, childFullName="Changed Mind"))["accessRequest"]
    body = result(await applicant.data(WITHDRAW, input={"requestId": request["id"]}), "accessRequestWithdraw")
    assert body["accessRequest"]["status"] == "WITHDRAWN"
    late = result(await _admin(factory, kit).data(APPROVE, input={"requestId": request["id"]}), "accessRequestApprove")
    assert [(f["field"], f["code"]) for f in late["fields"]] == [("requestId", "NOT_PENDING")]


async def test_approval_needs_one_matching_student_of_the_school(factory: Factory) -> None:
    kit1, kit2 = await _schools(factory)
    school1, admin = kit1.school, _admin(factory, kit1)
    twin_a = await _child(kit1, "Twin Odinakova", date(2016, 1, 2))
    await _child(kit1, "Twin Odinakova", date(2016, 1, 2), klass="5B")
    other_school_child = await _child(kit2, "Far Away", date(2016, 1, 2))
    applicant = await _applicant(factory)
    twins = (await _submit(applicant, school1, childFullName="Twin Odinakova", childBirthDate="2016-01-02"))[
        "accessRequest"
    ]
    unknown = (
        await _submit(
            applicant, school1, childFullName="Ghost", childBirthDate="2016-01-02", birthCertificateNumber="G-1"
        )
    )["accessRequest"]
    before = await _counts()
    cases = [
        (twins["id"], None, "AMBIGUOUS_STUDENT"),
        (unknown["id"], None, "NO_MATCHING_STUDENT"),
        (twins["id"], gid(other_school_child, "Student"), "STUDENT_NOT_IN_SCHOOL"),
        (twins["id"], to_global_id("Student", 10**9), "STUDENT_NOT_IN_SCHOOL"),
    ]
    for request_id, student_id, code in cases:
        body = result(
            await admin.data(APPROVE, input={"requestId": request_id, "studentId": student_id}), "accessRequestApprove"
        )
        assert [(f["field"], f["code"]) for f in body["fields"]] == [("studentId", code)]
    assert await _counts() == before
    chosen = result(
        await admin.data(APPROVE, input={"requestId": twins["id"], "studentId": gid(twin_a, "Student")}),
        "accessRequestApprove",
    )
    assert chosen["accessRequest"]["student"]["id"] == gid(twin_a, "Student")
    assert [c["id"] for c in (await applicant.data(MINE))["viewer"]["children"]] == [gid(twin_a, "Student")]


# --- the admins' list ---------------------------------------------------------------


async def test_admins_list_pending_and_overdue_oldest_due_first(factory: Factory) -> None:
    """A school's list, over requests made for this test: overdue ones first, pages by cursor."""
    kit2 = await factory.school("School two")
    school2, admin2 = kit2.school, _admin(factory, kit2)
    ids = []
    for n in range(4):
        applicant = await _applicant(factory)
        ids.append((await _submit(applicant, school2, childFullName=f"Listed {n}"))["accessRequest"]["id"])
    # Two came in 4 and 3 days ago: past their 72 hours.
    now = now_utc()
    for request_id, days in ((ids[2], 4), (ids[3], 3)):
        await models.AccessRequest.filter(id=pk(request_id)).update(
            submitted_at=now - timedelta(days=days), due_at=now - timedelta(days=days) + timedelta(hours=72)
        )
    school_id = gid(school2, "School")
    overdue = (await admin2.data(LIST, id=school_id, overdue=True))["node"]["accessRequests"]
    assert [e["node"]["id"] for e in overdue["edges"]] == [ids[2], ids[3]]
    assert all(e["node"]["overdue"] for e in overdue["edges"])
    assert overdue["totalCount"] == 2
    pending = (await admin2.data(LIST, id=school_id, status="SUBMITTED"))["node"]["accessRequests"]
    order = [e["node"]["id"] for e in pending["edges"] if e["node"]["id"] in ids]
    assert order == [ids[2], ids[3], ids[0], ids[1]]
    dues = [e["node"]["dueAt"] for e in pending["edges"]]
    assert dues == sorted(dues)
    not_overdue = (await admin2.data(LIST, id=school_id, overdue=False))["node"]["accessRequests"]
    assert not {ids[2], ids[3]} & {e["node"]["id"] for e in not_overdue["edges"]}

    # Pages: two at a time forwards, then back from the end.
    total = pending["totalCount"]
    page1 = (await admin2.data(LIST, id=school_id, status="SUBMITTED", first=2))["node"]["accessRequests"]
    assert [e["node"]["id"] for e in page1["edges"]] == [e["node"]["id"] for e in pending["edges"][:2]]
    assert (page1["pageInfo"]["hasNextPage"], page1["pageInfo"]["hasPreviousPage"], page1["totalCount"]) == (
        total > 2,
        False,
        total,
    )
    page2 = (await admin2.data(LIST, id=school_id, status="SUBMITTED", first=2, after=page1["pageInfo"]["endCursor"]))[
        "node"
    ]["accessRequests"]
    assert [e["node"]["id"] for e in page2["edges"]] == [e["node"]["id"] for e in pending["edges"][2:4]]
    assert page2["pageInfo"]["hasPreviousPage"] is True
    tail = (await admin2.data(LIST, id=school_id, status="SUBMITTED", last=2))["node"]["accessRequests"]
    assert [e["node"]["id"] for e in tail["edges"]] == [e["node"]["id"] for e in pending["edges"][-2:]]
    assert tail["pageInfo"]["hasPreviousPage"] is (total > 2)
    back = (await admin2.data(LIST, id=school_id, status="SUBMITTED", last=1, before=tail["pageInfo"]["startCursor"]))[
        "node"
    ]["accessRequests"]
    assert [e["node"]["id"] for e in back["edges"]] == [pending["edges"][-3]["node"]["id"]]
    negative = await admin2.post(LIST, id=school_id, first=-1)
    assert negative["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await admin2.post(LIST, id=school_id, after="not-a-cursor")
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_the_list_costs_the_same_for_one_request_or_many(
    factory: Factory, count_statements: StatementCounter
) -> None:
    kit2 = await factory.school("School two")
    school2, admin2 = kit2.school, _admin(factory, kit2)
    for n in range(5):
        applicant = await _applicant(factory)
        await _submit(applicant, school2, childFullName=f"Counted {n}")
    one_approved = await _child(kit2, "Counted Approved", date(2015, 4, 5))
    request = (await _submit(await _applicant(factory), school2, childFullName="Counted Approved"))["accessRequest"]
    assert result(await admin2.data(APPROVE, input={"requestId": request["id"]}), "accessRequestApprove")[
        "accessRequest"
    ]["student"]["id"] == gid(one_approved, "Student")
    school_id = gid(school2, "School")
    small, one = await _count(admin2, count_statements, LIST, id=school_id, last=1)  # the approved one
    large, many = await _count(admin2, count_statements, LIST, id=school_id, first=50)
    assert [e["node"]["id"] for e in one["node"]["accessRequests"]["edges"]] == [request["id"]]
    assert len(many["node"]["accessRequests"]["edges"]) >= 6
    assert any(e["node"]["student"] for e in many["node"]["accessRequests"]["edges"])
    assert len(large) == len(small), _explain(small, large)


async def test_the_applicants_list_and_the_directory_cost_the_same_for_more(
    factory: Factory, count_statements: StatementCounter
) -> None:
    """One approved request vs three (one approved, two pending at two schools)."""
    kit1, kit2 = await _schools(factory)
    school1, school2, admin = kit1.school, kit2.school, _admin(factory, kit1)
    one, three = await _applicant(factory), await _applicant(factory)
    for client, name in ((one, "Solo Child"), (three, "Many Requests")):
        await _child(kit1, name, date(2015, 4, 5))
        request = (await _submit(client, school1, childFullName=name))["accessRequest"]
        await admin.data(APPROVE, input={"requestId": request["id"]})
    await _submit(three, school1, childFullName="Second Child", birthCertificateNumber="S-2")
    await _submit(three, school2, childFullName="Third Child", birthCertificateNumber="S-3")
    small, few = await _count(one, count_statements, MY_REQUESTS)
    large, many = await _count(three, count_statements, MY_REQUESTS)
    assert [r["status"] for r in few["viewer"]["accessRequests"]] == ["APPROVED"]
    assert [r["status"] for r in many["viewer"]["accessRequests"]] == ["SUBMITTED", "SUBMITTED", "APPROVED"]
    assert many["viewer"]["accessRequests"][2]["student"]["fullName"] == "Many Requests"
    assert len(large) == len(small), _explain(small, large)
    directory, listed = await _count(one, count_statements, DIRECTORY)
    assert len(listed["schoolDirectory"]) >= 2
    assert len(directory) == 2, directory  # the schools, and the account check every authenticated request makes


async def test_the_same_request_sent_at_once_is_kept_once(factory: Factory) -> None:
    """A double-tapped submit button: one request is kept, the others are duplicates."""
    applicant, school1 = await _applicant(factory), (await factory.school()).school
    bodies = await asyncio.gather(*(_submit(applicant, school1, childFullName="Double Tap") for _ in range(8)))
    assert sorted(b["__typename"] for b in bodies) == ["AccessRequestSuccess"] + ["ValidationError"] * 7
    assert {b["fields"][0]["code"] for b in bodies if b["__typename"] == "ValidationError"} == {"DUPLICATE_REQUEST"}
    assert len((await applicant.data(MY_REQUESTS))["viewer"]["accessRequests"]) == 1
