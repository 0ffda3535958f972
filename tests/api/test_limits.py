"""Abuse limits on documents: depth, aliases, tokens, cost (HTTP and WebSocket), introspection."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import strawberry
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, specified_rules, validate
from graphql.execution.values import get_variable_values
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from clients.documents import CHILDREN_DIARY
from edge.settings import ConfigurationError, Settings
from schema.gates import Limits, count_tokens, operation_cost, validation_rules
from tests.conftest import TEST_SECRET, client_for
from tests.factories import Factory
from tests.helpers import open_socket

DEEP = "{ viewer { children { schoolClass { school { classes { school { classes { name } } } } } } } }"
INTROSPECTION = "{ __schema { queryType { name } } }"

pytestmark = pytest.mark.usefixtures("database")


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert "data" not in body or body["data"] is None, body
    error: dict[str, Any] = body["errors"][0]
    assert error["extensions"].pop("requestId")
    return error


def _codes(response: httpx.Response) -> list[str]:
    """The codes of a response's errors: UNAUTHENTICATED means the document passed every limit."""
    return [e["extensions"]["code"] for e in response.json().get("errors", [])]


async def test_too_deep_is_refused_with_the_limit(settings: Settings) -> None:
    async with client_for(settings, max_query_depth=5) as client:
        r = await client.post("/graphql", json={"query": DEEP})
        error = _error(r.json())
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "rule": "depth", "limit": 5, "actual": 8}
        assert "nested too deeply" in error["message"]
        shallow = "{ viewer { children { schoolClass { school { name } } } } }"
        assert _codes(await client.post("/graphql", json={"query": shallow})) == ["UNAUTHENTICATED"]


async def test_too_many_aliases(settings: Settings) -> None:
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(4)) + " }"
    async with client_for(settings, max_query_aliases=3) as client:
        error = _error((await client.post("/graphql", json={"query": query})).json())
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "rule": "aliases", "limit": 3, "actual": 4}
        ok = "{ " + " ".join(f"a{i}: __typename" for i in range(3)) + " }"
        assert (await client.post("/graphql", json={"query": ok})).json()["data"]["a2"] == "Query"


async def test_too_many_tokens_stops_the_parser(settings: Settings) -> None:
    query = "{ " + " ".join("__typename" for _ in range(60)) + " }"
    assert count_tokens(query) == 62
    async with client_for(settings, max_query_tokens=50) as client:
        error = _error((await client.post("/graphql", json={"query": query})).json())
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "rule": "tokens", "limit": 50, "actual": 62}
        comments = "{ __typename }\n" + "#\n" * 60
        error = _error((await client.post("/graphql", json={"query": comments})).json())
        assert error["extensions"]["rule"] == "tokens"


async def test_cost_multiplies_lists_by_the_default_page_size(settings: Settings) -> None:
    # viewer 1 + children (1 + 10 * (schoolClass 1 + students (1 + 10 * fullName 1))) = 1 + 1 + 10 * 12 = 122
    query = "{ viewer { children { schoolClass { students { fullName } } } } }"
    async with client_for(settings, max_query_cost=121) as client:
        error = _error((await client.post("/graphql", json={"query": query})).json())
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "rule": "cost", "limit": 121, "actual": 122}
        assert "first/last/limit or 10" in error["message"]
    async with client_for(settings, max_query_cost=122) as client:
        assert _codes(await client.post("/graphql", json={"query": query})) == ["UNAUTHENTICATED"]
    async with client_for(settings, max_query_cost=121, default_list_size=9) as client:  # 1 + 1 + 9 * 11 = 101
        assert _codes(await client.post("/graphql", json={"query": query})) == ["UNAUTHENTICATED"]


async def test_fragments_count_towards_depth_and_cost(settings: Settings) -> None:
    query = "{ viewer { ...V } } fragment V on Viewer { children { schoolClass { students { fullName } } } }"
    async with client_for(settings, max_query_cost=121, max_query_depth=4) as client:
        errors = (await client.post("/graphql", json={"query": query})).json()["errors"]
        assert [(e["extensions"]["rule"], e["extensions"]["actual"]) for e in errors] == [("depth", 5)]
    async with client_for(settings, max_query_cost=121) as client:  # cost is measured once depth passes
        errors = (await client.post("/graphql", json={"query": query})).json()["errors"]
        assert [(e["extensions"]["rule"], e["extensions"]["actual"]) for e in errors] == [("cost", 122)]


async def test_default_ceilings_let_the_biggest_client_query_through(factory: Factory) -> None:
    """A parent of two children asks for both diaries over a week: the ceilings let it through."""
    kit = await factory.school(classes=("5A", "6B"))
    parent = await factory.parent()
    for class_name in ("5A", "6B"):
        await factory.student(kit, class_name, f"child{class_name}", guardians=[parent])
    body = await factory.client(parent).post(CHILDREN_DIARY, **{"from": "2025-09-01", "to": "2025-09-07"})
    assert "errors" not in body, body


async def test_subscriptions_are_limited_too(settings: Settings, server_url: str) -> None:
    """The suite's app has the default ceilings; a 40-alias subscription goes over 30."""
    fields = " ".join(f"a{i}: __typename" for i in range(40))
    headers = {"X-Request-ID": "ws-limits-1"}
    async with connect(
        server_url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        additional_headers=headers,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "subscription { diaryEvents { __typename " + fields + " } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert message["payload"][0]["extensions"]["rule"] == "aliases"
        assert message["payload"][0]["extensions"]["requestId"] == "ws-limits-1"
        many = "subscription { diaryEvents { " + "__typename " * 2100 + "} }"
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": many}}))
        # graphql-transport-ws closes the socket on a document that does not parse.
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4400
        assert "too many tokens (2106, at most 2000)" in closed.value.rcvd.reason


async def test_introspection_on_in_development(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": INTROSPECTION})
    assert r.json()["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_introspection_off_in_production(settings: Settings) -> None:
    async with client_for(settings, env="production") as client:
        body = (await client.post("/graphql", json={"query": INTROSPECTION})).json()
        assert "introspection" in body["errors"][0]["message"].lower()
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        body = (await client.post("/graphql", json={"query": "{ __typename }"})).json()
        assert body["data"] == {"__typename": "Query"}


async def test_introspection_enabled_in_production_when_asked(settings: Settings) -> None:
    async with client_for(settings, env="production", introspection=True) as client:
        body = (await client.post("/graphql", json={"query": INTROSPECTION})).json()
        assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


def test_settings_from_environment() -> None:
    base = {"SECRET_KEY": TEST_SECRET}
    settings = Settings.from_env({**base, "EDIARY_MAX_QUERY_COST": "99", "EDIARY_MAX_QUERY_DEPTH": "4"})
    assert (settings.max_query_cost, settings.max_query_depth, settings.max_query_aliases) == (99, 4, 30)
    assert Settings.from_env({**base, "EDIARY_ENV": "production"}).introspection_enabled is False
    assert Settings.from_env({**base, "EDIARY_ENV": "production", "EDIARY_INTROSPECTION": "1"}).introspection_enabled
    assert Settings.from_env(base).introspection_enabled
    with pytest.raises(ConfigurationError, match="EDIARY_MAX_QUERY_TOKENS"):
        Settings.from_env({**base, "EDIARY_MAX_QUERY_TOKENS": "lots"})
    with pytest.raises(ConfigurationError, match="EDIARY_MUTATIONS_PER_USER"):
        Settings.from_env({**base, "EDIARY_MUTATIONS_PER_USER": "-1"})
    limited = Settings.from_env({**base, "EDIARY_MUTATIONS_PER_USER": "5", "EDIARY_RATE_WINDOW_SECONDS": "10"})
    assert (limited.mutations_per_user, limited.rate_window_seconds, limited.logins_per_address) == (5, 10, 60)
    with pytest.raises(ConfigurationError, match="EDIARY_TRUSTED_DOCUMENTS"):
        Settings.from_env({**base, "EDIARY_TRUSTED_DOCUMENTS": "/nonexistent/manifest.json"})


@strawberry.type
class _Item:
    name: str


@strawberry.type
class _Connection:
    edges: list[_Item]


@strawberry.type
class _Query:
    @strawberry.field
    def items(self, first: int | None = None) -> _Connection:
        return _Connection(edges=[])

    @strawberry.field
    def things(self, limit: int = 5) -> list[_Item]:
        return []


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ items(first: 50) { edges { name } } }", {}, 1 + 1 + 50),  # a connection's edges take its `first`
        ("query Q($n: Int = 3) { items(first: $n) { edges { name } } }", {}, 1 + 1 + 3),  # the variable's default
        ("query Q($n: Int = 3) { items(first: $n) { edges { name } } }", {"n": 40}, 1 + 1 + 40),  # its value
        ("query Q($n: Int) { items(first: $n) { edges { name } } }", {"n": 40}, 1 + 1 + 40),
        ("query Q($n: Int) { items(first: $n) { edges { name } } }", {}, 1 + 1 + 10),  # none: the default size
        ("query Q($n: Int) { items(first: $n) { edges { name } } }", {"n": -4}, 1 + 1 + 0),
        ("{ items { edges { name } } }", {}, 1 + 1 + 10),
        ("{ things(limit: 7) { name } }", {}, 1 + 7),
        ("{ things { name __typename } }", {}, 1 + 5),  # the argument's default; __typename is free
        ("query Q($n: Int! = 2) { things(limit: $n) { name } }", {"n": 9}, 1 + 9),
        (
            "{ ...F } fragment F on Query { a: things(limit: 3) { name } ...G ...G }"
            " fragment G on Query { items { edges { name } } }",  # each spread counts (G measured once)
            {},
            1 + 3 + 2 * 12,
        ),
    ],
)
def test_cost_of_paginated_lists(query: str, variables: dict[str, Any], cost: int) -> None:
    schema = strawberry.Schema(_Query)._schema
    document = parse(query)
    assert validate(schema, document, [*specified_rules, *validation_rules(Limits())]) == []
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    coerced = get_variable_values(schema, operation.variable_definitions or (), variables)
    assert not isinstance(coerced, list), coerced
    assert operation_cost(schema, operation, fragments, coerced, Limits()) == cost


# The bypass of issue 17: nine aliases of a chat's messages, each message's chat's messages.
# With literal page sizes it is refused; with variables its cost must be the same.
_CHAT = (
    "c{i}: chat(id: $id) {{ messages(last: {a}) {{ edges {{ node {{ id"
    " chat {{ messages(last: {b}) {{ edges {{ node {{ id text }} }} }} }} }} }} }} }}"
)


def _chats(variables: str, a: str, b: str) -> str:
    return f"query Chats({variables}) {{ " + " ".join(_CHAT.format(i=i, a=a, b=b) for i in range(9)) + " }"


CHATS_LITERAL = _chats("$id: ID!", "100", "100")
CHATS_WITH_DEFAULTS = _chats("$id: ID!, $a: Int = 1, $b: Int = 1", "$a", "$b")
CHATS_WITHOUT_DEFAULTS = _chats("$id: ID!, $a: Int, $b: Int", "$a", "$b")
CHATS_COST = 9 * (
    3 + 100 * (2 + 3 + 100 * 3)
)  # chat, messages, edges; node, id, chat, messages, edges; node, id, text: 274,527
CHATS_BYPASSES = [
    pytest.param(CHATS_LITERAL, {}, id="literal"),
    pytest.param(CHATS_WITH_DEFAULTS, {"a": 100, "b": 100}, id="defaults-overridden"),
    pytest.param(CHATS_WITHOUT_DEFAULTS, {"a": 100, "b": 100}, id="no-defaults"),
]
CHATS_CHEAP = [
    pytest.param(CHATS_WITH_DEFAULTS, {}, id="defaults"),
    pytest.param(CHATS_WITHOUT_DEFAULTS, {"a": 30, "b": 30}, id="small"),
]


def _is_cost_refusal(error: dict[str, Any]) -> bool:
    extensions = error["extensions"]
    return (extensions["code"], extensions.get("rule"), extensions.get("actual")) == (
        "QUERY_TOO_COMPLEX",
        "cost",
        CHATS_COST,
    )


@pytest.mark.parametrize(("query", "variables"), CHATS_BYPASSES)
async def test_cost_counts_the_variables_values_over_http(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    r = await http.post("/graphql", json={"query": query, "variables": {"id": "x", **variables}})
    body = r.json()
    assert "data" not in body, body  # refused before anything ran
    assert [_is_cost_refusal(e) for e in body["errors"]] == [True], body


@pytest.mark.parametrize(("query", "variables"), CHATS_CHEAP)
async def test_the_same_document_with_small_pages_runs_over_http(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any]
) -> None:
    r = await http.post("/graphql", json={"query": query, "variables": {"id": "x", **variables}})
    assert _codes(r) == ["UNAUTHENTICATED"] * 9  # past the limits: each chat asks for a viewer


@pytest.mark.parametrize(("query", "variables"), CHATS_BYPASSES)
async def test_cost_counts_the_variables_values_over_websocket(
    server_url: str, query: str, variables: dict[str, Any]
) -> None:
    socket = await open_socket(server_url, None)
    try:
        await socket.start(query, id="x", **variables)
        message = await socket.next()
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert "data" not in message["payload"] or message["payload"]["data"] is None, message
        assert [_is_cost_refusal(e) for e in errors] == [True], message
        if message["type"] == "next":  # a query's answer, then its end
            assert await socket.next() == {"id": "1", "type": "complete"}
        # The socket goes on, and the same document with small pages runs.
        await socket.start(CHATS_WITHOUT_DEFAULTS, op_id="2", id="x", a=2, b=2)
        message = await socket.next()
        assert (message["id"], message["type"]) == ("2", "next"), message
        assert {e["extensions"]["code"] for e in message["payload"]["errors"]} == {"UNAUTHENTICATED"}, message
    finally:
        await socket.ws.close()


# A subscription's selection is measured with its variables too: each event would run it.
SUBSCRIPTION = (
    "subscription Chats($n: Int = 1) { chatEvents { "
    + " ".join(
        f"c{i}: chat {{ messages(last: $n) {{ edges {{ node {{"
        " chat { messages(last: $n) { edges { node { id text } } } } } } } }"
        for i in range(9)
    )
    + " } }"
)


async def test_a_subscription_is_measured_with_its_variables(server_url: str) -> None:
    socket = await open_socket(server_url, None)
    try:
        await socket.start(SUBSCRIPTION, n=100)
        message = await socket.next()
        assert message["type"] == "error", message
        assert [e["extensions"]["code"] for e in message["payload"]] == ["QUERY_TOO_COMPLEX"], message
        assert message["payload"][0]["extensions"]["rule"] == "cost"
        assert message["payload"][0]["extensions"]["actual"] == 1 + 9 * (3 + 100 * (4 + 100 * 3))  # 273,628
        await socket.start(SUBSCRIPTION, op_id="2")  # the default: past the limits, to the gate
        message = await socket.next()
        assert [e["extensions"]["code"] for e in message["payload"]] == ["UNAUTHENTICATED"], message
    finally:
        await socket.ws.close()
