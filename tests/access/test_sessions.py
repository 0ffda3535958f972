"""A user's sessions: `viewer.sessions`, `sessionRevoke`, a password change that keeps the
session it was made in, `last_seen_at` to the minute, and the token lifetimes as settings.
What every way of ending a session does to its HTTP requests is tests/access/test_access_ends_http.py."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

import models
from edge.settings import ConfigurationError, Settings
from pubsub.broker import sessions_ended_topic
from resolvers import core, sessions
from resolvers.core import now_utc, to_global_id
from tests.client import Client
from tests.conftest import TEST_SECRET
from tests.factories import Factory

PASSWORD = "correct-horse-battery"
SESSIONS = """
{ viewer { sessions { edges { cursor node { id userAgent address createdAt lastSeenAt current } }
  pageInfo { hasNextPage hasPreviousPage } } } }
"""
NODE = "query N($id: ID!) { node(id: $id) { __typename ... on Session { userAgent current } } }"
REVOKE = """
mutation R($id: ID!) { sessionRevoke(input: {sessionId: $id}) {
  __typename ... on SessionRevokeSuccess { sessionId } ... on Error { code message } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) {
  __typename ... on LoginSuccess { accessToken refreshToken } ... on Error { code } } }
"""
REFRESH = """
mutation S($t: String!) { sessionRefresh(input: {refreshToken: $t}) {
  __typename ... on LoginSuccess { accessToken refreshToken } ... on Error { code } } }
"""
CHANGE = """
mutation P($input: PasswordChangeInput!) { passwordChange(input: $input) {
  __typename ... on LoginSuccess { accessToken refreshToken } ... on Error { code } } }
"""
WHO = "{ viewer { user { fullName } } }"


async def device(settings: Settings, user: models.User, agent: str) -> sessions.TokenPair:
    """A login of ``user`` from a device (what `login` does once the password is checked)."""
    return await sessions.start_session(settings, user, agent, "10.0.0.7")


def session_gid(pair: sessions.TokenPair) -> str:
    return to_global_id("Session", pair.session_id)


def refusal(body: dict[str, Any]) -> tuple[str, str | None]:
    """The UNAUTHENTICATED (or other) refusal of a request: its code and reason."""
    assert body.get("data") is None, body
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions.get("reason")


@pytest.fixture
async def announced(app: Any) -> AsyncIterator[list[int]]:
    """The session ids announced as ended on the broker while the test runs."""
    heard: list[int] = []
    subscription = await app.state.broker.subscribe(sessions_ended_topic())

    async def listen() -> None:
        async for message in subscription:
            heard.extend(sessions.parse_announcement(message))

    task = asyncio.create_task(listen())
    await asyncio.sleep(0.05)  # subscribed on Redis before the test writes
    yield heard
    task.cancel()
    await subscription.aclose()


async def heard(announced: list[int], session_id: int) -> bool:
    for _ in range(100):
        if session_id in announced:
            return True
        await asyncio.sleep(0.02)
    return False


async def test_a_login_is_listed_with_its_device(factory: Factory, http: httpx.AsyncClient) -> None:
    user = await factory.user("mum", password=PASSWORD)
    logins = []
    for agent in ("Phone/1.0", "Laptop/2.0"):
        login = Client(http, extra_headers={"User-Agent": agent})
        logins.append((await login.data(LOGIN, login=user.login, password=PASSWORD))["login"])
    laptop = Client(http, logins[1]["accessToken"])
    stranger = await factory.user("stranger")
    await device(factory.settings, stranger, "Stranger/1.0")

    listed = (await laptop.data(SESSIONS))["viewer"]["sessions"]
    nodes = [edge["node"] for edge in listed["edges"]]
    assert [(n["userAgent"], n["address"], n["current"]) for n in nodes] == [
        ("Laptop/2.0", "127.0.0.1", True),  # newest login first
        ("Phone/1.0", "127.0.0.1", False),
    ]
    assert listed["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False}
    assert all(n["createdAt"] <= n["lastSeenAt"] for n in nodes)
    assert all(row.key not in str(listed) for row in await models.Session.filter(user_id=user.id))
    # A session is a node for its owner alone.
    phone = nodes[1]["id"]
    assert (await laptop.data(NODE, id=phone))["node"] == {
        "__typename": "Session",
        "userAgent": "Phone/1.0",
        "current": False,
    }
    assert (await factory.client(stranger).data(NODE, id=phone))["node"] is None


async def test_ended_and_expired_sessions_are_not_listed(factory: Factory, http: httpx.AsyncClient) -> None:
    user = await factory.user("dad")
    settings = factory.settings
    laptop = await device(settings, user, "Laptop")
    logged_out = await device(settings, user, "Old phone")
    # Refresh tokens that live a minute: a session that is not renewed within it is over.
    forgotten = await device(dataclasses.replace(settings, refresh_token_ttl=60), user, "Forgotten tablet")
    me = Client(http, laptop.access_token)
    await Client(http, logged_out.access_token).data(
        "mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename } }", t=logged_out.refresh_token
    )

    def agents(body: dict[str, Any]) -> list[str]:
        return [edge["node"]["userAgent"] for edge in body["viewer"]["sessions"]["edges"]]

    assert agents(await me.data(SESSIONS)) == ["Forgotten tablet", "Laptop"]
    with core.travel(now_utc() + timedelta(seconds=90)):
        assert agents(await me.data(SESSIONS)) == ["Laptop"]
        # Not listed is not there: it cannot be revoked, nor found by id.
        gone = (await me.data(REVOKE, id=session_gid(forgotten)))["sessionRevoke"]
        assert gone["code"] == "SESSION_NOT_FOUND"
        assert (await me.data(NODE, id=session_gid(forgotten)))["node"] is None


async def test_revoking_another_session_ends_it_at_once(
    factory: Factory, http: httpx.AsyncClient, announced: list[int]
) -> None:
    user = await factory.user("teacher")
    settings = factory.settings
    laptop, phone = await device(settings, user, "Laptop"), await device(settings, user, "Phone")
    me, thief = Client(http, laptop.access_token), Client(http, phone.access_token)
    assert (await thief.data(WHO))["viewer"]["user"]["fullName"] == user.full_name

    done = (await me.data(REVOKE, id=session_gid(phone)))["sessionRevoke"]
    assert done == {"__typename": "SessionRevokeSuccess", "sessionId": session_gid(phone)}
    assert refusal(await thief.post(WHO)) == ("UNAUTHENTICATED", "SESSION_ENDED")
    renewed = (await Client(http).data(REFRESH, t=phone.refresh_token))["sessionRefresh"]
    assert renewed["code"] == "INVALID_REFRESH_TOKEN"
    assert (await me.data(WHO))["viewer"]["user"]["fullName"] == user.full_name  # this one goes on
    row = await models.Session.get(id=phone.session_id)
    assert row.end_reason == sessions.EndReason.REVOKED
    assert await heard(announced, phone.session_id)
    entry = await models.AuditEntry.get(action="session.revoke", actor_id=user.id)
    # Which session, and whether it was the caller's own: never its device or address.
    assert (entry.object_type, entry.object_id, entry.details) == ("Session", phone.session_id, {"current": False})


async def test_a_session_not_yours_or_not_live_is_not_found(factory: Factory, http: httpx.AsyncClient) -> None:
    settings = factory.settings
    user, other = await factory.user("mum"), await factory.user("neighbour")
    laptop, ended = await device(settings, user, "Laptop"), await device(settings, user, "Ended")
    theirs = await device(settings, other, "Neighbour's phone")
    me = Client(http, laptop.access_token)
    assert (await me.data(REVOKE, id=session_gid(ended)))["sessionRevoke"]["__typename"] == "SessionRevokeSuccess"
    audited = await models.AuditEntry.filter(actor_id=user.id).count()

    for refused in (
        session_gid(theirs),  # another user's live session
        session_gid(ended),  # already ended
        to_global_id("Student", theirs.session_id),  # another type's id with the same number
        "not-an-id",
    ):
        answer = (await me.data(REVOKE, id=refused))["sessionRevoke"]
        assert (answer["__typename"], answer["code"]) == ("NotFoundError", "SESSION_NOT_FOUND"), refused
    assert (await Client(http, theirs.access_token).data(WHO))["viewer"]["user"]["fullName"] == other.full_name
    assert (await models.Session.get(id=theirs.session_id)).ended_at is None
    assert await models.AuditEntry.filter(actor_id=user.id).count() == audited


async def test_revoking_the_current_session_is_a_logout(
    factory: Factory, http: httpx.AsyncClient, announced: list[int]
) -> None:
    user = await factory.user("student")
    laptop = await device(factory.settings, user, "Laptop")
    me = Client(http, laptop.access_token)
    assert (await me.data(REVOKE, id=session_gid(laptop)))["sessionRevoke"]["__typename"] == "SessionRevokeSuccess"
    assert refusal(await me.post(SESSIONS)) == ("UNAUTHENTICATED", "SESSION_ENDED")
    assert await heard(announced, laptop.session_id)
    entry = await models.AuditEntry.get(action="session.revoke", actor_id=user.id)
    assert entry.details == {"current": True}


async def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(
    factory: Factory, http: httpx.AsyncClient, announced: list[int]
) -> None:
    user = await factory.user("parent", password=PASSWORD)
    settings = factory.settings
    laptop, phone = await device(settings, user, "Laptop"), await device(settings, user, "Phone")
    me = Client(http, laptop.access_token)
    new_password = "another-long-password"
    changed = (await me.data(CHANGE, input={"currentPassword": PASSWORD, "newPassword": new_password}))[
        "passwordChange"
    ]
    assert changed["__typename"] == "LoginSuccess"
    assert refusal(await Client(http, phone.access_token).post(WHO)) == ("UNAUTHENTICATED", "SESSION_ENDED")
    assert await heard(announced, phone.session_id)
    assert laptop.session_id not in announced
    # This session goes on: its token still works, the fresh pair is of the same session, and
    # the session is still listed (the other one is not).
    assert (await me.data(WHO))["viewer"]["user"]["fullName"] == user.full_name
    assert sessions.read_access_token(settings, changed["accessToken"]).session_id == laptop.session_id
    listed = (await Client(http, changed["accessToken"]).data(SESSIONS))["viewer"]["sessions"]["edges"]
    assert [(e["node"]["userAgent"], e["node"]["current"]) for e in listed] == [("Laptop", True)]
    assert (await models.Session.get(id=laptop.session_id)).ended_at is None
    # Its earlier refresh token is used up: presenting it again is a replay, which ends the session.
    replayed = (await Client(http).data(REFRESH, t=laptop.refresh_token))["sessionRefresh"]
    assert replayed["code"] == "INVALID_REFRESH_TOKEN"
    assert refusal(await Client(http, changed["accessToken"]).post(WHO)) == ("UNAUTHENTICATED", "SESSION_ENDED")
    assert (await models.Session.get(id=laptop.session_id)).end_reason == sessions.EndReason.REFRESH_REUSED


async def test_last_seen_is_written_at_most_once_a_minute(factory: Factory, http: httpx.AsyncClient) -> None:
    user = await factory.user("teacher")
    start = now_utc().replace(microsecond=0)
    with core.freeze(start):
        laptop = await device(factory.settings, user, "Laptop")
    me = Client(http, laptop.access_token)

    async def seen_after(seconds: int) -> timedelta:
        with core.freeze(start + timedelta(seconds=seconds)):
            await me.data(WHO)
        return (await models.Session.get(id=laptop.session_id)).last_seen_at - start

    assert await seen_after(30) == timedelta(0)
    assert await seen_after(59) == timedelta(0)
    assert await seen_after(61) == timedelta(seconds=61)
    assert await seen_after(100) == timedelta(seconds=61)
    assert await seen_after(122) == timedelta(seconds=122)


def test_token_lifetimes_are_settings() -> None:
    base = {"SECRET_KEY": TEST_SECRET}
    defaults = Settings.from_env(base)
    assert (defaults.access_token_ttl, defaults.refresh_token_ttl) == (900, 30 * 24 * 3600)
    chosen = Settings.from_env({**base, "ACCESS_TOKEN_TTL_SECONDS": "300", "REFRESH_TOKEN_TTL_SECONDS": "86400"})
    assert (chosen.access_token_ttl, chosen.refresh_token_ttl) == (300, 86400)
    for variable, value, problem in (
        ("ACCESS_TOKEN_TTL_SECONDS", "0", "ACCESS_TOKEN_TTL_SECONDS must be a positive"),
        ("REFRESH_TOKEN_TTL_SECONDS", "0", "REFRESH_TOKEN_TTL_SECONDS must be a positive"),
        ("ACCESS_TOKEN_TTL_SECONDS", "-5", "ACCESS_TOKEN_TTL_SECONDS must not be negative"),
        ("ACCESS_TOKEN_TTL_SECONDS", "15m", "ACCESS_TOKEN_TTL_SECONDS must be a whole number"),
        ("ACCESS_TOKEN_TTL_SECONDS", "7200", r"ACCESS_TOKEN_TTL_SECONDS \(7200\) must not exceed"),
        ("REFRESH_TOKEN_TTL_SECONDS", "600", r"ACCESS_TOKEN_TTL_SECONDS \(900\) must not exceed"),
    ):
        with pytest.raises(ConfigurationError, match=problem):
            Settings.from_env({**base, "REFRESH_TOKEN_TTL_SECONDS": "3600", variable: value})


async def test_an_access_token_lives_as_long_as_the_setting(factory: Factory, http: httpx.AsyncClient) -> None:
    user = await factory.user("teacher")
    start = now_utc()
    short = dataclasses.replace(factory.settings, access_token_ttl=60)
    with core.freeze(start):
        me = Client(http, (await device(short, user, "Laptop")).access_token)
    with core.freeze(start + timedelta(seconds=59)):
        assert (await me.data(WHO))["viewer"]["user"]["fullName"] == user.full_name
    with core.freeze(start + timedelta(seconds=61)):
        assert refusal(await me.post(WHO)) == ("UNAUTHENTICATED", None)
