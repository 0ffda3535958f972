"""Rate limits on mutations (per user, per address) and on login attempts, in process and
shared through Redis. The users are the factory's: tokens as ``login`` gives them, and a real
login with a password where the login itself is what is limited."""

from __future__ import annotations

import os
import secrets
from typing import Any

import httpx
import pytest

from edge.intake import MemoryLimiter, RedisLimiter
from edge.settings import Settings
from pubsub.broker import connect
from tests.conftest import LOGIN, client_for
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("database")
REDIS = os.environ.get("TEST_REDIS_URL")
PASSWORD = "correct-horse-battery"
LOGOUT = 'mutation { logout(input: {refreshToken: "nope"}) { __typename ... on Error { code } } }'
TWO_LOGOUTS = (
    'mutation { a: logout(input: {refreshToken: "a"}) { __typename } b: logout(input: {refreshToken: "b"}) '
    "{ __typename } }"
)
ANONYMOUS = 'mutation { sessionRefresh(input: {refreshToken: "nope"}) { __typename } }'


def _limited(settings: Settings, **limits: Any) -> Any:
    """An app with these limits and counters of its own (Redis counts outlive one test)."""
    return client_for(settings, address=_address(), rate_limit_namespace=secrets.token_hex(4), **limits)


def _address() -> str:
    """A fresh client address per test: counts in Redis outlive one test."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"


async def _token(client: httpx.AsyncClient, login: str) -> str:
    r = await client.post("/graphql", json={"query": LOGIN, "variables": {"login": login, "password": PASSWORD}})
    token: str = r.json()["data"]["login"]["accessToken"]
    return token


async def _user_token(factory: Factory, name: str) -> str:
    """An access token of a new user, as ``login`` gives it."""
    token = factory.client(await factory.user(name)).token
    assert token is not None
    return token


async def _mutate(client: httpx.AsyncClient, query: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await client.post("/graphql", json={"query": query}, headers=headers)


def _refusal(r: httpx.Response, limit: int) -> None:
    assert r.status_code == 429, r.text
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["limit"] == limit
    assert 0 < error["extensions"]["retryAfterSeconds"] <= 60
    assert r.headers["retry-after"] == str(error["extensions"]["retryAfterSeconds"])
    assert "data" not in r.json()


async def test_mutations_are_limited_per_user(settings: Settings, factory: Factory) -> None:
    parent, other = await _user_token(factory, "mum"), await _user_token(factory, "other")
    async with _limited(settings, mutations_per_user=2) as client:
        for _ in range(2):
            r = await _mutate(client, LOGOUT, parent)
            assert r.json()["data"]["logout"]["code"] == "SESSION_NOT_FOUND"
        _refusal(await _mutate(client, LOGOUT, parent), 2)
        # The other parent has a bucket of their own; queries are never counted.
        assert (await _mutate(client, LOGOUT, other)).status_code == 200
        assert (await _mutate(client, "{ viewer { user { fullName } } }", parent)).json()["data"]["viewer"]


async def test_aliases_count_one_hit_each(settings: Settings, factory: Factory) -> None:
    token = await _user_token(factory, "tutor")
    async with _limited(settings, mutations_per_user=3) as client:
        assert (await _mutate(client, TWO_LOGOUTS, token)).status_code == 200
        _refusal(await _mutate(client, TWO_LOGOUTS, token), 3)


async def test_mutations_are_limited_per_address(settings: Settings) -> None:
    address = _address()
    async with client_for(settings, address=address, mutations_per_address=3) as client:
        for _ in range(3):
            assert (await _mutate(client, ANONYMOUS)).json()["data"]["sessionRefresh"]
        _refusal(await _mutate(client, ANONYMOUS), 3)
    async with _limited(settings, mutations_per_address=3) as client:
        assert (await _mutate(client, ANONYMOUS)).status_code == 200


async def test_login_attempts_are_limited_per_address(settings: Settings, factory: Factory) -> None:
    parent, teacher, student = [await factory.user(name, password=PASSWORD) for name in ("mum", "tutor", "pupil")]
    async with _limited(settings, logins_per_address=2) as client:
        await _token(client, parent.login)
        await _token(client, teacher.login)
        query = LOGIN.replace("... on Error { code message }", "... on RateLimitedError { code retryAfterSeconds }")
        variables = {"login": student.login, "password": PASSWORD}
        r = await client.post("/graphql", json={"query": query, "variables": variables})
        result = r.json()["data"]["login"]
        assert result["__typename"] == "RateLimitedError"
        assert result["code"] == "RATE_LIMITED"
        assert 0 < result["retryAfterSeconds"] <= 60


@pytest.mark.skipif(not REDIS, reason="the shared limiter needs Redis")
async def test_two_processes_share_the_counts_through_redis(settings: Settings) -> None:
    address = _address()
    overrides: dict[str, Any] = {"address": address, "mutations_per_address": 3, "rate_limit_namespace": address}
    async with client_for(settings, **overrides) as one, client_for(settings, **overrides) as two:
        for client in (one, two, one):
            assert (await _mutate(client, ANONYMOUS)).status_code == 200
        _refusal(await _mutate(two, ANONYMOUS), 3)
        _refusal(await _mutate(one, ANONYMOUS), 3)


async def test_memory_limiter_windows() -> None:
    now = [100.0]
    limiter = MemoryLimiter(clock=lambda: now[0])
    assert (await limiter.hit("k", 2, 60)).allowed
    assert (await limiter.hit("k", 2, 60)).allowed
    now[0] += 20
    refused = await limiter.hit("k", 2, 60)
    assert (refused.allowed, refused.count, refused.retry_after) == (False, 3, 40)
    assert (await limiter.hit("other", 2, 60)).allowed
    now[0] += 41
    assert (await limiter.hit("k", 2, 60)).count == 1


@pytest.mark.skipif(not REDIS, reason="needs Redis")
async def test_redis_limiter_windows() -> None:
    assert REDIS
    client = connect(REDIS)
    limiter = RedisLimiter(client, prefix=f"test:{secrets.token_hex(4)}:")
    try:
        assert (await limiter.hit("k", 2, 60, cost=2)).allowed
        refused = await limiter.hit("k", 2, 60)
        assert (refused.allowed, refused.count) == (False, 3)
        assert 0 < refused.retry_after <= 60
        assert (await limiter.hit("other", 2, 60)).allowed
    finally:
        await client.aclose()


@pytest.mark.skipif(not REDIS, reason="needs Redis")
async def test_redis_limiter_counts_every_bucket_of_a_request_in_one_script_call() -> None:
    """A mutation counts in the user's and the address's bucket: one round trip, not two."""
    assert REDIS
    client = connect(REDIS)
    limiter = RedisLimiter(client, prefix=f"test:{secrets.token_hex(4)}:")
    calls = 0
    script = limiter._script

    async def counted(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        return await script(**kwargs)

    limiter._script = counted  # type: ignore[assignment]
    try:
        first = await limiter.hit_many([("user", 1), ("address", 5)], 60)
        second = await limiter.hit_many([("user", 1), ("address", 5)], 60)
        assert [(d.allowed, d.count) for d in first] == [(True, 1), (True, 1)]
        assert [(d.allowed, d.count) for d in second] == [(False, 2), (True, 2)]
        assert 0 < second[0].retry_after <= 60
        assert calls == 2
        assert (await limiter.hit("address", 5, 60)).count == 3  # the same counters as one at a time
    finally:
        await client.aclose()


async def test_memory_limiter_counts_many_buckets_like_one_at_a_time() -> None:
    limiter = MemoryLimiter(clock=lambda: 100.0)
    await limiter.hit("user", 1, 60)
    decisions = await limiter.hit_many([("user", 1), ("address", 5)], 60, cost=2)
    assert [(d.allowed, d.count) for d in decisions] == [(False, 3), (True, 2)]


async def test_an_unreachable_redis_lets_requests_through() -> None:
    client = connect("redis://127.0.0.1:9/0")
    try:
        assert (await RedisLimiter(client).hit("k", 1, 60, cost=5)).allowed
    finally:
        await client.aclose()
