"""Logging in through ESIA (Gosuslugi, issue 20) end to end: the ESIA-like provider of
``tests/edge/esia_provider.py`` served on a loopback port checks the client's GOST signatures, signs
its id tokens with GOST R 34.10-2012 under a certificate made here and serves the person resource;
the app knows it only from settings (no discovery), as it knows the real ESIA. Then the discovery
document and JWKS kept between logins."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

import models
from edge.identity_providers import providers_from_env
from edge.settings import Settings
from resolvers.core import now_utc, travel
from resolvers.oidc import forget_metadata
from tests.client import Client
from tests.conftest import client_for
from tests.edge.esia_provider import EsiaLikeProvider, KeyPair, make_key_pair, make_rsa_certificate, served
from tests.factories import Factory
from tests.helpers import gid
from tests.identity.provider import WEB_REDIRECT
from tests.identity.test_external_login import complete, linked, start, working_session
from tests.identity.test_identity_links import LINK_COMPLETE, LINK_START

CLIENT_ID = "EDIARY-DISTRICT"
ESIA_ISSUER = "http://esia.gosuslugi.ru/"  # ESIA's iss, trailing slash included
PERSON = {"firstName": "Иван", "lastName": "Петров", "middleName": "Сергеевич"}


@dataclass
class Esia:
    provider: EsiaLikeProvider
    base: str
    school: KeyPair  # the district's key, registered at ESIA
    folder: Path

    def env(self, **more: str) -> dict[str, str]:
        """The settings of the README's ESIA section, pointing at the test ESIA."""
        env = {
            "OIDC_PROVIDERS": "esia",
            "OIDC_ESIA_ISSUER": ESIA_ISSUER,
            "OIDC_ESIA_CLIENT_ID": CLIENT_ID,
            "OIDC_ESIA_SCOPES": "openid fullname",
            "OIDC_ESIA_DISPLAY_NAME": "Госуслуги",
            "OIDC_ESIA_REDIRECT_URIS": WEB_REDIRECT,
            "OIDC_ESIA_CLIENT_AUTH": "gost",
            "OIDC_ESIA_KEY_FILE": str(self.school.key_file),
            "OIDC_ESIA_CERTIFICATE_FILE": str(self.school.certificate_file),
            "OIDC_ESIA_AUTHORIZATION_ENDPOINT": f"{self.base}/aas/oauth2/ac",
            "OIDC_ESIA_TOKEN_ENDPOINT": f"{self.base}/aas/oauth2/te",
            "OIDC_ESIA_PERSON_ENDPOINT": f"{self.base}/rs/prns/{{sub}}",
        }
        if self.provider.signing is not None:
            env["OIDC_ESIA_SIGNING_CERTIFICATE"] = str(self.provider.signing.certificate_file)
        return {**env, **{f"OIDC_ESIA_{k.upper()}": v for k, v in more.items()}}


@pytest.fixture
async def esia(database: None, tmp_path: Path) -> AsyncIterator[Esia]:
    """ESIA, signing its id tokens with a GOST key whose certificate the app is given."""
    forget_metadata()
    school = make_key_pair(tmp_path, "school", now_utc())
    signing = make_key_pair(tmp_path, "esia", now_utc())
    provider = EsiaLikeProvider(client_id=CLIENT_ID, registered=school.certificate, signing=signing)
    async with served(provider) as base:
        yield Esia(provider, base, school, tmp_path)


@pytest.fixture
async def http(settings: Settings, esia: Esia) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(settings, oidc_providers=providers_from_env(esia.env())) as client:
        yield client


def a_person(esia: Esia, **person: str) -> str:
    """A new person at ESIA: their oid."""
    oid = str(10**9 + secrets.randbelow(10**9))
    esia.provider.persons[oid] = {**PERSON, **person}
    return oid


async def at_esia(authorization_url: str, oid: str) -> tuple[str, str]:
    """A browser at ESIA: the person ``oid`` logs in, ESIA redirects back with (code, state)."""
    async with httpx.AsyncClient(timeout=10) as browser:
        response = await browser.get(f"{authorization_url}&{urlencode({'oid': oid})}")
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(WEB_REDIRECT + "?")
    query = parse_qs(urlsplit(location).query)
    return query["code"][0], query["state"][0]


async def esia_login(http: httpx.AsyncClient, oid: str, **more: object) -> dict[str, Any]:
    started = await start(http, "esia", **more)
    assert started["__typename"] == "ExternalLoginStartSuccess", started
    code, state = await at_esia(started["authorizationUrl"], oid)
    assert state == started["state"]
    return await complete(http, state, code)


async def nothing_written(oid: str, users: int) -> None:
    assert await models.User.all().count() == users
    assert not await models.ExternalIdentity.filter(provider="esia", subject=oid).exists()


async def test_a_first_login_creates_an_account_named_from_the_person_resource(
    http: httpx.AsyncClient, esia: Esia
) -> None:
    oid = a_person(esia)
    result = await esia_login(http, oid, createAccount=True)
    assert result["__typename"] == "LoginSuccess", (result, esia.provider.refusals)
    assert result["user"]["fullName"] == "Петров Иван Сергеевич"
    identity = await models.ExternalIdentity.get(provider="esia", subject=oid)
    account = await models.User.get(id=identity.user_id)
    assert (account.password_hash, account.email) == ("", None)
    viewer = await working_session(http, result)
    assert viewer["roles"] == []
    assert [i["displayName"] for i in viewer["externalIdentities"]] == ["Госуслуги"]
    [entry] = await models.AuditEntry.filter(actor_id=account.id, action="identity.register")
    assert entry.details == {"provider": "esia", "login": account.login}  # no name, no oid
    assert esia.provider.hits["prns"] == 1
    assert esia.provider.refusals == []


async def test_a_linked_person_logs_in_with_the_tokens_login_gives(
    http: httpx.AsyncClient, esia: Esia, factory: Factory
) -> None:
    oid = a_person(esia)
    user = await linked(factory, "ivan", oid, provider="esia")
    result = await esia_login(http, oid)
    assert result["__typename"] == "LoginSuccess", (result, esia.provider.refusals)
    assert result["user"]["fullName"] == user.full_name  # the account's own name
    await working_session(http, result)
    [entry] = await models.AuditEntry.filter(actor_id=user.id, action="identity.login")
    assert entry.details == {"provider": "esia"}


async def test_the_key_files_are_read_once_when_the_server_starts(
    settings: Settings, esia: Esia, factory: Factory
) -> None:
    """The district's key and certificate are read when the providers are configured, not at each
    login: with both files gone (moved, unreadable), logins still sign their requests."""
    providers = providers_from_env(esia.env())
    esia.school.key_file.unlink()
    esia.school.certificate_file.unlink()
    oid = a_person(esia)
    await linked(factory, "ivan", oid, provider="esia")
    async with client_for(settings, oidc_providers=providers) as http:
        for _ in range(2):
            result = await esia_login(http, oid)
            assert result["__typename"] == "LoginSuccess", (result, esia.provider.refusals)
    assert esia.provider.refusals == []
    assert (esia.provider.hits["ac"], esia.provider.hits["te"]) == (2, 2)  # both requests signed, twice


async def test_only_a_new_account_reads_the_person_resource(
    http: httpx.AsyncClient, esia: Esia, factory: Factory
) -> None:
    """The person's name names a new account only: logging into a linked account (with or
    without createAccount), a login refused as not linked and a link read nothing more at ESIA."""
    hits = esia.provider.hits
    oid = a_person(esia)
    user = await linked(factory, "ivan", oid, provider="esia")
    for more in ({}, {"createAccount": True}):
        result = await esia_login(http, oid, **more)
        assert (result["__typename"], result["user"]["id"]) == ("LoginSuccess", gid(user, "User")), result
    stranger = a_person(esia)
    refused = await esia_login(http, stranger)
    assert refused["code"] == "IDENTITY_NOT_LINKED"
    other = await factory.user("olga")
    client = Client(http, factory.client(other).token, str(other.id))
    started = (await client.data(LINK_START, input={"provider": "esia", "redirectUri": WEB_REDIRECT}))[
        "externalIdentityLinkStart"
    ]
    code, state = await at_esia(started["authorizationUrl"], stranger)
    done = (await client.data(LINK_COMPLETE, input={"state": state, "code": code}))["externalIdentityLinkComplete"]
    assert done["__typename"] == "ExternalIdentityLinkSuccess", done
    assert (hits["te"], hits["prns"]) == (4, 0)
    created = await esia_login(http, a_person(esia), createAccount=True)
    assert created["user"]["fullName"] == "Петров Иван Сергеевич"
    assert (hits["te"], hits["prns"]) == (5, 1)


@pytest.mark.parametrize("broken", ["signature", "payload", "another key"])
async def test_an_id_token_esia_did_not_sign_is_refused(
    http: httpx.AsyncClient, esia: Esia, factory: Factory, broken: str
) -> None:
    oid = a_person(esia)
    user = await linked(factory, "ivan", oid, provider="esia")
    if broken == "another key":
        esia.provider.signing = make_key_pair(esia.folder, "impostor", now_utc())
    else:
        esia.provider.tamper = broken
    stranger = a_person(esia)
    users = await models.User.all().count()
    for who, more in ((oid, {}), (stranger, {"createAccount": True})):
        result = await esia_login(http, who, **more)
        assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    assert await models.Session.filter(user_id=user.id).count() == 1  # the factory's
    await nothing_written(stranger, users)
    assert esia.provider.refusals == []  # ESIA had accepted the client: the token was refused here


async def test_esia_refusing_the_clients_signature_logs_in_nobody(
    http: httpx.AsyncClient, esia: Esia, factory: Factory
) -> None:
    """ESIA checks the signature of the token request too: a key it does not know is refused there."""
    oid = a_person(esia)
    user = await linked(factory, "ivan", oid, provider="esia")
    started = await start(http, "esia")
    code, state = await at_esia(started["authorizationUrl"], oid)
    esia.provider.registered = make_key_pair(esia.folder, "other", now_utc()).certificate
    result = await complete(http, state, code)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_PROVIDER_ERROR")
    assert esia.provider.refusals == ["the certificate is not the registered one"]
    assert await models.Session.filter(user_id=user.id).count() == 1


async def test_an_expired_id_token_is_refused_past_the_skew(
    http: httpx.AsyncClient, esia: Esia, factory: Factory
) -> None:
    """ESIA's id tokens live 60 s here and the skew is 60 s: issued at t0, the token is dead at
    t0 + 150 s by the project's clock and still good at t0 + 90 s."""
    oid = a_person(esia)
    user = await linked(factory, "ivan", oid, provider="esia")
    t0 = now_utc()
    esia.provider.token_clock = lambda: t0
    late, in_skew = await start(http, "esia"), await start(http, "esia")
    late_answer = await at_esia(late["authorizationUrl"], oid)
    skew_answer = await at_esia(in_skew["authorizationUrl"], oid)
    with travel(t0 + timedelta(seconds=150)):
        result = await complete(http, late_answer[1], late_answer[0])
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    with travel(t0 + timedelta(seconds=90)):
        result = await complete(http, skew_answer[1], skew_answer[0])
    assert result["__typename"] == "LoginSuccess", result
    assert await models.Session.filter(user_id=user.id).count() == 2


async def test_an_unknown_person_is_not_linked(http: httpx.AsyncClient, esia: Esia) -> None:
    oid = a_person(esia)
    users = await models.User.all().count()
    result = await esia_login(http, oid)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_NOT_LINKED")
    await nothing_written(oid, users)


async def test_a_failing_person_resource_creates_no_account(http: httpx.AsyncClient, esia: Esia) -> None:
    oid = a_person(esia)
    esia.provider.person_fails = True
    users = await models.User.all().count()
    result = await esia_login(http, oid, createAccount=True)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "IDENTITY_PROVIDER_ERROR")
    await nothing_written(oid, users)


async def test_the_issuer_is_compared_exactly(settings: Settings, esia: Esia) -> None:
    """ESIA's iss ends with a slash: an issuer configured without it refuses ESIA's tokens."""
    oid = a_person(esia)
    env = esia.env(issuer=ESIA_ISSUER.rstrip("/"))
    async with client_for(settings, oidc_providers=providers_from_env(env)) as http:
        result = await esia_login(http, oid, createAccount=True)
    assert (result["__typename"], result["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")


async def test_a_userinfo_endpoint_names_the_person_and_must_name_the_same_subject(
    settings: Settings, esia: Esia
) -> None:
    oid, other = a_person(esia), a_person(esia)
    env = esia.env(userinfo_endpoint=f"{esia.base}/userinfo", person_endpoint="")
    async with client_for(settings, oidc_providers=providers_from_env(env)) as http:
        result = await esia_login(http, oid, createAccount=True)
        assert result["__typename"] == "LoginSuccess", result
        assert result["user"]["fullName"] == "Иван Петров"  # userinfo's name
        esia.provider.userinfo_subject = "1"
        users = await models.User.all().count()
        refused = await esia_login(http, other, createAccount=True)
    assert (refused["__typename"], refused["code"]) == ("ExternalLoginError", "ID_TOKEN_INVALID")
    await nothing_written(other, users)


async def test_rs256_id_tokens_are_checked_against_a_certificate(settings: Settings, esia: Esia) -> None:
    key, certificate = make_rsa_certificate(esia.folder, "esia-rsa", now_utc())
    esia.provider.signing, esia.provider.jose_keys = None, [key]
    oid = a_person(esia)
    env = esia.env(signing_certificate=str(certificate))
    async with client_for(settings, oidc_providers=providers_from_env(env)) as http:
        result = await esia_login(http, oid, createAccount=True)
        assert result["__typename"] == "LoginSuccess", result
        esia.provider.jose_keys = [RSAKey.generate_key(2048)]  # not the certificate's key
        refused = await esia_login(http, a_person(esia), createAccount=True)
    assert refused["code"] == "ID_TOKEN_INVALID"
    assert esia.provider.hits["jwks"] == 0


async def test_discovery_and_keys_are_kept_and_a_rotated_key_is_fetched(settings: Settings, esia: Esia) -> None:
    """A provider with discovery: two logins fetch its document and JWKS once; a token signed by a
    new key makes one refetch of the JWKS; past the TTL both are fetched again."""
    esia.provider.signing = None
    esia.provider.jose_keys = [RSAKey.generate_key(2048, parameters={"kid": "one"})]
    esia.provider.issuer = esia.base
    env = {k: v for k, v in esia.env(issuer=esia.base).items() if "ENDPOINT" not in k}
    hits = esia.provider.hits
    async with client_for(settings, oidc_providers=providers_from_env(env)) as http:
        for _ in range(2):
            result = await esia_login(http, a_person(esia), createAccount=True)
            assert result["__typename"] == "LoginSuccess", result
        assert (hits["discovery"], hits["jwks"]) == (1, 1)
        esia.provider.jose_keys.append(RSAKey.generate_key(2048, parameters={"kid": "two"}))
        result = await esia_login(http, a_person(esia), createAccount=True)
        assert result["__typename"] == "LoginSuccess", result
        assert (hits["discovery"], hits["jwks"]) == (1, 2)
        with travel(now_utc() + timedelta(seconds=301)):
            result = await esia_login(http, a_person(esia), createAccount=True)
        assert result["__typename"] == "LoginSuccess", result
        assert (hits["discovery"], hits["jwks"]) == (2, 3)
