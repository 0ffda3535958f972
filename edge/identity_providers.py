"""OpenID Connect identity providers from the environment (issue 20, README "Signing in with an
identity provider").

``OIDC_PROVIDERS=esia,google`` names them; each then has ``OIDC_<NAME>_ISSUER``, ``_CLIENT_ID``,
``_CLIENT_SECRET``, ``_SCOPES`` (default ``openid email profile``), ``_DISPLAY_NAME`` (what a login
screen shows: "Госуслуги"), ``_CLIENT_AUTH`` (``edge/signers.py``: ``secret`` unless set) and
``_REDIRECT_URIS`` (comma-separated: the web app's callback page, a mobile app's custom scheme;
no other redirect is accepted). Every other ``OIDC_<NAME>_<KEY>`` reaches the client
authentication as option ``<key>`` (e.g. ``OIDC_ESIA_KEY_FILE`` -> ``key_file``).

A provider without a discovery document (ESIA) is described instead by ``_AUTHORIZATION_ENDPOINT``
and ``_TOKEN_ENDPOINT`` (both), with ``_JWKS_URI`` or ``_SIGNING_CERTIFICATE`` (the path of the
X.509 certificate, PEM or DER, of the key that signs its id tokens: GOST R 34.10-2012, RSA or EC;
when set it is the only key id tokens are checked against). ``_USERINFO_ENDPOINT`` (OpenID Connect
userinfo) and ``_PERSON_ENDPOINT`` (ESIA's person resource, ``{sub}`` in it) name where the
person's name is read after the login. ``ISSUER`` is compared exactly with the id tokens' ``iss``,
a trailing slash included (ESIA's is ``http://esia.gosuslugi.ru/``). ``OIDC_METADATA_TTL_SECONDS``
(default 300) is how long a discovery document and a JWKS are reused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asn1crypto import pem, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import load_der_x509_certificate
from joserfc.jwk import ECKey, RSAKey

from edge import gost
from edge.signers import ClientAuthentication, ClientAuthenticationError, client_authentication

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ENDPOINTS = ("AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "JWKS_URI", "USERINFO_ENDPOINT", "PERSON_ENDPOINT")
_KNOWN = (
    "ISSUER",
    "CLIENT_ID",
    "SCOPES",
    "DISPLAY_NAME",
    "CLIENT_AUTH",
    "REDIRECT_URIS",
    "SIGNING_CERTIFICATE",
    *_ENDPOINTS,
)
DEFAULT_SCOPES = "openid email profile"
DEFAULT_METADATA_TTL_SECONDS = 300


class ProviderConfigurationError(RuntimeError):
    """An ``OIDC_...`` variable does not describe a usable provider (the message says which)."""


@dataclass(frozen=True)
class SigningCertificate:
    """The provider's id-token signing key, read from the certificate it distributes: a GOST key
    (``edge/gost.py``) or an RSA/EC one as a public JWK (joserfc imports it)."""

    path: str
    gost: Any = None  # edge.gost.GostPublicKey, for alg GOST3410_2012_256
    jwk: Mapping[str, Any] | None = None  # for the JOSE algorithms (RS256, ES256...)


@dataclass(frozen=True)
class IdentityProvider:
    """One configured provider: who it is, how this server is registered with it.

    ``authentication`` (how this server proves itself to the provider, ``edge/signers.py``) is
    built once, when the provider is made from its settings (a key file is read then, and a bad one
    stops the start), and reused by every login; ``ClientAuthenticationError`` if it cannot be."""

    name: str
    issuer: str
    client_id: str
    display_name: str
    scopes: str
    redirect_uris: tuple[str, ...]
    client_auth: str
    options: Mapping[str, str] = field(default_factory=dict)
    # Without discovery (ESIA): both endpoints, and the keys from jwks_uri or signing_certificate.
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    jwks_uri: str | None = None
    signing_certificate: SigningCertificate | None = None
    userinfo_endpoint: str | None = None
    person_endpoint: str | None = None  # ESIA's person resource, "{sub}" replaced by the subject
    metadata_ttl_seconds: int = DEFAULT_METADATA_TTL_SECONDS
    authentication: ClientAuthentication = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "authentication", client_authentication(self.client_auth, self.options))


def providers_from_env(env: Mapping[str, str]) -> tuple[IdentityProvider, ...]:
    """The providers ``OIDC_PROVIDERS`` names, each checked (issuer, client id, redirect URIs and
    its client authentication), in the order named."""
    names = [n.strip().lower() for n in env.get("OIDC_PROVIDERS", "").split(",") if n.strip()]
    ttl_text = env.get("OIDC_METADATA_TTL_SECONDS", "").strip() or str(DEFAULT_METADATA_TTL_SECONDS)
    if not ttl_text.isdigit():
        raise ProviderConfigurationError("OIDC_METADATA_TTL_SECONDS must be a whole number of seconds")
    found: list[IdentityProvider] = []
    for name in names:
        if not _NAME.fullmatch(name) or name in (p.name for p in found):
            raise ProviderConfigurationError(f"OIDC_PROVIDERS: {name!r} is not a usable (or is a repeated) name")
        found.append(_provider(env, name, int(ttl_text)))
    return tuple(found)


def _is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def signing_certificate(path: str, setting: str) -> SigningCertificate:
    """The id-token signing key of the certificate file at ``path`` (PEM or DER), checked now."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ProviderConfigurationError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    try:
        der = pem.unarmor(data)[2] if pem.detect(data) else data
        certificate = x509.Certificate.load(der)
        certificate["tbs_certificate"]["serial_number"].native  # noqa: B018 (parse it now)
        if gost.is_gost_certificate(certificate):
            return SigningCertificate(path, gost=gost.certificate_public_key(certificate, setting))
        public = load_der_x509_certificate(der).public_key()
        if isinstance(public, rsa.RSAPublicKey):
            key: RSAKey | ECKey = RSAKey.import_key(public)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            key = ECKey.import_key(public)
        else:
            raise TypeError(type(public).__name__)
    except ClientAuthenticationError as exc:
        raise ProviderConfigurationError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any parser's refusal is the same setting error
        raise ProviderConfigurationError(
            f"{setting}: not an X.509 certificate of a GOST R 34.10-2012, RSA or EC key ({type(exc).__name__})"
        ) from None
    return SigningCertificate(path, jwk=key.as_dict(private=False))


def _provider(env: Mapping[str, str], name: str, metadata_ttl_seconds: int) -> IdentityProvider:
    prefix = f"OIDC_{name.upper()}_"

    def value(key: str, default: str = "") -> str:
        return env.get(prefix + key, "").strip() or default

    issuer = value("ISSUER")  # as configured: the id token's iss must be exactly this
    if not _is_url(issuer):
        raise ProviderConfigurationError(f"{prefix}ISSUER must be the provider's issuer URL")
    endpoints = {key: value(key) or None for key in _ENDPOINTS}
    for key, url in endpoints.items():
        if url is not None and not _is_url(url.replace("{sub}", "sub")):
            raise ProviderConfigurationError(f"{prefix}{key} must be an http(s) URL")
    person = endpoints["PERSON_ENDPOINT"]
    if person is not None and "{sub}" not in person:
        raise ProviderConfigurationError(f"{prefix}PERSON_ENDPOINT must contain {{sub}} (the person's id)")
    certificate_path = value("SIGNING_CERTIFICATE")
    certificate = signing_certificate(certificate_path, f"{prefix}SIGNING_CERTIFICATE") if certificate_path else None
    configured = [k for k in ("AUTHORIZATION_ENDPOINT", "TOKEN_ENDPOINT", "JWKS_URI") if endpoints[k]]
    if configured and not (endpoints["AUTHORIZATION_ENDPOINT"] and endpoints["TOKEN_ENDPOINT"]):
        raise ProviderConfigurationError(
            f"{prefix}{configured[0]} is set: set both {prefix}AUTHORIZATION_ENDPOINT and {prefix}TOKEN_ENDPOINT"
            " (instead of discovery), or none"
        )
    if configured and not (endpoints["JWKS_URI"] or certificate):
        raise ProviderConfigurationError(
            f"{prefix}AUTHORIZATION_ENDPOINT is set: set {prefix}JWKS_URI or {prefix}SIGNING_CERTIFICATE"
            " (where the id tokens' signing key is)"
        )
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
    try:
        return IdentityProvider(
            name=name,
            issuer=issuer,
            client_id=client_id,
            display_name=value("DISPLAY_NAME", name),
            scopes=scopes,
            redirect_uris=redirects,
            client_auth=value("CLIENT_AUTH", "secret").lower(),
            options=options,
            authorization_endpoint=endpoints["AUTHORIZATION_ENDPOINT"],
            token_endpoint=endpoints["TOKEN_ENDPOINT"],
            jwks_uri=endpoints["JWKS_URI"],
            signing_certificate=certificate,
            userinfo_endpoint=endpoints["USERINFO_ENDPOINT"],
            person_endpoint=person,
            metadata_ttl_seconds=metadata_ttl_seconds,
        )
    except ClientAuthenticationError as exc:
        raise ProviderConfigurationError(f"{prefix}CLIENT_AUTH: {exc}") from exc
