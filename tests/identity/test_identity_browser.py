"""Once in headless Chromium (issue 20): a minimal login page, served beside the API on the same
origin, offers "log in with <provider>"; the person goes through the real provider's login page
(``tests/oidc``) and comes back signed in, the app holding its own access token."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest
import uvicorn

import models
from edge.settings import Settings
from resolvers.core import now_utc
from schema.websocket import WebSocketProtocol
from server import create_app
from tests import codes_seen
from tests.browsers import browser  # noqa: F401 - the fixture: Debian's headless Chromium, network cut
from tests.factories import Factory
from tests.helpers import free_port
from tests.identity.provider import running

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>ediary</title></head>
<body>
<button id="sign-in" disabled>…</button>
<p id="status">signed out</p>
<script>
const START = `mutation S($input: ExternalLoginStartInput!) { externalLoginStart(input: $input) {
  __typename ... on ExternalLoginStartSuccess { authorizationUrl } ... on Error { code } } }`;
const COMPLETE = `mutation C($input: ExternalLoginCompleteInput!) { externalLoginComplete(input: $input) {
  __typename ... on LoginSuccess { accessToken user { fullName } } ... on Error { code } } }`;
const status = document.getElementById("status");
async function gql(query, variables) {
  const answer = await fetch("/graphql", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({query, variables})});
  return (await answer.json()).data;
}
const back = new URLSearchParams(location.search);
if (back.has("code")) {
  gql(COMPLETE, {input: {state: back.get("state"), code: back.get("code")}}).then(data => {
    const result = data.externalLoginComplete;
    if (result.__typename === "LoginSuccess") {
      sessionStorage.setItem("accessToken", result.accessToken);
      status.textContent = "signed in as " + result.user.fullName;
    } else {
      status.textContent = "refused: " + result.code;
    }
  });
} else {
  gql("{ identityProviders { name displayName } }", {}).then(data => {
    const [provider] = data.identityProviders;
    const button = document.getElementById("sign-in");
    button.textContent = "Войти через " + provider.displayName;
    button.disabled = false;
    button.onclick = async () => {
      const redirectUri = location.origin + "/app/callback";
      const started = await gql(START, {input: {provider: provider.name, redirectUri}});
      location.assign(started.externalLoginStart.authorizationUrl);
    };
  });
}
</script>
</body></html>
"""


def with_page(app: Any) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The app, with the login page answered at /app/ and /app/callback."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in ("/app/", "/app/callback"):
            body = PAGE.encode()
            headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)

    return serve


@pytest.mark.browser
async def test_signing_in_with_a_provider_in_chromium(
    settings: Settings,
    database: None,
    factory: Factory,
    browser: Any,  # noqa: F811
) -> None:
    user = await factory.user("anna", full_name=f"Анна {factory.tag}")
    subject = f"{factory.tag}-anna"
    await models.ExternalIdentity.create(user=user, provider="idp", subject=subject, linked_at=now_utc())
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with running("idp", redirect_uris=[f"{origin}/app/callback"]) as provider:
        changed = dataclasses.replace(settings, oidc_providers=(provider.settings((f"{origin}/app/callback",)),))
        application = codes_seen.watch(create_app(changed))
        config = uvicorn.Config(
            with_page(application),
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_level="warning",
            ws=WebSocketProtocol,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        try:
            while not server.started:
                await asyncio.sleep(0.01)
            shown = await asyncio.to_thread(sign_in, browser, f"{origin}/app/", subject)
        finally:
            server.should_exit = True
            await task
            await application.state.broker.close()
            await application.state.limiter.close()
            await application.state.documents.store.close()
    assert shown == f"signed in as {user.full_name}"
    assert await models.AuditEntry.filter(actor_id=user.id, action="identity.login").count() == 1


def sign_in(driver: Any, page: str, login: str) -> str:
    """Click "Войти через ...", log in at the provider (its login, then its consent for a native
    client), and read what the page says once it is back."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    wait = WebDriverWait(driver, 20)
    driver.get(page)
    button = wait.until(expected_conditions.element_to_be_clickable((By.ID, "sign-in")))
    assert button.text == "Войти через Provider idp"
    button.click()
    wait.until(expected_conditions.presence_of_element_located((By.ID, "login"))).send_keys(login)
    driver.find_element(By.ID, "submit").click()
    if wait.until(lambda d: _consent_or_back(d, By.ID)) == "consent":
        driver.find_element(By.ID, "submit").click()
    try:
        wait.until(expected_conditions.text_to_be_present_in_element((By.ID, "status"), "signed in as"))
    except TimeoutException:
        pytest.fail(f"not signed in: {driver.current_url} {driver.find_element(By.TAG_NAME, 'body').text!r}")
    text: str = driver.find_element(By.ID, "status").text
    return text


def _consent_or_back(driver: Any, by_id: str) -> str | None:
    """ "consent" on the provider's consent page (a native client is always asked), "back" once
    the browser is back at the app, None while the login form is still there."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    if "/app/callback" in driver.current_url:
        return "back"
    try:
        return "consent" if "consent" in driver.find_element(by_id, "prompt").text else None
    except (NoSuchElementException, StaleElementReferenceException):
        return None
