"""GraphQL over HTTP: status codes, media types, methods, health endpoints, CORS, production."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import httpx
import pytest

from edge.settings import ConfigurationError, Settings
from server import create_app
from tests.conftest import TEST_SECRET, client_for
from tests.factories import Factory
from tests.helpers import gid

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ __typename }"
MUTATION = 'mutation { login(input: {login: "x", password: "y"}) { __typename } }'


async def test_post_json_query(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": QUERY})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["data"] == {"__typename": "Query"}


async def test_graphql_response_media_type_when_accepted(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": QUERY}, headers={"Accept": GRAPHQL_RESPONSE})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{GRAPHQL_RESPONSE}; charset=utf-8"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ __typename", "GRAPHQL_PARSE_FAILED"),
        ("query A { __typename } query B { __typename }", "GRAPHQL_VALIDATION_FAILED"),
        ("query Q($id: ID!) { student(id: $id) { id } }", "BAD_USER_INPUT"),  # a required variable is missing
        ('{ student(id: "x") { diary(from: "1800-01-01", to: "2026-01-01") { date } } }', "BAD_USER_INPUT"),
    ],
)
async def test_invalid_document_is_400_with_graphql_response(http: httpx.AsyncClient, query: str, code: str) -> None:
    """Not GraphQL: GRAPHQL_PARSE_FAILED; not valid against the schema: GRAPHQL_VALIDATION_FAILED; a value
    refused (a missing variable, a date out of range even written in the document): BAD_USER_INPUT."""
    r = await http.post("/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE})
    assert r.status_code == 400
    body = r.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_invalid_document_is_200_with_legacy_json(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": "application/json"})
    assert r.status_code == 200
    assert r.json()["errors"]


async def test_get_query(http: httpx.AsyncClient) -> None:
    r = await http.get("/graphql", params={"query": QUERY})
    assert r.status_code == 200
    assert r.json()["data"]["__typename"] == "Query"


async def test_get_with_variables(http: httpx.AsyncClient) -> None:
    q = "query Q($id: ID!) { __typename }"
    r = await http.get("/graphql", params={"query": q, "variables": json.dumps({"id": "x"})})
    assert r.status_code == 200


async def test_mutation_over_get_is_refused_with_405(http: httpx.AsyncClient) -> None:
    r = await http.get("/graphql", params={"query": MUTATION})
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        ("query=x", "application/x-www-form-urlencoded", 415),
        ("{ __typename }", "text/plain", 415),
        ("{not json", "application/json", 400),
        ("[]", "application/json", 400),
        ('"x"', "application/json", 400),
        ('{"query": 5}', "application/json", 400),
        ('{"query": "{ __typename }", "variables": [1]}', "application/json", 400),
        ('{"variables": {}}', "application/json", 400),
    ],
)
async def test_malformed_requests(http: httpx.AsyncClient, content: str, content_type: str, status: int) -> None:
    r = await http.post("/graphql", content=content, headers={"Content-Type": content_type})
    assert r.status_code == status
    assert r.json()["errors"][0]["message"]


async def test_batched_requests_are_refused(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json=[{"query": QUERY}, {"query": QUERY}])
    assert r.status_code == 400


async def test_unacceptable_accept_is_406(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": QUERY}, headers={"Accept": "text/csv"})
    assert r.status_code == 406


async def test_other_methods_are_405(http: httpx.AsyncClient) -> None:
    r = await http.put("/graphql", json={"query": QUERY})
    assert r.status_code == 405
    assert "POST" in r.headers["allow"]


async def test_graphiql_in_development(http: httpx.AsyncClient) -> None:
    r = await http.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    r = await http.get("/healthz")
    assert (r.status_code, r.text) == (200, "ok")
    r = await http.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"database": "ok", "broker": "ok"}


async def test_readiness_fails_when_the_broker_is_unreachable(settings: Settings, database: None) -> None:
    # Redis on a port where nothing listens (or, embedded, a closed in-memory broker).
    overrides: dict[str, Any] = {"redis_url": "redis://127.0.0.1:9/0"} if settings.redis_url else {}
    app = create_app(dataclasses.replace(settings, **overrides))
    try:
        if not settings.redis_url:
            await app.state.broker.close()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            r = await client.get("/readyz")
    finally:
        await app.state.broker.close()
        await app.state.limiter.close()
    assert r.status_code == 503
    assert r.json() == {"database": "ok", "broker": "unavailable"}


async def test_cors_preflight(settings: Settings, database: None) -> None:
    async with client_for(settings, cors_origins=("https://app.example",)) as client:
        r = await client.options(
            "/graphql",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example"
        r = await client.options(
            "/graphql",
            headers={
                "Origin": "https://evil.example",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert "access-control-allow-origin" not in r.headers


async def test_production_hides_graphiql(settings: Settings, database: None) -> None:
    async with client_for(settings, env="production") as client:
        r = await client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 404


def test_production_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env({"EDIARY_ENV": "production"})
    with pytest.raises(ConfigurationError, match="32"):
        Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": "short"})
    assert Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": TEST_SECRET}).production


def test_database_url_spellings() -> None:
    s = Settings.from_env({"DATABASE_URL": "postgresql://u@h:5432/d", "SECRET_KEY": TEST_SECRET})
    assert s.database_url == "postgres://u@h:5432/d"


PROGRESS = "query P($id: ID!) { student(id: $id) { fullName progress { average } } }"


@pytest.mark.parametrize("env", ["development", "production"])
async def test_unexpected_errors_are_coded_and_masked_in_production(
    settings: Settings,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    env: str,
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("connection string postgres://admin:hunter2@db")

    monkeypatch.setattr("resolvers.diary.load_progress", broken)
    parent = await factory.parent()
    child = await factory.student(await factory.school(), "5A", guardians=[parent])
    token = factory.client(parent).token
    async with client_for(settings, env=env) as client:
        r = await client.post(
            "/graphql",
            json={"query": PROGRESS, "variables": {"id": gid(child, "Student")}},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 200
    body = r.json()
    assert body["data"] == {"student": None}
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"] == ["student", "progress"]
    assert ("hunter2" in error["message"]) == (env == "development")
    assert any("unexpected error at student.progress" in r.getMessage() for r in caplog.records)
