"""Several server processes share PostgreSQL/SQLite and Redis: a grade posted on one
process reaches a parent subscribed on another. Needs Redis (TEST_REDIS_URL); the
in-memory broker is one process by design."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from edge.settings import Settings
from tests.factories import Factory
from tests.helpers import grade_over_http, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.processes import ServerProcess
from tests.worlds import graded_family

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="scale-out needs Redis")


@pytest.fixture(scope="module")
async def ready(settings: Settings, database: None) -> AsyncIterator[list[str]]:
    """Two production server processes on the test database and Redis, ready (each waited for
    as the fault tests' are, its output shown when the test fails)."""
    servers = [ServerProcess(settings), ServerProcess(settings)]
    try:
        for server in servers:
            await server.ready()
        yield [server.address for server in servers]
    finally:
        for server in servers:
            server.stop()


async def test_grade_on_one_process_reaches_parent_on_another(ready: list[str], factory: Factory) -> None:
    a, b = ready
    family = await graded_family(factory)
    parent, other_parent = family.as_parent(), family.as_other_parent()
    mine = await open_socket(f"ws://{a}/graphql", parent.token)
    theirs = await open_socket(f"ws://{a}/graphql", other_parent.token)
    await mine.start(EVENTS)
    await theirs.start(EVENTS)
    await asyncio.sleep(0.3)
    await grade_over_http(b, family.as_teacher().token, family.child, family.lesson, "posted on process B", value="4")
    event = (await mine.next())["payload"]["data"]["diaryEvents"]
    assert event["grade"]["comment"] == "posted on process B"
    await theirs.nothing()
    await mine.ws.close()
    await theirs.ws.close()
