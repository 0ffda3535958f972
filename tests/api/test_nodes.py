"""Issue 18 item 2: audit entries, accounts, chat members, meeting responses, enrolments and
teaching assignments have a stable global `id`, and `node(id)` returns them to exactly those
who may see them (the policy's scopes); anyone else gets null, as for an id that names nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import models
from resolvers.core import pk_of, to_global_id, today_utc
from schema.query import NODE_TYPES
from tests.chat_helpers import new_chat
from tests.client import Client
from tests.factories import Factory
from tests.helpers import gid
from tests.notices.test_meetings import RESPOND, _meeting
from tests.notices.test_meetings import _school as _meeting_school

NODE = """query N($id: ID!) { node(id: $id) { __typename id
  ... on AuditEntry { action } ... on Account { login } ... on ChatMember { user { id } } } }"""
LISTS = """query L($id: ID!) { node(id: $id) { ... on School {
  auditLog(first: 1) { edges { node { id action } } }
  accounts(first: 100) { edges { node { id login } } } } } }"""
MEMBERS = "query M($id: ID!) { chat(id: $id) { members { id user { id } } } }"


async def test_audit_entries_and_accounts_are_nodes_for_the_schools_admins_only(factory: Factory) -> None:
    kit = await factory.school(classes=("5A",))
    other = await factory.school("Other school")
    assert kit.admin is not None
    assert other.admin is not None
    teacher = await factory.teacher(kit, [], name="noded")
    await models.AuditEntry.create(actor=teacher, school=kit.school, action="test.node", object_type="Test")
    admin, foreigner = factory.client(kit.admin), factory.client(other.admin)
    school = (await admin.data(LISTS, id=gid(kit.school, "School")))["node"]
    [entry] = [e["node"] for e in school["auditLog"]["edges"]]
    [account] = [e["node"] for e in school["accounts"]["edges"] if e["node"]["login"] == teacher.login]
    assert await admin.data(NODE, id=entry["id"]) == {"node": {"__typename": "AuditEntry", **entry}}
    assert await admin.data(NODE, id=account["id"]) == {"node": {"__typename": "Account", **account}}
    # Ids are stable: the same on the next read.
    again = (await admin.data(LISTS, id=gid(kit.school, "School")))["node"]
    assert again["auditLog"]["edges"][0]["node"]["id"] == entry["id"]
    for viewer in (foreigner, factory.client(teacher)):
        assert await viewer.data(NODE, id=entry["id"]) == {"node": None}
        assert await viewer.data(NODE, id=account["id"]) == {"node": None}


async def test_chat_members_are_nodes_for_the_chats_members_only(factory: Factory) -> None:
    kit = await factory.school(classes=("5A",))
    teacher = await factory.teacher(kit, [], name="host")
    colleague = await factory.teacher(kit, [], name="guest")
    outsider = await factory.teacher(kit, [], name="outsider")
    chat = await new_chat(factory.client(teacher), "nodes", colleague)
    members = (await factory.client(colleague).data(MEMBERS, id=chat))["chat"]["members"]
    assert len(members) == 2
    for member in members:
        found = await factory.client(teacher).data(NODE, id=member["id"])
        assert found == {"node": {"__typename": "ChatMember", **member}}
        assert await factory.client(outsider).data(NODE, id=member["id"]) == {"node": None}


RESPONSES = "query { viewer { meetings { title responses { id answer user { id } } } } }"
RESPONSE_NODE = "query N($id: ID!) { node(id: $id) { __typename id ... on MeetingResponse { answer user { id } } } }"


async def test_meeting_responses_are_nodes_for_staff_and_their_own_parent(factory: Factory) -> None:
    s = await _meeting_school(factory)
    parent, other_parent = factory.client(s.parent), factory.client(s.parent2)
    lead, outsider = factory.client(s.leads["5A"]), factory.client(s.parent_7a)
    meeting = await _meeting(lead, s.kit, ["5A"], "Nodes")
    for client in (parent, other_parent):
        await client.data(RESPOND, input={"meetingId": meeting["id"], "answer": "ATTENDING"})
    [listed] = [m for m in (await lead.data(RESPONSES))["viewer"]["meetings"] if m["title"] == "Nodes"]
    assert len(listed["responses"]) == 2
    for response in listed["responses"]:
        shown = {"__typename": "MeetingResponse", **response}
        assert await lead.data(RESPONSE_NODE, id=response["id"]) == {"node": shown}
        own = response["user"]["id"] == gid(s.parent, "User")
        assert await parent.data(RESPONSE_NODE, id=response["id"]) == {"node": shown if own else None}
        assert await outsider.data(RESPONSE_NODE, id=response["id"]) == {"node": None}


MISSING = 2_000_000_000  # a primary key no row has


async def _answer(client: Client, global_id: str) -> dict[str, Any]:
    """``node(id)``'s whole response but the request's own id (a fresh one each request)."""
    body = await client.post(ANY_NODE, id=global_id)
    for error in body.get("errors", []):
        error.get("extensions", {}).pop("requestId", None)
    return body


async def _not_there(client: Client, kind: str, global_id: str) -> None:
    """``global_id`` answers exactly what an id naming nothing answers, and a garbled id."""
    seen = await _answer(client, global_id)
    assert seen == await _answer(client, to_global_id(kind, MISSING)), (kind, seen)
    assert seen == await _answer(client, "garbled!"), (kind, seen)


ANY_NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
ENROLMENT_FIELDS = "id startDate endDate schoolClass { id name students { id } }"
ENROLLMENTS = f"query E($id: ID!) {{ node(id: $id) {{ ... on Student {{ enrollments {{ {ENROLMENT_FIELDS} }} }} }} }}"
ENROLMENT_NODE = f"query N($id: ID!) {{ node(id: $id) {{ __typename ... on Enrollment {{ {ENROLMENT_FIELDS} }} }} }}"
ENROL = f"""mutation M($input: EnrollmentCreateInput!) {{ enrollmentCreate(input: $input) {{ __typename
  ... on EnrollmentSuccess {{ enrollment {{ {ENROLMENT_FIELDS} }} }} }} }}"""


async def test_enrolments_are_nodes_for_whoever_sees_the_child(factory: Factory) -> None:
    """A child who moved schools: its family, itself, the teachers and admins of both schools
    (and the district's admin) read both enrolments through `Student.enrollments` and `node`
    alike (the old side sees the new class's face there and here); another family, another
    student, a third school's teacher and admin, and a deactivated account get what an id that
    names nothing gets."""
    old = await factory.school("Old", classes=("5A",))
    new = await factory.school("New", classes=("5B",))
    third = await factory.school("Third", classes=("5C",))
    assert old.admin is not None
    assert new.admin is not None
    assert third.admin is not None
    old_teacher = await factory.teacher(old, [("5A", "Mathematics")], name="old")
    new_teacher = await factory.teacher(new, [("5B", "Mathematics")], name="new")
    third_teacher = await factory.teacher(third, [("5C", "Mathematics")], name="third")
    parent, stranger = await factory.parent(), await factory.parent("stranger")
    child = await factory.student(old, "5A", "boris", guardians=[parent])
    classmate = await factory.student(old, "5A", "classmate")
    await factory.student(third, "5C", "vera", guardians=[stranger])
    moved = today_utc() - timedelta(days=10)
    await models.Enrollment.filter(student_id=child.id).update(end_date=moved - timedelta(days=1))
    await models.Enrollment.create(student=child, school_class=new.classes["5B"], start_date=moved)
    await models.Student.filter(id=child.id).update(school_id=new.school.id)
    assert child.user is not None
    assert classmate.user is not None
    seers = [parent, child.user, old_teacher, new_teacher, old.admin, new.admin, await factory.district_admin()]

    listed: list[dict[str, Any]] = []
    for user in seers:
        client = factory.client(user)
        enrolments = (await client.data(ENROLLMENTS, id=gid(child, "Student")))["node"]["enrollments"]
        assert [e["schoolClass"]["name"] for e in enrolments] == ["5A", "5B"], user.login
        for enrolment in enrolments:
            found = await client.data(ENROLMENT_NODE, id=enrolment["id"])
            assert found == {"node": {"__typename": "Enrollment", **enrolment}}, user.login
        listed = enrolments
    outsiders = [stranger, classmate.user, third_teacher, third.admin]
    for user in outsiders:
        for enrolment in listed:
            await _not_there(factory.client(user), "Enrollment", enrolment["id"])
    await models.User.filter(id=parent.id).update(is_active=False)
    for enrolment in listed:
        await _not_there(factory.client(parent), "Enrollment", enrolment["id"])

    # The enrolment an admin makes is the one node() returns them, and no one else of the world above.
    newcomer = await models.Student.create(school=new.school, full_name=f"Newcomer {factory.tag}")
    made = await factory.client(new.admin).data(
        ENROL,
        input={
            "studentId": gid(newcomer, "Student"),
            "classId": gid(new.classes["5B"], "SchoolClass"),
            "startDate": today_utc().isoformat(),
        },
    )
    enrolment = made["enrollmentCreate"]["enrollment"]
    found = await factory.client(new.admin).data(ENROLMENT_NODE, id=enrolment["id"])
    assert found == {"node": {"__typename": "Enrollment", **enrolment}}
    for user in (old.admin, old_teacher, third.admin, stranger):
        await _not_there(factory.client(user), "Enrollment", enrolment["id"])


ASSIGNMENT_FIELDS = "id schoolClass { id name } subject { id name } teacher { id fullName }"
TEACHING = f"query {{ viewer {{ teaching {{ {ASSIGNMENT_FIELDS} }} }} }}"
ASSIGNMENT_NODE = (
    f"query N($id: ID!) {{ node(id: $id) {{ __typename ... on TeachingAssignment {{ {ASSIGNMENT_FIELDS} }} }} }}"
)
ASSIGN = """mutation M($input: TeachingAssignmentInput!) {{ teachingAssignment{verb}(input: $input) {{ __typename
  ... on TeachingAssignmentSuccess {{ teachingAssignment {{ {fields} }} }} }} }}"""


async def test_teaching_assignments_are_nodes_for_their_teacher_and_the_schools_admins(factory: Factory) -> None:
    """The teacher reads their assignments (`Viewer.teaching`), the school's admins (and the
    district's) those they make (`teachingAssignmentCreate`), and `node` returns each to them;
    a colleague, another school's teacher and admin, a parent, a student and a deactivated
    account get what an id that names nothing gets, and so does everyone once it is removed."""
    kit = await factory.school(classes=("5A", "5B"))
    other = await factory.school("Other", classes=("5A",))
    assert kit.admin is not None
    assert other.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="teacher")
    colleague = await factory.teacher(kit, [("5B", "Mathematics")], name="colleague")
    foreigner = await factory.teacher(other, [("5A", "Mathematics")], name="foreigner")
    parent = await factory.parent()
    pupil = await factory.student(kit, "5A", "pupil", guardians=[parent])
    assert pupil.user is not None
    admin = factory.client(kit.admin)
    key = {
        "teacherId": gid(teacher, "User"),
        "classId": gid(kit.classes["5B"], "SchoolClass"),
        "subjectId": gid(kit.subjects["Russian language"], "Subject"),
    }
    made = await admin.data(ASSIGN.format(verb="Create", fields=ASSIGNMENT_FIELDS), input=key)
    created = made["teachingAssignmentCreate"]["teachingAssignment"]
    assert await admin.data(ASSIGNMENT_NODE, id=created["id"]) == {
        "node": {"__typename": "TeachingAssignment", **created}
    }

    teaching = (await factory.client(teacher).data(TEACHING))["viewer"]["teaching"]
    assert [(t["schoolClass"]["name"], t["subject"]["name"]) for t in teaching] == [
        ("5A", "Mathematics"),
        ("5B", "Russian language"),
    ]
    assert created in teaching
    for user in (teacher, kit.admin, await factory.district_admin()):
        for assignment in teaching:
            found = await factory.client(user).data(ASSIGNMENT_NODE, id=assignment["id"])
            assert found == {"node": {"__typename": "TeachingAssignment", **assignment}}, user.login
    for user in (colleague, foreigner, other.admin, parent, pupil.user):
        for assignment in teaching:
            await _not_there(factory.client(user), "TeachingAssignment", assignment["id"])

    removed = await admin.data(ASSIGN.format(verb="Delete", fields="id"), input=key)
    assert removed["teachingAssignmentDelete"]["teachingAssignment"]["id"] == created["id"]
    for user in (teacher, kit.admin):
        await _not_there(factory.client(user), "TeachingAssignment", created["id"])
    await models.User.filter(id=teacher.id).update(is_active=False)
    await _not_there(factory.client(teacher), "TeachingAssignment", teaching[0]["id"])


async def test_an_id_past_its_column_is_null_for_every_type(factory: Factory) -> None:
    """``User:2147483648`` (one past a 32-bit id column) names nothing: null, not a database error
    (PostgreSQL refuses the value for an integer column), for every node type (the fuzzer's find)."""
    await factory.school()
    district = factory.client(await factory.district_admin())
    for type_name in sorted(NODE_TYPES):
        for pk in (2**31 - 1, 2**31, 2**62):
            assert await district.data(NODE, id=to_global_id(type_name, pk)) == {"node": None}, (type_name, pk)


def test_an_id_argument_past_its_column_names_nothing() -> None:
    """An argument's id (``studentId``...) is read by ``pk_of``: past a 32-bit id column it names
    nothing, as an unknown id does; a 64-bit column (notifications) takes it."""
    assert pk_of(to_global_id("Student", 2**31 - 1), "Student") == 2**31 - 1
    assert pk_of(to_global_id("Student", 2**31), "Student") is None
    assert pk_of(to_global_id("Notification", 2**31), "Notification") == 2**31
