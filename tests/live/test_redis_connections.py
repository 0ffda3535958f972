"""Redis connections per process: one for pub/sub, and one command connection that publishing,
rate limits and persisted queries share (a second opens only while two commands overlap)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from edge.settings import Settings
from pubsub.broker import RedisBroker
from server import create_app
from tests.conftest import LOGIN
from tests.factories import Factory

QUERY = "query RedisConnections { __typename }"
DIGEST = hashlib.sha256(QUERY.encode()).hexdigest()
PASSWORD = "correct-horse-battery"


def _apq(query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": DIGEST}}}
    if query is not None:
        body["query"] = query
    return body


async def test_a_process_holds_one_pubsub_and_one_command_connection(settings: Settings, factory: Factory) -> None:
    if not settings.redis_url:
        pytest.skip("needs Redis")
    user = await factory.user("mum", password=PASSWORD)
    inspector = aioredis.Redis.from_url(settings.redis_url, decode_responses=True)
    before = {c["id"] for c in await inspector.client_list()}
    app = create_app(settings)
    broker = app.state.broker
    assert isinstance(broker, RedisBroker)
    name = broker.client.connection_pool.connection_kwargs["client_name"]
    subscription = await broker.subscribe("test:redis-connections")
    try:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            # A login rate-limit count.
            login = {"query": LOGIN, "variables": {"login": user.login, "password": PASSWORD}}
            assert (await http.post("/graphql", json=login)).json()["data"]["login"]["__typename"] == "LoginSuccess"
            await http.post("/graphql", json=_apq(QUERY))  # a persisted query stored
            assert (await http.post("/graphql", json=_apq())).json()["data"] == {"__typename": "Query"}
        await broker.publish("test:redis-connections", "hello")
        assert await anext(subscription) == "hello"
        # Every connection opened since on this database (this suite runs one test at a time;
        # another run beside it, as in CI, uses another database) is the app's, named.
        db = str(broker.client.connection_pool.connection_kwargs.get("db", 0))
        new = [c for c in await inspector.client_list() if c["id"] not in before and c.get("db") == db]
        assert [c.get("name") for c in new] == [name, name], new
        assert sorted(int(c.get("sub", 0)) for c in new) == [0, 1]
        assert name.startswith("ediary:")
    finally:
        await subscription.aclose()
        await broker.close()
        await inspector.aclose()


async def test_brokers_on_other_redis_databases_hear_nothing_of_each_other(settings: Settings) -> None:
    """Pub/sub channels are the whole Redis server's: a deployment (or a test run) on another
    database of the same server must not hear this one's events, and one on the same database
    must."""
    if not settings.redis_url:
        pytest.skip("needs Redis")
    base, _, number = settings.redis_url.rpartition("/")
    other = f"{base}/{(int(number or 0) + 1) % 16}"
    mine, same, elsewhere = RedisBroker(settings.redis_url), RedisBroker(settings.redis_url), RedisBroker(other)
    heard_here = await same.subscribe("test:neighbours")
    heard_elsewhere = await elsewhere.subscribe("test:neighbours")
    try:
        await mine.publish("test:neighbours", "mine")
        await elsewhere.publish("test:neighbours", "theirs")
        assert await anext(heard_here) == "mine"
        assert await anext(heard_elsewhere) == "theirs"
        await mine.publish_many([("test:neighbours", "second")])
        assert await anext(heard_here) == "second"  # not "theirs": nothing came in between
    finally:
        await heard_here.aclose()
        await heard_elsewhere.aclose()
        for broker in (mine, same, elsewhere):
            await broker.close()
