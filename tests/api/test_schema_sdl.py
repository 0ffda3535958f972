"""``GET /schema.graphql``: the running schema's SDL, the committed ``schema.graphql`` exactly,
wherever introspection is allowed (development by default, production with
``EDIARY_INTROSPECTION=1``), and 404 wherever it is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import Settings
from tests.conftest import client_for

ROOT = Path(__file__).resolve().parents[2]
INTROSPECTION = "{ __schema { queryType { name } } }"


@pytest.mark.parametrize(
    ("env", "introspection"), [("development", None), ("production", True)], ids=["development", "production-opted-in"]
)
async def test_sdl_is_served_where_introspection_is_allowed(
    settings: Settings, database: None, env: str, introspection: bool | None
) -> None:
    async with client_for(settings, env=env, introspection=introspection) as client:
        r = await client.get("/schema.graphql")
        allowed = await client.post("/graphql", json={"query": INTROSPECTION})
    assert allowed.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == (ROOT / "schema.graphql").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("env", "introspection"),
    [("production", None), ("development", False)],
    ids=["production", "development-opted-out"],
)
async def test_sdl_is_404_where_introspection_is_off(
    settings: Settings, database: None, env: str, introspection: bool | None
) -> None:
    async with client_for(settings, env=env, introspection=introspection) as client:
        r = await client.get("/schema.graphql")
        refused = await client.post("/graphql", json={"query": INTROSPECTION})
    assert "errors" in refused.json()
    assert r.status_code == 404
    assert "type Query" not in r.text
