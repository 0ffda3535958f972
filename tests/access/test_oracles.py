"""No account oracles (issue 17, item 4): registering does not tell which logins exist and
every attempt is limited; a password check costs the same whatever the account's state; and
strangers cannot lock a login against its owner."""

from __future__ import annotations

import secrets
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError

import models
from edge.settings import Settings
from resolvers import passwords
from tests.client import Client
from tests.conftest import LOGIN, client_for
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("database")

PASSWORD = "correct horse battery"
REGISTER = """mutation R($input: AccountRegisterInput!) { accountRegister(input: $input) { __typename
  ... on ValidationError { fields { field code message } } ... on Error { code message } } }"""


def _registration(login: str) -> dict[str, str]:
    return {"login": login, "password": "long enough pass", "fullName": "New Parent", "email": "n@example.org"}


def _address() -> str:
    """A fresh client address: counts kept in Redis outlive one test."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def test_a_taken_login_is_refused_like_a_malformed_one(factory: Factory, anonymous: Client) -> None:
    """Same code (INVALID_LOGIN), same message, nothing else that differs."""
    taken = (await factory.user("taken")).login
    before = await models.User.all().count()
    answers = []
    for login in (taken, taken.upper(), "x", "bad login!", "a\x00b"):
        body = (await anonymous.data(REGISTER, input=_registration(login)))["accountRegister"]
        answers.append(body)
    assert answers[0]["__typename"] == "ValidationError", answers[0]
    assert [(f["field"], f["code"]) for f in answers[0]["fields"]] == [("login", "INVALID_LOGIN")]
    assert all(answer == answers[0] for answer in answers), answers
    assert await models.User.all().count() == before


async def test_every_registration_attempt_counts_against_the_address(settings: Settings, factory: Factory) -> None:
    taken = (await factory.user("probed")).login
    limits: dict[str, Any] = {"registration_attempts_per_address": 3, "rate_limit_namespace": secrets.token_hex(4)}
    async with client_for(settings, _address(), **limits) as http:
        anonymous = Client(http)
        for login in (taken, "x", f"free.{factory.tag}.1"):  # refused, refused, created
            body = (await anonymous.data(REGISTER, input=_registration(login)))["accountRegister"]
            assert body["__typename"] in ("ValidationError", "LoginSuccess"), body
        before = await models.User.all().count()
        for login in (taken, f"free.{factory.tag}.2"):
            body = (await anonymous.data(REGISTER, input=_registration(login)))["accountRegister"]
            assert (body["__typename"], body["code"]) == ("RateLimitedError", "RATE_LIMITED"), body
        assert await models.User.all().count() == before
    async with client_for(settings, _address(), **limits) as http:  # another address is counted apart
        body = (await Client(http).data(REGISTER, input=_registration(taken)))["accountRegister"]
        assert body["fields"][0]["code"] == "INVALID_LOGIN"


class _CountingHasher(PasswordHasher):
    """The real hasher, counting the verifications that cost what a chosen password's does."""

    full = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        try:
            parameters = extract_parameters(hash if isinstance(hash, str) else hash.decode())
        except InvalidHashError:
            pass
        else:
            if (parameters.time_cost, parameters.memory_cost) == (self.time_cost, self.memory_cost):
                self.full += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> _CountingHasher:
    spy = _CountingHasher()
    monkeypatch.setattr(passwords, "_hasher", spy)
    return spy


async def test_a_password_check_costs_one_full_verification_whatever_the_account(
    factory: Factory, anonymous: Client, hasher: _CountingHasher
) -> None:
    chosen = await factory.user("chosen", password=PASSWORD)
    one_time = await factory.user("onetime")
    otp = passwords.one_time_password()
    await models.User.filter(id=one_time.id).update(
        password_hash=passwords.hash_one_time_password(otp), must_change_password=True
    )
    gone = await factory.user("gone", password=PASSWORD)
    await models.User.filter(id=gone.id).update(is_active=False)
    no_password = await factory.user("nopassword")  # an account made without one ("!")
    attempts = [
        (chosen.login, "wrong password", "INVALID_CREDENTIALS"),
        (chosen.login, PASSWORD, None),
        (one_time.login, "wrong password", "INVALID_CREDENTIALS"),
        (one_time.login, otp, None),
        (gone.login, "wrong password", "INVALID_CREDENTIALS"),
        (gone.login, PASSWORD, "ACCOUNT_DEACTIVATED"),
        (no_password.login, "wrong password", "INVALID_CREDENTIALS"),
        (f"nobody-{factory.tag}", "wrong password", "INVALID_CREDENTIALS"),
    ]
    for login, password, code in attempts:
        before = hasher.full
        answer = (await anonymous.data(LOGIN, login=login, password=password))["login"]
        assert answer.get("code") == code, (login, answer)
        assert hasher.full - before == 1, (login, password, hasher.full - before)


async def test_strangers_cannot_lock_the_owner_out(factory: Factory, settings: Settings) -> None:
    """50 wrong passwords from 10 addresses reach the limit from everywhere: the owner still
    logs in from where they did before; a new address is still refused."""
    assert (settings.login_failures_per_login, settings.login_failures_per_login_everywhere) == (5, 50)
    login = (await factory.user("owner", password=PASSWORD)).login
    home = _address()
    async with client_for(settings, home) as http:
        assert (await Client(http).data(LOGIN, login=login, password=PASSWORD))["login"]["__typename"] == "LoginSuccess"
    strangers = [_address() for _ in range(10)]
    for address in strangers:
        async with client_for(settings, address) as http:
            for _ in range(5):
                answer = (await Client(http).data(LOGIN, login=login, password="guess"))["login"]
                assert answer["code"] == "INVALID_CREDENTIALS", answer
    assert await models.LoginAttempt.filter(login=login).count() == 50
    async with client_for(settings, home) as http:
        answer = (await Client(http).data(LOGIN, login=login, password=PASSWORD))["login"]
        assert answer["__typename"] == "LoginSuccess", answer
    async with client_for(settings, _address()) as http:  # never logged in to this account
        answer = (await Client(http).data(LOGIN, login=login, password=PASSWORD))["login"]
        assert answer["code"] == "RATE_LIMITED", answer
    async with client_for(settings, strangers[0]) as http:  # nor did the strangers
        answer = (await Client(http).data(LOGIN, login=login, password=PASSWORD))["login"]
        assert answer["code"] == "RATE_LIMITED", answer
