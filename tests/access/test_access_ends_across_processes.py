"""A session that ends on one server process closes its sockets on every other
(``schema/websocket.py``): through the broker at once, and through each process's check of
the sessions ended lately when the broker's message never came (within 2 s). And the per-user cap
counts the sockets of every process. Two ``server.py serve`` processes share the test database
and Redis (TEST_REDIS_URL); the in-memory broker is one process by design."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from tortoise.transactions import in_transaction
from websockets.exceptions import ConnectionClosed

from edge.settings import Settings
from resolvers import sessions
from tests.access.test_access_ends_sockets import LOGOUT, RESET, _ok
from tests.client import Client
from tests.factories import Factory
from tests.helpers import gid, open_socket
from tests.live.test_streams import STREAMS
from tests.processes import ServerProcess

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="several processes need Redis")

CAP = 2  # sockets per user on these processes
INBOX = STREAMS["notificationEvents"].document  # any user may follow their inbox


@pytest.fixture(scope="module")
async def processes(settings: Settings, database: None) -> AsyncIterator[list[ServerProcess]]:
    namespace = f"test-sockets-{secrets.token_hex(4)}"  # counts of their own
    started = [
        ServerProcess(settings, EDIARY_MAX_SOCKETS_PER_USER=str(CAP), EDIARY_RATE_LIMIT_NAMESPACE=namespace)
        for _ in range(2)
    ]
    try:
        for process in started:
            await process.ready()
        yield started
    finally:
        for process in started:
            process.stop()


def _url(process: ServerProcess) -> str:
    return f"ws://{process.address}/graphql"


def _http(process: ServerProcess) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://{process.address}")


async def test_an_ending_on_one_process_closes_the_socket_on_another(
    processes: list[ServerProcess], factory: Factory
) -> None:
    a, b = processes
    kit = await factory.school()
    parent = await factory.parent()
    await factory.student(kit, "5A", "child", guardians=[parent])  # whom the school's admin may reset
    pair = await sessions.start_session(factory.settings, parent)
    reset_pair = await sessions.start_session(factory.settings, parent)
    logged_out = await open_socket(_url(b), pair.access_token)
    reset = await open_socket(_url(b), reset_pair.access_token, "graphql-ws")
    await logged_out.start(INBOX)
    async with _http(a) as http:
        await _ok(await Client(http, pair.access_token).data(LOGOUT, t=pair.refresh_token), "LogoutSuccess")
        assert await logged_out.closed(timeout=2) == 4401
        await reset.nothing()  # another session of the same user
        admin = Client(http, factory.client(kit.admin).token)
        await _ok(await admin.data(RESET, id=gid(parent, "User")), "PasswordResetSuccess")
        assert await reset.closed(timeout=2) == 4401


async def test_an_ending_the_broker_never_announced_closes_within_two_seconds(
    processes: list[ServerProcess], factory: Factory
) -> None:
    _, b = processes
    parent = await factory.parent()
    pair = await sessions.start_session(factory.settings, parent)
    socket = await open_socket(_url(b), pair.access_token)
    await socket.start(INBOX)
    await asyncio.sleep(0.2)
    async with in_transaction():  # as a mutation ends it, but no message follows the commit
        await sessions.end(sessions.EndReason.REVOKED, session_ids=[pair.session_id])
    committed = time.monotonic()
    assert await socket.closed(timeout=3) == 4401
    assert time.monotonic() - committed <= 2.0


async def test_the_cap_counts_the_sockets_of_every_process(processes: list[ServerProcess], factory: Factory) -> None:
    a, b = processes
    parent = await factory.parent()
    token = factory.client(parent).token
    assert token is not None
    on_a = await open_socket(_url(a), token)
    on_b = await open_socket(_url(b), token)
    with pytest.raises(ConnectionClosed) as refused:
        await open_socket(_url(a), token)
    assert refused.value.rcvd is not None
    assert (refused.value.rcvd.code, refused.value.rcvd.reason) == (4429, "Too many connections")
    await on_b.ws.close()
    for _ in range(50):  # once B has seen it close
        try:
            again = await open_socket(_url(a), token)
            break
        except ConnectionClosed:
            await asyncio.sleep(0.05)
    else:
        pytest.fail("a socket closed on one process still counted against the cap")
    await again.ws.close()
    await on_a.ws.close()
