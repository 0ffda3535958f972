"""Every query and mutation answer shows what its document cost and the ceiling, in
``extensions.cost: {requestedQueryCost, maximumQueryCost}`` (README "Abuse limits"): over HTTP
(POST and GET) and over graphql-transport-ws, when it ran and when it was refused for its
cost. The expected figures are worked out by hand from the README's rule: a field costs 1
plus its selections, a list multiplies them by its page size."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from edge.settings import Settings
from tests.conftest import client_for
from tests.factories import Factory
from tests.helpers import open_socket

pytestmark = pytest.mark.usefixtures("database")

# viewer 1 + sessions 1 + edges (1 + n x node (1 + id 1 + current 1)) = 3 + 3n
SESSIONS = "query Sessions($n: Int) { viewer { sessions(first: $n) { edges { node { id current } } } } }"
# 10 x (viewer 1 + chats 1 + edges (1 + 100 x (node 1 + messages 1 + edges (1 + 100 x (node 1 + id 1 + text 1)))))
EXPENSIVE = (
    "{ "
    + " ".join(
        f"a{i}: viewer {{ chats(first: 100) {{ edges {{ node {{ messages(last: 100) {{ edges {{ node {{ id text"
        " } } } } } } }"
        for i in range(10)
    )
    + " }"
)
EXPENSIVE_COST = 10 * (3 + 100 * (3 + 100 * 3))
# viewer 1 + user (1 + id 1 + fullName 1)
ME = "{ viewer { user { id fullName } } }"
# logout 1 + code 1; __typename is free
LOGOUT = 'mutation { logout(input: {refreshToken: "nope"}) { __typename ... on Error { code } } }'


def _sessions_cost(n: int) -> int:
    return 3 + 3 * n


async def _token(factory: Factory) -> str:
    token = factory.client(await factory.user("mum")).token
    assert token is not None
    return token


def _cost(body: dict[str, Any]) -> dict[str, Any]:
    cost: dict[str, Any] = body["extensions"]["cost"]
    return cost


async def test_a_query_shows_its_cost_with_the_variables(
    http: httpx.AsyncClient, factory: Factory, settings: Settings
) -> None:
    auth = {"Authorization": f"Bearer {await _token(factory)}"}
    for n in (1, 5, 50):
        r = await http.post("/graphql", json={"query": SESSIONS, "variables": {"n": n}}, headers=auth)
        body = r.json()
        assert "edges" in body["data"]["viewer"]["sessions"], body
        assert _cost(body) == {"requestedQueryCost": _sessions_cost(n), "maximumQueryCost": settings.max_query_cost}
    r = await http.get("/graphql", params={"query": ME}, headers=auth)
    assert r.json()["data"]["viewer"]["user"]["fullName"]
    assert _cost(r.json()) == {"requestedQueryCost": 4, "maximumQueryCost": settings.max_query_cost}


async def test_an_answer_with_errors_shows_its_cost(http: httpx.AsyncClient, settings: Settings) -> None:
    body = (await http.post("/graphql", json={"query": ME})).json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert _cost(body) == {"requestedQueryCost": 4, "maximumQueryCost": settings.max_query_cost}


async def test_a_mutation_shows_its_cost(http: httpx.AsyncClient, factory: Factory, settings: Settings) -> None:
    auth = {"Authorization": f"Bearer {await _token(factory)}"}
    body = (await http.post("/graphql", json={"query": LOGOUT}, headers=auth)).json()
    assert body["data"]["logout"]["code"] == "SESSION_NOT_FOUND"
    assert _cost(body) == {"requestedQueryCost": 2, "maximumQueryCost": settings.max_query_cost}


async def test_a_refusal_for_its_cost_shows_the_cost_and_the_limit(settings: Settings, factory: Factory) -> None:
    auth = {"Authorization": f"Bearer {await _token(factory)}"}
    async with client_for(settings, max_query_cost=100) as client:
        r = await client.post("/graphql", json={"query": SESSIONS, "variables": {"n": 50}}, headers=auth)
        body = r.json()
        assert "data" not in body
        error = body["errors"][0]["extensions"]
        assert (error["code"], error["rule"], error["limit"], error["actual"]) == (
            "QUERY_TOO_COMPLEX",
            "cost",
            100,
            153,
        )
        assert _cost(body) == {"requestedQueryCost": 153, "maximumQueryCost": 100}
        # Just under the ceiling, the same document runs and says how close it came.
        r = await client.post("/graphql", json={"query": SESSIONS, "variables": {"n": 32}}, headers=auth)
        assert "edges" in r.json()["data"]["viewer"]["sessions"]
        assert _cost(r.json()) == {"requestedQueryCost": 99, "maximumQueryCost": 100}


async def test_without_a_ceiling_the_cost_is_still_shown(settings: Settings) -> None:
    async with client_for(settings, max_query_cost=0) as client:
        body = (await client.post("/graphql", json={"query": SESSIONS, "variables": {"n": 1000}})).json()
    # A connection serves at most 100 a page, and the cost counts what is served.
    assert _cost(body) == {"requestedQueryCost": _sessions_cost(100), "maximumQueryCost": None}


async def test_a_document_that_never_ran_has_no_cost(http: httpx.AsyncClient) -> None:
    body = (await http.post("/graphql", json={"query": "{ viewer { nope } }"})).json()
    assert body["errors"][0]["extensions"]["code"]
    assert "extensions" not in body


async def test_a_query_and_a_mutation_over_a_socket_show_their_cost(
    server_url: str, factory: Factory, settings: Settings
) -> None:
    """graphql-transport-ws (the legacy graphql-ws runs subscriptions only)."""
    socket = await open_socket(server_url, await _token(factory))
    try:
        await socket.start(SESSIONS, n=7)
        message = await socket.next()
        assert message["type"] == "next", message
        assert "edges" in message["payload"]["data"]["viewer"]["sessions"]
        assert _cost(message["payload"]) == {
            "requestedQueryCost": _sessions_cost(7),
            "maximumQueryCost": settings.max_query_cost,
        }
        await socket.start(LOGOUT, op_id="2")
        while (message := await socket.next())["id"] != "2":
            pass
        assert message["payload"]["data"]["logout"]["code"] == "SESSION_NOT_FOUND", json.dumps(message)
        assert _cost(message["payload"])["requestedQueryCost"] == 2
        # Refused for its cost: the error's figures and the same in `extensions.cost`.
        await socket.start(EXPENSIVE, op_id="3")
        while (message := await socket.next())["id"] != "3":
            pass
        assert message["payload"]["errors"][0]["extensions"]["actual"] == EXPENSIVE_COST, message
        assert _cost(message["payload"]) == {
            "requestedQueryCost": EXPENSIVE_COST,
            "maximumQueryCost": settings.max_query_cost,
        }
    finally:
        await socket.ws.close()
