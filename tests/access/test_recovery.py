"""A forgotten password, recovered by its owner: `passwordRecoveryStart` and
`passwordRecoveryComplete` (resolvers/recovery.py), through a real SMTP server (aiosmtpd) and
the recording SMS gateway, each test on an app of its own (its own rate limit counters)."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

import models
from edge.channels import RecordingSmsGateway
from edge.settings import ConfigurationError, Settings
from resolvers import core, recovery
from resolvers.core import now_utc
from schema import websocket
from tests.client import Client
from tests.conftest import LOGIN, app_served
from tests.factories import Factory
from tests.helpers import free_port, open_socket

PASSWORD = "old password 1234"
NEW_PASSWORD = "a brand new secret 42"
RECOVERY_URL = "https://app.example.org/recover"

START = """
mutation Start($login: String!, $channel: PasswordRecoveryChannel) {
  passwordRecoveryStart(input: {login: $login, channel: $channel}) {
    __typename
    ... on PasswordRecoveryStartSuccess { ok }
    ... on Error { code message }
  }
}
"""

COMPLETE = """
mutation Complete($token: String, $login: String, $code: String, $newPassword: String!) {
  passwordRecoveryComplete(input: {token: $token, login: $login, code: $code, newPassword: $newPassword}) {
    __typename
    ... on PasswordRecoveryCompleteSuccess { ok }
    ... on ValidationError { fields { field code } }
    ... on Error { code message }
  }
}
"""

VIEWER = "{ viewer { user { id } } }"


class Inbox:
    """An aiosmtpd handler keeping what it receives: (recipients, the parsed message)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if rcpt == [address]]


@dataclass
class Recovery:
    """An app of its own serving one test, with its SMTP server's inbox and SMS gateway."""

    client: Client
    socket_url: str
    inbox: Inbox
    sms: RecordingSmsGateway
    settings: Settings

    async def start(self, login: str, channel: str = "EMAIL") -> httpx.Response:
        response = await self.client.http.post(
            "/graphql", json={"query": START, "variables": {"login": login, "channel": channel}}
        )
        await recovery.sending_done()
        return response

    async def complete(self, new_password: str = NEW_PASSWORD, **given: str) -> dict[str, Any]:
        data = await self.client.data(COMPLETE, newPassword=new_password, **given)
        result: dict[str, Any] = data["passwordRecoveryComplete"]
        return result

    async def login(self, login: str, password: str) -> dict[str, Any]:
        result: dict[str, Any] = (await self.client.data(LOGIN, login=login, password=password))["login"]
        return result

    def token(self, address: str) -> str:
        """The token of the last link e-mailed to ``address``."""
        body = self.inbox.to(address)[-1].get_content()
        found = re.search(re.escape(RECOVERY_URL) + r"\?token=([A-Za-z0-9_\-]+)", body)
        assert found is not None, body
        return found.group(1)

    def code(self, phone: str) -> str:
        texts = [s.text for s in self.sms.sent if s.phone == phone]
        found = re.search(r"\b(\d{6})\b", texts[-1])
        assert found is not None, texts
        return found.group(1)


@contextlib.asynccontextmanager
async def served(settings: Settings, **overrides: Any) -> AsyncIterator[Recovery]:
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        async with app_served(
            settings,
            smtp_url=f"smtp://127.0.0.1:{port}",
            password_recovery_url=RECOVERY_URL,
            rate_limit_namespace=f"recovery-{secrets.token_hex(6)}",  # counters of this test only
            **overrides,
        ) as (application, where):
            # The lifespan's task that closes the sockets of ended sessions (the lifespan is off).
            endings = asyncio.create_task(
                application.state.subscriptions.sessions.run(application.state.broker), name=websocket.TASK_NAME
            )
            try:
                async with httpx.AsyncClient(base_url=f"http://{where}", timeout=20) as http:
                    yield Recovery(Client(http), f"ws://{where}/graphql", inbox, application.state.sms, settings)
            finally:
                endings.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await endings
    finally:
        await recovery.sending_done()
        smtp.stop()


async def _owner(factory: Factory, name: str = "owner", *, phone: str | None = None) -> tuple[models.User, str]:
    """An account with a chosen password and an e-mail address (and a phone for SMS)."""
    user = await factory.user(name, password=PASSWORD)
    address = f"{user.login}@example.org"
    user.email = address
    await user.save(update_fields=["email"])
    if phone is not None:
        await models.NotificationSettings.create(user_id=user.id, phone=phone)
    return user, address


def _phone() -> str:
    return "+7916" + "".join(secrets.choice("0123456789") for _ in range(7))


async def _audit(user: models.User) -> list[models.AuditEntry]:
    return await models.AuditEntry.filter(object_type="User", object_id=user.id).order_by("id")


async def test_a_link_sets_the_password_once_and_ends_every_session(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    user.must_change_password = True  # a one-time password the owner lost: recovery replaces it too
    await user.save(update_fields=["must_change_password"])
    async with served(settings) as app:
        session = await app.login(user.login, PASSWORD)
        assert session["__typename"] == "LoginSuccess"
        socket = await open_socket(app.socket_url, session["accessToken"])

        started = await app.start(user.login.upper())
        assert started.json()["data"]["passwordRecoveryStart"] == {
            "__typename": "PasswordRecoveryStartSuccess",
            "ok": True,
        }
        [message] = app.inbox.to(address)
        assert message["Subject"] == "Восстановление пароля в электронном дневнике"  # Russian: no preference kept
        assert user.login in message.get_content()
        token = app.token(address)

        assert (await app.complete(token=token))["__typename"] == "PasswordRecoveryCompleteSuccess"
        # Every session ended: the socket closes with 4401, the HTTP token stops working.
        assert await socket.closed() == 4401
        old = await Client(app.client.http, session["accessToken"]).post(VIEWER)
        assert old["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert await models.Session.filter(user_id=user.id, ended_at__isnull=True).count() == 0
        # The new password logs in, the old one does not, and the one-time password is gone.
        assert (await app.login(user.login, PASSWORD))["code"] == "INVALID_CREDENTIALS"
        fresh = await app.login(user.login, NEW_PASSWORD)
        assert fresh["__typename"] == "LoginSuccess"
        assert (await models.User.get(id=user.id)).must_change_password is False

        # The link works once.
        replay = await app.complete(token=token, new_password="yet another password 7")
        assert replay["code"] == "INVALID_RECOVERY"
        assert (await app.login(user.login, NEW_PASSWORD))["__typename"] == "LoginSuccess"

    rows = await _audit(user)
    actions = [r.action for r in rows]
    assert actions.count("password.recovery_request") == 1
    assert actions.count("password.recover") == 1
    recovered = next(r for r in rows if r.action == "password.recover")
    assert recovered.actor_id == user.id
    assert recovered.details == {"channel": "EMAIL", "sessionsEnded": 2}  # the factory's and the login's
    written = json.dumps([r.details for r in rows]) + " ".join(r.address or "" for r in rows)
    assert token not in written
    assert address not in written
    stored = await models.PasswordRecovery.filter(user_id=user.id)
    assert all(token not in r.secret_hash for r in stored)


async def test_an_unknown_login_gets_the_identical_answer_and_nothing_is_sent(
    settings: Settings, factory: Factory
) -> None:
    user, address = await _owner(factory)
    silent = await factory.user("no-address", password=PASSWORD)  # no e-mail, no phone
    gone, gone_address = await _owner(factory, "deactivated")
    gone.is_active = False
    await gone.save(update_fields=["is_active"])
    async with served(settings) as app:
        answers: dict[str, bytes] = {}
        for name in (user.login, f"{factory.tag}-nobody", "nobody@example.org", silent.login, gone.login, gone_address):
            began = time.monotonic()
            response = await app.start(name)
            assert time.monotonic() - began >= recovery.MIN_ANSWER_SECONDS
            answers[name] = response.content
        assert len(set(answers.values())) == 1, answers
        by_sms = await app.start(silent.login, "SMS")  # no phone: the same answer, nothing sent
        assert by_sms.content == answers[user.login]
        assert [rcpt for rcpt, _m in app.inbox.messages] == [[address]]
        assert app.sms.sent == []
    # Only the existing account's request is audited, without the address asked for.
    assert [r.action for r in await _audit(user)] == ["password.recovery_request"]
    assert await _audit(silent) == []
    assert await _audit(gone) == []
    assert await models.PasswordRecovery.filter(user_id__in=[silent.id, gone.id]).count() == 0


async def test_an_email_address_names_the_account(settings: Settings, factory: Factory) -> None:
    _user, address = await _owner(factory)
    async with served(settings) as app:
        assert (await app.start(address.upper())).json()["data"]["passwordRecoveryStart"]["ok"] is True
        assert len(app.inbox.to(address)) == 1
        # An address two accounts share names neither (the owner asks with the login).
        twin = await factory.user("twin", password=PASSWORD)
        twin.email = address
        await twin.save(update_fields=["email"])
        await app.start(address)
        assert len(app.inbox.to(address)) == 1


async def test_an_expired_link_does_not_work(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings, password_recovery_ttl_seconds=600) as app:
        await app.start(user.login)
        token = app.token(address)
        with core.travel(now_utc() + timedelta(seconds=601)):
            assert (await app.complete(token=token))["code"] == "INVALID_RECOVERY"
        assert (await app.login(user.login, PASSWORD))["__typename"] == "LoginSuccess"
        assert "password.recovery_fail" in [r.action for r in await _audit(user)]
        # Within its time, the same kind of link works.
        await app.start(user.login)
        with core.travel(now_utc() + timedelta(seconds=590)):
            assert (await app.complete(token=app.token(address)))["__typename"] == "PasswordRecoveryCompleteSuccess"


async def test_a_second_request_replaces_the_first(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings) as app:
        await app.start(user.login)
        first = app.token(address)
        await app.start(user.login)
        second = app.token(address)
        assert first != second
        assert (await app.complete(token=first))["code"] == "INVALID_RECOVERY"
        assert (await app.complete(token=second))["__typename"] == "PasswordRecoveryCompleteSuccess"
        assert (await app.complete(token="not-a-token"))["code"] == "INVALID_RECOVERY"


async def test_a_link_presented_twice_at_once_works_once(settings: Settings, factory: Factory) -> None:
    # On PostgreSQL both requests read the live link before either uses it up (SQLite's one
    # connection takes them in turn): only the statement that uses it up decides.
    user, address = await _owner(factory)
    async with served(settings) as app:
        await app.start(user.login)
        token = app.token(address)
        answers = await asyncio.gather(
            app.complete(token=token), app.complete(token=token, new_password="the other new password")
        )
        kinds = sorted(a.get("code", a["__typename"]) for a in answers)
        assert kinds == ["INVALID_RECOVERY", "PasswordRecoveryCompleteSuccess"]
    assert [r.action for r in await _audit(user)].count("password.recover") == 1


PASSWORD_CHANGE = """
mutation Change($current: String!, $new: String!) {
  passwordChange(input: {currentPassword: $current, newPassword: $new}) { __typename }
}
"""


async def test_a_password_changed_since_the_request_ends_it(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings) as app:
        await app.start(user.login)
        token = app.token(address)
        session = await app.login(user.login, PASSWORD)
        owner = Client(app.client.http, session["accessToken"])
        changed = await owner.data(PASSWORD_CHANGE, current=PASSWORD, new="remembered it after all")
        assert changed["passwordChange"]["__typename"] == "LoginSuccess"
        assert (await app.complete(token=token))["code"] == "INVALID_RECOVERY"
        assert (await app.login(user.login, "remembered it after all"))["__typename"] == "LoginSuccess"


async def test_a_weak_password_is_refused_and_the_link_still_works(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings) as app:
        await app.start(user.login)
        token = app.token(address)
        short = await app.complete(token=token, new_password="short")
        assert short["fields"] == [{"field": "newPassword", "code": "PASSWORD_TOO_SHORT"}]
        both = await app.complete(token=token, login=user.login, code="123456")
        assert both["code"] == "INVALID_INPUT"
        neither = await app.complete()
        assert neither["code"] == "INVALID_INPUT"
        assert (await app.login(user.login, PASSWORD))["__typename"] == "LoginSuccess"
        assert (await app.complete(token=token))["__typename"] == "PasswordRecoveryCompleteSuccess"


async def test_an_sms_code_and_its_few_attempts(settings: Settings, factory: Factory) -> None:
    phone = _phone()
    user, _address = await _owner(factory, phone=phone)
    async with served(settings, password_recovery_code_attempts=3) as app:
        # Asked for by the phone number: the code comes by SMS, in Russian.
        assert (await app.start(phone, "SMS")).json()["data"]["passwordRecoveryStart"]["ok"] is True
        assert app.inbox.messages == []
        assert "Код восстановления пароля" in app.sms.sent[-1].text
        code = app.code(phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert (await app.complete(login=user.login, code=wrong))["code"] == "INVALID_RECOVERY"
        assert (await app.complete(login=phone, code=code))["__typename"] == "PasswordRecoveryCompleteSuccess"
        assert (await app.login(user.login, NEW_PASSWORD))["__typename"] == "LoginSuccess"
        assert (await app.complete(login=user.login, code=code))["code"] == "INVALID_RECOVERY"  # once

        # Three wrong codes and the code is dead: the right one no longer works.
        await app.start(user.login, "SMS")
        code = app.code(phone)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(3):
            assert (await app.complete(login=user.login, code=wrong))["code"] == "INVALID_RECOVERY"
        dead = await app.complete(login=user.login, code=code, new_password="third password here")
        assert dead["code"] == "INVALID_RECOVERY"
        assert (await app.login(user.login, NEW_PASSWORD))["__typename"] == "LoginSuccess"
        # A code for an unknown login is the same refusal.
        assert (await app.complete(login=f"{factory.tag}-nobody", code=code))["code"] == "INVALID_RECOVERY"

    failures = [r for r in await _audit(user) if r.action == "password.recovery_fail"]
    assert [r.details for r in failures] == [
        {"channel": "SMS", "attempts": 1},
        {"channel": "SMS", "attempts": 1},
        {"channel": "SMS", "attempts": 2},
        {"channel": "SMS", "attempts": 3},
    ]
    written = json.dumps([r.details for r in await _audit(user)])
    assert code not in written
    assert phone not in written


async def test_requests_are_rate_limited_per_account_and_per_address(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    unknown = f"{factory.tag}-nobody"
    async with served(settings, password_recoveries_per_account=2, password_recoveries_per_address=7) as app:
        for _ in range(2):
            assert (await app.start(user.login)).json()["data"]["passwordRecoveryStart"]["ok"] is True
            assert (await app.start(unknown)).json()["data"]["passwordRecoveryStart"]["ok"] is True
        # The third request for the account is refused, and for an unknown login just the same.
        known = (await app.start(user.login)).json()["data"]["passwordRecoveryStart"]
        other = (await app.start(unknown)).json()["data"]["passwordRecoveryStart"]
        assert known["code"] == other["code"] == "RATE_LIMITED"
        assert known["__typename"] == other["__typename"] == "RateLimitedError"
        assert len(app.inbox.to(address)) == 2
        # Named by its e-mail address, the account is asked for a third time: the request is not
        # refused (that would tell the address is the account's), but nothing more is sent.
        assert (await app.start(address)).json()["data"]["passwordRecoveryStart"]["ok"] is True
        assert len(app.inbox.to(address)) == 2
        # Eight requests from this address with this one, over its limit of seven: refused too.
        fresh = (await app.start(f"{factory.tag}-third")).json()["data"]["passwordRecoveryStart"]
        assert fresh["code"] == "RATE_LIMITED"


async def test_completions_are_rate_limited_per_address(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings, password_recovery_completions_per_address=2) as app:
        await app.start(user.login)
        for guess in ("one", "two"):
            assert (await app.complete(token=guess))["code"] == "INVALID_RECOVERY"
        assert (await app.complete(token=app.token(address)))["code"] == "RATE_LIMITED"
        assert (await app.login(user.login, PASSWORD))["__typename"] == "LoginSuccess"


async def test_a_deactivated_account_recovers_nothing(settings: Settings, factory: Factory) -> None:
    user, address = await _owner(factory)
    async with served(settings) as app:
        await app.start(user.login)
        token = app.token(address)
        user.is_active = False
        await user.save(update_fields=["is_active"])
        assert (await app.complete(token=token))["code"] == "INVALID_RECOVERY"
        await app.start(user.login)
        assert len(app.inbox.to(address)) == 1  # nothing more sent
    assert (await models.User.get(id=user.id)).password_hash == user.password_hash


def test_recovery_settings() -> None:
    settings = Settings.from_env(
        {
            "EDIARY_PASSWORD_RECOVERY_URL": "https://diary.example.org/r?x=1",
            "EDIARY_PASSWORD_RECOVERY_TTL_SECONDS": "900",
        }
    )
    assert (settings.password_recovery_url, settings.password_recovery_ttl_seconds) == (
        "https://diary.example.org/r?x=1",
        900,
    )
    with pytest.raises(ConfigurationError, match="EDIARY_PASSWORD_RECOVERY_URL"):
        Settings.from_env({"EDIARY_PASSWORD_RECOVERY_URL": "javascript:alert(1)"})
    with pytest.raises(ConfigurationError, match="EDIARY_PASSWORD_RECOVERY_CODE_ATTEMPTS"):
        Settings.from_env({"EDIARY_PASSWORD_RECOVERY_CODE_ATTEMPTS": "0"})
