"""Losing the broker ends live streams with a retryable error, never a silent hang; writes
still succeed (the outbox keeps their events) and a resubscription with the last cursor
replays everything once the broker is back."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from edge.settings import Settings
from server import create_app
from tests.factories import Factory
from tests.helpers import grade_over_http, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.processes import RedisServer
from tests.worlds import graded_family

pytestmark = pytest.mark.faults


@pytest.fixture
def redis_server() -> Iterator[RedisServer | None]:
    if not os.environ.get("TEST_REDIS_URL"):
        yield None  # embedded backend: the in-memory broker is closed instead
        return
    server = RedisServer()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.kill()


@pytest.fixture
async def served(
    settings: Settings, database: None, redis_server: RedisServer | None
) -> AsyncIterator[tuple[Any, str]]:
    overrides: dict[str, Any] = {"redis_url": f"redis://127.0.0.1:{redis_server.port}/0"} if redis_server else {}
    app = create_app(dataclasses.replace(settings, **overrides))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    yield app, f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    server.should_exit = True
    await task
    await app.state.broker.close()
    await app.state.limiter.close()


async def test_broker_loss_ends_streams_and_nothing_is_lost(
    served: tuple[Any, str], redis_server: RedisServer | None, factory: Factory
) -> None:
    app, address = served
    family = await graded_family(factory)
    parent, teacher = family.as_parent(), family.as_teacher()

    async def grade(comment: str) -> None:
        await grade_over_http(address, teacher.token, family.child, family.lesson, comment)

    socket_ = await open_socket(f"ws://{address}/graphql", parent.token)
    await socket_.start(EVENTS)
    await asyncio.sleep(0.2)
    await grade("before the outage")
    before = (await socket_.next())["payload"]["data"]["diaryEvents"]

    if redis_server is not None:
        redis_server.kill()
    else:
        await app.state.broker.close()
    message = await socket_.next(timeout=10)
    errors = message["payload"]["errors"]
    assert errors[0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "retryable": True}
    assert (await socket_.next())["type"] == "complete"
    await socket_.ws.close()

    if redis_server is None:
        return  # a closed in-memory broker does not come back; the rest is Redis's story
    await grade("during the outage")  # the write succeeds; its event waits in the outbox
    redis_server.start()
    again = await open_socket(f"ws://{address}/graphql", parent.token)
    await again.start(EVENTS, after=before["cursor"])
    missed = (await again.next())["payload"]["data"]["diaryEvents"]
    assert missed["grade"]["comment"] == "during the outage"
    await asyncio.sleep(0.2)
    await grade("after the outage")
    live = (await again.next())["payload"]["data"]["diaryEvents"]
    assert live["grade"]["comment"] == "after the outage"
    await again.nothing()
    await again.ws.close()
