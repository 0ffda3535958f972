"""Logging in with an identity provider (issue 20), against a real OpenID Connect provider
(``tests/oidc``): the whole browser flow over HTTP, and each way it must fail, with nothing written
but the used-up login."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

import models
from edge.settings import Settings
from resolvers.core import now_utc, travel
from tests.access.test_second_factor import code, enrolled, second_step
from tests.client import Client
from tests.conftest import client_for
from tests.factories import Factory
from tests.identity.provider import MOBILE_REDIRECT, WEB_REDIRECT, RunningProvider, log_in_at_provider, running

START = """
mutation S($input: ExternalLoginStartInput!) {
  externalLoginStart(input: $input) {
    __typename
    ... on ExternalLoginStartSuccess { authorizationUrl state expiresAt }
    ... on ValidationError { code fields { field code } }
    ... on Error { code message }
  }
}
"""
COMPLETE = """
mutation C($input: ExternalLoginCompleteInput!) {
  externalLoginComplete(input: $input) {
    __typename
    ... on LoginSuccess { accessToken refreshToken mustChangePassword user { id fullName } }
    ... on SecondFactorRequired { challenge expiresAt }
    ... on Error { code message }
  }
}
"""
VIEWER = "{ viewer { user { id fullName } roles externalIdentities { id provider displayName lastLoginAt } } }"
PROVIDERS = "{ identityProviders { name displayName } }"


async def start(http: httpx.AsyncClient, provider: str = "idp", **more: object) -> dict[str, Any]:
    variables = {"provider": provider, "redirectUri": WEB_REDIRECT, **more}
    result: dict[str, Any] = (await Client(http).data(START, input=variables))["externalLoginStart"]
    return result


async def complete(http: httpx.AsyncClient, state: str, code: str) -> dict[str, Any]:
    result: dict[str, Any] = (await Client(http).data(COMPLETE, input={"state": state, "code": code}))[
        "externalLoginComplete"
    ]
    return result


async def log_in(http: httpx.AsyncClient, login: str, provider: str = "idp", **more: object) -> dict[str, Any]:
    started = await start(http, provider, **more)
    assert started["__typename"] == "ExternalLoginStartSuccess", started
    answer = await log_in_at_provider(started["authorizationUrl"], login)
    assert answer.state == started["state"]
    return await complete(http, answer.state, answer.code)


async def working_session(http: httpx.AsyncClient, result: dict[str, Any]) -> dict[str, Any]:
    """The viewer a login's ``LoginSuccess`` opens: its access token reads the viewer as the
    logged-in user, and its refresh token refreshes the session."""
    viewer: dict[str, Any] = (await Client(http, result["accessToken"]).data(VIEWER))["viewer"]
    assert viewer["user"]["id"] == result["user"]["id"]
    refreshed = await Client(http).data(
        "mutation R($t: String!) { sessionRefresh(input: {refreshToken: $t}) { __typename } }",
        t=result["refreshToken"],
    )
    assert refreshed["sessionRefresh"]["__typename"] == "LoginSuccess"
    return viewer


async def linked(factory: Factory, name: str, subject: str, provider: str = "idp") -> models.User:
    user = await factory.user(name)
    await models.ExternalIdentity.create(user=user, provider=provider, subject=subject, linked_at=now_utc())
    return user


async def test_a_linked_identity_logs_in_like_login(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    result = await log_in(oidc_http, f"{factory.tag}-anna")
    assert result["__typename"] == "LoginSuccess", result
    assert result["user"]["fullName"] == user.full_name  # the account's own name, not the provider's
    assert result["mustChangePassword"] is False
    [identity] = (await working_session(oidc_http, result))["externalIdentities"]
    assert (identity["provider"], identity["displayName"]) == ("idp", "Provider idp")
    assert identity["lastLoginAt"] is not None
    [entry] = await models.AuditEntry.filter(actor_id=user.id, action="identity.login")
    assert entry.details == {"provider": "idp"}
    assert await models.Session.filter(user_id=user.id).count() == 2  # the factory's and this one


async def test_the_authorization_request_uses_pkce_state_and_nonce(oidc_http: httpx.AsyncClient) -> None:
    started = await start(oidc_http)
    query = parse_qs(urlsplit(started["authorizationUrl"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"] == [started["state"]]
    assert len(query["nonce"][0]) >= 32
    assert query["response_type"] == ["code"]
    assert "client_secret" not in query  # the secret travels only in the server's token request
    row = await models.ExternalLogin.get(nonce=query["nonce"][0])
    assert row.state_hash != started["state"]
    assert row.code_verifier not in started["authorizationUrl"]


async def test_a_mobile_app_uses_its_custom_scheme(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    await linked(factory, "anna", f"{factory.tag}-anna")
    started = await Client(oidc_http).data(START, input={"provider": "idp", "redirectUri": MOBILE_REDIRECT})
    answer = await log_in_at_provider(started["externalLoginStart"]["authorizationUrl"], f"{factory.tag}-anna")
    assert answer.url.startswith(MOBILE_REDIRECT + "?")
    result = await complete(oidc_http, answer.state, answer.code)
    assert result["__typename"] == "LoginSuccess", result


async def test_a_wrong_state_logs_in_nobody(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    started = await start(oidc_http)
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    result = await complete(oidc_http, answer.state + "x", answer.code)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "EXTERNAL_LOGIN_INVALID")
    assert await models.Session.filter(user_id=user.id).count() == 1
    # the right state still works: a wrong guess used nothing up
    assert (await complete(oidc_http, answer.state, answer.code))["__typename"] == "LoginSuccess"


async def test_a_replayed_answer_logs_in_once(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    started = await start(oidc_http)
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    assert (await complete(oidc_http, answer.state, answer.code))["__typename"] == "LoginSuccess"
    again = await complete(oidc_http, answer.state, answer.code)
    assert again["code"] == "EXTERNAL_LOGIN_INVALID"
    # the code under a fresh state: the provider refuses a used code (and another login's PKCE)
    other = await start(oidc_http)
    replayed = await complete(oidc_http, other["state"], answer.code)
    assert (replayed["__typename"], replayed["code"]) == ("ExternalLoginError", "IDENTITY_PROVIDER_ERROR")
    assert await models.Session.filter(user_id=user.id).count() == 2


async def test_the_same_answer_twice_at_once_logs_in_once(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    started = await start(oidc_http)
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    results = await asyncio.gather(*(complete(oidc_http, answer.state, answer.code) for _ in range(2)))
    assert sorted(r["__typename"] for r in results) == ["ExternalLoginError", "LoginSuccess"]
    assert await models.Session.filter(user_id=user.id).count() == 2


async def test_a_wrong_nonce_is_refused(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    started = await start(oidc_http)
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    nonce = parse_qs(urlsplit(started["authorizationUrl"]).query)["nonce"][0]
    await models.ExternalLogin.filter(nonce=nonce).update(nonce="another-login-s-nonce")
    result = await complete(oidc_http, answer.state, answer.code)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    assert await models.Session.filter(user_id=user.id).count() == 1


async def test_an_expired_id_token_is_refused_past_the_skew(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    """The provider's id tokens live 60 s; the skew allowed is 60 s: at +150 s the token is dead
    by the project's clock (the login itself waits 10 minutes), at +90 s it is still accepted."""
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    late, in_skew = await start(oidc_http), await start(oidc_http)
    late_answer = await log_in_at_provider(late["authorizationUrl"], f"{factory.tag}-anna")
    skew_answer = await log_in_at_provider(in_skew["authorizationUrl"], f"{factory.tag}-anna")
    with travel(now_utc() + timedelta(seconds=150)):
        result = await complete(oidc_http, late_answer.state, late_answer.code)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    with travel(now_utc() + timedelta(seconds=90)):
        result = await complete(oidc_http, skew_answer.state, skew_answer.code)
    assert result["__typename"] == "LoginSuccess", result
    assert await models.Session.filter(user_id=user.id).count() == 2


async def test_a_started_login_expires(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    await linked(factory, "anna", f"{factory.tag}-anna")
    started = await start(oidc_http)
    answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    with travel(now_utc() + timedelta(seconds=601)):
        result = await complete(oidc_http, answer.state, answer.code)
    assert result["code"] == "EXTERNAL_LOGIN_INVALID"


async def test_a_token_signed_by_an_unknown_key_is_refused(
    oidc_http: httpx.AsyncClient, factory: Factory, foreign: RunningProvider
) -> None:
    """``foreign`` signs its id tokens with a key its JWKS does not publish."""
    user = await linked(factory, "anna", f"{factory.tag}-anna", provider="foreign")
    result = await log_in(oidc_http, f"{factory.tag}-anna", provider="foreign")
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    assert await models.Session.filter(user_id=user.id).count() == 1
    assert not await models.AuditEntry.filter(actor_id=user.id, action="identity.login").exists()


async def test_an_unlinked_identity_logs_in_to_nothing(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    users = await models.User.all().count()
    result = await log_in(oidc_http, f"{factory.tag}-stranger")
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_NOT_LINKED")
    assert await models.User.all().count() == users
    assert not await models.ExternalIdentity.filter(subject=f"{factory.tag}-stranger").exists()


async def test_an_identity_of_another_provider_is_another_identity(
    oidc_http: httpx.AsyncClient, factory: Factory
) -> None:
    await linked(factory, "anna", f"{factory.tag}-anna", provider="foreign")
    result = await log_in(oidc_http, f"{factory.tag}-anna")  # the same subject at idp
    assert result["code"] == "IDENTITY_NOT_LINKED"


async def test_a_first_login_may_create_a_role_less_account(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    login = f"{factory.tag}-new"
    result = await log_in(oidc_http, login, createAccount=True)
    assert result["__typename"] == "LoginSuccess", result
    assert result["user"]["fullName"] == f"Person {login}"
    identity = await models.ExternalIdentity.get(provider="idp", subject=login)
    account = await models.User.get(id=identity.user_id)
    assert account.email == f"{login}@example.org"
    assert account.password_hash == ""  # no password: the identity is its way in
    assert (await working_session(oidc_http, result))["roles"] == []
    [entry] = await models.AuditEntry.filter(actor_id=account.id, action="identity.register")
    assert entry.details == {"provider": "idp", "login": account.login}
    # the next login, with or without createAccount, is into the same account
    again = await log_in(oidc_http, login, createAccount=True)
    assert again["user"]["id"] == result["user"]["id"]
    assert (await log_in(oidc_http, login))["user"]["id"] == result["user"]["id"]


async def test_an_unverified_email_is_not_taken(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    login = f"{factory.tag}-unverified"
    result = await log_in(oidc_http, login, createAccount=True)
    assert result["__typename"] == "LoginSuccess", result
    identity = await models.ExternalIdentity.get(provider="idp", subject=login)
    assert (await models.User.get(id=identity.user_id)).email is None


async def test_a_deactivated_account_cannot_log_in(oidc_http: httpx.AsyncClient, factory: Factory) -> None:
    user = await linked(factory, "anna", f"{factory.tag}-anna")
    await models.User.filter(id=user.id).update(is_active=False, deactivated_at=now_utc())
    result = await log_in(oidc_http, f"{factory.tag}-anna")
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ACCOUNT_DEACTIVATED")
    assert await models.Session.filter(user_id=user.id).count() == 1
    assert not await models.AuditEntry.filter(actor_id=user.id, action="identity.login").exists()


async def test_a_provider_that_is_down(oidc_http: httpx.AsyncClient) -> None:
    logins = await models.ExternalLogin.all().count()
    result = await start(oidc_http, "down")
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_PROVIDER_ERROR")
    assert await models.ExternalLogin.all().count() == logins


async def test_a_provider_that_goes_down_before_the_answer(settings: Settings, factory: Factory) -> None:
    """The person logged in at the provider, which is down when the app exchanges the code."""
    user = await linked(factory, "anna", f"{factory.tag}-anna", provider="brief")
    with running("brief") as provider:
        async with client_for(settings, oidc_providers=(provider.settings(),)) as http:
            started = await start(http, "brief")
            answer = await log_in_at_provider(started["authorizationUrl"], f"{factory.tag}-anna")
    async with client_for(settings, oidc_providers=(provider.settings(),)) as http:
        result = await complete(http, answer.state, answer.code)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_PROVIDER_ERROR")
    assert await models.Session.filter(user_id=user.id).count() == 1


async def test_unknown_providers_and_redirects_are_refused(oidc_http: httpx.AsyncClient) -> None:
    logins = await models.ExternalLogin.all().count()
    unknown = await start(oidc_http, "nobody")
    assert (unknown["__typename"], unknown["code"]) == ("ValidationError", "IDENTITY_PROVIDER_UNKNOWN")
    elsewhere = await Client(oidc_http).data(
        START, input={"provider": "idp", "redirectUri": "https://attacker.example/callback"}
    )
    assert elsewhere["externalLoginStart"]["fields"] == [{"field": "redirectUri", "code": "REDIRECT_URI_NOT_ALLOWED"}]
    assert await models.ExternalLogin.all().count() == logins


async def test_the_providers_are_listed_to_anyone(oidc_http: httpx.AsyncClient) -> None:
    listed = (await Client(oidc_http).data(PROVIDERS))["identityProviders"]
    assert listed == [
        {"name": "idp", "displayName": "Provider idp"},
        {"name": "foreign", "displayName": "Provider foreign"},
        {"name": "down", "displayName": "Provider down"},
    ]


async def test_no_provider_is_listed_when_none_is_configured(http: httpx.AsyncClient) -> None:
    assert (await Client(http).data(PROVIDERS))["identityProviders"] == []


async def test_an_identity_stands_for_the_password_not_for_the_second_factor(
    oidc_http: httpx.AsyncClient, factory: Factory
) -> None:
    user = await linked(factory, "tfa", f"{factory.tag}-tfa")
    on = await enrolled(factory, user=user)
    sessions = await models.Session.filter(user_id=user.id).count()
    result = await log_in(oidc_http, f"{factory.tag}-tfa")
    assert result["__typename"] == "SecondFactorRequired", result
    assert await models.Session.filter(user_id=user.id).count() == sessions  # none until the code
    [entry] = await models.AuditEntry.filter(actor_id=user.id, action="identity.login")
    assert entry.details == {"provider": "idp", "secondFactor": True}
    done = await second_step(oidc_http, result["challenge"], code(on.secret, 1))
    assert done["__typename"] == "LoginSuccess", done
    assert await models.Session.filter(user_id=user.id).count() == sessions + 1
