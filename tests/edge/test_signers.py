"""Client authentication towards an identity provider (``edge/signers.py``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.signers import ClientAuthenticationError, client_authentication

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


def test_the_secret_goes_only_to_the_token_request_never_through_the_browser() -> None:
    auth = client_authentication("secret", {"client_secret": "s3cret-issued-by-the-provider"})
    assert auth.authorization_parameters(client_id="ediary", scope="openid", state="st", now=NOW) == {}
    token = auth.token_parameters(client_id="ediary", scope="openid", state="st", now=NOW)
    assert token == {"client_secret": "s3cret-issued-by-the-provider"}


def test_a_method_without_what_it_needs_or_unknown_is_refused_by_name() -> None:
    with pytest.raises(ClientAuthenticationError, match="client_secret"):
        client_authentication("secret", {})
    with pytest.raises(ClientAuthenticationError, match=r"'basic'.*secret"):
        client_authentication("basic", {"client_secret": "x"})
