"""Logging in, tokens, refresh rotation, logout, limits on guessing. Every account is built
by the factory; the few that log in with a password get one."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

import jwt
import pytest

import models
from edge.settings import Settings
from resolvers.core import now_utc
from resolvers.passwords import hash_password
from resolvers.sessions import JWT_ALGORITHM, JWT_AUDIENCE
from tests.client import Client
from tests.conftest import LOGIN, TEST_SECRET, client_for
from tests.factories import Factory

PASSWORD = "correct-horse-battery"
VIEWER = "{ viewer { user { fullName } roles } }"
REFRESH = """
mutation R($t: String!) { sessionRefresh(input: {refreshToken: $t}) {
  __typename ... on LoginSuccess { accessToken refreshToken } ... on Error { code message } } }
"""
LOGOUT = """
mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename ... on Error { code } } }
"""


async def _login(client: Client, login: str, password: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(LOGIN, login=login, password=password))["login"]
    return result


async def _with_password(user_id: int | None) -> str:
    """Give an account the factory made (a teacher's, a student's) ``PASSWORD``; its login."""
    assert user_id is not None
    await models.User.filter(id=user_id).update(password_hash=hash_password(PASSWORD))
    return (await models.User.get(id=user_id)).login


async def test_login_and_viewer(factory: Factory, anonymous: Client) -> None:
    kit = await factory.school()
    login = await _with_password((await factory.teacher(kit, [("5A", "Mathematics")])).id)
    result = await _login(anonymous, login.upper() + " ", PASSWORD)  # case and spaces do not matter
    assert result["__typename"] == "LoginSuccess"
    me = Client(anonymous.http, result["accessToken"])
    viewer = (await me.data(VIEWER))["viewer"]
    assert viewer["roles"] == ["TEACHER"]
    assert viewer["user"]["fullName"] == result["user"]["fullName"]


@pytest.mark.parametrize("who", ["wrong-password", "no-such-user"])
async def test_wrong_credentials_look_the_same(factory: Factory, anonymous: Client, who: str) -> None:
    kit = await factory.school()
    parent = await factory.user("mum", password=PASSWORD)
    await factory.student(kit, "5A", guardians=[parent])
    if who == "wrong-password":
        login, password = parent.login, "wrong"
    else:
        login, password = f"{factory.tag}-no-such-user", PASSWORD
    result = await _login(anonymous, login, password)
    assert result == {
        "__typename": "InvalidCredentialsError",
        "code": "INVALID_CREDENTIALS",
        "message": "Wrong login or password.",
    }


async def test_viewer_needs_a_token(anonymous: Client) -> None:
    body = await anonymous.post(VIEWER)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("kind", ["expired", "forged", "garbage"])
async def test_bad_tokens_are_unauthenticated(factory: Factory, anonymous: Client, kind: str) -> None:
    user = await factory.user("holder")
    now = now_utc()
    claims = {
        "sub": str(user.id),
        "aud": JWT_AUDIENCE,
        "typ": "access",
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    if kind == "expired":
        token = jwt.encode(
            {**claims, "exp": int((now - timedelta(minutes=1)).timestamp())}, TEST_SECRET, algorithm=JWT_ALGORITHM
        )
    elif kind == "forged":
        token = jwt.encode(claims, secrets.token_urlsafe(32), algorithm=JWT_ALGORITHM)  # another key
    else:
        token = "not-a-token"
    body = await Client(anonymous.http, token).post(VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_refresh_rotates_and_reuse_revokes_the_session(factory: Factory, anonymous: Client) -> None:
    kit = await factory.school()
    login = await _with_password((await factory.student(kit, "5A")).user_id)
    first = await _login(anonymous, login, PASSWORD)
    second = (await anonymous.data(REFRESH, t=first["refreshToken"]))["sessionRefresh"]
    assert second["__typename"] == "LoginSuccess"
    assert second["refreshToken"] != first["refreshToken"]
    assert (await Client(anonymous.http, second["accessToken"]).data(VIEWER))["viewer"]["roles"] == ["STUDENT"]
    # The first token was used up; presenting it again is theft or replay: the whole session ends.
    replay = (await anonymous.data(REFRESH, t=first["refreshToken"]))["sessionRefresh"]
    assert replay["code"] == "INVALID_REFRESH_TOKEN"
    after = (await anonymous.data(REFRESH, t=second["refreshToken"]))["sessionRefresh"]
    assert after["code"] == "INVALID_REFRESH_TOKEN"


async def test_logout_revokes_the_refresh_token(factory: Factory, anonymous: Client) -> None:
    kit = await factory.school()
    parent = await factory.user("mum", password=PASSWORD)
    await factory.student(kit, "5A", guardians=[parent])
    session = await _login(anonymous, parent.login, PASSWORD)
    me = Client(anonymous.http, session["accessToken"])
    assert (await me.data(LOGOUT, t=session["refreshToken"]))["logout"]["__typename"] == "LogoutSuccess"
    again = (await anonymous.data(REFRESH, t=session["refreshToken"]))["sessionRefresh"]
    assert again["code"] == "INVALID_REFRESH_TOKEN"
    # The logged-out session's access token stops working at once, not when it expires.
    gone = (await me.post(LOGOUT, t="unknown"))["errors"][0]["extensions"]
    assert (gone["code"], gone.get("reason")) == ("UNAUTHENTICATED", "SESSION_ENDED")
    other = Client(anonymous.http, (await _login(anonymous, parent.login, PASSWORD))["accessToken"])
    assert (await other.data(LOGOUT, t="unknown"))["logout"]["code"] == "SESSION_NOT_FOUND"


async def test_logout_needs_a_token(anonymous: Client) -> None:
    body = await anonymous.post(LOGOUT, t="x")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_failed_logins_are_limited_per_login(factory: Factory, anonymous: Client) -> None:
    user = await factory.user("limited", password=PASSWORD)
    for _ in range(5):
        assert (await _login(anonymous, user.login, "guess"))["code"] == "INVALID_CREDENTIALS"
    limited = (
        await anonymous.data(
            LOGIN.replace("... on Error { code message }", "... on RateLimitedError { code retryAfterSeconds }"),
            login=user.login,
            password=PASSWORD,
        )
    )["login"]
    assert limited["code"] == "RATE_LIMITED"
    assert 0 < limited["retryAfterSeconds"] <= 15 * 60


async def test_a_strangers_failures_do_not_lock_the_owner_out(factory: Factory, settings: Settings) -> None:
    owner_account = await factory.user("locked", password=PASSWORD)
    login = owner_account.login
    async with client_for(settings, "203.0.113.66") as stranger, client_for(settings, "198.51.100.7") as owner:
        for _ in range(5):
            assert (await _login(Client(stranger), login, "guess"))["code"] == "INVALID_CREDENTIALS"
        assert (await _login(Client(stranger), login, PASSWORD))["code"] == "RATE_LIMITED"
        assert "accessToken" in await _login(Client(owner), login, PASSWORD)
        # The owner's success forgives the owner's own address only: the stranger stays locked.
        assert (await _login(Client(stranger), login, "guess"))["code"] == "RATE_LIMITED"


async def test_failures_spread_over_addresses_are_limited_per_login(factory: Factory, settings: Settings) -> None:
    login = (await factory.user("spread", password=PASSWORD)).login
    for n in range(3):
        async with client_for(settings, f"192.0.2.{n + 10}", login_failures_per_login_everywhere=3) as http:
            assert (await _login(Client(http), login, "guess"))["code"] == "INVALID_CREDENTIALS"
    async with client_for(settings, "192.0.2.99", login_failures_per_login_everywhere=3) as http:
        assert (await _login(Client(http), login, PASSWORD))["code"] == "RATE_LIMITED"


async def test_failed_logins_are_limited_per_address(factory: Factory, settings: Settings) -> None:
    kit = await factory.school()
    admin = await _with_password(kit.admin.id if kit.admin else None)
    async with client_for(settings, "203.0.113.9", login_failures_per_address=3) as http:
        client = Client(http)
        for name in ("a1", "a2", "a3"):
            assert (await _login(client, f"{factory.tag}-{name}", "x"))["code"] == "INVALID_CREDENTIALS"
        assert (await _login(client, admin, PASSWORD))["code"] == "RATE_LIMITED"


async def test_passwords_and_tokens_never_logged(
    factory: Factory, anonymous: Client, caplog: pytest.LogCaptureFixture
) -> None:
    kit = await factory.school()
    admin = await _with_password(kit.admin.id if kit.admin else None)
    caplog.set_level(logging.DEBUG)
    result = await _login(anonymous, admin, PASSWORD)
    await _login(anonymous, admin, "secret-guess-123")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-guess-123" not in text
    assert result["refreshToken"] not in text
    assert result["accessToken"] not in text
