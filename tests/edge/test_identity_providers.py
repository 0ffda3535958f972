"""Identity providers from the environment (``OIDC_*``, edge/identity_providers.py): several at
once, each checked when the server starts, the client authentication chosen by name."""

from __future__ import annotations

import pytest

from edge.settings import ConfigurationError, Settings
from edge.signers import SecretAuthentication

BASE = {"SECRET_KEY": "k" * 8 + "0123456789abcdefghijklmnopqrstuvwxyz"}
ESIA = {
    "OIDC_ESIA_ISSUER": "https://esia.gosuslugi.ru/",
    "OIDC_ESIA_CLIENT_ID": "SCHOOL01",
    "OIDC_ESIA_CLIENT_SECRET": "issued-secret",
    "OIDC_ESIA_DISPLAY_NAME": "Госуслуги",
    "OIDC_ESIA_REDIRECT_URIS": "https://diary.example.org/login/callback, org.ediary.app:/oauth2redirect",
}
GOOGLE = {
    "OIDC_GOOGLE_ISSUER": "https://accounts.google.com",
    "OIDC_GOOGLE_CLIENT_ID": "id.apps.googleusercontent.com",
    "OIDC_GOOGLE_CLIENT_SECRET": "g-secret",
    "OIDC_GOOGLE_SCOPES": "openid,email",
    "OIDC_GOOGLE_REDIRECT_URIS": "https://diary.example.org/login/callback",
}


def test_none_by_default() -> None:
    assert Settings.from_env(BASE).oidc_providers == ()


def test_several_providers_in_their_order() -> None:
    settings = Settings.from_env({**BASE, **ESIA, **GOOGLE, "OIDC_PROVIDERS": "esia, Google"})
    esia, google = settings.oidc_providers
    assert (esia.name, esia.issuer, esia.client_id, esia.display_name) == (
        "esia",
        "https://esia.gosuslugi.ru",
        "SCHOOL01",
        "Госуслуги",
    )
    assert esia.redirect_uris == ("https://diary.example.org/login/callback", "org.ediary.app:/oauth2redirect")
    assert esia.scopes == "openid email profile"
    assert (google.display_name, google.scopes) == ("google", "openid email")
    assert google.authentication() == SecretAuthentication("g-secret")
    assert settings.oidc_clock_skew_seconds == 60


def test_the_skew_and_login_time_are_settings() -> None:
    settings = Settings.from_env({**BASE, "OIDC_CLOCK_SKEW_SECONDS": "30", "OIDC_LOGIN_TTL_SECONDS": "300"})
    assert (settings.oidc_clock_skew_seconds, settings.oidc_login_ttl_seconds) == (30, 300)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"OIDC_ESIA_ISSUER": "esia.gosuslugi.ru"}, "OIDC_ESIA_ISSUER"),
        ({"OIDC_ESIA_CLIENT_ID": ""}, "OIDC_ESIA_CLIENT_ID"),
        ({"OIDC_ESIA_REDIRECT_URIS": ""}, "OIDC_ESIA_REDIRECT_URIS"),
        ({"OIDC_ESIA_SCOPES": "email"}, "openid"),
        ({"OIDC_ESIA_CLIENT_SECRET": ""}, "client_secret"),
        ({"OIDC_ESIA_CLIENT_AUTH": "telepathy"}, "unknown client authentication"),
        ({"OIDC_PROVIDERS": "esia,esia"}, "repeated"),
        ({"OIDC_PROVIDERS": "esia,gov uk"}, "OIDC_PROVIDERS"),
    ],
)
def test_a_provider_that_cannot_work_stops_the_start(change: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({**BASE, **ESIA, "OIDC_PROVIDERS": "esia", **change})
