"""Several server processes share PostgreSQL/SQLite and Redis: a grade posted on one
process reaches a parent subscribed on another. Needs Redis (TEST_REDIS_URL); the
in-memory broker is one process by design."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from edge.settings import Settings
from tests.conftest import TEST_SECRET
from tests.factories import Factory
from tests.helpers import free_port, grade_over_http, open_socket
from tests.live.test_subscriptions import EVENTS
from tests.worlds import graded_family

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="scale-out needs Redis")


@pytest.fixture(scope="module")
def processes(settings: Settings, database: None) -> Iterator[list[str]]:
    ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": TEST_SECRET,
        "EDIARY_ENV": "production",
        "HOST": "127.0.0.1",
        # Production limits, counted apart from the rest of the suite's requests (which share
        # this Redis and count the same demo teacher's mutations).
        "EDIARY_RATE_LIMIT_NAMESPACE": f"test-scale-out-{secrets.token_hex(4)}",
    }
    logs = [tempfile.TemporaryFile() for _ in ports]  # noqa: SIM115 - closed below
    procs = [
        subprocess.Popen(
            [sys.executable, "server.py", "serve"],
            cwd=ROOT,
            env={**env, "PORT": str(p)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for p, log in zip(ports, logs, strict=True)
    ]
    try:
        yield [f"127.0.0.1:{p}" for p in ports]
    finally:
        for proc in procs:
            proc.terminate()
        for proc, log in zip(procs, logs, strict=True):
            proc.wait(timeout=10)
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-2000:])  # shown by pytest when a test failed
            log.close()


@pytest.fixture(scope="module")
async def ready(processes: list[str]) -> list[str]:
    async with httpx.AsyncClient() as client:
        for address in processes:
            for _ in range(100):
                try:
                    if (await client.get(f"http://{address}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"server at {address} did not become ready")
    return processes


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
