"""The test OpenID Connect providers (``tests/identity/provider.py``) and an app that knows them:
``idp`` (the good one), ``foreign`` (publishes keys that are not its signing keys) and ``down``
(nothing listens at its issuer)."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from edge.settings import Settings
from resolvers.core import real
from server import create_app
from tests import codes_seen
from tests.identity.provider import RunningProvider, running


@pytest.fixture(scope="session")
def idp() -> Iterator[RunningProvider]:
    with running("idp") as provider:
        yield provider


@pytest.fixture(scope="session")
def foreign() -> Iterator[RunningProvider]:
    with running("foreign", foreignKeys=True) as provider:
        yield provider


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
async def oidc_http(
    settings: Settings, database: None, idp: RunningProvider, foreign: RunningProvider
) -> AsyncIterator[httpx.AsyncClient]:
    """An app configured with the three providers."""
    down = RunningProvider(f"http://127.0.0.1:{_closed_port()}", "down")
    providers = (idp.settings(), foreign.settings(), down.settings())
    application = codes_seen.watch(create_app(dataclasses.replace(settings, oidc_providers=providers)))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await application.state.broker.close()
    await application.state.limiter.close()
    await application.state.documents.store.close()


@pytest.fixture(autouse=True)
def provider_time() -> Iterator[None]:
    """The provider is a real process living in real time (its id tokens' ``iat`` and ``exp``):
    the project's clock (which a CI run sets to another date) reads the same for these tests."""
    with real():
        yield
