"""The OpenID Connect protocol towards one provider (issue 20): its discovery document, the
authorization URL (code flow, PKCE S256, ``state`` and ``nonce``), the token request and the id
token's checks. Authlib builds and checks the protocol's messages (the grant URI, the PKCE
challenge, the id token's claims), joserfc verifies the signature against the provider's JWKS;
nothing here parses a JWT by hand. Times are the project's clock's, with the configured skew.

How this client proves itself to the provider is ``edge/signers.py``'s: the authorization
redirect carries ``authorization_parameters``, the token request ``token_parameters``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from edge.identity_providers import IdentityProvider
from resolvers.clock import now_utc

TIMEOUT_SECONDS = 10.0
# The id token's signature algorithms accepted: asymmetric only (the JWKS holds public keys).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class ProviderUnavailable(Exception):
    """The provider could not be reached, or answered what the protocol does not allow."""


class ProviderRefused(Exception):
    """The provider refused the request (an OAuth error answer: a bad or used code...)."""


class IdTokenRejected(Exception):
    """The id token failed a check; the message says which, for the log only."""


@dataclass(frozen=True)
class Claims:
    """What a verified id token says about the person."""

    subject: str
    name: str
    email: str | None  # only when the provider says it is verified


async def _get_json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        answer = await client.get(url)
        answer.raise_for_status()
        data = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"{url}: {exc}") from None
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return data


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False)


async def discover(provider: IdentityProvider) -> dict[str, Any]:
    """The provider's discovery document, checked to be its own (``issuer``)."""
    async with _client() as client:
        document = await _get_json(client, provider.issuer + "/.well-known/openid-configuration")
    if str(document.get("issuer", "")).rstrip("/") != provider.issuer:
        raise ProviderUnavailable("the discovery document names another issuer")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str):
            raise ProviderUnavailable(f"the discovery document has no {key}")
    return document


async def authorization_url(
    provider: IdentityProvider, *, redirect_uri: str, state: str, nonce: str, code_verifier: str
) -> str:
    """Where the browser (or the mobile app) sends the person to log in."""
    document = await discover(provider)
    extra = provider.authentication().authorization_parameters(
        client_id=provider.client_id, scope=provider.scopes, state=state, now=now_utc()
    )
    uri: str = prepare_grant_uri(
        document["authorization_endpoint"],
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
    provider: IdentityProvider, *, code: str, redirect_uri: str, state: str, nonce: str, code_verifier: str, skew: int
) -> Claims:
    """The id token the code is exchanged for, verified: signed by a key of the provider's JWKS,
    issued by it to this client for this ``nonce``, and current by the project's clock."""
    document = await discover(provider)
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": provider.client_id,
        "code_verifier": code_verifier,
        **provider.authentication().token_parameters(
            client_id=provider.client_id, scope=provider.scopes, state=state, now=now_utc()
        ),
    }
    async with _client() as client:
        try:
            answer = await client.post(document["token_endpoint"], data=body, headers={"Accept": "application/json"})
            tokens = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ProviderUnavailable(f"token endpoint: {exc}") from None
        if not isinstance(tokens, dict) or "error" in tokens or answer.status_code != 200:
            error = tokens.get("error") if isinstance(tokens, dict) else None
            raise ProviderRefused(f"token endpoint answered {answer.status_code} {error}")
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderRefused("no id_token in the token answer")
        keys = await _get_json(client, document["jwks_uri"])
    access_token = tokens.get("access_token")
    access = access_token if isinstance(access_token, str) else None
    return verify_id_token(provider, id_token, keys, nonce=nonce, skew=skew, access_token=access)


def verify_id_token(
    provider: IdentityProvider,
    id_token: str,
    jwks: dict[str, Any],
    *,
    nonce: str,
    skew: int,
    access_token: str | None = None,
) -> Claims:
    """The claims of ``id_token`` once its signature (a key of ``jwks``), issuer, audience,
    authorized party, nonce, times (the project's clock, ``skew`` seconds either way) and, when it
    carries one, its ``at_hash`` of ``access_token`` are checked; else ``IdTokenRejected``."""
    try:
        key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        token = jwt.decode(id_token, key_set, algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise IdTokenRejected(f"signature: {exc}") from None
    claims = CodeIDToken(
        token.claims,
        token.header,
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
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise IdTokenRejected("claims: no usable sub")
    name = claims.get("name") or " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
    email = claims.get("email") if claims.get("email_verified") is True else None
    return Claims(subject, str(name or ""), email if isinstance(email, str) else None)
