"""The property-based no-leak test (issue 7): random small districts built with the ORM
(tests/no_leaks/world.py), and for every generated viewer x every generated object, what the
API returns over real GraphQL is compared with an ORACLE written in plain Python over the
generated world (tests/no_leaks/oracle.py), not with the scopes of resolvers/policy.

Probed: ``node`` for every Node type of the world, and for a missing id of each; the download
of every file of the world with a URL signed for the viewer (tests/no_leaks/reads.py); every root
field but the public ``schoolDirectory`` (tests/no_leaks/reads.py says why each unprobed
field is public); the list fields under students, classes, schools and the viewer; writes to
what is not yours (the diary, chats, news and meetings, accounts, a school's calendar,
timetable and lessons, failed deliveries, a school's subjects, classes, roll and teaching
assignments, access requests, guardianships), answered exactly as for what is not there and changing
nothing, and schoolCreate refused by role alike (tests/no_leaks/writes.py); and diaryEvents,
classEvents, chatEvents and notificationEvents over a real socket (tests/no_leaks/live.py).
And the reachability crawl (issue 16, tests/no_leaks/crawl.py): every object any field path
returns, walked from every root over the introspected schema, is one ``node`` returns to the
viewer or a declared face (a world per run here, more with ``make test-crawl``).
Every comparison is a probe; the running total, by field, is written to
bench/results/no_leaks.json for the issue's closing note."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from edge.settings import Settings
from resolvers import files
from resolvers.core import to_global_id
from tests.conftest import Client, client_for
from tests.helpers import session_token
from tests.no_leaks import crawl
from tests.no_leaks.build import build, tear_down
from tests.no_leaks.live import probe_live
from tests.no_leaks.reads import PROBES, probe_downloads, probe_reads
from tests.no_leaks.world import Spec, specs
from tests.no_leaks.writes import probe_allowed_writes, probe_writes

pytestmark = pytest.mark.slow

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "no_leaks.json"


@pytest.fixture(scope="module")
async def wide(settings: Settings, database: None) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose document limits fit one viewer's probes in one request: the
    limits (tests/api/test_limits.py) are not what this test is about."""
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
    storage = files.storage_of(settings)
    try:
        for row in world.files:
            await storage.put(row.key, b"%PDF-1.7\n", files.PDF)
        clients = {
            user.id: Client(wide, await session_token(settings, user.id), to_global_id("User", user.id))
            for user in world.users
        }
        for uid, client in clients.items():
            await probe_reads(client, world, uid)
            await probe_downloads(client, settings, world, uid)
            await probe_writes(client, world, uid)
        await probe_live(app, http, server_url, settings, world, spec)
        await probe_allowed_writes(clients, world, lambda uid: session_token(settings, uid))
    finally:
        await files.discard(settings, [row.key for row in world.files])
        await tear_down(world)
    assert sum(PROBES.values()) > 0
    _record()


@hypothesis_settings(
    max_examples=int(os.environ.get("CRAWL_EXAMPLES", "1")),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # a crawl's failure names the viewer, object and field: no shrinking
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=specs())
async def test_whatever_a_viewer_reaches_node_returns_or_is_a_face(
    wide: httpx.AsyncClient, settings: Settings, spec: Spec
) -> None:
    """The reachability crawl (tests/no_leaks/crawl.py) for every viewer of a random world
    (CRAWL_EXAMPLES worlds; `make test-crawl` runs more)."""
    world = await build(spec)
    wrong: list[tuple[Any, ...]] = []
    try:
        await crawl.add_crossings(world)
        schema = await crawl.schema_of(Client(wide, await session_token(settings, world.users[0].id)))
        for user in world.users:
            client = Client(wide, await session_token(settings, user.id), to_global_id("User", user.id))
            reached = await crawl.crawl(client, schema, world, user.id)
            found = await crawl.visible(client, {gid for _, gid in reached.via})
            wrong += crawl.check(user.id, reached, found)
    finally:
        await tear_down(world)
    assert wrong == [], "\n".join(map(str, wrong))
    assert PROBES["crawl.node"] > 0
    _record()
