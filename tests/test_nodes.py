"""Issue 18 item 2: audit entries, accounts and chat members have a stable global `id`, and
`node(id)` returns them to exactly those who may see them (the policy's scopes); anyone else
gets null, as for an id that names nothing."""

from __future__ import annotations

import models
from tests.chat_helpers import new_chat
from tests.factories import Factory
from tests.helpers import gid
from tests.test_meetings import RESPOND, _meeting
from tests.test_meetings import _school as _meeting_school

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
