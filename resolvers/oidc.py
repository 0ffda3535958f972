"""The OpenID Connect protocol towards one provider (issue 20): its discovery document (or the
endpoints configured instead, ESIA's), the authorization URL (code flow, PKCE S256, ``state`` and
``nonce``), the token request, the id token's checks and the person's name from the userinfo or
ESIA's person resource. Authlib builds and checks the protocol's messages (the grant URI, the PKCE
challenge, the id token's claims), joserfc reads the JWS and verifies the JOSE signatures against the
provider's JWKS or certificate; ESIA's GOST R 34.10-2012 signature (``GOST3410_2012_256``), which
joserfc does not know, is verified by ``edge/gost.py``. Nothing here parses a JWT by hand. Times are
the project's clock's, with the configured skew.

Discovery documents and JWKS are kept per process for the provider's ``metadata_ttl_seconds`` (by
the project's clock); a token naming a ``kid`` the kept JWKS lacks makes one refetch (a rotated key).

How this client proves itself to the provider is ``edge/signers.py``'s: the authorization
redirect carries ``authorization_parameters``, the token request ``token_parameters``."""

from __future__ import annotations

import dataclasses
import functools
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey
from joserfc.util import urlsafe_b64decode

from edge.identity_providers import IdentityProvider
from resolvers.core import now_utc

TIMEOUT_SECONDS = 10.0
# The id token's signature algorithms accepted: asymmetric only (the JWKS holds public keys).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
GOST_ALGORITHM = "GOST3410_2012_256"  # ESIA's id tokens (API v2/v3): GOST R 34.10-2012, Streebog-256


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered what the protocol does not allow."""


class ProviderRefused(Exception):
    """The provider refused the request (an OAuth error answer: a bad or used code...)."""


class IdTokenRejected(Exception):
    """The id token failed a check; the message says which, for the log only."""


class _Kept:
    """JSON documents by URL, each reused for a while by the project's clock."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def get(self, url: str, ttl_seconds: int) -> dict[str, Any] | None:
        entry = self.entries.get(url)
        if entry is None or not entry[0] <= now_utc() < entry[0] + timedelta(seconds=ttl_seconds):
            return None
        return entry[1]

    def put(self, url: str, document: dict[str, Any]) -> None:
        self.entries[url] = (now_utc(), document)


_kept = _Kept()


def forget_metadata() -> None:
    """Drop every kept discovery document and JWKS (the next login fetches them again)."""
    _kept.entries.clear()


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks_uri: str | None


@dataclass(frozen=True)
class Claims:
    """What a verified id token says about the person."""

    subject: str
    name: str
    email: str | None  # only when the provider says it is verified


async def _get_json(client: httpx.AsyncClient, url: str, bearer: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    try:
        answer = await client.get(url, headers=headers)
        answer.raise_for_status()
        data = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return data


@functools.cache
def _tls() -> ssl.SSLContext:
    """The system's trust store, loaded once per process: building it costs more than the
    provider's answer (about 15 ms), and it is the same for every request."""
    return ssl.create_default_context()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False, verify=_tls())


async def _kept_json(client: httpx.AsyncClient, url: str, ttl_seconds: int) -> tuple[dict[str, Any], bool]:
    """The document at ``url``, kept for ``ttl_seconds``, and whether it was fetched just now."""
    document = _kept.get(url, ttl_seconds)
    if document is not None:
        return document, False
    document = await _get_json(client, url)
    _kept.put(url, document)
    return document, True


async def discover(provider: IdentityProvider, client: httpx.AsyncClient) -> dict[str, Any]:
    """The provider's discovery document, checked to be its own (``issuer``, exactly)."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document, _ = await _kept_json(client, url, provider.metadata_ttl_seconds)
    if document.get("issuer") != provider.issuer:
        raise ProviderUnavailable("the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    return document


async def endpoints(provider: IdentityProvider, client: httpx.AsyncClient) -> Endpoints:
    """The provider's configured endpoints (ESIA publishes no discovery), else its discovered ones."""
    if provider.authorization_endpoint and provider.token_endpoint:
        return Endpoints(provider.authorization_endpoint, provider.token_endpoint, provider.jwks_uri)
    document = await discover(provider, client)
    return Endpoints(document["authorization_endpoint"], document["token_endpoint"], document["jwks_uri"])


async def authorization_url(
    provider: IdentityProvider, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
) -> str:
    """Where the browser (or the mobile app) sends the person to log in."""
    async with _client() as client:
        found = await endpoints(provider, client)
    extra = provider.authentication.authorization_parameters(
        client_id=provider.client_id, scope=provider.scopes, state=state, now=now_utc()
    )
    uri: str = prepare_grant_uri(
        found.authorization,
        client_id=provider.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=provider.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(code_verifier),
        code_challenge_method="S256",
        **extra,
    )
    return uri


async def exchange_code(
    provider: IdentityProvider,
    *,
    code: str,
    redirect_uri: str,
    state: str,
    nonce: str,
    code_verifier: str,
    skew: int,
    wants_name: Callable[[str], Awaitable[bool]],
) -> Claims:
    """The id token the code is exchanged for, verified: signed by the provider's key (its JWKS or
    its certificate), issued by it to this client for this ``nonce``, and current by the project's
    clock; with the name from the userinfo or person resource when the provider has one and
    ``wants_name`` (asked with the verified subject) says the name is wanted: it names a new account
    only, so a login into a linked account reads nothing more from the provider."""
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": provider.client_id,
        "code_verifier": code_verifier,
        **provider.authentication.token_parameters(
            client_id=provider.client_id, scope=provider.scopes, state=state, now=now_utc()
        ),
    }
    async with _client() as client:
        found = await endpoints(provider, client)
        try:
            answer = await client.post(found.token, data=body, headers={"Accept": "application/json"})
            tokens = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"token endpoint: {exc}") from None
        if not isinstance(tokens, dict) or "error" in tokens or answer.status_code != 200:
            error = tokens.get("error") if isinstance(tokens, dict) else None
            raise ProviderRefused(f"token endpoint answered {answer.status_code} {error}")
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderRefused("no id_token in the token answer")
        access_token = tokens.get("access_token")
        access = access_token if isinstance(access_token, str) else None
        header, payload = await _signed(provider, client, found, id_token)
        claims = check_claims(provider, header, payload, nonce=nonce, skew=skew, access_token=access)
        if (provider.userinfo_endpoint or provider.person_endpoint) and await wants_name(claims.subject):
            if access is None:
                raise ProviderRefused("no access_token in the token answer")
            claims = await _named(provider, client, claims, access)
    return claims


async def _signed(
    provider: IdentityProvider, client: httpx.AsyncClient, found: Endpoints, id_token: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of ``id_token`` once its signature verifies with the provider's key: its
    certificate's when one is configured, else a key of its JWKS (refetched once for an unknown
    ``kid``); ``IdTokenRejected`` otherwise."""
    try:
        compact = jws.extract_compact(id_token.encode())
        header = dict(compact.protected)
    except (JoseError, ValueError, TypeError) as exc:
        raise IdTokenRejected(f"signature: {exc}") from None
    certificate = provider.signing_certificate
    if header.get("alg") == GOST_ALGORITHM:
        if certificate is None or certificate.gost is None:
            raise IdTokenRejected("signature: a GOST token, and no GOST certificate is configured")
        try:
            signature = urlsafe_b64decode(compact.segments["signature"])
            signing_input = compact.segments["header"] + b"." + compact.segments["payload"]
            if not certificate.gost.verify_jws(signing_input, signature):
                raise IdTokenRejected("signature: the GOST signature does not verify with the certificate")
            payload = json.loads(compact.payload)
        except (ValueError, TypeError, KeyError) as exc:
            raise IdTokenRejected(f"signature: {exc}") from None
        if not isinstance(payload, dict):
            raise IdTokenRejected("claims: not a JSON object")
        return header, payload
    key: Any
    if certificate is not None:
        if certificate.jwk is None:
            raise IdTokenRejected("signature: a JOSE token, and the certificate's key is a GOST one")
        key = (RSAKey if certificate.jwk.get("kty") == "RSA" else ECKey).import_key(dict(certificate.jwk))
    elif found.jwks_uri is None:
        raise IdTokenRejected("signature: no key to check it with")
    else:
        keys, fetched = await _kept_json(client, found.jwks_uri, provider.metadata_ttl_seconds)
        kid = header.get("kid")
        known = {k.get("kid") for k in keys.get("keys", []) if isinstance(k, dict)}
        if isinstance(kid, str) and kid not in known and not fetched:  # a rotated key: fetch the JWKS again
            keys = await _get_json(client, found.jwks_uri)
            _kept.put(found.jwks_uri, keys)
        try:
            key = KeySet.import_key_set(keys)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise IdTokenRejected(f"signature: {exc}") from None
    try:
        token = jwt.decode(id_token, key, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise IdTokenRejected(f"signature: {exc}") from None
    return dict(token.header), dict(token.claims)


def check_claims(
    provider: IdentityProvider,
    header: dict[str, Any],
    payload: dict[str, Any],
    *,
    nonce: str,
    skew: int,
    access_token: str | None = None,
) -> Claims:
    """The claims of a signature-checked id token once its issuer (exactly as configured),
    audience, authorized party, nonce, times (the project's clock, ``skew`` seconds either way) and,
    when it carries one, its ``at_hash`` of ``access_token`` are checked; else ``IdTokenRejected``."""
    # ESIA's claims as the standard has them: its sub (the person's oid, also urn:esia:sbj_id) is a
    # number, its amr one method as a string ("PWD").
    subject = _subject(payload.get("sub", payload.get("urn:esia:sbj_id")))
    payload = {**payload, "sub": subject}
    if isinstance(payload.get("amr"), str):
        payload["amr"] = [payload["amr"]]
    claims = CodeIDToken(
        payload,
        header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
            "nonce": {"essential": True, "value": nonce},
        },
        params={"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
    )
    try:
        claims.validate(now=int(now_utc().timestamp()), leeway=skew)
    except (AuthlibBaseError, JoseError) as exc:
        raise IdTokenRejected(f"claims: {exc}") from None
    if subject is None:
        raise IdTokenRejected("claims: no usable sub")
    return Claims(subject, _name(claims), _email(claims))


def _subject(value: object) -> str | None:
    """A subject id: a string, or a number as ESIA's ``sub`` (the person's oid) is."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 255:
        return None
    return value


def _name(claims: dict[str, Any]) -> str:
    name = claims.get("name") or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
    return str(name or "")


def _email(claims: dict[str, Any]) -> str | None:
    email = claims.get("email") if claims.get("email_verified") is True else None
    return email if isinstance(email, str) else None


async def _named(provider: IdentityProvider, client: httpx.AsyncClient, claims: Claims, access: str) -> Claims:
    """``claims`` with the name (and a verified e-mail) the userinfo endpoint gives, and the name
    of ESIA's person resource (``GET {api}/rs/prns/{oid}``: firstName, lastName, middleName)."""
    if provider.userinfo_endpoint:
        info = await _get_json(client, provider.userinfo_endpoint, bearer=access)
        if _subject(info.get("sub")) != claims.subject:
            raise IdTokenRejected("userinfo: another subject")  # OpenID Connect Core 5.3.2
        claims = dataclasses.replace(claims, name=_name(info) or claims.name, email=_email(info) or claims.email)
    if provider.person_endpoint:
        url = provider.person_endpoint.replace("{sub}", quote(claims.subject, safe=""))
        person = await _get_json(client, url, bearer=access)
        parts = (person.get(k) for k in ("lastName", "firstName", "middleName"))
        name = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())
        claims = dataclasses.replace(claims, name=name or claims.name)
    return claims
