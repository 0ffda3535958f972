"""The housekeeping sweep (``resolvers/housekeeping.py``): failed logins and wrong codes go once
the rate limits no longer count them, and not before (a sweep forgives nobody); expired login
challenges and password recovery rows go a day after they expired."""

from __future__ import annotations

from datetime import timedelta

import models
from edge.settings import Settings
from resolvers import core, housekeeping
from resolvers.core import now_utc
from tests.client import Client
from tests.conftest import LOGIN
from tests.factories import Factory

PASSWORD = "correct-horse-battery"


async def _login(client: Client, login: str, password: str) -> str:
    answer = (await client.data(LOGIN, login=login, password=password))["login"]
    return str(answer.get("code") or answer["__typename"])


async def test_failed_logins_are_kept_while_they_count_and_swept_after(
    factory: Factory, anonymous: Client, settings: Settings
) -> None:
    user = await factory.user("swept", password=PASSWORD)
    for _ in range(5):
        assert await _login(anonymous, user.login, "guess") == "INVALID_CREDENTIALS"
    window = timedelta(seconds=settings.login_window_seconds)
    with core.travel(now_utc() + window - timedelta(seconds=30)):
        await housekeeping.sweep(settings)
        assert await models.LoginAttempt.filter(login=user.login).count() == 5
        assert await _login(anonymous, user.login, PASSWORD) == "RATE_LIMITED"  # the sweep forgave nothing
    with core.travel(now_utc() + window + timedelta(seconds=30)):
        removed = await housekeeping.sweep(settings)
        assert removed["login_attempt"] >= 5
        assert await models.LoginAttempt.filter(login=user.login).count() == 0
        assert await _login(anonymous, user.login, PASSWORD) == "LoginSuccess"


async def test_wrong_codes_challenges_and_recoveries_are_swept_when_nothing_can_use_them(
    factory: Factory, settings: Settings
) -> None:
    user = await factory.user("codes")
    now = now_utc()
    window = timedelta(seconds=settings.login_window_seconds)
    await models.SecondFactorAttempt.create(user_id=user.id, address="192.0.2.1")
    await models.LoginChallenge.create(
        user_id=user.id, token_hash="a" * 64, address="192.0.2.1", expires_at=now + timedelta(minutes=5)
    )
    await models.PasswordRecovery.create(
        user_id=user.id, channel="EMAIL", secret_hash="b" * 64, created_at=now, expires_at=now + timedelta(minutes=30)
    )
    with core.travel(now + timedelta(hours=23)):  # expired, but not a day ago; the code no longer counts
        await housekeeping.sweep(settings)
        assert await models.SecondFactorAttempt.filter(user_id=user.id).count() == 0
        assert await models.LoginChallenge.filter(user_id=user.id).count() == 1
        assert await models.PasswordRecovery.filter(user_id=user.id).count() == 1
    with core.travel(now + timedelta(days=1, hours=1)):
        await housekeeping.sweep(settings)
        assert await models.LoginChallenge.filter(user_id=user.id).count() == 0
        assert await models.PasswordRecovery.filter(user_id=user.id).count() == 0
    # A wrong code inside the window stays: it still counts towards the limit.
    with core.travel(now + timedelta(days=2)):
        await models.SecondFactorAttempt.create(user_id=user.id, address="192.0.2.1")
    with core.travel(now + timedelta(days=2) + window - timedelta(seconds=30)):
        await housekeeping.sweep(settings)
        assert await models.SecondFactorAttempt.filter(user_id=user.id).count() == 1
