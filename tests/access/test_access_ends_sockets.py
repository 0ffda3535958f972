"""A socket is a session (``schema/websocket.py``): each way access ends by each way a socket
uses it. The token expires: 4403 (graphql-ws reconnects with a fresh one); the session ends
(logout, password changed from another session or reset, account deactivated, session revoked,
a refresh token replayed): 4401 (graphql-ws signs the user out). Either way the close is the
last thing the socket receives: no result, no event, and an operation sent after the ending
does not run (a ``gradeCreate`` writes no grade). Every operation is admitted when it starts, as
an HTTP request is: the session read again, the roles and account read afresh, nothing kept
from an earlier operation. And a user holds at most ``max_sockets_per_user`` sockets at once.

Each test builds its own school (``tests/live/test_streams.py``'s room: a teacher, a colleague who
follows the class, a parent, their chat) and a session of its own for the socket's user."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import models
from edge.settings import Settings
from pubsub import broker
from pubsub.broker import student_topic
from resolvers import core, passwords, sessions
from tests.client import Client
from tests.conftest import app_served
from tests.factories import Factory
from tests.helpers import GRADE_CREATE, Socket, gid, open_socket
from tests.live.test_streams import STREAMS, Room, _room

QUERY = "{ viewer { user { fullName } } }"
LOGOUT = "mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename } }"
REFRESH = "mutation R($t: String!) { sessionRefresh(input: {refreshToken: $t}) { __typename } }"
CHANGE = """
mutation P($current: String!, $new: String!) {
  passwordChange(input: {currentPassword: $current, newPassword: $new}) { __typename } }
"""
RESET = "mutation R($id: ID!) { passwordReset(input: {userId: $id}) { __typename } }"
DEACTIVATE = 'mutation D($id: ID!) { accountDeactivate(input: {userId: $id, reason: "Left"}) { __typename } }'
PASSWORD = "an-old-long-password"
SETTLE = 0.2  # let a subscription reach the broker before the write


@dataclasses.dataclass
class Cell:
    """One cell of the matrix: the room, the socket's user and the session the socket belongs to."""

    room: Room
    user: models.User
    pair: sessions.TokenPair
    factory: Factory
    app: Any

    def admin(self) -> Client:
        return self.factory.client(self.room.kit.admin)


async def _ok(body: dict[str, Any], typename: str) -> None:
    result = next(iter(body.values()))
    assert result["__typename"] == typename, body


async def _teacher(room: Room) -> models.User:
    return await models.User.get(id=int(room.teacher.user_id or 0))


async def _remint_teacher(cell: Cell) -> None:
    """A token for the room's teacher minted on the clock as it reads now (it was moved)."""
    cell.room.teacher = cell.factory.client(await _teacher(cell.room))


# Each way access ends: does it to the cell's session and says the close code the socket gets.
Ending = Callable[[Cell, contextlib.ExitStack], Awaitable[int]]


async def _expired(cell: Cell, stack: contextlib.ExitStack) -> int:
    ttl = cell.factory.settings.access_token_ttl
    stack.enter_context(core.travel(core.now_utc() + timedelta(seconds=ttl + 5)))
    # Tokens of the rest of the test are minted on the moved clock.
    await _remint_teacher(cell)
    await cell.app.state.subscriptions.sessions.expire_due()  # as the process does every second
    return 4403


async def _logout(cell: Cell, stack: contextlib.ExitStack) -> int:
    me = Client(cell.factory.http, cell.pair.access_token)
    await _ok(await me.data(LOGOUT, t=cell.pair.refresh_token), "LogoutSuccess")
    return 4401


async def _password_changed(cell: Cell, stack: contextlib.ExitStack) -> int:
    """From another session of the same user: every other session ends."""
    await models.User.filter(id=cell.user.id).update(password_hash=passwords.hash_password(PASSWORD))
    elsewhere = cell.factory.client(cell.user)
    await _ok(await elsewhere.data(CHANGE, current=PASSWORD, new="a-new-long-password"), "LoginSuccess")
    return 4401


async def _password_reset(cell: Cell, stack: contextlib.ExitStack) -> int:
    await _ok(await cell.admin().data(RESET, id=gid(cell.user, "User")), "PasswordResetSuccess")
    return 4401


async def _deactivated(cell: Cell, stack: contextlib.ExitStack) -> int:
    await _ok(await cell.admin().data(DEACTIVATE, id=gid(cell.user, "User")), "AccountDeactivateSuccess")
    return 4401


async def _revoked(cell: Cell, stack: contextlib.ExitStack) -> int:
    """As ``sessionRevoke`` does it: ended in a transaction, announced after the commit."""
    async with in_transaction():
        ended = await sessions.end(sessions.EndReason.REVOKED, session_ids=[cell.pair.session_id])
    await sessions.announce(cell.app.state.broker, ended)
    return 4401


async def _refresh_reused(cell: Cell, stack: contextlib.ExitStack) -> int:
    anonymous = Client(cell.factory.http)
    await _ok(await anonymous.data(REFRESH, t=cell.pair.refresh_token), "LoginSuccess")
    await _ok(await anonymous.data(REFRESH, t=cell.pair.refresh_token), "InvalidCredentialsError")
    return 4401


ENDINGS: dict[str, Ending] = {
    "expired": _expired,
    "logout": _logout,
    "password changed": _password_changed,
    "password reset": _password_reset,
    "deactivated": _deactivated,
    "revoked": _revoked,
    "refresh reused": _refresh_reused,
}


async def _grades(room: Room) -> int:
    return await models.Grade.filter(student_id=room.child.id).count()


def _grade_input(room: Room, comment: str) -> dict[str, Any]:
    return {
        "studentId": gid(room.child, "Student"),
        "lessonId": gid(room.lesson, "Lesson"),
        "value": "4",
        "comment": comment,
    }


async def _send(socket: Socket, query: str, op_id: str, **variables: Any) -> None:
    """Send an operation; the server may have closed the socket already."""
    with contextlib.suppress(ConnectionClosed):
        await socket.start(query, op_id, **variables)


async def _result(socket: Socket, op_id: str) -> dict[str, Any]:
    message = await socket.next()
    assert (message["type"], message["id"]) == ("next", op_id), message
    assert "errors" not in message["payload"], message
    assert (await socket.next())["type"] == "complete"
    data: dict[str, Any] = message["payload"]["data"]
    return data


async def _refusal(socket: Socket, op_id: str) -> tuple[str, str | None]:
    """The code and reason of an operation's refusal (its result's first error)."""
    message = await socket.next()
    assert (message["type"], message["id"]) == ("next", op_id), message
    assert message["payload"]["data"] is None, message
    assert (await socket.next())["type"] == "complete"
    extensions = message["payload"]["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


async def _cell(factory: Factory, app: Any, who: str) -> Cell:
    room = await _room(factory, app)
    users = {
        "parent": room.parent,
        "colleague": room.colleague,
        "teacher": await _teacher(room),
    }
    user = users[who]
    pair = await sessions.start_session(factory.settings, user)  # the socket's own session
    return Cell(room, user, pair, factory, app)


# What the socket sends: who sends it, the document, its variables (given a comment for a grade).
OPERATIONS: dict[str, tuple[str, str, Callable[[Room, str], dict[str, Any]]]] = {
    "query": ("parent", QUERY, lambda room, comment: {}),
    "mutation": ("teacher", GRADE_CREATE, lambda room, comment: {"input": _grade_input(room, comment)}),
    "subscription": ("parent", STREAMS["diaryEvents"].document, lambda room, comment: {}),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("operation", ["query", "mutation"])
async def test_an_operation_sent_after_access_ended_does_not_run(
    server_url: str, factory: Factory, app: Any, operation: str, ending: str
) -> None:
    who, document, variables = OPERATIONS[operation]
    cell = await _cell(factory, app, who)
    socket = await open_socket(server_url, cell.pair.access_token)
    written = await _grades(cell.room)
    await socket.start(document, "before", **variables(cell.room, "before"))
    await _result(socket, "before")
    assert await _grades(cell.room) == written + (operation == "mutation")
    with contextlib.ExitStack() as stack:
        code = await ENDINGS[ending](cell, stack)
        await _send(socket, document, "after", **variables(cell.room, "after"))
        assert await socket.closed() == code
    assert not await models.Grade.filter(comment="after", student_id=cell.room.child.id).exists()


FOLLOWERS = {
    "diaryEvents": "parent",
    "classEvents": "colleague",
    "chatEvents": "parent",
    "notificationEvents": "parent",
}


@pytest.mark.parametrize("ending", list(ENDINGS))
@pytest.mark.parametrize("name", list(STREAMS))
async def test_a_stream_is_closed_when_access_ends(
    server_url: str, factory: Factory, app: Any, name: str, ending: str
) -> None:
    cell = await _cell(factory, app, FOLLOWERS[name])
    stream = STREAMS[name]
    assert stream.follower(cell.room) == cell.user
    socket = await open_socket(server_url, cell.pair.access_token)
    await socket.start(stream.document, **stream.variables(cell.room))
    await asyncio.sleep(SETTLE)
    await stream.event(cell.room)
    seen = await socket.next()
    assert seen["type"] == "next", seen
    assert seen["payload"]["data"][name], seen
    with contextlib.ExitStack() as stack:
        code = await ENDINGS[ending](cell, stack)
        await stream.event(cell.room)  # written after the ending: never delivered
        assert await socket.closed() == code


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_both_protocols_close_with_the_same_codes(
    server_url: str, factory: Factory, app: Any, protocol: str
) -> None:
    """An ending closes the sockets of its own session only."""
    cell = await _cell(factory, app, "parent")
    ended = await open_socket(server_url, cell.pair.access_token, protocol)
    other = await open_socket(server_url, factory.client(cell.user).token, protocol)  # another session
    await _logout(cell, contextlib.ExitStack())
    assert await ended.closed() == 4401
    await other.nothing()
    with contextlib.ExitStack() as stack:
        await _expired(cell, stack)
        assert await other.closed() == 4403


def _init(token: str) -> str:
    return json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_a_token_of_an_ended_session_is_refused_at_connection_init(
    server_url: str, factory: Factory, app: Any, protocol: str
) -> None:
    cell = await _cell(factory, app, "parent")
    await _logout(cell, contextlib.ExitStack())
    ws = await connect(server_url, subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(_init(cell.pair.access_token))
    socket = Socket(ws, protocol)
    if protocol == "graphql-ws":  # the legacy protocol says why before closing
        refused = await socket.next()
        assert refused["type"] == "connection_error", refused
        assert refused["payload"]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "SESSION_ENDED"}
    assert await socket.closed() == 4401


async def test_expiry_is_read_against_the_clock(server_url: str, factory: Factory, app: Any) -> None:
    """The process's check of expiries closes a socket only once the clock has passed its token's.
    (The app is the session's: sockets other tests left open may be due before this one, so
    what counts is that this socket still answers, not how many others were closed.)"""
    cell = await _cell(factory, app, "parent")
    socket = await open_socket(server_url, cell.pair.access_token)
    expires = sessions.read_access_token(factory.settings, cell.pair.access_token).expires_at
    with core.travel(expires - timedelta(seconds=2)):
        await app.state.subscriptions.sessions.expire_due()
        await socket.start(QUERY, "1")
        assert (await _result(socket, "1"))["viewer"]["user"]["fullName"] == cell.user.full_name
    with core.travel(expires):
        await app.state.subscriptions.sessions.expire_due()
        assert await socket.closed() == 4403


# Each check on its own -------------------------------------------------------------------
# On an app of its own (``app_served``), served without the task that closes the sockets of
# ended sessions and expired tokens: what is left is the check of each operation as it starts,
# and of each event as it wakes a stream.


async def test_a_stream_woken_after_its_token_expired_is_closed(settings: Settings, factory: Factory, app: Any) -> None:
    """The event that wakes a parked stream after its token expired finds it so: nothing is sent."""
    cell = await _cell(factory, app, "parent")
    stream = STREAMS["diaryEvents"]
    async with app_served(settings) as (own, address):
        socket = await open_socket(f"ws://{address}/graphql", cell.pair.access_token)
        await socket.start(stream.document)
        await asyncio.sleep(SETTLE)
        expires = sessions.read_access_token(factory.settings, cell.pair.access_token).expires_at
        with core.travel(expires + timedelta(seconds=1)):
            await _remint_teacher(cell)
            await stream.event(cell.room)
            event = await models.OutboxEvent.filter(student_id=cell.room.child.id).order_by("-id").first()
            assert event is not None
            await own.state.broker.publish(student_topic(cell.room.child.id), broker.encode(event.id, event.kind))
            assert await socket.closed() == 4403


@pytest.mark.parametrize("operation", list(OPERATIONS))
async def test_an_operation_of_an_ended_session_does_not_start(
    settings: Settings, factory: Factory, app: Any, operation: str
) -> None:
    who, document, variables = OPERATIONS[operation]
    cell = await _cell(factory, app, who)
    written = await _grades(cell.room)
    async with app_served(settings) as (_, address):
        socket = await open_socket(f"ws://{address}/graphql", cell.pair.access_token)
        async with in_transaction():  # ended, and never announced
            await sessions.end(sessions.EndReason.REVOKED, session_ids=[cell.pair.session_id])
        await socket.start(document, "1", **variables(cell.room, "after"))
        assert await socket.closed() == 4401
    assert await _grades(cell.room) == written


async def test_an_operation_of_an_expired_token_does_not_start(settings: Settings, factory: Factory, app: Any) -> None:
    cell = await _cell(factory, app, "teacher")
    written = await _grades(cell.room)
    async with app_served(settings) as (_, address):
        socket = await open_socket(f"ws://{address}/graphql", cell.pair.access_token)
        expires = sessions.read_access_token(factory.settings, cell.pair.access_token).expires_at
        with core.travel(expires + timedelta(seconds=1)):  # no check of expiries ran: the operation's own
            await socket.start(GRADE_CREATE, "1", input=_grade_input(cell.room, "after"))
            assert await socket.closed() == 4403
    assert await _grades(cell.room) == written


async def test_roles_and_standing_are_read_again_for_each_operation(
    server_url: str, factory: Factory, app: Any
) -> None:
    cell = await _cell(factory, app, "teacher")
    socket = await open_socket(server_url, cell.pair.access_token)
    await socket.start(GRADE_CREATE, "1", input=_grade_input(cell.room, "first"))
    assert (await _result(socket, "1"))["gradeCreate"]["__typename"] == "GradeCreateSuccess"
    written = await _grades(cell.room)

    grants = await models.RoleGrant.filter(user_id=cell.user.id, role=models.Role.TEACHER)
    await models.RoleGrant.filter(id__in=[g.id for g in grants]).delete()
    await socket.start(GRADE_CREATE, "2", input=_grade_input(cell.room, "second"))
    assert await _refusal(socket, "2") == ("FORBIDDEN", None)
    assert await _grades(cell.room) == written

    for grant in grants:
        await models.RoleGrant.create(user_id=grant.user_id, role=grant.role, school_id=grant.school_id)
    await socket.start(GRADE_CREATE, "3", input=_grade_input(cell.room, "third"))
    assert (await _result(socket, "3"))["gradeCreate"]["__typename"] == "GradeCreateSuccess"
    written += 1

    await models.User.filter(id=cell.user.id).update(must_change_password=True)
    await socket.start(GRADE_CREATE, "4", input=_grade_input(cell.room, "fourth"))
    assert await _refusal(socket, "4") == ("FORBIDDEN", "PASSWORD_CHANGE_REQUIRED")
    assert await _grades(cell.room) == written
    await socket.ws.close()


CHILDREN = "{ viewer { children { id } } }"


async def test_the_children_are_read_again_for_each_operation(server_url: str, factory: Factory, app: Any) -> None:
    """A socket's operation reads the viewer's children when it runs, as an HTTP request does:
    a guardianship revoked while the socket is open is gone from the next operation, given back
    it is there again (the socket's viewer keeps none of them between operations)."""
    cell = await _cell(factory, app, "parent")
    child = gid(cell.room.child, "Student")
    socket = await open_socket(server_url, cell.pair.access_token)
    await socket.start(CHILDREN, "1")
    assert (await _result(socket, "1"))["viewer"]["children"] == [{"id": child}]
    link = models.Guardianship.filter(guardian_id=cell.user.id, student_id=cell.room.child.id)
    await link.update(revoked_at=core.now_utc())
    await socket.start(CHILDREN, "2")
    assert (await _result(socket, "2"))["viewer"]["children"] == []
    await link.update(revoked_at=None)
    await socket.start(CHILDREN, "3")
    assert (await _result(socket, "3"))["viewer"]["children"] == [{"id": child}]
    await socket.ws.close()


# The per-user cap -------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_one_socket_over_the_cap_is_refused(
    server_url: str, factory: Factory, app: Any, settings: Settings, protocol: str
) -> None:
    cap = settings.max_sockets_per_user
    user = await factory.parent()
    tokens = [factory.client(user).token for _ in range(cap + 1)]
    sockets = [await open_socket(server_url, token, protocol) for token in tokens[:cap]]
    ws = await connect(server_url, subprotocols=[protocol])  # type: ignore[list-item]
    await ws.send(_init(str(tokens[cap])))
    over = Socket(ws, protocol)
    if protocol == "graphql-ws":
        refused = await over.next()
        assert refused["type"] == "connection_error", refused
        assert refused["payload"]["extensions"] == {"code": "RATE_LIMITED", "limit": cap}
    assert await over.closed() == 4429
    await sockets.pop().ws.close()  # one closed: one more may open
    for _ in range(50):
        with contextlib.suppress(ConnectionClosed):
            sockets.append(await open_socket(server_url, tokens[cap], protocol))
            break
        await asyncio.sleep(0.05)
    assert len(sockets) == cap
    other = await factory.parent("other")  # another user's count is their own
    await (await open_socket(server_url, factory.client(other).token, protocol)).ws.close()
    for socket in sockets:
        await socket.ws.close()
