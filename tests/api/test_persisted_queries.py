"""Automatic persisted queries (Apollo's protocol) and the trusted-documents mode."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from edge.intake import RedisStore, build_manifest, load_manifest, sha256
from edge.settings import Settings
from pubsub.broker import connect as connect_redis
from server import main
from tests.conftest import app_served, client_for

pytestmark = pytest.mark.usefixtures("database")
QUERY = "query Typename { __typename }"
MUTATION = 'mutation { sessionRefresh(input: {refreshToken: "nope"}) { __typename } }'


def _apq(digest: str, query: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}}}
    if query is not None:
        body["query"] = query
    return body


async def test_apq_round_trip(http: httpx.AsyncClient) -> None:
    query = f"query Unique{secrets.token_hex(4)} {{ __typename }}"
    digest = sha256(query)
    r = await http.post("/graphql", json=_apq(digest))
    assert r.status_code == 200
    assert r.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert (await http.post("/graphql", json=_apq(digest, query))).json()["data"] == {"__typename": "Query"}
    assert (await http.post("/graphql", json=_apq(digest))).json()["data"] == {"__typename": "Query"}
    r = await http.get("/graphql", params={"extensions": json.dumps(_apq(digest)["extensions"])})
    assert r.json()["data"] == {"__typename": "Query"}


async def test_apq_hash_must_match_the_query(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json=_apq(sha256("{ other }"), QUERY))
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    r = await http.post("/graphql", json=_apq(sha256("{ other }")))
    assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "extensions",
    [{"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}}, {"persistedQuery": {"version": 1, "sha256Hash": "x"}}],
)
async def test_bad_persisted_query_extension(http: httpx.AsyncClient, extensions: dict[str, Any]) -> None:
    r = await http.post("/graphql", json={"extensions": extensions})
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_mutation_by_hash_still_needs_post(http: httpx.AsyncClient) -> None:
    digest = sha256(MUTATION)
    await http.post("/graphql", json=_apq(digest, MUTATION))
    r = await http.get("/graphql", params={"extensions": json.dumps(_apq(digest)["extensions"])})
    assert r.status_code == 405


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis")
async def test_apq_registrations_are_shared_through_redis(settings: Settings) -> None:
    query = f"query Shared{secrets.token_hex(4)} {{ __typename }}"
    async with client_for(settings) as one, client_for(settings) as two:
        assert (await one.post("/graphql", json=_apq(sha256(query), query))).status_code == 200
        assert (await two.post("/graphql", json=_apq(sha256(query)))).json()["data"] == {"__typename": "Query"}
    client = connect_redis(os.environ["TEST_REDIS_URL"])
    try:
        assert await RedisStore(client, "ediary:apq:").get(sha256(query)) == query
    finally:
        await client.aclose()


@pytest.fixture
def manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "documents"
    (folder / "nested").mkdir(parents=True)
    (folder / "typename.graphql").write_text(QUERY)
    (folder / "nested" / "events.graphql").write_text("subscription Events { diaryEvents { cursor } }\n")
    assert main(["trusted-manifest", str(folder)]) == 0
    path = tmp_path / "manifest.json"
    path.write_text(capsys.readouterr().out)
    assert load_manifest(path) == build_manifest(folder)
    assert sorted(load_manifest(path).values()) == sorted([QUERY, "subscription Events { diaryEvents { cursor } }\n"])
    return path


async def test_trusted_documents_run_by_hash_or_in_full(settings: Settings, manifest: Path) -> None:
    async with client_for(settings, trusted_documents=str(manifest)) as client:
        assert (await client.post("/graphql", json=_apq(sha256(QUERY)))).json()["data"] == {"__typename": "Query"}
        assert (await client.post("/graphql", json={"query": QUERY})).json()["data"] == {"__typename": "Query"}


@pytest.mark.parametrize(
    "body",
    [{"query": "{ __typename }"}, _apq(sha256("{ __typename }"), "{ __typename }"), _apq(sha256("{ x }"))],
)
async def test_other_documents_are_refused_in_trusted_mode(
    settings: Settings, manifest: Path, body: dict[str, Any]
) -> None:
    async with client_for(settings, trusted_documents=str(manifest)) as client:
        r = await client.post("/graphql", json=body)
        assert r.status_code == 400
        assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
        # Nothing was registered on the way.
        r = await client.post("/graphql", json=_apq(sha256("{ __typename }")))
        assert r.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


async def test_trusted_mode_covers_subscriptions(settings: Settings, manifest: Path) -> None:
    import asyncio

    async with (
        app_served(settings, trusted_documents=str(manifest)) as (_, address),
        connect(f"ws://{address}/graphql", subprotocols=["graphql-transport-ws"]) as ws,  # type: ignore[list-item]
    ):
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription { diaryEvents { cursor kind } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


def test_a_manifest_entry_must_be_the_hash_of_its_document(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"0" * 64: QUERY}))
    with pytest.raises(ValueError, match="sha256"):
        load_manifest(path)
    apollo = {"format": "apollo-persisted-query-manifest", "operations": [{"id": sha256(QUERY), "body": QUERY}]}
    path.write_text(json.dumps(apollo))
    assert load_manifest(path) == {sha256(QUERY): QUERY}
