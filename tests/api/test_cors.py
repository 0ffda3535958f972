"""CORS with ``CORS_ORIGINS`` set, as a browser sees it: the preflight it sends before a
cross-origin request carrying the headers real clients add (Apollo Client, OpenTelemetry,
request ids), and what its code may read of the answer (a 429's ``Retry-After``, the
``X-Request-ID``). A browser shows a script only the CORS-safelisted response headers and those
in ``Access-Control-Expose-Headers``, and only when the answer allows the page's origin:
``_visible`` applies that filter (the Fetch standard's "CORS-filtered response")."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import pytest

from edge.settings import Settings
from tests.conftest import client_for
from tests.factories import Factory

pytestmark = pytest.mark.usefixtures("database")

APP = "https://app.example"
LOGOUT = 'mutation { logout(input: {refreshToken: "nope"}) { __typename } }'
# What Apollo Client 4 (clientAwareness, and its CSRF header), OpenTelemetry's browser
# fetch instrumentation and a client's own request id add to a POST.
CLIENT_HEADERS = {
    "apollographql-client-name": "ediary-web",
    "apollographql-client-version": "1.4.2",
    "apollo-require-preflight": "true",
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "tracestate": "ediary=00f067aa0ba902b7",
    "baggage": "tenant=school-1",
    "x-request-id": "web-7f3a",
    "authorization": "Bearer x",
    "content-type": "application/json",
}
# Response headers a browser always shows a script (Fetch: CORS-safelisted response-header names).
SAFELISTED = {
    "cache-control",
    "content-language",
    "content-length",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
}


@asynccontextmanager
async def _browser_facing(settings: Settings, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    async with client_for(
        settings, address=address, cors_origins=(APP,), rate_limit_namespace=secrets.token_hex(4), **overrides
    ) as client:
        yield client


async def _preflight(client: httpx.AsyncClient, headers: list[str], origin: str = APP) -> httpx.Response:
    return await client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ",".join(headers),
        },
    )


def _visible(response: httpx.Response, origin: str = APP) -> Mapping[str, str]:
    """The response headers a script of ``origin`` can read (none if CORS refuses it)."""
    if response.headers.get("access-control-allow-origin") not in (origin, "*"):
        return {}
    exposed = {h.strip().lower() for h in response.headers.get("access-control-expose-headers", "").split(",")}
    return {name: value for name, value in response.headers.items() if name in SAFELISTED | exposed}


async def test_a_preflight_with_the_clients_headers_is_accepted(settings: Settings) -> None:
    async with _browser_facing(settings) as client:
        r = await _preflight(client, sorted(CLIENT_HEADERS))
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == APP
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert set(CLIENT_HEADERS) <= allowed
    assert "POST" in r.headers["access-control-allow-methods"]


@pytest.mark.parametrize("header", sorted(CLIENT_HEADERS))
async def test_each_client_header_passes_a_preflight_alone(settings: Settings, header: str) -> None:
    async with _browser_facing(settings) as client:
        r = await _preflight(client, [header])
    assert r.status_code == 200, r.text


async def test_a_preflight_with_another_header_or_origin_is_refused(settings: Settings) -> None:
    async with _browser_facing(settings) as client:
        assert (await _preflight(client, ["content-type", "x-forwarded-host"])).status_code == 400
        r = await _preflight(client, ["content-type"], origin="https://evil.example")
    assert r.status_code == 400
    assert "access-control-allow-origin" not in r.headers


async def test_a_browser_reads_the_request_id_of_an_answer(settings: Settings) -> None:
    async with _browser_facing(settings) as client:
        r = await client.post("/graphql", json={"query": "{ __typename }"}, headers={**CLIENT_HEADERS, "Origin": APP})
    assert r.status_code == 200
    assert _visible(r)["x-request-id"] == "web-7f3a"
    assert r.json()["data"] == {"__typename": "Query"}


async def test_a_browser_reads_retry_after_of_a_429(settings: Settings, factory: Factory) -> None:
    token = factory.client(await factory.user("mum")).token
    headers = {**CLIENT_HEADERS, "authorization": f"Bearer {token}", "origin": APP}
    async with _browser_facing(settings, mutations_per_user=1) as client:
        assert (await client.post("/graphql", json={"query": LOGOUT}, headers=headers)).status_code == 200
        r = await client.post("/graphql", json={"query": LOGOUT}, headers=headers)
    assert r.status_code == 429, r.text
    seen = _visible(r)
    seconds = r.json()["errors"][0]["extensions"]["retryAfterSeconds"]
    assert seen["retry-after"] == str(seconds)
    assert 0 < seconds <= settings.rate_window_seconds
    assert seen["x-request-id"] == r.json()["errors"][0]["extensions"]["requestId"] == "web-7f3a"


async def test_another_origin_reads_nothing(settings: Settings) -> None:
    async with _browser_facing(settings) as client:
        r = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={**CLIENT_HEADERS, "Origin": "https://evil.example"}
        )
    assert _visible(r, "https://evil.example") == {}
