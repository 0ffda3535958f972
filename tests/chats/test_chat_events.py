"""chatEvents end to end over a real WebSocket: members receive, others do not, a removed
member learns it and then receives nothing, resume by cursor, and the relay publishes what
a crash left unpublished. Each test builds its own school from factories."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

import models
from resolvers import outbox
from resolvers.core import from_global_id
from tests.chat_helpers import ADD, DELETE, EDIT, LEAVE, REMOVE, REMOVE_MESSAGE, RENAME, new_chat, run, sent
from tests.client import Client
from tests.factories import Factory
from tests.helpers import Socket, gid, open_socket

EVENTS = """
subscription E($after: String) { chatEvents(after: $after) {
  cursor kind chatId chat { id title unreadCount } chatMessage { text author { fullName } deleted }
  member { id } actor { fullName } } }
"""
SETTLE = 0.2  # let the subscription reach the broker before the write


@dataclass
class School:
    """A teacher of 5A and two parents (two families), each with a child in 5A."""

    teacher: models.User
    parent: models.User
    other_parent: models.User

    def clients(self, factory: Factory) -> tuple[Client, Client, Client]:
        """The teacher's, the parent's and the other parent's clients."""
        return factory.client(self.teacher), factory.client(self.parent), factory.client(self.other_parent)


async def _school(factory: Factory) -> School:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")], name="maths")
    parent, other_parent = await factory.parent(), await factory.parent("other")
    await factory.student(kit, "5A", "anna", guardians=[parent])
    await factory.student(kit, "5A", "vera", guardians=[other_parent])
    return School(teacher, parent, other_parent)


def _event(message: dict[str, Any]) -> dict[str, Any]:
    assert message["type"] in ("next", "data"), message
    event: dict[str, Any] = message["payload"]["data"]["chatEvents"]
    return event


async def _next_event(socket: Socket) -> dict[str, Any]:
    return _event(await socket.next())


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_members_receive_messages_others_nothing(server_url: str, factory: Factory, protocol: str) -> None:
    school = await _school(factory)
    teacher, parent, other_parent = school.clients(factory)
    chat = await new_chat(teacher, f"live {protocol}", school.parent)
    mine = await open_socket(server_url, parent.token, protocol)
    theirs = await open_socket(server_url, other_parent.token, protocol)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    await asyncio.sleep(SETTLE)
    await sent(teacher, chat, "Hello, see https://example.org")
    event = await _next_event(mine)
    assert (event["kind"], event["chatId"]) == ("MESSAGE_ADDED", chat)
    assert event["chat"] == {"id": chat, "title": f"live {protocol}", "unreadCount": 1}
    assert event["chatMessage"]["text"] == "Hello, see https://example.org"
    assert event["actor"]["fullName"] == school.teacher.full_name
    await theirs.nothing()
    await mine.ws.close()
    await theirs.ws.close()


async def test_every_kind_of_change_arrives(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent, _other_parent = school.clients(factory)
    socket = await open_socket(server_url, parent.token)
    await socket.start(EVENTS)
    await asyncio.sleep(SETTLE)
    chat = await new_chat(teacher, "kinds", school.parent)
    added = await _next_event(socket)
    assert (added["kind"], added["member"]["id"], added["chat"]["id"]) == (
        "MEMBER_ADDED",
        gid(school.parent, "User"),
        chat,
    )
    message = await sent(teacher, chat, "first")
    assert (await _next_event(socket))["kind"] == "MESSAGE_ADDED"
    await run(teacher, EDIT, messageId=message, text="edited")
    edited = await _next_event(socket)
    assert (edited["kind"], edited["chatMessage"]["text"]) == ("MESSAGE_EDITED", "edited")
    await run(teacher, REMOVE_MESSAGE, messageId=message)
    deleted = await _next_event(socket)
    assert (deleted["kind"], deleted["chatMessage"]["deleted"], deleted["chatMessage"]["text"]) == (
        "MESSAGE_DELETED",
        True,
        None,
    )
    await run(teacher, RENAME, chatId=chat, title="renamed")
    renamed = await _next_event(socket)
    assert (renamed["kind"], renamed["chat"]["title"]) == ("CHAT_RENAMED", "renamed")
    await run(teacher, ADD, chatId=chat, memberIds=[gid(school.other_parent, "User")])
    joined = await _next_event(socket)
    assert (joined["kind"], joined["member"]["id"]) == ("MEMBER_ADDED", gid(school.other_parent, "User"))
    await run(teacher, DELETE, chatId=chat)
    gone = await _next_event(socket)
    assert (gone["kind"], gone["chatId"], gone["chat"]) == ("CHAT_DELETED", chat, None)
    await socket.nothing()
    await socket.ws.close()


async def test_removed_member_learns_it_then_receives_nothing(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent, other_parent = school.clients(factory)
    chat = await new_chat(teacher, "removal live", school.parent, school.other_parent)
    removed = await open_socket(server_url, other_parent.token)
    staying = await open_socket(server_url, parent.token)
    await removed.start(EVENTS)
    await staying.start(EVENTS)
    await asyncio.sleep(SETTLE)
    await run(teacher, REMOVE, chatId=chat, userId=gid(school.other_parent, "User"))
    for socket in (removed, staying):
        event = await _next_event(socket)
        assert (event["kind"], event["member"]["id"]) == ("MEMBER_REMOVED", gid(school.other_parent, "User"))
    await sent(teacher, chat, "after removal")
    assert (await _next_event(staying))["chatMessage"]["text"] == "after removal"
    await removed.nothing()
    await removed.ws.close()
    await staying.ws.close()


async def test_removed_member_event_has_no_chat(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher, _parent, other_parent = school.clients(factory)
    chat = await new_chat(teacher, "you are out", school.other_parent)
    socket = await open_socket(server_url, other_parent.token)
    await socket.start(EVENTS)
    await asyncio.sleep(SETTLE)
    await run(teacher, REMOVE, chatId=chat, userId=gid(school.other_parent, "User"))
    event = await _next_event(socket)
    assert (event["kind"], event["chatId"], event["chat"], event["chatMessage"]) == (
        "MEMBER_REMOVED",
        chat,
        None,
        None,
    )
    await socket.ws.close()


async def test_resume_replays_missed_events_once_and_not_from_chats_left(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent, _other_parent = school.clients(factory)
    chat = await new_chat(teacher, "resume", school.parent)
    left = await new_chat(teacher, "left later", school.parent)
    socket = await open_socket(server_url, parent.token)
    await socket.start(EVENTS)
    await asyncio.sleep(SETTLE)
    await sent(teacher, chat, "seen live")
    first = await _next_event(socket)
    await socket.ws.close()
    await sent(teacher, chat, "missed 1")
    await sent(teacher, left, "in a chat you then leave")
    await run(parent, LEAVE, chatId=left)
    await sent(teacher, chat, "missed 2")

    again = await open_socket(server_url, parent.token)
    await again.start(EVENTS, after=first["cursor"])
    replayed = [await _next_event(again) for _ in range(3)]
    assert [(e["kind"], (e["chatMessage"] or {}).get("text")) for e in replayed] == [
        ("MESSAGE_ADDED", "missed 1"),
        ("MEMBER_REMOVED", None),  # your own leaving; the chat's messages are not yours any more
        ("MESSAGE_ADDED", "missed 2"),
    ]
    await sent(teacher, chat, "live again")
    assert (await _next_event(again))["chatMessage"]["text"] == "live again"
    await again.nothing()
    await again.ws.close()


async def test_unknown_cursor_is_refused(server_url: str, factory: Factory) -> None:
    school = await _school(factory)
    _teacher, parent, _other_parent = school.clients(factory)
    socket = await open_socket(server_url, parent.token)
    await socket.start(EVENTS, after="bm9wZQ")
    message = await socket.next()
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    await socket.ws.close()


async def test_relay_publishes_what_a_crash_left_unpublished(server_url: str, factory: Factory, app: Any) -> None:
    school = await _school(factory)
    teacher, parent, _other_parent = school.clients(factory)
    chat = await new_chat(teacher, "crash", school.parent)
    socket = await open_socket(server_url, parent.token)
    await socket.start(EVENTS)
    await asyncio.sleep(SETTLE)
    # The process died between commit and publish: the rows are there, nobody was told.
    parsed = from_global_id(chat)
    assert parsed is not None
    author = school.teacher
    message = await models.Message.create(chat_id=parsed[1], author_id=author.id, text="committed, not published")
    await models.ChatEvent.create(
        kind=models.ChatEventKind.MESSAGE_ADDED, chat_id=parsed[1], message_id=message.id, actor_id=author.id
    )
    await socket.nothing()
    assert await outbox.relay_pending(app.state.broker, older_than=timedelta(0)) >= 1
    event = await _next_event(socket)
    assert event["chatMessage"]["text"] == "committed, not published"
    assert await models.ChatEvent.filter(message_id=message.id, published_at__isnull=True).count() == 0
    await socket.ws.close()
