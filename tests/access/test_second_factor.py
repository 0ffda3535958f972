"""Two-factor login (TOTP): enrolment and confirmation, the login's second step (wrong,
replayed and foreign codes, expired challenges, recovery codes), the limits on guessing,
the gate for roles that require it, turning it off, and an admin's reset. The clock is the
project's, frozen at the start of a 30-second step and moved by the tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest

import models
from edge.settings import ConfigurationError, Settings
from resolvers import core, pages
from resolvers.core import now_utc
from tests.client import Client
from tests.conftest import TEST_SECRET, client_for
from tests.factories import Factory
from tests.helpers import gid, open_socket

PASSWORD = "correct-horse-battery"
ENROLL = """
mutation { secondFactorEnroll { __typename
  ... on SecondFactorEnrollSuccess { secret provisioningUri } ... on Error { code } } }
"""
CONFIRM = """
mutation C($code: String!) { secondFactorConfirm(input: {code: $code}) { __typename
  ... on RecoveryCodesSuccess { recoveryCodes } ... on Error { code } } }
"""
REGENERATE = """
mutation G($code: String!) { secondFactorRecoveryCodesRegenerate(input: {code: $code}) { __typename
  ... on RecoveryCodesSuccess { recoveryCodes } ... on Error { code } } }
"""
DISABLE = """
mutation D($code: String!) { secondFactorDisable(input: {code: $code}) { __typename ... on Error { code } } }
"""
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) {
  __typename ... on LoginSuccess { accessToken } ... on SecondFactorRequired { challenge expiresAt }
  ... on Error { code } } }
"""
SECOND = """
mutation S($challenge: String!, $code: String!) { loginSecondFactor(input: {challenge: $challenge, code: $code}) {
  __typename ... on LoginSuccess { accessToken refreshToken user { id } }
  ... on RateLimitedError { retryAfterSeconds } ... on Error { code } } }
"""
RESET = """
mutation R($id: ID!) { secondFactorReset(input: {userId: $id}) { __typename
  ... on SecondFactorResetSuccess { userId } ... on Error { code } } }
"""
STATUS = "{ viewer { user { fullName } secondFactor { enabled recoveryCodesLeft required } } }"
ROLES = "{ viewer { roles } }"
EVENTS = "subscription E($id: ID) { diaryEvents(studentId: $id) { kind } }"


class Clock:
    """The project's clock, frozen; ``tick`` moves it on."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self.stack = stack
        start = int(now_utc().timestamp())
        self.at = now_utc() + timedelta(seconds=30 - start % 30 + 5)  # 5 s into a step
        stack.enter_context(core.freeze(self.at))

    def tick(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.stack.enter_context(core.freeze(self.at))


@pytest.fixture
def time() -> Iterator[Clock]:
    with contextlib.ExitStack() as stack:
        yield Clock(stack)


def code(secret: str, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(now_utc() + timedelta(seconds=30 * steps))


@dataclass
class Enrolled:
    user: models.User
    me: Client
    secret: str
    recovery: list[str]


async def enrolled(factory: Factory, name: str = "user", user: models.User | None = None) -> Enrolled:
    """A user with two-factor login on, confirmed with the code of the current step."""
    user = user or await factory.user(name, password=PASSWORD)
    me = factory.client(user)
    secret = (await me.data(ENROLL))["secondFactorEnroll"]["secret"]
    confirmed = (await me.data(CONFIRM, code=code(secret)))["secondFactorConfirm"]
    return Enrolled(user, me, secret, confirmed["recoveryCodes"])


async def first_step(http: httpx.AsyncClient, user: models.User) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(LOGIN, login=user.login, password=PASSWORD))["login"]
    return result


async def second_step(http: httpx.AsyncClient, challenge: str, text: str) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(SECOND, challenge=challenge, code=text))["loginSecondFactor"]
    return result


async def live_sessions(user: models.User) -> int:
    return await models.Session.filter(user_id=user.id, ended_at__isnull=True).count()


def no_secrets(rows: list[models.AuditEntry], *secrets: str) -> bool:
    text = " ".join(str(row.details) for row in rows).lower()
    return not any(s.lower() in text or s.replace("-", "").lower() in text for s in secrets)


async def test_enrolment_confirmation_then_login_asks_for_a_code(
    factory: Factory, http: httpx.AsyncClient, time: Clock
) -> None:
    user = await factory.user("mum", password=PASSWORD)
    me = factory.client(user)
    enrolment = (await me.data(ENROLL))["secondFactorEnroll"]
    secret = enrolment["secret"]
    assert enrolment["provisioningUri"] == pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name="ediary")
    assert enrolment["provisioningUri"].startswith("otpauth://totp/ediary:")
    # Nothing is on before the confirmation: login still opens a session at once.
    assert (await me.data(STATUS))["viewer"]["secondFactor"] == {
        "enabled": False,
        "recoveryCodesLeft": 0,
        "required": False,
    }
    assert (await first_step(http, user))["__typename"] == "LoginSuccess"
    wrong = (await me.data(CONFIRM, code="000000" if code(secret) != "000000" else "111111"))["secondFactorConfirm"]
    assert wrong == {"__typename": "ValidationError", "code": "SECOND_FACTOR_CODE_WRONG"}
    confirmed = (await me.data(CONFIRM, code=code(secret)))["secondFactorConfirm"]
    recovery = confirmed["recoveryCodes"]
    assert len(set(recovery)) == 10
    assert (await me.data(STATUS))["viewer"]["secondFactor"] == {
        "enabled": True,
        "recoveryCodesLeft": 10,
        "required": False,
    }
    # Stored sealed and hashed: the database alone gives neither the secret nor a code away.
    factor = await models.SecondFactor.get(user_id=user.id)
    assert secret not in factor.secret_sealed
    hashes = " ".join(r.code_hash for r in await models.RecoveryCode.filter(user_id=user.id))
    assert not any(c.replace("-", "") in hashes for c in recovery)

    before = await live_sessions(user)
    challenge = await first_step(http, user)
    assert challenge["__typename"] == "SecondFactorRequired"
    assert await live_sessions(user) == before  # no session yet
    time.tick(30)
    done = await second_step(http, challenge["challenge"], code(secret))
    assert done["__typename"] == "LoginSuccess"
    assert done["user"]["id"] == gid(user, "User")
    assert (await Client(http, done["accessToken"]).data(STATUS))["viewer"]["user"]["fullName"] == user.full_name
    login = await models.AuditEntry.filter(action="session.login", object_id=user.id).order_by("-id").first()
    assert login is not None
    assert login.details == {"via": "TOTP"}
    enabled = await models.AuditEntry.get(action="second_factor.enable", object_id=user.id)
    assert enabled.details == {"recoveryCodesLeft": 10}
    assert no_secrets(await models.AuditEntry.filter(object_id=user.id), secret, *recovery)


async def test_a_wrong_or_replayed_code_is_refused(factory: Factory, http: httpx.AsyncClient, time: Clock) -> None:
    mum = await enrolled(factory)
    challenge = (await first_step(http, mum.user))["challenge"]
    # The confirmation used this step's code: it is not accepted again.
    assert (await second_step(http, challenge, code(mum.secret)))["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert (await second_step(http, challenge, code(mum.secret, 2)))["code"] == "SECOND_FACTOR_CODE_WRONG"
    time.tick(30)
    right = code(mum.secret)
    assert (await second_step(http, challenge, right))["__typename"] == "LoginSuccess"
    # The challenge is used up, and so is the code, for a new challenge too.
    assert (await second_step(http, challenge, right))["code"] == "LOGIN_CHALLENGE_INVALID"
    again = (await first_step(http, mum.user))["challenge"]
    assert (await second_step(http, again, right))["code"] == "SECOND_FACTOR_CODE_WRONG"
    # One step later (the window's edge) it takes the next code.
    time.tick(30)
    assert (await second_step(http, again, code(mum.secret, -1)))["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert (await second_step(http, again, code(mum.secret, 1)))["__typename"] == "LoginSuccess"
    assert await models.SecondFactorAttempt.filter(user_id=mum.user.id).count() == 4


async def test_an_expired_challenge_is_refused(factory: Factory, http: httpx.AsyncClient, time: Clock) -> None:
    mum = await enrolled(factory)
    challenge = await first_step(http, mum.user)
    time.tick(5 * 60 + 1)
    assert (await second_step(http, challenge["challenge"], code(mum.secret)))["code"] == "LOGIN_CHALLENGE_INVALID"
    assert (await second_step(http, "made-up", code(mum.secret)))["code"] == "LOGIN_CHALLENGE_INVALID"
    assert await live_sessions(mum.user) == 1  # the factory's only


async def test_a_challenge_takes_only_its_own_users_code(
    factory: Factory, http: httpx.AsyncClient, time: Clock
) -> None:
    mum, dad = await enrolled(factory, "mum"), await enrolled(factory, "dad")
    time.tick(30)
    challenge = (await first_step(http, mum.user))["challenge"]
    assert (await second_step(http, challenge, code(dad.secret)))["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert (await second_step(http, challenge, dad.recovery[0]))["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert await live_sessions(mum.user) == await live_sessions(dad.user) == 1
    assert await models.RecoveryCode.filter(user_id=dad.user.id, used_at__isnull=True).count() == 10
    assert (await second_step(http, challenge, code(mum.secret)))["__typename"] == "LoginSuccess"


async def test_a_recovery_code_works_once(factory: Factory, http: httpx.AsyncClient, time: Clock) -> None:
    mum = await enrolled(factory)
    spoken = mum.recovery[3].upper().replace("-", " ")  # read aloud, typed differently
    challenge = (await first_step(http, mum.user))["challenge"]
    assert (await second_step(http, challenge, spoken))["__typename"] == "LoginSuccess"
    assert (await mum.me.data(STATUS))["viewer"]["secondFactor"]["recoveryCodesLeft"] == 9
    used = await models.AuditEntry.get(action="second_factor.recovery_code_use", object_id=mum.user.id)
    assert used.details == {"recoveryCodesLeft": 9}
    again = (await first_step(http, mum.user))["challenge"]
    assert (await second_step(http, again, mum.recovery[3]))["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert (await second_step(http, again, mum.recovery[4]))["__typename"] == "LoginSuccess"
    login = await models.AuditEntry.filter(action="session.login", object_id=mum.user.id).order_by("-id").first()
    assert login is not None
    assert login.details == {"via": "RECOVERY_CODE"}
    assert no_secrets(await models.AuditEntry.filter(object_id=mum.user.id), mum.secret, *mum.recovery)


async def test_wrong_codes_are_limited_per_user_and_address(
    factory: Factory, http: httpx.AsyncClient, settings: Settings, time: Clock
) -> None:
    mum = await enrolled(factory)
    time.tick(30)
    challenge = (await first_step(http, mum.user))["challenge"]
    wrong = "000000" if code(mum.secret) != "000000" else "111111"
    for _ in range(settings.login_failures_per_login):
        assert (await second_step(http, challenge, wrong))["code"] == "SECOND_FACTOR_CODE_WRONG"
    limited = await second_step(http, challenge, code(mum.secret))  # even the right one, now
    assert limited["__typename"] == "RateLimitedError"
    assert 0 < limited["retryAfterSeconds"] <= settings.login_window_seconds + 1
    # From another address the per-address limit is not reached, but the user's from everywhere is.
    async with client_for(settings, address="10.9.8.7") as elsewhere:
        assert (await second_step(elsewhere, challenge, code(mum.secret)))["__typename"] == "LoginSuccess"
    async with client_for(settings, address="10.9.8.6", second_factor_failures_per_user=5) as other:
        again = (await first_step(other, mum.user))["challenge"]
        assert (await second_step(other, again, code(mum.secret, 1)))["__typename"] == "RateLimitedError"
    # The window passes: the owner gets in again.
    time.tick(settings.login_window_seconds + 30)
    challenge = (await first_step(http, mum.user))["challenge"]
    assert (await second_step(http, challenge, code(mum.secret)))["__typename"] == "LoginSuccess"


async def test_a_role_that_requires_it_must_enrol_first(factory: Factory, settings: Settings, time: Clock) -> None:
    kit = await factory.school()
    assert kit.admin is not None
    teacher = await factory.teacher(kit, [])
    required = frozenset({"SCHOOL_ADMIN", "DISTRICT_ADMIN"})
    async with client_for(settings, require_2fa_for=required) as strict:
        admin = Client(strict, factory.client(kit.admin).token)
        refused = await admin.post(ROLES)
        assert refused["data"] is None
        extensions = refused["errors"][0]["extensions"]
        assert (extensions["code"], extensions["reason"]) == ("FORBIDDEN", "SECOND_FACTOR_REQUIRED")
        status = (await admin.data(STATUS))["viewer"]["secondFactor"]
        assert status == {"enabled": False, "recoveryCodesLeft": 0, "required": True}
        assert (await Client(strict, factory.client(teacher).token).data(ROLES))["viewer"]["roles"] == ["TEACHER"]
        secret = (await admin.data(ENROLL))["secondFactorEnroll"]["secret"]
        assert (await admin.post(ROLES))["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
        assert (await admin.data(CONFIRM, code=code(secret)))["secondFactorConfirm"]["__typename"] == (
            "RecoveryCodesSuccess"
        )
        assert (await admin.data(ROLES))["viewer"]["roles"] == ["SCHOOL_ADMIN"]
        # Turned off again, the gate is back.
        time.tick(30)
        assert (await admin.data(DISABLE, code=code(secret)))["secondFactorDisable"]["__typename"] == (
            "SecondFactorDisableSuccess"
        )
        assert (await admin.post(ROLES))["errors"][0]["extensions"]["reason"] == "SECOND_FACTOR_REQUIRED"
    # Where no role requires it, nothing is asked of admins.
    assert (await factory.client(kit.admin).data(ROLES))["viewer"]["roles"] == ["SCHOOL_ADMIN"]


async def test_turning_off_and_new_recovery_codes_need_a_code(factory: Factory, time: Clock) -> None:
    mum = await enrolled(factory)
    assert (await mum.me.data(DISABLE, code=PASSWORD))["secondFactorDisable"]["code"] == "SECOND_FACTOR_CODE_WRONG"
    assert (await mum.me.data(REGENERATE, code=code(mum.secret)))["secondFactorRecoveryCodesRegenerate"]["code"] == (
        "SECOND_FACTOR_CODE_WRONG"  # the confirmation's code, used
    )
    fresh = (await mum.me.data(REGENERATE, code=mum.recovery[0]))["secondFactorRecoveryCodesRegenerate"]
    assert fresh["__typename"] == "RecoveryCodesSuccess"
    assert not set(fresh["recoveryCodes"]) & set(mum.recovery)
    assert (await mum.me.data(DISABLE, code=mum.recovery[1]))["secondFactorDisable"]["code"] == (
        "SECOND_FACTOR_CODE_WRONG"  # the old codes are gone
    )
    time.tick(30)
    assert (await mum.me.data(DISABLE, code=code(mum.secret)))["secondFactorDisable"]["__typename"] == (
        "SecondFactorDisableSuccess"
    )
    assert (await mum.me.data(STATUS))["viewer"]["secondFactor"]["enabled"] is False
    assert (await mum.me.data(DISABLE, code=code(mum.secret)))["secondFactorDisable"]["code"] == "SECOND_FACTOR_NOT_ON"
    actions = await models.AuditEntry.filter(object_id=mum.user.id, action__startswith="second_factor.").order_by("id")
    assert [(a.action, a.details) for a in actions] == [
        ("second_factor.enable", {"recoveryCodesLeft": 10}),
        ("second_factor.recovery_code_use", {"recoveryCodesLeft": 9}),
        ("second_factor.recovery_codes_regenerate", {"via": "RECOVERY_CODE", "recoveryCodesLeft": 10}),
        ("second_factor.disable", {"via": "TOTP"}),
    ]
    assert no_secrets(actions, mum.secret, *mum.recovery, *fresh["recoveryCodes"])


async def test_an_admin_resets_a_second_factor_of_their_school_only(
    factory: Factory, http: httpx.AsyncClient, server_url: str, time: Clock
) -> None:
    kit, other = await factory.school("One"), await factory.school("Two")
    assert kit.admin is not None
    assert other.admin is not None
    mum = await enrolled(factory, user=await factory.user("mum", password=PASSWORD))
    child = await factory.student(kit, "5A", guardians=[mum.user])
    time.tick(30)
    challenge = (await first_step(http, mum.user))["challenge"]
    session = await second_step(http, challenge, code(mum.secret))
    socket = await open_socket(server_url, session["accessToken"])
    await socket.start(EVENTS, id=gid(child, "Student"))
    target = gid(mum.user, "User")

    elsewhere = (await factory.client(other.admin).data(RESET, id=target))["secondFactorReset"]
    assert elsewhere == {"__typename": "NotFoundError", "code": "USER_NOT_FOUND"}
    assert await models.SecondFactor.exists(user_id=mum.user.id)
    refused = await factory.client(await factory.user("nobody")).post(RESET, id=target)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    own = (await factory.client(kit.admin).data(RESET, id=gid(kit.admin, "User")))["secondFactorReset"]
    assert own["code"] == "CANNOT_RESET_SELF"

    reset = (await factory.client(kit.admin).data(RESET, id=target))["secondFactorReset"]
    assert reset == {"__typename": "SecondFactorResetSuccess", "userId": target}
    assert await socket.closed() == 4401
    assert await live_sessions(mum.user) == 0
    assert (await Client(http, session["accessToken"]).post(ROLES))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    assert (await first_step(http, mum.user))["__typename"] == "LoginSuccess"  # the password alone, again
    entry = await models.AuditEntry.get(action="second_factor.reset", object_id=mum.user.id)
    assert (entry.actor_id, entry.school_id, entry.details) == (kit.admin.id, kit.school.id, {"sessionsEnded": 2})
    again = (await factory.client(kit.admin).data(RESET, id=target))["secondFactorReset"]
    assert again["code"] == "SECOND_FACTOR_NOT_ON"


def test_the_roles_that_require_it_are_a_setting() -> None:
    base = {"SECRET_KEY": TEST_SECRET}
    assert Settings.from_env(base).require_2fa_for == frozenset()
    both = Settings.from_env({**base, "EDIARY_REQUIRE_2FA_FOR": " school_admin, DISTRICT_ADMIN ,"})
    assert both.require_2fa_for == frozenset({"SCHOOL_ADMIN", "DISTRICT_ADMIN"})
    with pytest.raises(ConfigurationError, match="EDIARY_REQUIRE_2FA_FOR: ADMIN is not a role"):
        Settings.from_env({**base, "EDIARY_REQUIRE_2FA_FOR": "ADMIN"})
    limit = Settings.from_env({**base, "EDIARY_SECOND_FACTOR_FAILURES_PER_USER": "3"})
    assert limit.second_factor_failures_per_user == 3


async def test_a_deactivated_account_or_another_secret_key_completes_nothing(
    factory: Factory, http: httpx.AsyncClient, settings: Settings, time: Clock
) -> None:
    mum = await enrolled(factory)
    time.tick(30)
    challenge = (await first_step(http, mum.user))["challenge"]
    # The secret is sealed with SECRET_KEY: under another key no code matches (a database alone is not enough).
    try:
        async with client_for(settings, secret_key="another-secret-key-of-at-least-32-characters") as moved:
            assert (await second_step(moved, challenge, code(mum.secret)))["code"] == "SECOND_FACTOR_CODE_WRONG"
    finally:
        pages.use_secret(TEST_SECRET)  # create_app set the process's cursor key to the other one
    await models.User.filter(id=mum.user.id).update(is_active=False)
    assert (await second_step(http, challenge, code(mum.secret)))["code"] == "LOGIN_CHALLENGE_INVALID"
