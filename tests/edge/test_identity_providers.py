"""Identity providers from the environment (``OIDC_*``, edge/identity_providers.py): several at
once, each checked when the server starts, the client authentication chosen by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.identity_providers import ProviderConfigurationError, providers_from_env
from edge.settings import ConfigurationError, Settings
from edge.signers import SecretAuthentication
from resolvers.core import now_utc
from tests.edge.esia_provider import make_key_pair, make_rsa_certificate

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
        "https://esia.gosuslugi.ru/",  # as configured: id tokens' iss is compared exactly
        "SCHOOL01",
        "Госуслуги",
    )
    assert esia.redirect_uris == ("https://diary.example.org/login/callback", "org.ediary.app:/oauth2redirect")
    assert esia.scopes == "openid email profile"
    assert (google.display_name, google.scopes) == ("google", "openid email")
    assert google.authentication == SecretAuthentication("g-secret")
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


def test_settings_without_discovery_are_checked_at_startup(tmp_path: Path) -> None:
    folder = tmp_path
    school = make_key_pair(folder, "school", now_utc())
    base = {
        "OIDC_PROVIDERS": "esia",
        "OIDC_ESIA_ISSUER": "http://esia.gosuslugi.ru/",
        "OIDC_ESIA_CLIENT_ID": "SCHOOL01",
        "OIDC_ESIA_REDIRECT_URIS": "https://diary.example.org/login/callback",
        "OIDC_ESIA_CLIENT_AUTH": "gost",
        "OIDC_ESIA_KEY_FILE": str(school.key_file),
        "OIDC_ESIA_CERTIFICATE_FILE": str(school.certificate_file),
    }
    ac, te = "https://esia.example/aas/oauth2/ac", "https://esia.example/aas/oauth2/te"
    garbage = folder / "garbage.cer"
    garbage.write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    refused = {
        "OIDC_ESIA_AUTHORIZATION_ENDPOINT is set: set both": {"AUTHORIZATION_ENDPOINT": ac},
        "OIDC_ESIA_JWKS_URI is set: set both": {"JWKS_URI": "https://esia.example/jwks"},
        "OIDC_ESIA_TOKEN_ENDPOINT is set": {"TOKEN_ENDPOINT": te, "JWKS_URI": "https://esia.example/jwks"},
        "JWKS_URI or": {"AUTHORIZATION_ENDPOINT": ac, "TOKEN_ENDPOINT": te},
        "SIGNING_CERTIFICATE: not an X.509": {"SIGNING_CERTIFICATE": str(garbage)},
        "SIGNING_CERTIFICATE: cannot read": {"SIGNING_CERTIFICATE": str(folder / "missing.cer")},
        "PERSON_ENDPOINT must contain": {"PERSON_ENDPOINT": "https://esia.example/rs/prns"},
        "must be an http(s) URL": {"USERINFO_ENDPOINT": "esia.example/userinfo"},
    }
    for message, more in refused.items():
        with pytest.raises(ProviderConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
            providers_from_env({**base, **{f"OIDC_ESIA_{k}": v for k, v in more.items()}})
    good = {"AUTHORIZATION_ENDPOINT": ac, "TOKEN_ENDPOINT": te, "SIGNING_CERTIFICATE": str(school.certificate_file)}
    [provider] = providers_from_env({**base, **{f"OIDC_ESIA_{k}": v for k, v in good.items()}})
    assert provider.issuer == "http://esia.gosuslugi.ru/"  # kept exactly, slash included
    assert provider.signing_certificate is not None
    assert provider.signing_certificate.gost is not None
    assert provider.metadata_ttl_seconds == 300
    _, rsa_certificate = make_rsa_certificate(folder, "rsa", now_utc())
    [rsa] = providers_from_env({**base, "OIDC_ESIA_SIGNING_CERTIFICATE": str(rsa_certificate)})
    assert rsa.signing_certificate is not None
    assert rsa.signing_certificate.jwk is not None
    assert rsa.signing_certificate.jwk["kty"] == "RSA"
    with pytest.raises(ProviderConfigurationError, match="OIDC_METADATA_TTL_SECONDS"):
        providers_from_env({**base, "OIDC_METADATA_TTL_SECONDS": "soon"})
