"""PostgreSQL connections go back to the pool without asyncpg's reset statement (one round
trip per query, not two: ``resolvers.core.keep_session``), and that is safe because
asyncpg still rolls back a transaction a connection was released in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from tortoise import connections

import models
from tests.factories import Factory

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="asyncpg's pool is PostgreSQL's")


@pytest.fixture
def sent() -> Iterator[list[str]]:
    """Every statement asyncpg sends through ``Connection.execute`` (where its reset goes)."""
    statements: list[str] = []
    original = asyncpg.connection.Connection.execute

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(query)
        return await original(self, query, *args, **kwargs)

    asyncpg.connection.Connection.execute = execute
    try:
        yield statements
    finally:
        asyncpg.connection.Connection.execute = original


async def _parent(factory: Factory) -> models.User:
    """A parent with a child in 5A."""
    parent = await factory.parent()
    await factory.student(await factory.school(), "5A", guardians=[parent])
    return parent


async def test_a_query_is_not_followed_by_a_reset_statement(factory: Factory, sent: list[str]) -> None:
    parent = factory.client(await _parent(factory))
    data = await parent.data("{ viewer { children { fullName schoolClass { name } school { name } } } }")
    assert data["viewer"]["children"]
    assert not [s for s in sent if "RESET ALL" in s or "UNLISTEN" in s]


async def test_a_transaction_left_open_is_rolled_back_before_the_connection_is_reused(factory: Factory) -> None:
    account = await _parent(factory)
    parent = factory.client(account)
    pool = connections.get("default")._pool
    before = await models.User.get(id=account.id)
    async with pool.acquire() as connection:
        # What a request cancelled in the middle of its transaction leaves behind.
        await connection.execute("BEGIN")
        await connection.execute("UPDATE user_account SET full_name = 'Forged' WHERE id = $1", account.id)
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        assert not any(c.is_in_transaction() for c in held)
    finally:
        for connection in held:
            await pool.release(connection)
    assert (await models.User.get(id=account.id)).full_name == before.full_name != "Forged"
    data = await parent.data("{ viewer { user { fullName } } }")
    assert data["viewer"]["user"]["fullName"] == before.full_name


async def test_statements_are_never_jit_compiled(factory: Factory) -> None:
    """A scoped read's estimated cost passes jit_above_cost on a large district, and compiling
    it cost far more than running it (``edge.settings.tortoise_config``)."""
    await _parent(factory)
    assert await connections.get("default").execute_query_dict("SHOW jit") == [{"jit": "off"}]
