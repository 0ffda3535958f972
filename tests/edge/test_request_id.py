"""Request ids in the response header, in errors and in log lines; masking in production."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import connect

from edge import intake
from edge.settings import Settings
from tests.conftest import client_for
from tests.factories import Factory
from tests.helpers import gid

pytestmark = pytest.mark.usefixtures("database")
PROGRESS = "query P($id: ID!) { student(id: $id) { fullName progress { average } } }"


async def test_every_response_has_a_request_id(http: httpx.AsyncClient) -> None:
    first = await http.post("/graphql", json={"query": "{ __typename }"})
    second = await http.get("/healthz")
    assert len({first.headers["x-request-id"], second.headers["x-request-id"]}) == 2


async def test_a_sane_incoming_id_is_kept_and_a_bad_one_replaced(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", json={"query": "{ nope }"}, headers={"X-Request-ID": "lb-1234.abc"})
    assert r.headers["x-request-id"] == "lb-1234.abc"
    assert r.json()["errors"][0]["extensions"]["requestId"] == "lb-1234.abc"
    for bad in ("x" * 65, "has space", "a\u00e9"):
        r = await http.post("/graphql", json={"query": "{ __typename }"}, headers={b"X-Request-ID": bad.encode()})
        assert r.headers["x-request-id"] != bad
        assert len(r.headers["x-request-id"]) == 32


async def test_refusals_before_execution_carry_the_id(http: httpx.AsyncClient) -> None:
    r = await http.post("/graphql", content="{}", headers={"Content-Type": "text/plain"})
    assert r.json()["errors"][0]["extensions"]["requestId"] == r.headers["x-request-id"]


async def test_unexpected_error_is_masked_in_production_and_logged_with_the_id(
    settings: Settings, factory: Factory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("connection string postgres://admin:hunter2@db")

    monkeypatch.setattr("resolvers.diary.load_progress", broken)
    parent = await factory.parent()
    child = await factory.student(await factory.school(), "5A", guardians=[parent])
    token = factory.client(parent).token
    async with client_for(settings, env="production") as client:
        r = await client.post(
            "/graphql",
            json={"query": PROGRESS, "variables": {"id": gid(child, "Student")}},
            headers={"Authorization": f"Bearer {token}"},
        )
    request_id = r.headers["x-request-id"]
    error = r.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    logged = [rec for rec in caplog.records if rec.levelno == logging.ERROR]
    assert [getattr(rec, "request_id", None) for rec in logged] == [request_id]
    assert logged[0].exc_info is not None
    assert "hunter2" in str(logged[0].exc_info[1])


async def test_a_crash_outside_graphql_is_a_json_500_with_the_id(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def crash(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("server.viewer_from_token", crash)
    async with client_for(settings, env="production") as client:
        r = await client.post("/graphql", json={"query": "{ __typename }"})
    assert r.status_code == 500
    request_id = r.headers["x-request-id"]
    extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert r.json() == {"errors": [{"message": "Internal server error", "extensions": extensions}]}
    assert any(getattr(rec, "request_id", None) == request_id and rec.exc_info for rec in caplog.records)


def test_log_records_outside_a_request_have_an_empty_id() -> None:
    intake.install_log_records()
    record = logging.getLogger("ediary").makeRecord("ediary", logging.INFO, __file__, 1, "hello", (), None)
    assert getattr(record, "request_id", None) == ""


async def test_socket_errors_carry_the_id_even_without_the_middleware(app: Any) -> None:
    """Sockets may be handed straight to the subscription view (no HTTP middleware): the view
    binds the id itself, from a sane incoming X-Request-ID."""
    server = uvicorn.Server(
        uvicorn.Config(app.state.subscriptions, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with connect(
            f"ws://127.0.0.1:{port}/graphql",
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            additional_headers={"X-Request-ID": "direct-7"},
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { nope }"}}))
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert message["type"] == "error"
            assert message["payload"][0]["extensions"]["requestId"] == "direct-7"
    finally:
        server.should_exit = True
        await task
