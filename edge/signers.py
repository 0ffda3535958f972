"""How this server proves to an identity provider that it is the client the provider registered
(OpenID Connect client authentication, issue 20).

Most providers take the client secret they issued (``SecretAuthentication``). Some, ESIA
(Gosuslugi) among them, take no secret: every authorization and token request carries a signature
made with the organisation's key. A provider's method is chosen by its settings
(``OIDC_<NAME>_CLIENT_AUTH``, default ``secret``); ``METHODS`` maps each name to the class that
builds it from the provider's options, so a new method is one class and one entry.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ClientAuthenticationError(RuntimeError):
    """A provider's client authentication cannot be built from its settings (say which)."""


class ClientAuthentication(Protocol):
    """Form parameters that authenticate this client, added to the two requests of the code flow."""

    def new_state(self) -> str:
        """A fresh, unguessable ``state`` for an authorization request, in the provider's format."""
        ...

    def authorization_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        """Added to the authorization request (the browser's redirect to the provider)."""
        ...

    def token_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        """Added to the token request (the server's own call that exchanges the code)."""
        ...


@dataclass(frozen=True)
class SecretAuthentication:
    """The standard way (``client_secret_post``): the secret the provider issued, sent only in the
    server's token request, never through the browser."""

    secret: str

    def new_state(self) -> str:
        return secrets.token_urlsafe(32)

    def authorization_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        return {}

    def token_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        return {"client_secret": self.secret}

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> SecretAuthentication:
        secret = options.get("client_secret", "")
        if not secret:
            raise ClientAuthenticationError("client_secret is required for the secret client authentication")
        return cls(secret=secret)


def _gost(options: Mapping[str, str]) -> ClientAuthentication:
    """ESIA's GOST signature (``edge/gost.py``)."""
    # Imported here, not at the top: edge/gost.py imports this module's ClientAuthenticationError,
    # so a module-level import would be a cycle (whichever of the two is imported first breaks).
    from edge.gost import GostAuthentication

    return GostAuthentication.from_options(options)


METHODS: dict[str, Callable[[Mapping[str, str]], ClientAuthentication]] = {
    "secret": SecretAuthentication.from_options,
    "gost": _gost,
}


def client_authentication(method: str, options: Mapping[str, str]) -> ClientAuthentication:
    """The client authentication ``method`` ("secret", ...) built from a provider's ``options``
    (lower-case keys of its ``OIDC_<NAME>_...`` settings: ``client_secret``, ``key_file``...)."""
    build = METHODS.get(method)
    if build is None:
        known = ", ".join(sorted(METHODS))
        raise ClientAuthenticationError(f"unknown client authentication {method!r}; known: {known}")
    return build(options)
