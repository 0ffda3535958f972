"""A real OpenID Connect provider for the tests: ``tests/oidc/provider.mjs`` (the npm package
oidc-provider) run by Node.js on a free loopback port, and a person logging in at it over plain
HTTP (what a browser does: follow the redirects, fill the login form, come back)."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from edge.identity_providers import IdentityProvider

FOLDER = Path(__file__).resolve().parent.parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "ediary", "test-client-secret-of-ediary"
WEB_REDIRECT = "http://127.0.0.1/app/callback"
MOBILE_REDIRECT = "org.ediary.app:/oauth2redirect"
ACCOUNTS = {"anna": {"name": "Анна Смирнова", "email": "anna@example.org"}}


@dataclass(frozen=True)
class RunningProvider:
    issuer: str
    name: str

    def settings(self, redirect_uris: tuple[str, ...] = (WEB_REDIRECT, MOBILE_REDIRECT)) -> IdentityProvider:
        return IdentityProvider(
            name=self.name,
            issuer=self.issuer,
            client_id=CLIENT_ID,
            display_name=f"Provider {self.name}",
            scopes="openid email profile",
            redirect_uris=redirect_uris,
            client_auth="secret",
            options={"client_secret": CLIENT_SECRET},
        )


def client_metadata(redirect_uris: list[str]) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": redirect_uris,
        "application_type": "native",  # a custom scheme (the mobile app) beside loopback http
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }


@contextlib.contextmanager
def running(name: str, redirect_uris: list[str] | None = None, **options: Any) -> Iterator[RunningProvider]:
    """The provider, up until the block ends. Fails (never skips) when Node.js or the provider's
    node_modules are missing: `make install` runs its `npm ci`."""
    if not (FOLDER / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(f"{FOLDER}/node_modules is missing: run `make install` (npm ci in tests/oidc)")
    config = {
        "clients": [client_metadata(redirect_uris or [WEB_REDIRECT, MOBILE_REDIRECT])],
        "accounts": ACCOUNTS,
        **options,
    }
    process = subprocess.Popen(  # noqa: S603 - a fixed command
        ["node", str(FOLDER / "provider.mjs")],  # noqa: S607 - node from PATH
        cwd=FOLDER,
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        if not line:
            raise RuntimeError("the test OpenID Connect provider did not start")
        yield RunningProvider(json.loads(line)["issuer"], name)
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close() if process.stdout else None


@dataclass(frozen=True)
class Answer:
    """What the provider sent back to the redirect URI."""

    code: str
    state: str
    url: str  # where the provider sent the person back


async def log_in_at_provider(authorization_url: str, login: str) -> Answer:
    """A person's browser: to the provider's login page, the form filled in with ``login``, and
    back to the redirect URI (not followed: the app reads ``code`` and ``state`` from it)."""
    issuer = "{0.scheme}://{0.netloc}/".format(urlsplit(authorization_url))
    async with httpx.AsyncClient(timeout=10) as browser:
        response = await browser.get(authorization_url)
        for _ in range(10):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if not target.startswith(issuer):
                    return _answer(target)
                response = await browser.get(target)
            elif "<form" in response.text:
                action = response.text.split('action="', 1)[1].split('"', 1)[0]
                response = await browser.post(urljoin(str(response.url), action), data={"login": login})
            else:
                raise AssertionError(f"the provider answered {response.status_code}: {response.text[:300]}")
    raise AssertionError("too many redirects at the provider")


def _answer(url: str) -> Answer:
    query = parse_qs(urlsplit(url).query)
    if "code" not in query:
        raise AssertionError(f"the provider sent back no code: {url}")
    return Answer(query["code"][0], query["state"][0], url)
