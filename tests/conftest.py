"""Test set-up: one throw-away database per run, migrated with the committed migrations; the
same suite on SQLite + memory broker (default) and on PostgreSQL + Redis
(``TEST_DATABASE_URL=postgres://... TEST_REDIS_URL=redis://...``).

Each test builds its own rows with the ``factory`` fixture (``tests/factories.py``). The demo
district is seeded only when a test about the demo asks for it (the ``demo`` fixture)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import secrets
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate

from demo.seed import seed_demo
from edge import push
from edge.settings import Settings, tortoise_config
from resolvers import outbox, pages
from schema import websocket
from schema.websocket import WebSocketProtocol
from server import create_app
from tests import codes_seen
from tests.client import Client as Client  # re-exported: older tests import it from here
from tests.factories import Factory

TEST_SECRET = secrets.token_urlsafe(48)  # made per run: no secret is written in the repository

# A coroutine that is never awaited fails the suite (``filterwarnings = error``), but Python
# reports it when it is collected, often during a later test. Each coroutine remembers where it
# was made, so the failure names the code that made it (costs about 5% of the suite's CPU).
sys.set_coroutine_origin_tracking_depth(int(os.environ.get("EDIARY_COROUTINE_ORIGINS", "30")))


def _database_url(tmp: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url:
        return f"sqlite://{tmp / 'test.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        # A fresh database next to the one named, created and dropped by this run.
        base, _, _name = url.rpartition("/")
        return f"{base}/ediary_test_{secrets.token_hex(4)}"
    raise RuntimeError(f"unsupported TEST_DATABASE_URL {url!r}")


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    pages.use_secret(TEST_SECRET)  # as create_app does: tests make cursors of their own
    with tempfile.TemporaryDirectory() as tmp:
        yield Settings(
            database_url=_database_url(Path(tmp)),
            redis_url=os.environ.get("TEST_REDIS_URL") or None,
            secret_key=TEST_SECRET,
            storage_url=f"file://{tmp}/files",
            freeze_collector=False,
            park_subscriptions=True,  # the default; test_live also runs without it
            login_failures_per_address=1000,
            logins_per_address=1000,
            registration_attempts_per_address=1000,  # every test registers from the same address
            mutations_per_user=100_000,  # the suite mutates as the same few users; test_rate_limits lowers these
            mutations_per_address=100_000,
            # Web Push to the suite's local push service (tests/notices/test_push.py).
            vapid_private_key=push.generate_vapid_key(Path(tmp) / "vapid_private_key.pem"),
            vapid_subject="mailto:push-tests@school.example",
            push_allow_local_http=True,
        )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[None]:
    config = tortoise_config(settings.database_url)
    if settings.database_url.startswith("postgres"):
        await Tortoise.init(config=config, _create_db=True)
        await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    yield
    await outbox.settle()  # the last events published, marked before the connections close
    if settings.database_url.startswith("postgres"):
        await Tortoise._drop_databases()
    else:
        await Tortoise.close_connections()


@pytest.fixture(scope="session")
async def app(settings: Settings, database: None) -> AsyncIterator[Any]:
    application = codes_seen.watch(create_app(settings))
    yield application
    await application.state.broker.close()
    await application.state.limiter.close()
    await application.state.documents.store.close()


@contextlib.asynccontextmanager
async def client_for(
    settings: Settings, address: str = "127.0.0.1", **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on a separate app built with changed settings (closed afterwards)."""
    application = codes_seen.watch(create_app(dataclasses.replace(settings, **overrides)))
    transport = httpx.ASGITransport(app=application, client=(address, 4000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await application.state.broker.close()
        await application.state.limiter.close()
        await application.state.documents.store.close()


@contextlib.asynccontextmanager
async def app_served(settings: Settings, *, on_port: int = 0, **overrides: Any) -> AsyncIterator[tuple[Any, str]]:
    """A separate app built with changed settings, served on ``on_port`` (default: a free one)
    with its lifespan off (no background task), closed afterwards: the app and its ``host:port``."""
    application = codes_seen.watch(create_app(dataclasses.replace(settings, **overrides)))
    config = uvicorn.Config(
        application, host="127.0.0.1", port=on_port, lifespan="off", log_level="warning", ws=WebSocketProtocol
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield application, f"127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        await application.state.broker.close()
        await application.state.limiter.close()
        await application.state.documents.store.close()


LOGIN = """
mutation Login($login: String!, $password: String!) {
  login(input: {login: $login, password: $password}) {
    __typename
    ... on LoginSuccess { accessToken refreshToken user { id fullName } }
    ... on Error { code message }
  }
}
"""


@pytest.fixture(autouse=True)
def known_codes_only() -> Iterator[None]:
    """A test fails when the app answered it with an ``extensions.code`` the catalogue lacks."""
    codes_seen.UNKNOWN.clear()
    yield
    assert not codes_seen.UNKNOWN, f"codes outside resolvers.codes.ErrorCode: {codes_seen.UNKNOWN}"


@pytest.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="session")
async def anonymous(http: httpx.AsyncClient) -> Client:
    return Client(http)


_tokens: dict[str, tuple[str, str]] = {}


async def login_as(http: httpx.AsyncClient, login: str) -> Client:
    if login not in _tokens:
        body = await Client(http).data(LOGIN, login=login, password="demo")
        result = body["login"]
        assert result["__typename"] == "LoginSuccess", result
        _tokens[login] = (result["accessToken"], result["user"]["id"])
    token, user_id = _tokens[login]
    return Client(http, token, user_id)


@pytest.fixture(scope="session")
async def demo(database: None) -> None:
    """The demo district (``make seed``, 6 students a class), for the tests about the demo
    itself. No other test reads it, and the tests about it only read it."""
    await seed_demo(students_per_class=6)


@pytest.fixture
async def demo_parent(http: httpx.AsyncClient, demo: None) -> Client:
    return await login_as(http, "parent")


class StatementCounter(logging.Handler):
    """Counts SQL statements sent by Tortoise (its db_client debug log: one line per statement),
    but the process's own background check of ended sessions (``schema/websocket.py``) and its
    marking of published outbox events, which runs after the request (``outbox.settle``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(RuntimeError):  # no event loop: not the background task
            task = asyncio.current_task()
            if task is not None and task.get_name() in (websocket.TASK_NAME, outbox.MARKER_TASK):
                return
        self.statements.append(record.getMessage())

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)


@pytest.fixture(scope="session")
async def server_url(app: Any) -> AsyncIterator[str]:
    """The suite's app (the one HTTP tests use, so one broker) served on a real socket."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_level="warning",
        ws=WebSocketProtocol,
        ws_per_message_deflate=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    # The lifespan's task that closes the sockets of ended sessions (the lifespan is off here).
    endings = asyncio.create_task(app.state.subscriptions.sessions.run(app.state.broker), name=websocket.TASK_NAME)
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await task
    endings.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await endings


@pytest.fixture
async def factory(http: httpx.AsyncClient, settings: Settings, database: None) -> Factory:
    """Rows for this test only (``tests.factories.Factory``)."""
    return Factory(http, settings)
