"""An admin administers only whom they wholly run (issue 16, item 2): a user is in a school
admin's scope only if every tie they have (role grants, guardianships, their own student record,
teaching) is in the admin's schools; a district admin's, in their district. Anyone else is
``USER_NOT_FOUND`` exactly like a missing id, and nothing is written."""

from __future__ import annotations

from datetime import date

import httpx

import models
from tests.client import Client
from tests.factories import Factory, SchoolKit
from tests.helpers import access_application, gid

SUBMIT = """mutation S($input: AccessRequestSubmitInput!) { accessRequestSubmit(input: $input) {
  __typename ... on AccessRequestSuccess { accessRequest { id } } ... on Error { code } } }"""
APPROVE = """mutation A($input: AccessRequestApproveInput!) { accessRequestApprove(input: $input) {
  __typename ... on Error { code } } }"""
ACCOUNT = "query A($id: ID!) { account(userId: $id) { login roles } }"
RESET = """mutation R($id: ID!) { passwordReset(input: { userId: $id }) {
  __typename ... on PasswordResetSuccess { oneTimePassword } ... on Error { code message } } }"""
DEACTIVATE = """mutation D($id: ID!) { accountDeactivate(input: { userId: $id, reason: "Left" }) {
  __typename ... on Error { code message } } }"""
REACTIVATE = """mutation R($id: ID!) { accountReactivate(input: { userId: $id }) {
  __typename ... on Error { code message } } }"""
ACCOUNTS = """query L($id: ID!) { node(id: $id) { ... on School { accounts(first: 100) {
  edges { node { user { id } } } } } } }"""
NOT_FOUND = {"__typename": "NotFoundError", "code": "USER_NOT_FOUND", "message": "No such user."}
MISSING = gid(models.User(id=2_000_000_000), "User")


async def _two_schools(factory: Factory) -> tuple[SchoolKit, SchoolKit, Client]:
    one = await factory.school("School No. 1", classes=("5A",))
    two = await factory.school("School No. 2", classes=("5A",))
    assert one.admin is not None
    return one, two, factory.client(one.admin)


async def _listed(admin: Client, kit: SchoolKit) -> set[str]:
    node = (await admin.data(ACCOUNTS, id=gid(kit.school, "School")))["node"]
    return {e["node"]["user"]["id"] for e in node["accounts"]["edges"]}


async def _untouchable(admin: Client, user: models.User, kit: SchoolKit) -> None:
    """``user`` is not there for ``admin``: every account read and write answers exactly as for
    a missing id, and nothing about the user changes or is audited."""
    before = await models.User.get(id=user.id)
    audited = await models.AuditEntry.filter(object_type="User", object_id=user.id).count()
    target = gid(user, "User")
    assert (await admin.data(ACCOUNT, id=target))["account"] is None
    for mutation, name in ((RESET, "passwordReset"), (DEACTIVATE, "accountDeactivate")):
        assert (await admin.data(mutation, id=target))[name] == (await admin.data(mutation, id=MISSING))[name]
        assert (await admin.data(mutation, id=target))[name] == NOT_FOUND
    assert target not in await _listed(admin, kit)
    after = await models.User.get(id=user.id)
    assert (after.password_hash, after.must_change_password, after.is_active) == (
        before.password_hash,
        before.must_change_password,
        before.is_active,
    )
    assert await models.AuditEntry.filter(object_type="User", object_id=user.id).count() == audited


async def test_an_approved_access_request_does_not_hand_over_the_teacher(
    factory: Factory, http: httpx.AsyncClient
) -> None:
    """The issue's takeover: a School No. 2 teacher asks School No. 1 for access to a child;
    School No. 1's admin approves it, and still can neither read nor reset nor deactivate them."""
    one, two, admin = await _two_schools(factory)
    teacher = await factory.teacher(two, [("5A", "Mathematics")], name="twoteacher")
    child = await models.Student.create(full_name="Vera Zayavkina", birth_date=date(2015, 4, 5), school=one.school)
    await models.Enrollment.create(student=child, school_class=one.classes["5A"], start_date=one.year.start_date)
    application = access_application(one.school)
    submitted = (await factory.client(teacher).data(SUBMIT, input=application))["accessRequestSubmit"]
    assert submitted["__typename"] == "AccessRequestSuccess", submitted
    request_id = submitted["accessRequest"]["id"]
    approved = (await admin.data(APPROVE, input={"requestId": request_id}))["accessRequestApprove"]
    assert approved["__typename"] == "AccessRequestSuccess", approved
    assert await models.RoleGrant.exists(user_id=teacher.id, role=models.Role.PARENT, school_id=one.school.id)

    await _untouchable(admin, teacher, one)
    # Their own school's admin does not run them whole either (they are a parent at School No. 1) ...
    assert two.admin is not None
    await _untouchable(factory.client(two.admin), teacher, two)
    # ... the district's admin does.
    district = factory.client(await factory.district_admin())
    assert (await district.data(ACCOUNT, id=gid(teacher, "User")))["account"]["roles"] == ["PARENT", "TEACHER"]
    assert (await district.data(RESET, id=gid(teacher, "User")))["passwordReset"]["__typename"] == (
        "PasswordResetSuccess"
    )


async def test_every_kind_of_tie_elsewhere_takes_a_user_out_of_scope(factory: Factory) -> None:
    """A guardianship, a student record, a teaching assignment or a homeroom class in another
    school each take the user out of the admin's scope, even without a role grant there."""
    one, two, admin = await _two_schools(factory)
    pupil_two = await factory.student(two, "5A", "pupiltwo", login=False)
    pupil_one = await factory.student(one, "5A", "pupilone", login=False)

    guardian = await factory.parent("guardian")
    await factory.guardianship(one, guardian, pupil_one)
    await models.Guardianship.create(guardian=guardian, student=pupil_two, relation="father")

    student_user = await factory.user("twice")
    await models.RoleGrant.create(user=student_user, role=models.Role.STUDENT, school=one.school)
    await models.Student.create(full_name="Twice Enrolled", school=two.school, user=student_user)

    assigned = await factory.teacher(one, [], name="assigned")
    await models.TeachingAssignment.create(
        teacher=assigned, school_class=two.classes["5A"], subject=two.subjects["Mathematics"]
    )

    homeroom = await factory.teacher(one, [], name="homeroom")
    await models.SchoolClass.filter(id=two.classes["5A"].id).update(homeroom_teacher_id=homeroom.id)

    for user in (guardian, student_user, assigned, homeroom):
        await _untouchable(admin, user, one)


async def test_whom_the_admin_wholly_runs_stays_theirs(factory: Factory) -> None:
    """A parent, a teacher and a student whose every tie is in School No. 1: read, listed,
    deactivated and reactivated by its admin."""
    one, _two, admin = await _two_schools(factory)
    parent = await factory.parent("mother")
    await factory.student(one, "5A", "pupil", guardians=[parent])
    teacher = await factory.teacher(one, [("5A", "Mathematics")], name="maths")
    listed = await _listed(admin, one)
    for user in (parent, teacher):
        target = gid(user, "User")
        assert (await admin.data(ACCOUNT, id=target))["account"]["login"] == user.login
        assert target in listed
        assert (await admin.data(DEACTIVATE, id=target))["accountDeactivate"]["__typename"] == (
            "AccountDeactivateSuccess"
        )
        assert (await admin.data(REACTIVATE, id=target))["accountReactivate"]["__typename"] == (
            "AccountReactivateSuccess"
        )


async def test_a_district_admin_runs_only_their_district(factory: Factory) -> None:
    """A teacher of the factory's district who also teaches in a school of another district is
    not the district admin's."""
    one, _two, _admin = await _two_schools(factory)
    district = factory.client(await factory.district_admin())
    teacher = await factory.teacher(one, [("5A", "Mathematics")], name="commuter")
    assert (await district.data(ACCOUNT, id=gid(teacher, "User")))["account"] is not None
    far = await models.District.create(name=f"Far district {factory.tag}")
    far_school = await models.School.create(district=far, name=f"Far school {factory.tag}", timezone="Europe/Moscow")
    factory.school_ids.add(far_school.id)
    await models.RoleGrant.create(user=teacher, role=models.Role.TEACHER, school=far_school)
    await _untouchable(district, teacher, one)
