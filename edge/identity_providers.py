"""OpenID Connect identity providers from the environment (issue 20, README "Signing in with an
identity provider").

``OIDC_PROVIDERS=esia,google`` names them; each then has ``OIDC_<NAME>_ISSUER``, ``_CLIENT_ID``,
``_CLIENT_SECRET``, ``_SCOPES`` (default ``openid email profile``), ``_DISPLAY_NAME`` (what a login
screen shows: "Госуслуги"), ``_CLIENT_AUTH`` (``edge/signers.py``: ``secret`` unless set) and
``_REDIRECT_URIS`` (comma-separated: the web app's callback page, a mobile app's custom scheme;
no other redirect is accepted). Every other ``OIDC_<NAME>_<KEY>`` reaches the client
authentication as option ``<key>`` (e.g. ``OIDC_ESIA_KEY_FILE`` -> ``key_file``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from edge.signers import ClientAuthentication, ClientAuthenticationError, client_authentication

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_KNOWN = ("ISSUER", "CLIENT_ID", "SCOPES", "DISPLAY_NAME", "CLIENT_AUTH", "REDIRECT_URIS")
DEFAULT_SCOPES = "openid email profile"


class ProviderConfigurationError(RuntimeError):
    """An ``OIDC_...`` variable does not describe a usable provider (the message says which)."""


@dataclass(frozen=True)
class IdentityProvider:
    """One configured provider: who it is, how this server is registered with it."""

    name: str
    issuer: str
    client_id: str
    display_name: str
    scopes: str
    redirect_uris: tuple[str, ...]
    client_auth: str
    options: Mapping[str, str] = field(default_factory=dict)

    def authentication(self) -> ClientAuthentication:
        return client_authentication(self.client_auth, self.options)


def providers_from_env(env: Mapping[str, str]) -> tuple[IdentityProvider, ...]:
    """The providers ``OIDC_PROVIDERS`` names, each checked (issuer, client id, redirect URIs and
    its client authentication), in the order named."""
    names = [n.strip().lower() for n in env.get("OIDC_PROVIDERS", "").split(",") if n.strip()]
    found: list[IdentityProvider] = []
    for name in names:
        if not _NAME.fullmatch(name) or name in (p.name for p in found):
            raise ProviderConfigurationError(f"OIDC_PROVIDERS: {name!r} is not a usable (or is a repeated) name")
        found.append(_provider(env, name))
    return tuple(found)


def _provider(env: Mapping[str, str], name: str) -> IdentityProvider:
    prefix = f"OIDC_{name.upper()}_"

    def value(key: str, default: str = "") -> str:
        return env.get(prefix + key, "").strip() or default

    issuer = value("ISSUER").rstrip("/")
    if urlsplit(issuer).scheme not in ("https", "http") or not urlsplit(issuer).netloc:
        raise ProviderConfigurationError(f"{prefix}ISSUER must be the provider's issuer URL")
    client_id = value("CLIENT_ID")
    if not client_id:
        raise ProviderConfigurationError(f"{prefix}CLIENT_ID is required")
    redirects = tuple(u.strip() for u in value("REDIRECT_URIS").split(",") if u.strip())
    if not redirects or any(":" not in u for u in redirects):
        raise ProviderConfigurationError(f"{prefix}REDIRECT_URIS must list the allowed redirect URIs")
    scopes = " ".join(value("SCOPES", DEFAULT_SCOPES).replace(",", " ").split())
    if "openid" not in scopes.split():
        raise ProviderConfigurationError(f"{prefix}SCOPES must include openid")
    options = {
        key[len(prefix) :].lower(): raw
        for key, raw in env.items()
        if key.startswith(prefix) and key[len(prefix) :] not in _KNOWN
    }
    provider = IdentityProvider(
        name=name,
        issuer=issuer,
        client_id=client_id,
        display_name=value("DISPLAY_NAME", name),
        scopes=scopes,
        redirect_uris=redirects,
        client_auth=value("CLIENT_AUTH", "secret").lower(),
        options=options,
    )
    try:
        provider.authentication()
    except ClientAuthenticationError as exc:
        raise ProviderConfigurationError(f"{prefix}CLIENT_AUTH: {exc}") from exc
    return provider
