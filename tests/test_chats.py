"""Chats over HTTP: who may message whom, who sees which chat, members coming and going,
messages with their edit/delete windows, history pages, read positions and unread counts,
typed refusals that write nothing, and the statements a chat list costs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

import models
from resolvers.clock import now_utc
from resolvers.ids import from_global_id, to_global_id
from tests.chat_helpers import create_chat, make_person, new_chat, send, sent, user
from tests.conftest import Client, StatementCounter, login_as
from tests.helpers import children_of, gid, school_class
from tests.test_statements import _count, _explain

CHAT = """query C($id: ID!) { chat(id: $id) { id title unreadCount viewerIsAdmin createdBy { fullName }
  school { name } members { user { id } isAdmin } lastMessage { text } } }"""
NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"
CHATS = """{ viewer { unreadChatMessages chats(first: 100) {
  edges { node { id title unreadCount lastMessage { text } } } } } }"""
HISTORY = """query H($id: ID!, $last: Int, $before: String) { chat(id: $id) { messages(last: $last, before: $before) {
  edges { cursor node { id text deleted author { fullName } } }
  pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } } }"""
LIST = """{ viewer { unreadChatMessages chats { edges { cursor node { title unreadCount lastActivityAt viewerIsAdmin
  lastMessage { text author { fullName } } createdBy { fullName } school { name }
  members { isAdmin user { fullName } } } } } } }"""


def _mutation(name: str, input_type: str, success: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ __typename "
        f"... on {success} ... on ValidationError {{ fields {{ field code }} }} ... on Error {{ code message }} }} }}"
    )


RENAME = _mutation("chatRename", "ChatRenameInput", "ChatRenameSuccess { chat { title } }")
ADD = _mutation("chatMembersAdd", "ChatMembersAddInput", "ChatMembersAddSuccess { chat { members { user { id } } } }")
REMOVE = _mutation(
    "chatMemberRemove", "ChatMemberRemoveInput", "ChatMemberRemoveSuccess { chat { members { user { id } } } }"
)
LEAVE = _mutation("chatLeave", "ChatLeaveInput", "ChatLeaveSuccess { chatId }")
DELETE = _mutation("chatDelete", "ChatDeleteInput", "ChatDeleteSuccess { chatId }")
EDIT = _mutation("messageEdit", "MessageEditInput", "MessageEditSuccess { chatMessage { text editedAt editable } }")
REMOVE_MESSAGE = _mutation(
    "messageDelete", "MessageDeleteInput", "MessageDeleteSuccess { chatMessage { text deleted deletedAt links } }"
)
READ = (
    "mutation M($input: ChatMarkReadInput!) { chatMarkRead(input: $input) { __typename "
    "... on ChatMarkReadSuccess { chat { unreadCount } } ... on Error { code message } } }"
)


async def _run(client: Client, document: str, **fields: Any) -> dict[str, Any]:
    data = await client.data(document, input=fields)
    result: dict[str, Any] = next(iter(data.values()))
    return result


async def _writes() -> tuple[int, ...]:
    return (
        await models.Chat.all().count(),
        await models.ChatMember.all().count(),
        await models.Message.all().count(),
        await models.ChatEvent.all().count(),
        await models.AuditEntry.all().count(),
    )


def nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The chats of a ``viewer { chats { edges { node } } }`` answer."""
    return [edge["node"] for edge in data["viewer"]["chats"]["edges"]]


def _pk(global_id: str) -> int:
    parsed = from_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def _classmate() -> models.Student:
    """A 5A student with a login who is neither parent's nor parent2's child."""
    five_a = await school_class("School No. 1", "5A")
    families = [c.id for c in [*await children_of("parent"), *await children_of("parent2")]]
    classmate = (
        await models.Student.filter(enrollments__school_class_id=five_a.id, user_id__isnull=False)
        .exclude(id__in=families)
        .first()
    )
    assert classmate is not None
    return classmate


async def test_create_a_chat_members_see_it_others_do_not(
    http: httpx.AsyncClient, teacher: Client, parent: Client, other_parent: Client, student: Client, admin: Client
) -> None:
    before = await _writes()
    result = await create_chat(teacher, "  5A   maths  ", await user("parent"), await user("parent2"))
    assert result["__typename"] == "ChatCreateSuccess", result
    chat = result["chat"]
    assert (chat["title"], chat["viewerIsAdmin"]) == ("5A maths", True)
    me = await user("teacher")
    assert {m["user"]["id"]: m["isAdmin"] for m in chat["members"]} == {
        gid(me, "User"): True,
        gid(await user("parent"), "User"): False,
        gid(await user("parent2"), "User"): False,
    }
    after = await _writes()
    # a chat, three members, two MEMBER_ADDED events, one audit entry
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 0, 2, 1]
    entry = await models.AuditEntry.filter(action="chat.create").order_by("-id").first()
    assert entry is not None
    assert (entry.object_id, entry.school_id) == (_pk(chat["id"]), (await models.School.get(name="School No. 1")).id)

    seen = (await parent.data(CHAT, id=chat["id"]))["chat"]
    assert (seen["title"], seen["viewerIsAdmin"], seen["school"]["name"]) == ("5A maths", False, "School No. 1")
    assert chat["id"] in [c["id"] for c in nodes(await parent.data(CHATS))]
    # Not in it (the student, the school's own admin, another school's admin): not there at all.
    for outsider in (student, admin, await login_as(http, "admin2")):
        assert (await outsider.data(CHAT, id=chat["id"]))["chat"] is None
        assert (await outsider.data(NODE, id=chat["id"]))["node"] is None
    assert (await student.data(CHAT, id=chat["id"]))["chat"] is None
    assert (await student.data(NODE, id=chat["id"]))["node"] is None
    assert chat["id"] not in [c["id"] for c in nodes(await student.data(CHATS))]


async def test_parent_cannot_start_a_chat_with_someone_elses_child(
    parent: Client, other_parent: Client, http: httpx.AsyncClient
) -> None:
    classmate = await _classmate()
    stranger, _ = await make_person(http, "Unrelated Teacher")  # teaches none of parent2's children
    before = await _writes()
    result = await create_chat(other_parent, "hi", await user("teacher"), models.User(id=classmate.user_id), stranger)
    assert (result["__typename"], result["code"]) == ("ValidationError", "MEMBER_NOT_FOUND")
    assert result["fields"] == [
        {"field": "memberIds[1]", "code": "MEMBER_NOT_FOUND"},
        {"field": "memberIds[2]", "code": "MEMBER_NOT_FOUND"},
    ]
    assert await _writes() == before
    # A parent of School No. 2 is not reachable even for staff of School No. 1.
    other_school = await models.RoleGrant.filter(role=models.Role.PARENT, school__name="School No. 2").first()
    assert other_school is not None
    teacher = await login_as(http, "teacher")
    refused = await create_chat(teacher, "x", models.User(id=other_school.user_id))
    assert refused["fields"] == [{"field": "memberIds[0]", "code": "MEMBER_NOT_FOUND"}]
    assert await _writes() == before


@pytest.mark.parametrize(
    ("title", "members", "codes"),
    [
        ("", ["parent"], [("title", "TITLE_EMPTY")]),
        ("x" * 201, ["parent"], [("title", "TITLE_TOO_LONG")]),
        ("ok", [], [("memberIds", "MEMBERS_EMPTY")]),
        ("ok", ["teacher"], [("memberIds", "MEMBERS_EMPTY")]),  # only yourself
        ("", ["nobody"], [("title", "TITLE_EMPTY"), ("memberIds[0]", "MEMBER_NOT_FOUND")]),
    ],
)
async def test_bad_chat_input_is_refused_and_writes_nothing(
    teacher: Client, title: str, members: list[str], codes: list[tuple[str, str]]
) -> None:
    ids = [to_global_id("User", 10**9) if login == "nobody" else gid(await user(login), "User") for login in members]
    before = await _writes()
    result = (
        await teacher.data(
            "mutation M($input: ChatCreateInput!) { chatCreate(input: $input) { __typename "
            "... on ValidationError { code fields { field code } } } }",
            input={"title": title, "memberIds": ids},
        )
    )["chatCreate"]
    assert result["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in result["fields"]] == codes
    assert await _writes() == before


async def test_messages_history_pages_newest_first(teacher: Client, parent: Client) -> None:
    chat = await new_chat(teacher, "history", await user("parent"))
    texts = [f"message {i}" for i in range(5)]
    for text in texts:
        await sent(teacher, chat, text)
    first = (await parent.data(HISTORY, id=chat, last=2))["chat"]["messages"]
    assert [e["node"]["text"] for e in first["edges"]] == ["message 4", "message 3"]
    assert first["pageInfo"]["hasPreviousPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = (await parent.data(HISTORY, id=chat, last=2, before=first["pageInfo"]["endCursor"]))["chat"]["messages"]
    assert [e["node"]["text"] for e in second["edges"]] == ["message 2", "message 1"]
    last = (await parent.data(HISTORY, id=chat, last=2, before=second["pageInfo"]["endCursor"]))["chat"]["messages"]
    assert [e["node"]["text"] for e in last["edges"]] == ["message 0"]
    assert last["pageInfo"]["hasPreviousPage"] is False
    body = await parent.post(HISTORY, id=chat, last=101)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_message_text_rules(teacher: Client) -> None:
    chat = await new_chat(teacher, "texts", await user("parent"))
    before = await _writes()
    for text, code in (("", "TEXT_EMPTY"), ("  \n ", "TEXT_EMPTY"), ("x" * 4001, "TEXT_TOO_LONG")):
        result = await send(teacher, chat, text)
        assert (result["__typename"], result["code"], result["fields"]) == (
            "ValidationError",
            code,
            [{"field": "text", "code": code}],
        )
    assert await _writes() == before
    longest = await send(teacher, chat, "y" * 4000)
    assert longest["__typename"] == "MessageSendSuccess"
    linked = await send(teacher, chat, "Slides: https://example.org/a?b=1, and http://x.test/y.")
    assert linked["chatMessage"]["links"] == ["https://example.org/a?b=1", "http://x.test/y"]
    unknown = await send(teacher, to_global_id("Chat", 10**9), "hello")
    assert (unknown["__typename"], unknown["code"]) == ("NotFoundError", "CHAT_NOT_FOUND")


async def test_unread_counts_and_read_position(teacher: Client, parent: Client, other_parent: Client) -> None:
    chat = await new_chat(teacher, "unread", await user("parent"), await user("parent2"))
    total_before = (await parent.data(CHATS))["viewer"]["unreadChatMessages"]
    first = await sent(teacher, chat, "one")
    await sent(teacher, chat, "two")
    await sent(other_parent, chat, "three")
    await sent(parent, chat, "mine")  # own messages are never unread ...
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 3
    assert (await parent.data(CHATS))["viewer"]["unreadChatMessages"] == total_before + 3
    assert (await teacher.data(CHAT, id=chat))["chat"]["unreadCount"] == 2
    # ... and sending does not mark others' messages read: the reader's position is theirs.
    moved = await _run(parent, READ, chatId=chat, messageId=first)
    assert moved == {"__typename": "ChatMarkReadSuccess", "chat": {"unreadCount": 2}}
    everything = await _run(parent, READ, chatId=chat)
    assert everything["chat"]["unreadCount"] == 0
    back = await _run(parent, READ, chatId=chat, messageId=first)  # never moves back
    assert back["chat"]["unreadCount"] == 0
    assert (await parent.data(CHATS))["viewer"]["unreadChatMessages"] == total_before
    # A deleted message is not unread.
    third = await sent(teacher, chat, "oops")
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 1
    await _run(teacher, REMOVE_MESSAGE, messageId=third)
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 0
    foreign = await new_chat(teacher, "elsewhere", await user("parent2"))
    other = await sent(teacher, foreign, "not in your chat")
    refused = await _run(parent, READ, chatId=chat, messageId=other)
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "MESSAGE_NOT_FOUND")


async def test_chat_list_orders_by_last_activity(http: httpx.AsyncClient) -> None:
    _, client = await make_person(http, "Order Tester")
    older = await new_chat(client, "older", await user("parent"))
    newer = await new_chat(client, "newer", await user("parent"))
    assert [c["id"] for c in nodes(await client.data(CHATS))] == [newer, older]
    await sent(client, older, "wake up")
    listed = nodes(await client.data(CHATS))
    assert [c["id"] for c in listed] == [older, newer]
    assert listed[0]["lastMessage"] == {"text": "wake up"}


PAGE = """query P($first: Int, $after: String) { viewer { chats(first: $first, after: $after) {
  edges { cursor node { title } } pageInfo { hasNextPage endCursor } } } }"""


async def test_chat_list_pages(http: httpx.AsyncClient) -> None:
    _, client = await make_person(http, "Pager")
    for i in range(5):
        await new_chat(client, f"page {i}", await user("parent"))
    first = (await client.data(PAGE, first=2))["viewer"]["chats"]
    assert [e["node"]["title"] for e in first["edges"]] == ["page 4", "page 3"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    second = (await client.data(PAGE, first=2, after=first["pageInfo"]["endCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in second["edges"]] == ["page 2", "page 1"]
    third = (await client.data(PAGE, first=2, after=second["pageInfo"]["endCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in third["edges"]] == ["page 0"]
    assert third["pageInfo"]["hasNextPage"] is False
    for bad in ({"first": 0}, {"first": 101}, {"after": "bm9wZQ"}):
        body = await client.post(PAGE, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


async def test_edit_and_delete_windows(teacher: Client, parent: Client) -> None:
    chat = await new_chat(teacher, "edits", await user("parent"))
    mine = await sent(parent, chat, "typo")
    theirs = await sent(teacher, chat, "teacher's")
    edited = await _run(parent, EDIT, messageId=mine, text="fixed")
    assert edited["chatMessage"]["text"] == "fixed"
    assert edited["chatMessage"]["editedAt"] is not None
    refused = await _run(parent, EDIT, messageId=theirs, text="hacked")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_AUTHOR")
    empty = await _run(parent, EDIT, messageId=mine, text=" ")
    assert empty["code"] == "TEXT_EMPTY"
    not_theirs = await _run(parent, REMOVE_MESSAGE, messageId=theirs)
    assert not_theirs["code"] == "NOT_AUTHOR"

    await models.Message.filter(id=_pk(mine)).update(created_at=now_utc() - timedelta(hours=25))
    late = await _run(parent, EDIT, messageId=mine, text="again")
    assert late["code"] == "EDIT_WINDOW_CLOSED"
    late_delete = await _run(parent, REMOVE_MESSAGE, messageId=mine)
    assert late_delete["code"] == "DELETE_WINDOW_CLOSED"
    assert (await models.Message.get(id=_pk(mine))).text == "fixed"
    # A chat admin deletes any message, any time; it stays as a tombstone without text.
    gone = await _run(teacher, REMOVE_MESSAGE, messageId=mine)
    assert gone["chatMessage"]["text"] is None
    assert gone["chatMessage"]["deleted"] is True
    assert gone["chatMessage"]["links"] == []
    history = (await parent.data(HISTORY, id=chat))["chat"]["messages"]["edges"]
    assert [(e["node"]["text"], e["node"]["deleted"]) for e in history] == [("teacher's", False), (None, True)]
    entry = await models.AuditEntry.filter(action="message.delete", object_id=_pk(mine)).first()
    assert entry is not None
    assert entry.details["before"] == "fixed"  # the text is kept for the school, not for the chat


async def test_removed_member_loses_the_chat_from_then_on(
    teacher: Client, parent: Client, other_parent: Client
) -> None:
    chat = await new_chat(teacher, "removal", await user("parent"), await user("parent2"))
    message = await sent(other_parent, chat, "before removal")
    removed = await _run(teacher, REMOVE, chatId=chat, userId=gid(await user("parent2"), "User"))
    assert gid(await user("parent2"), "User") not in [m["user"]["id"] for m in removed["chat"]["members"]]
    assert (await other_parent.data(CHAT, id=chat))["chat"] is None
    assert (await other_parent.data(NODE, id=message))["node"] is None
    assert chat not in [c["id"] for c in nodes(await other_parent.data(CHATS))]
    refused = await send(other_parent, chat, "still here?")
    nowhere = await send(other_parent, to_global_id("Chat", 10**9), "still here?")
    assert refused == nowhere  # exactly like a chat that does not exist
    edit = await _run(other_parent, EDIT, messageId=message, text="x")
    assert (edit["__typename"], edit["code"]) == ("NotFoundError", "MESSAGE_NOT_FOUND")
    # The others carry on; the removed member's messages stay for them.
    history = (await parent.data(HISTORY, id=chat))["chat"]["messages"]["edges"]
    assert [e["node"]["text"] for e in history] == ["before removal"]
    # Not an admin: cannot remove; removing oneself is chatLeave.
    no = await _run(parent, REMOVE, chatId=chat, userId=gid(await user("teacher"), "User"))
    assert no["code"] == "NOT_CHAT_ADMIN"
    self_remove = await _run(teacher, REMOVE, chatId=chat, userId=gid(await user("teacher"), "User"))
    assert self_remove["code"] == "USE_CHAT_LEAVE"
    # Added again: back in, reading on from now.
    await sent(teacher, chat, "while away")
    again = await _run(teacher, ADD, chatId=chat, memberIds=[gid(await user("parent2"), "User")])
    assert again["__typename"] == "ChatMembersAddSuccess"
    back = (await other_parent.data(CHAT, id=chat))["chat"]
    assert (back["unreadCount"], back["lastMessage"]) == (0, {"text": "while away"})


async def test_last_admin_hands_over_before_leaving(teacher: Client, parent: Client, other_parent: Client) -> None:
    chat = await new_chat(teacher, "leaving", await user("parent"), await user("parent2"))
    before = await _writes()
    refused = await _run(teacher, LEAVE, chatId=chat)
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "LAST_ADMIN")
    not_admin = await _run(other_parent, LEAVE, chatId=chat, newAdminId=gid(await user("parent"), "User"))
    assert not_admin["code"] == "NOT_CHAT_ADMIN"
    stranger = await _run(teacher, LEAVE, chatId=chat, newAdminId=gid(await user("student"), "User"))
    assert stranger["code"] == "MEMBER_NOT_FOUND"
    assert await _writes() == before
    left = await _run(teacher, LEAVE, chatId=chat, newAdminId=gid(await user("parent"), "User"))
    assert left == {"__typename": "ChatLeaveSuccess", "chatId": chat}
    assert (await teacher.data(CHAT, id=chat))["chat"] is None
    assert (await parent.data(CHAT, id=chat))["chat"]["viewerIsAdmin"] is True
    # A member who is not an admin just leaves.
    assert (await _run(other_parent, LEAVE, chatId=chat))["__typename"] == "ChatLeaveSuccess"
    # The last member leaving deletes the chat.
    assert (await _run(parent, LEAVE, chatId=chat))["__typename"] == "ChatLeaveSuccess"
    assert (await models.Chat.get(id=_pk(chat))).deleted_at is not None


async def test_rename_and_delete_by_admins_only(teacher: Client, parent: Client) -> None:
    chat = await new_chat(teacher, "old title", await user("parent"))
    no = await _run(parent, RENAME, chatId=chat, title="mine now")
    assert (no["__typename"], no["code"]) == ("ValidationError", "NOT_CHAT_ADMIN")
    blank = await _run(teacher, RENAME, chatId=chat, title="   ")
    assert blank["code"] == "TITLE_EMPTY"
    renamed = await _run(teacher, RENAME, chatId=chat, title="new title")
    assert renamed["chat"]["title"] == "new title"
    assert (await parent.data(CHAT, id=chat))["chat"]["title"] == "new title"
    assert (await _run(parent, DELETE, chatId=chat))["code"] == "NOT_CHAT_ADMIN"
    assert (await _run(teacher, DELETE, chatId=chat)) == {"__typename": "ChatDeleteSuccess", "chatId": chat}
    assert (await parent.data(CHAT, id=chat))["chat"] is None
    assert (await teacher.data(CHAT, id=chat))["chat"] is None
    again = await _run(teacher, DELETE, chatId=chat)
    assert (again["__typename"], again["code"]) == ("NotFoundError", "CHAT_NOT_FOUND")
    actions = await models.AuditEntry.filter(object_type="Chat", object_id=_pk(chat)).values_list("action", flat=True)
    assert sorted(str(a) for a in actions) == ["chat.create", "chat.delete", "chat.rename"]


async def test_members_added_must_be_reachable(teacher: Client, parent: Client, http: httpx.AsyncClient) -> None:
    chat = await new_chat(parent, "family and school", await user("teacher"))
    # The parent created it (admin), but a 5A classmate is not someone they may add.
    classmate = await _classmate()
    before = await _writes()
    refused = await _run(parent, ADD, chatId=chat, memberIds=[gid(models.User(id=classmate.user_id), "User")])
    assert refused["fields"] == [{"field": "memberIds[0]", "code": "MEMBER_NOT_FOUND"}]
    assert await _writes() == before
    own_child = (await children_of("parent"))[0]
    assert own_child.user_id is not None
    added = await _run(parent, ADD, chatId=chat, memberIds=[gid(models.User(id=own_child.user_id), "User")])
    assert gid(models.User(id=own_child.user_id), "User") in [m["user"]["id"] for m in added["chat"]["members"]]


async def test_chat_list_statements_do_not_grow(http: httpx.AsyncClient, count_statements: StatementCounter) -> None:
    """One chat with two members and one message costs what four chats with more members,
    messages and unread ones cost: members, last messages and unread counts are batched."""
    _, small_client = await make_person(http, "Few Chats")
    _, large_client = await make_person(http, "Many Chats")
    parent, parent2, teacher = await user("parent"), await user("parent2"), await user("teacher")
    chat = await new_chat(small_client, "one", parent)
    await sent(small_client, chat, "hello")
    for i in range(4):
        many = await new_chat(large_client, f"chat {i}", parent, parent2, teacher)
        for j in range(3):
            await sent(large_client, many, f"m{j}")
    other = await login_as(http, "parent")
    for c in nodes(await other.data(CHATS))[:2]:
        await sent(other, c["id"], "unread for them")
    small, one = await _count(small_client, count_statements, LIST)
    large, four = await _count(large_client, count_statements, LIST)
    assert len(nodes(one)) == 1
    assert len(nodes(four)) == 4
    assert sum(c["unreadCount"] for c in nodes(four)) >= 1
    assert len(large) == len(small), _explain(small, large)
    assert len(small) <= 8, small


async def test_demo_chats_are_there_for_their_members_only(
    teacher: Client, parent: Client, other_parent: Client, student: Client, admin: Client
) -> None:
    def titles(data: dict[str, Any]) -> set[str]:
        return {c["title"] for c in nodes(data)}

    for client in (teacher, parent, other_parent):
        assert "5A mathematics: parents" in titles(await client.data(CHATS))
    assert "School No. 1 staff room" in titles(await teacher.data(CHATS))
    assert "School No. 1 staff room" in titles(await admin.data(CHATS))
    assert "5A mathematics: parents" not in titles(await admin.data(CHATS))
    assert titles(await student.data(CHATS)) & {"5A mathematics: parents", "School No. 1 staff room"} == set()


async def test_every_write_is_audited_with_the_school(teacher: Client, parent: Client, other_parent: Client) -> None:
    chat = await new_chat(teacher, "audited", await user("parent"))
    pk = _pk(chat)
    await _run(teacher, RENAME, chatId=chat, title="audited, renamed")
    await _run(teacher, ADD, chatId=chat, memberIds=[gid(await user("parent2"), "User")])
    message = await sent(parent, chat, "to be edited")
    await _run(parent, EDIT, messageId=message, text="edited")
    await _run(parent, REMOVE_MESSAGE, messageId=message)
    await _run(teacher, REMOVE, chatId=chat, userId=gid(await user("parent2"), "User"))
    await _run(parent, LEAVE, chatId=chat)
    school = await models.School.get(name="School No. 1")
    chat_entries = await models.AuditEntry.filter(object_type="Chat", object_id=pk).order_by("id")
    assert [(e.action, e.school_id) for e in chat_entries] == [
        ("chat.create", school.id),
        ("chat.rename", school.id),
        ("chat.members_add", school.id),
        ("chat.member_remove", school.id),
        ("chat.leave", school.id),
    ]
    message_entries = await models.AuditEntry.filter(object_type="Message", object_id=_pk(message)).order_by("id")
    assert [(e.action, e.school_id, e.actor_id) for e in message_entries] == [
        ("message.send", school.id, (await user("parent")).id),
        ("message.edit", school.id, (await user("parent")).id),
        ("message.delete", school.id, (await user("parent")).id),
    ]
    assert message_entries[1].details["before"] == "to be edited"


async def test_history_statements_do_not_grow(
    teacher: Client, parent: Client, other_parent: Client, count_statements: StatementCounter
) -> None:
    """A page of 2 messages by one author costs what a page of 20 by three authors costs."""
    chat = await new_chat(teacher, "statements", await user("parent"), await user("parent2"))
    for i in range(20):
        await sent((teacher, parent, other_parent)[i % 3], chat, f"m{i}")
    small, two = await _count(parent, count_statements, HISTORY, id=chat, last=2)
    large, twenty = await _count(parent, count_statements, HISTORY, id=chat, last=20)
    assert (len(two["chat"]["messages"]["edges"]), len(twenty["chat"]["messages"]["edges"])) == (2, 20)
    assert len({e["node"]["author"]["fullName"] for e in twenty["chat"]["messages"]["edges"]}) == 3
    assert len(large) == len(small), _explain(small, large)


INBOX = """{ viewer { notifications(first: 20) { edges { node { kind chatMessage { id text } } } } } }"""


def _chat_notifications(data: dict[str, Any]) -> list[dict[str, Any]]:
    edges = data["viewer"]["notifications"]["edges"]
    return [e["node"]["chatMessage"] for e in edges if e["node"]["kind"] == "CHAT_MESSAGE"]


async def test_a_message_notifies_the_other_members_while_they_are_members(
    teacher: Client, parent: Client, other_parent: Client, admin: Client
) -> None:
    chat = await new_chat(teacher, "notified", await user("parent"), await user("parent2"))
    message = await sent(teacher, chat, "Bring the atlas tomorrow")
    news = {"id": message, "text": "Bring the atlas tomorrow"}
    assert news in _chat_notifications(await parent.data(INBOX))
    assert news in _chat_notifications(await other_parent.data(INBOX))
    assert message not in [m["id"] for m in _chat_notifications(await teacher.data(INBOX))]  # not the author
    assert message not in [m["id"] for m in _chat_notifications(await admin.data(INBOX))]  # not a member
    await _run(teacher, REMOVE, chatId=chat, userId=gid(await user("parent2"), "User"))
    assert message not in [m["id"] for m in _chat_notifications(await other_parent.data(INBOX))]
    assert news in _chat_notifications(await parent.data(INBOX))
