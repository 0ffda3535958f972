"""Chats over HTTP: who may message whom, who sees which chat, members coming and going,
messages with their edit/delete windows, history pages, read positions and unread counts,
typed refusals that write nothing, and the statements a chat list costs. Each test builds
its own school from factories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import models
from resolvers.core import from_global_id, now_utc, to_global_id
from tests.api.test_statements import _count, _explain
from tests.chat_helpers import (
    ADD,
    DELETE,
    EDIT,
    LEAVE,
    REMOVE,
    REMOVE_MESSAGE,
    RENAME,
    create_chat,
    new_chat,
    run,
    send,
    sent,
)
from tests.client import Client
from tests.conftest import StatementCounter
from tests.factories import Factory, SchoolKit
from tests.helpers import gid

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


READ = (
    "mutation M($input: ChatMarkReadInput!) { chatMarkRead(input: $input) { __typename "
    "... on ChatMarkReadSuccess { chat { unreadCount } } ... on Error { code message } } }"
)


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


@dataclass
class School:
    """A school with two classes: 5A and 6B."""

    kit: SchoolKit
    admin: models.User  # the school's admin
    teacher: models.User  # mathematics in 5A and 6B; leads no class
    parent: models.User  # of `child` (5A) and of a child in 6B
    parent2: models.User  # of one child in 5A, unrelated to `parent`
    child: models.Student  # 5A, with a login
    student: models.User  # `child`'s login
    classmate: models.Student  # 5A, with a login, neither parent's child (a third family's)


@dataclass
class OtherSchool:
    """Another school of the same district, with an admin and a family of its own."""

    kit: SchoolKit
    admin: models.User
    parent: models.User


async def _school(factory: Factory) -> School:
    kit = await factory.school(classes=("5A", "6B"))
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [("5A", "Mathematics"), ("6B", "Mathematics")], name="maths")
    parent, parent2 = await factory.parent("mother"), await factory.parent("father")
    child = await factory.student(kit, "5A", "anna", guardians=[parent])
    await factory.student(kit, "6B", "boris", guardians=[parent])
    await factory.student(kit, "5A", "vera", guardians=[parent2])
    classmate = await factory.student(kit, "5A", "gleb", guardians=[await factory.parent("third")])
    student = await models.User.get(id=child.user_id)
    return School(kit, kit.admin, teacher, parent, parent2, child, student, classmate)


async def _other_school(factory: Factory) -> OtherSchool:
    kit = await factory.school("Other school")
    assert kit.admin is not None
    parent = await factory.parent("elsewhere")
    await factory.student(kit, "5A", "dina", guardians=[parent])
    return OtherSchool(kit, kit.admin, parent)


async def _staff(factory: Factory, kit: SchoolKit, full_name: str, name: str) -> tuple[models.User, Client]:
    """A teacher of ``kit`` who teaches no class (staff reach everyone of their school)."""
    user = await factory.user(name, full_name=full_name)
    await models.RoleGrant.create(user=user, role=models.Role.TEACHER, school=kit.school)
    return user, factory.client(user)


async def test_create_a_chat_members_see_it_others_do_not(factory: Factory) -> None:
    s, other = await _school(factory), await _other_school(factory)
    teacher, parent, student = factory.client(s.teacher), factory.client(s.parent), factory.client(s.student)
    before = await _writes()
    result = await create_chat(teacher, "  5A   maths  ", s.parent, s.parent2)
    assert result["__typename"] == "ChatCreateSuccess", result
    chat = result["chat"]
    assert (chat["title"], chat["viewerIsAdmin"]) == ("5A maths", True)
    assert {m["user"]["id"]: m["isAdmin"] for m in chat["members"]} == {
        gid(s.teacher, "User"): True,
        gid(s.parent, "User"): False,
        gid(s.parent2, "User"): False,
    }
    after = await _writes()
    # a chat, three members, two MEMBER_ADDED events, one audit entry
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 0, 2, 1]
    entry = await models.AuditEntry.filter(action="chat.create").order_by("-id").first()
    assert entry is not None
    assert (entry.object_id, entry.school_id) == (_pk(chat["id"]), s.kit.school.id)

    seen = (await parent.data(CHAT, id=chat["id"]))["chat"]
    assert (seen["title"], seen["viewerIsAdmin"], seen["school"]["name"]) == ("5A maths", False, s.kit.school.name)
    assert chat["id"] in [c["id"] for c in nodes(await parent.data(CHATS))]
    # Not in it (the student, the school's own admin, another school's admin): not there at all.
    for outsider in (student, factory.client(s.admin), factory.client(other.admin)):
        assert (await outsider.data(CHAT, id=chat["id"]))["chat"] is None
        assert (await outsider.data(NODE, id=chat["id"]))["node"] is None
    assert (await student.data(CHAT, id=chat["id"]))["chat"] is None
    assert (await student.data(NODE, id=chat["id"]))["node"] is None
    assert chat["id"] not in [c["id"] for c in nodes(await student.data(CHATS))]


async def test_parent_cannot_start_a_chat_with_someone_elses_child(factory: Factory) -> None:
    s, other = await _school(factory), await _other_school(factory)
    stranger, _ = await _staff(factory, s.kit, "Unrelated Teacher", "unrelated")  # teaches none of parent2's children
    before = await _writes()
    classmate = models.User(id=s.classmate.user_id)
    result = await create_chat(factory.client(s.parent2), "hi", s.teacher, classmate, stranger)
    assert (result["__typename"], result["code"]) == ("ValidationError", "MEMBER_NOT_FOUND")
    assert result["fields"] == [
        {"field": "memberIds[1]", "code": "MEMBER_NOT_FOUND"},
        {"field": "memberIds[2]", "code": "MEMBER_NOT_FOUND"},
    ]
    assert await _writes() == before
    # A parent of another school is not reachable even for this school's staff.
    refused = await create_chat(factory.client(s.teacher), "x", other.parent)
    assert refused["fields"] == [{"field": "memberIds[0]", "code": "MEMBER_NOT_FOUND"}]
    assert await _writes() == before


@pytest.mark.parametrize(
    ("title", "members", "codes"),
    [
        ("", ["a parent"], [("title", "TITLE_EMPTY")]),
        ("x" * 201, ["a parent"], [("title", "TITLE_TOO_LONG")]),
        ("ok", [], [("memberIds", "MEMBERS_EMPTY")]),
        ("ok", ["yourself"], [("memberIds", "MEMBERS_EMPTY")]),  # only yourself
        ("", ["nobody"], [("title", "TITLE_EMPTY"), ("memberIds[0]", "MEMBER_NOT_FOUND")]),
    ],
)
async def test_bad_chat_input_is_refused_and_writes_nothing(
    factory: Factory, title: str, members: list[str], codes: list[tuple[str, str]]
) -> None:
    s = await _school(factory)
    people = {"a parent": gid(s.parent, "User"), "yourself": gid(s.teacher, "User")}
    ids = [to_global_id("User", 10**9) if who == "nobody" else people[who] for who in members]
    before = await _writes()
    result = (
        await factory.client(s.teacher).data(
            "mutation M($input: ChatCreateInput!) { chatCreate(input: $input) { __typename "
            "... on ValidationError { code fields { field code } } } }",
            input={"title": title, "memberIds": ids},
        )
    )["chatCreate"]
    assert result["__typename"] == "ValidationError"
    assert [(f["field"], f["code"]) for f in result["fields"]] == codes
    assert await _writes() == before


async def test_messages_history_pages_oldest_to_newest(factory: Factory) -> None:
    """Relay's order: `last: n` is the n newest, oldest to newest in `edges`; `before:
    startCursor` is the page of older messages just before it, with no overlap."""
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "history", s.parent)
    texts = [f"message {i}" for i in range(5)]
    for text in texts:
        await sent(teacher, chat, text)
    first = (await parent.data(HISTORY, id=chat, last=2))["chat"]["messages"]
    assert [e["node"]["text"] for e in first["edges"]] == ["message 3", "message 4"]
    assert first["pageInfo"]["hasPreviousPage"] is True
    assert first["pageInfo"]["hasNextPage"] is False
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    second = (await parent.data(HISTORY, id=chat, last=2, before=first["pageInfo"]["startCursor"]))["chat"]["messages"]
    assert [e["node"]["text"] for e in second["edges"]] == ["message 1", "message 2"]
    assert second["pageInfo"]["hasNextPage"] is True
    last = (await parent.data(HISTORY, id=chat, last=2, before=second["pageInfo"]["startCursor"]))["chat"]["messages"]
    assert [e["node"]["text"] for e in last["edges"]] == ["message 0"]
    assert last["pageInfo"]["hasPreviousPage"] is False
    default = (await parent.data(HISTORY, id=chat))["chat"]["messages"]
    assert [e["node"]["text"] for e in default["edges"]] == texts
    body = await parent.post(HISTORY, id=chat, last=-1)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_message_text_rules(factory: Factory) -> None:
    s = await _school(factory)
    teacher = factory.client(s.teacher)
    chat = await new_chat(teacher, "texts", s.parent)
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


async def test_unread_counts_and_read_position(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    chat = await new_chat(teacher, "unread", s.parent, s.parent2)
    total_before = (await parent.data(CHATS))["viewer"]["unreadChatMessages"]
    first = await sent(teacher, chat, "one")
    await sent(teacher, chat, "two")
    await sent(other_parent, chat, "three")
    await sent(parent, chat, "mine")  # own messages are never unread ...
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 3
    assert (await parent.data(CHATS))["viewer"]["unreadChatMessages"] == total_before + 3
    assert (await teacher.data(CHAT, id=chat))["chat"]["unreadCount"] == 2
    # ... and sending does not mark others' messages read: the reader's position is theirs.
    moved = await run(parent, READ, chatId=chat, messageId=first)
    assert moved == {"__typename": "ChatMarkReadSuccess", "chat": {"unreadCount": 2}}
    everything = await run(parent, READ, chatId=chat)
    assert everything["chat"]["unreadCount"] == 0
    back = await run(parent, READ, chatId=chat, messageId=first)  # never moves back
    assert back["chat"]["unreadCount"] == 0
    assert (await parent.data(CHATS))["viewer"]["unreadChatMessages"] == total_before
    # A deleted message is not unread.
    third = await sent(teacher, chat, "oops")
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 1
    await run(teacher, REMOVE_MESSAGE, messageId=third)
    assert (await parent.data(CHAT, id=chat))["chat"]["unreadCount"] == 0
    foreign = await new_chat(teacher, "elsewhere", s.parent2)
    other = await sent(teacher, foreign, "not in your chat")
    refused = await run(parent, READ, chatId=chat, messageId=other)
    assert (refused["__typename"], refused["code"]) == ("NotFoundError", "MESSAGE_NOT_FOUND")


async def test_chat_list_orders_by_last_activity(factory: Factory) -> None:
    s = await _school(factory)
    _, client = await _staff(factory, s.kit, "Order Tester", "order")
    older = await new_chat(client, "older", s.parent)
    newer = await new_chat(client, "newer", s.parent)
    assert [c["id"] for c in nodes(await client.data(CHATS))] == [newer, older]
    await sent(client, older, "wake up")
    listed = nodes(await client.data(CHATS))
    assert [c["id"] for c in listed] == [older, newer]
    assert listed[0]["lastMessage"] == {"text": "wake up"}


PAGE = """query P($first: Int, $after: String, $last: Int, $before: String) {
  viewer { chats(first: $first, after: $after, last: $last, before: $before) {
  edges { cursor node { title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""


async def test_chat_list_pages(factory: Factory) -> None:
    s = await _school(factory)
    _, client = await _staff(factory, s.kit, "Pager", "pager")
    for i in range(5):
        await new_chat(client, f"page {i}", s.parent)
    first = (await client.data(PAGE, first=2))["viewer"]["chats"]
    assert [e["node"]["title"] for e in first["edges"]] == ["page 4", "page 3"]
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][-1]["cursor"],
    }
    second = (await client.data(PAGE, first=2, after=first["pageInfo"]["endCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in second["edges"]] == ["page 2", "page 1"]
    assert second["pageInfo"]["hasPreviousPage"] is True
    third = (await client.data(PAGE, first=2, after=second["pageInfo"]["endCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in third["edges"]] == ["page 0"]
    assert third["pageInfo"]["hasNextPage"] is False
    # Backwards, as Relay does: the end of the list, then `before` each page's start.
    end = (await client.data(PAGE, last=2))["viewer"]["chats"]
    assert [e["node"]["title"] for e in end["edges"]] == ["page 1", "page 0"]
    assert (end["pageInfo"]["hasPreviousPage"], end["pageInfo"]["hasNextPage"]) == (True, False)
    middle = (await client.data(PAGE, last=2, before=end["pageInfo"]["startCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in middle["edges"]] == ["page 3", "page 2"]
    top = (await client.data(PAGE, last=2, before=middle["pageInfo"]["startCursor"]))["viewer"]["chats"]
    assert [e["node"]["title"] for e in top["edges"]] == ["page 4"]
    assert (top["pageInfo"]["hasPreviousPage"], top["pageInfo"]["hasNextPage"]) == (False, True)
    for bad in ({"first": -1}, {"last": -1}, {"first": 1, "last": 1}, {"after": "bm9wZQ"}, {"before": "bm9wZQ"}):
        body = await client.post(PAGE, **bad)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad


async def test_edit_and_delete_windows(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "edits", s.parent)
    mine = await sent(parent, chat, "typo")
    theirs = await sent(teacher, chat, "teacher's")
    edited = await run(parent, EDIT, messageId=mine, text="fixed")
    assert edited["chatMessage"]["text"] == "fixed"
    assert edited["chatMessage"]["editedAt"] is not None
    refused = await run(parent, EDIT, messageId=theirs, text="hacked")
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "NOT_AUTHOR")
    empty = await run(parent, EDIT, messageId=mine, text=" ")
    assert empty["code"] == "TEXT_EMPTY"
    not_theirs = await run(parent, REMOVE_MESSAGE, messageId=theirs)
    assert not_theirs["code"] == "NOT_AUTHOR"

    await models.Message.filter(id=_pk(mine)).update(created_at=now_utc() - timedelta(hours=25))
    late = await run(parent, EDIT, messageId=mine, text="again")
    assert late["code"] == "EDIT_WINDOW_CLOSED"
    late_delete = await run(parent, REMOVE_MESSAGE, messageId=mine)
    assert late_delete["code"] == "DELETE_WINDOW_CLOSED"
    assert (await models.Message.get(id=_pk(mine))).text == "fixed"
    # A chat admin deletes any message, any time; it stays as a tombstone without text.
    gone = await run(teacher, REMOVE_MESSAGE, messageId=mine)
    assert gone["chatMessage"]["text"] is None
    assert gone["chatMessage"]["deleted"] is True
    assert gone["chatMessage"]["links"] == []
    history = (await parent.data(HISTORY, id=chat))["chat"]["messages"]["edges"]
    assert [(e["node"]["text"], e["node"]["deleted"]) for e in history] == [(None, True), ("teacher's", False)]
    entry = await models.AuditEntry.filter(action="message.delete", object_id=_pk(mine)).first()
    assert entry is not None
    assert entry.details == {"chat": _pk(chat), "ownMessage": False}  # an admin's, and never the text


async def test_removed_member_loses_the_chat_from_then_on(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    chat = await new_chat(teacher, "removal", s.parent, s.parent2)
    message = await sent(other_parent, chat, "before removal")
    removed = await run(teacher, REMOVE, chatId=chat, userId=gid(s.parent2, "User"))
    assert gid(s.parent2, "User") not in [m["user"]["id"] for m in removed["chat"]["members"]]
    assert (await other_parent.data(CHAT, id=chat))["chat"] is None
    assert (await other_parent.data(NODE, id=message))["node"] is None
    assert chat not in [c["id"] for c in nodes(await other_parent.data(CHATS))]
    refused = await send(other_parent, chat, "still here?")
    nowhere = await send(other_parent, to_global_id("Chat", 10**9), "still here?")
    assert refused == nowhere  # exactly like a chat that does not exist
    edit = await run(other_parent, EDIT, messageId=message, text="x")
    assert (edit["__typename"], edit["code"]) == ("NotFoundError", "MESSAGE_NOT_FOUND")
    # The others carry on; the removed member's messages stay for them.
    history = (await parent.data(HISTORY, id=chat))["chat"]["messages"]["edges"]
    assert [e["node"]["text"] for e in history] == ["before removal"]
    # Not an admin: cannot remove; removing oneself is chatLeave.
    no = await run(parent, REMOVE, chatId=chat, userId=gid(s.teacher, "User"))
    assert no["code"] == "NOT_CHAT_ADMIN"
    self_remove = await run(teacher, REMOVE, chatId=chat, userId=gid(s.teacher, "User"))
    assert self_remove["code"] == "USE_CHAT_LEAVE"
    # Added again: back in, reading on from now.
    await sent(teacher, chat, "while away")
    again = await run(teacher, ADD, chatId=chat, memberIds=[gid(s.parent2, "User")])
    assert again["__typename"] == "ChatMembersAddSuccess"
    back = (await other_parent.data(CHAT, id=chat))["chat"]
    assert (back["unreadCount"], back["lastMessage"]) == (0, {"text": "while away"})


async def test_last_admin_hands_over_before_leaving(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    chat = await new_chat(teacher, "leaving", s.parent, s.parent2)
    before = await _writes()
    refused = await run(teacher, LEAVE, chatId=chat)
    assert (refused["__typename"], refused["code"]) == ("ValidationError", "LAST_ADMIN")
    not_admin = await run(other_parent, LEAVE, chatId=chat, newAdminId=gid(s.parent, "User"))
    assert not_admin["code"] == "NOT_CHAT_ADMIN"
    stranger = await run(teacher, LEAVE, chatId=chat, newAdminId=gid(s.student, "User"))
    assert stranger["code"] == "MEMBER_NOT_FOUND"
    assert await _writes() == before
    left = await run(teacher, LEAVE, chatId=chat, newAdminId=gid(s.parent, "User"))
    assert left == {"__typename": "ChatLeaveSuccess", "chatId": chat}
    assert (await teacher.data(CHAT, id=chat))["chat"] is None
    assert (await parent.data(CHAT, id=chat))["chat"]["viewerIsAdmin"] is True
    # A member who is not an admin just leaves.
    assert (await run(other_parent, LEAVE, chatId=chat))["__typename"] == "ChatLeaveSuccess"
    # The last member leaving deletes the chat.
    assert (await run(parent, LEAVE, chatId=chat))["__typename"] == "ChatLeaveSuccess"
    assert (await models.Chat.get(id=_pk(chat))).deleted_at is not None


async def test_rename_and_delete_by_admins_only(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "old title", s.parent)
    no = await run(parent, RENAME, chatId=chat, title="mine now")
    assert (no["__typename"], no["code"]) == ("ValidationError", "NOT_CHAT_ADMIN")
    blank = await run(teacher, RENAME, chatId=chat, title="   ")
    assert blank["code"] == "TITLE_EMPTY"
    renamed = await run(teacher, RENAME, chatId=chat, title="new title")
    assert renamed["chat"]["title"] == "new title"
    assert (await parent.data(CHAT, id=chat))["chat"]["title"] == "new title"
    assert (await run(parent, DELETE, chatId=chat))["code"] == "NOT_CHAT_ADMIN"
    assert (await run(teacher, DELETE, chatId=chat)) == {"__typename": "ChatDeleteSuccess", "chatId": chat}
    assert (await parent.data(CHAT, id=chat))["chat"] is None
    assert (await teacher.data(CHAT, id=chat))["chat"] is None
    again = await run(teacher, DELETE, chatId=chat)
    assert (again["__typename"], again["code"]) == ("NotFoundError", "CHAT_NOT_FOUND")
    actions = await models.AuditEntry.filter(object_type="Chat", object_id=_pk(chat)).values_list("action", flat=True)
    assert sorted(str(a) for a in actions) == ["chat.create", "chat.delete", "chat.rename"]


async def test_members_added_must_be_reachable(factory: Factory) -> None:
    s = await _school(factory)
    parent = factory.client(s.parent)
    chat = await new_chat(parent, "family and school", s.teacher)
    # The parent created it (admin), but a 5A classmate is not someone they may add.
    before = await _writes()
    refused = await run(parent, ADD, chatId=chat, memberIds=[gid(models.User(id=s.classmate.user_id), "User")])
    assert refused["fields"] == [{"field": "memberIds[0]", "code": "MEMBER_NOT_FOUND"}]
    assert await _writes() == before
    own_child = s.child
    assert own_child.user_id is not None
    added = await run(parent, ADD, chatId=chat, memberIds=[gid(models.User(id=own_child.user_id), "User")])
    assert gid(models.User(id=own_child.user_id), "User") in [m["user"]["id"] for m in added["chat"]["members"]]


async def test_chat_list_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    """One chat with two members and one message costs what four chats with more members,
    messages and unread ones cost: members, last messages and unread counts are batched."""
    s = await _school(factory)
    _, small_client = await _staff(factory, s.kit, "Few Chats", "few")
    _, large_client = await _staff(factory, s.kit, "Many Chats", "many")
    chat = await new_chat(small_client, "one", s.parent)
    await sent(small_client, chat, "hello")
    for i in range(4):
        many = await new_chat(large_client, f"chat {i}", s.parent, s.parent2, s.teacher)
        for j in range(3):
            await sent(large_client, many, f"m{j}")
    other = factory.client(s.parent)
    for c in nodes(await other.data(CHATS))[:2]:
        await sent(other, c["id"], "unread for them")
    small, one = await _count(small_client, count_statements, LIST)
    large, four = await _count(large_client, count_statements, LIST)
    assert len(nodes(one)) == 1
    assert len(nodes(four)) == 4
    assert sum(c["unreadCount"] for c in nodes(four)) >= 1
    assert len(large) == len(small), _explain(small, large)
    # 8, and one for whether the viewer sees the chats' schools whole (faces, issue 16: one
    # statement for every chat).
    assert len(small) <= 9, small


async def test_chats_written_as_rows_are_there_for_their_members_only(factory: Factory) -> None:
    """Chats written as rows, without audit entries or events (as the demo seed writes its
    own): a teacher's chat with the parents of 5A, and the administration's staff room."""
    s = await _school(factory)
    parents_chat = await factory.chat(s.kit, s.teacher, [s.parent, s.parent2], title="5A mathematics: parents")
    staff_room = await factory.chat(s.kit, s.admin, [s.teacher], title="Staff room")
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    admin, student = factory.client(s.admin), factory.client(s.student)

    def titles(data: dict[str, Any]) -> set[str]:
        return {c["title"] for c in nodes(data)}

    for client in (teacher, parent, other_parent):
        assert parents_chat.title in titles(await client.data(CHATS))
    assert staff_room.title in titles(await teacher.data(CHATS))
    assert staff_room.title in titles(await admin.data(CHATS))
    assert parents_chat.title not in titles(await admin.data(CHATS))
    assert titles(await student.data(CHATS)) & {parents_chat.title, staff_room.title} == set()


async def test_every_write_is_audited_with_the_school(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent = factory.client(s.teacher), factory.client(s.parent)
    chat = await new_chat(teacher, "audited", s.parent)
    pk = _pk(chat)
    await run(teacher, RENAME, chatId=chat, title="audited, renamed")
    await run(teacher, ADD, chatId=chat, memberIds=[gid(s.parent2, "User")])
    message = await sent(parent, chat, "to be edited")
    await run(parent, EDIT, messageId=message, text="edited")
    await run(parent, REMOVE_MESSAGE, messageId=message)
    await run(teacher, REMOVE, chatId=chat, userId=gid(s.parent2, "User"))
    await run(parent, LEAVE, chatId=chat)
    school = s.kit.school
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
        ("message.send", school.id, s.parent.id),
        ("message.edit", school.id, s.parent.id),
        ("message.delete", school.id, s.parent.id),
    ]
    assert "to be edited" not in str([e.details for e in message_entries])


async def test_history_statements_do_not_grow(factory: Factory, count_statements: StatementCounter) -> None:
    """A page of 2 messages by one author costs what a page of 20 by three authors costs."""
    s = await _school(factory)
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    chat = await new_chat(teacher, "statements", s.parent, s.parent2)
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


async def test_a_message_notifies_the_other_members_while_they_are_members(factory: Factory) -> None:
    s = await _school(factory)
    teacher, parent, other_parent = factory.client(s.teacher), factory.client(s.parent), factory.client(s.parent2)
    admin = factory.client(s.admin)
    chat = await new_chat(teacher, "notified", s.parent, s.parent2)
    message = await sent(teacher, chat, "Bring the atlas tomorrow")
    news = {"id": message, "text": "Bring the atlas tomorrow"}
    assert news in _chat_notifications(await parent.data(INBOX))
    assert news in _chat_notifications(await other_parent.data(INBOX))
    assert message not in [m["id"] for m in _chat_notifications(await teacher.data(INBOX))]  # not the author
    assert message not in [m["id"] for m in _chat_notifications(await admin.data(INBOX))]  # not a member
    await run(teacher, REMOVE, chatId=chat, userId=gid(s.parent2, "User"))
    assert message not in [m["id"] for m in _chat_notifications(await other_parent.data(INBOX))]
    assert news in _chat_notifications(await parent.data(INBOX))
