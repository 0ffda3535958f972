"""The property-based no-leak test (issue 7): random small districts built with the ORM
(tests/no_leaks/world.py), and for every generated viewer x every generated object, what the
API returns over real GraphQL is compared with an ORACLE written in plain Python over the
generated world (tests/no_leaks/oracle.py), not with the scopes of resolvers/policy.

Probed: ``node`` for every Node type of the world, and for a missing id of each; every root
field but the public ``schoolDirectory`` (tests/no_leaks/reads.py says why each unprobed
field is public); the list fields under students, classes, schools and the viewer; writes to
what is not yours (the diary, chats, news and meetings, accounts, a school's calendar,
timetable and lessons, failed deliveries, a school's subjects, classes, roll and teaching
assignments, access requests, guardianships), answered exactly as for what is not there and changing
nothing, and schoolCreate refused by role alike (tests/no_leaks/writes.py); and diaryEvents,
classEvents, chatEvents and notificationEvents over a real socket (tests/no_leaks/live.py).
Every comparison is a probe; the running total, by field, is written to
bench/results/no_leaks.json for the issue's closing note."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from resolvers.ids import to_global_id
from resolvers.settings import Settings
from tests.conftest import Client, client_for
from tests.helpers import session_token
from tests.no_leaks.build import build, tear_down
from tests.no_leaks.live import probe_live
from tests.no_leaks.reads import PROBES, probe_reads
from tests.no_leaks.world import Spec, specs
from tests.no_leaks.writes import probe_allowed_writes, probe_writes

pytestmark = pytest.mark.slow

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results" / "no_leaks.json"


@pytest.fixture(scope="module")
async def wide(settings: Settings, database: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose document limits fit one viewer's probes in one request: the
    limits (tests/test_limits.py) are not what this test is about."""
    async with client_for(
        settings, max_query_aliases=1000, max_query_tokens=100_000, max_query_cost=10_000_000, max_query_depth=20
    ) as client:
        yield client


def _record() -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"probes": sum(PROBES.values()), "by_field": dict(sorted(PROBES.items()))}, indent=2) + "\n"
    )


@hypothesis_settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=specs())
async def test_nothing_outside_the_policy_is_returned_or_delivered(
    app: Any, http: httpx.AsyncClient, wide: httpx.AsyncClient, server_url: str, settings: Settings, spec: Spec
) -> None:
    world = await build(spec)
    try:
        clients = {
            user.id: Client(wide, await session_token(settings, user.id), to_global_id("User", user.id))
            for user in world.users
        }
        for uid, client in clients.items():
            await probe_reads(client, world, uid)
            await probe_writes(client, world, uid)
        await probe_live(app, http, server_url, settings, world, spec)
        await probe_allowed_writes(clients, world, lambda uid: session_token(settings, uid))
    finally:
        await tear_down(world)
    assert sum(PROBES.values()) > 0
    _record()
