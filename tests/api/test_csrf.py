"""CSRF and request shape: GET never mutates, a POST must force a preflight, no multipart,
bodies have a ceiling, batches are refused. The login a forged request tries is a real
account of the test's own (the factory's), with its right password."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

import models
from edge.settings import Settings
from tests.conftest import client_for
from tests.factories import Factory

QUERY = "{ __typename }"
LOGIN = """
mutation L($login: String!, $password: String!) { login(input: {login: $login, password: $password}) { __typename } }
"""
PASSWORD = "correct-horse-battery"
pytestmark = pytest.mark.usefixtures("database")


async def _account(factory: Factory) -> tuple[models.User, dict[str, str]]:
    """A parent who can log in, and the variables of that login."""
    kit = await factory.school()
    parent = await factory.user("mum", password=PASSWORD)
    await factory.student(kit, "5A", guardians=[parent])
    return parent, {"login": parent.login, "password": PASSWORD}


async def _sessions(user: models.User) -> int:
    return await models.AuditEntry.filter(action="session.login", actor_id=user.id).count()


async def test_mutation_over_get_is_405_and_changes_nothing(factory: Factory, http: httpx.AsyncClient) -> None:
    parent, variables = await _account(factory)
    before = await _sessions(parent)
    r = await http.get("/graphql", params={"query": LOGIN, "variables": json.dumps(variables)})
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await _sessions(parent) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/plain;charset=UTF-8", ""]
)
async def test_simple_request_bodies_are_refused_without_a_preflight_header(
    factory: Factory, http: httpx.AsyncClient, content_type: str
) -> None:
    """What a cross-site <form> or fetch(no-cors) can send: refused, and the login is not made."""
    parent, variables = await _account(factory)
    before = await _sessions(parent)
    body = json.dumps({"query": LOGIN, "variables": variables})
    r = await http.post("/graphql", content=body, headers={"Content-Type": content_type})
    assert r.status_code == 415
    error = r.json()["errors"][0]
    assert "Apollo-Require-Preflight" in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert await _sessions(parent) == before


@pytest.mark.parametrize("header", ["Apollo-Require-Preflight", "X-Requested-With"])
async def test_a_preflight_header_lets_a_non_json_body_through(http: httpx.AsyncClient, header: str) -> None:
    r = await http.post(
        "/graphql", content=json.dumps({"query": QUERY}), headers={"Content-Type": "text/plain", header: "1"}
    )
    assert r.status_code == 200
    assert r.json()["data"] == {"__typename": "Query"}


async def test_multipart_is_refused_even_with_a_preflight_header(http: httpx.AsyncClient) -> None:
    r = await http.post(
        "/graphql",
        files={"operations": (None, json.dumps({"query": QUERY}))},
        headers={"Apollo-Require-Preflight": "1"},
    )
    assert r.status_code == 415
    assert "Multipart" in r.json()["errors"][0]["message"]


async def test_body_over_the_ceiling_is_413(settings: Settings) -> None:
    padding = " " * 2000
    async with client_for(settings, max_body_bytes=1000) as client:
        r = await client.post("/graphql", content=json.dumps({"query": QUERY + padding}), headers=_json())
        assert r.status_code == 413
        assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert "1000 bytes" in r.json()["errors"][0]["message"]

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the stream is cut
            for _ in range(5):
                yield json.dumps({"query": QUERY}).encode() + padding.encode()

        r = await client.post("/graphql", content=chunks(), headers=_json())
        assert r.status_code == 413
        r = await client.get("/graphql", params={"query": QUERY + padding})
        assert r.status_code == 414
        assert (await client.post("/graphql", json={"query": QUERY})).status_code == 200


async def test_batched_requests_are_refused_with_a_clear_error(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json=[{"query": QUERY}, {"query": QUERY}])
    assert r.status_code == 400
    assert "Batched requests are not supported" in r.json()["errors"][0]["message"]


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}
