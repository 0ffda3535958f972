"""ESIA's GOST client authentication (``edge/gost.py``), checked by verifying its signatures in an
ESIA-like test provider (``tests/edge/esia_provider.py``) with keys and certificates made here."""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asn1crypto import cms, pem, x509  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from edge.gost import GostAuthentication, certificate_public_key, esia_timestamp
from edge.signers import ClientAuthentication, ClientAuthenticationError, client_authentication
from tests.edge.esia_provider import (
    CRYPTOPRO_A,
    EsiaLikeProvider,
    KeyPair,
    Refused,
    gost_jwt,
    make_key_pair,
    pkcs8,
    pkcs8_of,
    verify_client_secret,
)

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
CLIENT_ID = "EDIARY-DISTRICT"
SCOPE = "openid fullname email"
REDIRECT_URI = "https://ediary.example/oidc/esia/callback"

# Made once by OpenSSL's gost engine (not by this code), so that the test provider is checked against
# an independent implementation: `openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt
# paramset:A`, `openssl req -engine gost -new -x509`, then `openssl cms -sign -engine gost -binary
# -outform DER -md md_gost12_256` of OPENSSL_CONTENT. The key was thrown away.
OPENSSL_CERTIFICATE = b"""-----BEGIN CERTIFICATE-----
MIIBvzCCAWqgAwIBAgIUEo39dMCio7CkeXcVG82NuTHZyugwDAYIKoUDBwEBAwIF
ADAwMRQwEgYDVQQDDAtlZGlhcnkgdGVzdDEYMBYGA1UECgwPU2Nob29sIGRpc3Ry
aWN0MB4XDTI2MTIwNjE0MTE0NloXDTI3MDEwNTE0MTE0NlowMDEUMBIGA1UEAwwL
ZWRpYXJ5IHRlc3QxGDAWBgNVBAoMD1NjaG9vbCBkaXN0cmljdDBmMB8GCCqFAwcB
AQEBMBMGByqFAwICIwEGCCqFAwcBAQICA0MABEDJz000shXdKRgq/MyFK5VTUeKw
Ubrx95+7Crhx7fzdyUROO1nBpO6AsoJORgAlAVBZ7RKVTg3JWX0jSmLXbb2Ko1Mw
UTAdBgNVHQ4EFgQUIKwarWriq87rKhTZwvItn9CR1YMwHwYDVR0jBBgwFoAUIKwa
rWriq87rKhTZwvItn9CR1YMwDwYDVR0TAQH/BAUwAwEB/zAMBggqhQMHAQEDAgUA
A0EAYtZ8MHumoxLiqPTamAKfqdEQ+yuPcx5L7ULg519MNwCl9kHEQZQjcRqGewy0
6vHDycD2NKgm20ztc6UdB25KPw==
-----END CERTIFICATE-----
"""
OPENSSL_SIGNATURE = (
    "MIIDxAYJKoZIhvcNAQcCoIIDtTCCA7ECAQExDjAMBggqhQMHAQECAgUAMAsGCSqGSIb3DQEHAaCCAcMwggG/MIIBaqADAgECAhQS"
    "jf10wKKjsKR5dxUbzY25MdnK6DAMBggqhQMHAQEDAgUAMDAxFDASBgNVBAMMC2VkaWFyeSB0ZXN0MRgwFgYDVQQKDA9TY2hvb2wg"
    "ZGlzdHJpY3QwHhcNMjYxMjA2MTQxMTQ2WhcNMjcwMTA1MTQxMTQ2WjAwMRQwEgYDVQQDDAtlZGlhcnkgdGVzdDEYMBYGA1UECgwP"
    "U2Nob29sIGRpc3RyaWN0MGYwHwYIKoUDBwEBAQEwEwYHKoUDAgIjAQYIKoUDBwEBAgIDQwAEQMnPTTSyFd0pGCr8zIUrlVNR4rBR"
    "uvH3n7sKuHHt/N3JRE47WcGk7oCygk5GACUBUFntEpVODclZfSNKYtdtvYqjUzBRMB0GA1UdDgQWBBQgrBqtauKrzusqFNnC8i2f"
    "0JHVgzAfBgNVHSMEGDAWgBQgrBqtauKrzusqFNnC8i2f0JHVgzAPBgNVHRMBAf8EBTADAQH/MAwGCCqFAwcBAQMCBQADQQBi1nww"
    "e6ajEuKo9NqYAp+p0RD7K49zHkvtQuDnX0w3AKX2QcRBlCNxGoZ7DLTq8cPJwPY0qCbbTO1zpR0Hbko/MYIBxjCCAcICAQEwSDAw"
    "MRQwEgYDVQQDDAtlZGlhcnkgdGVzdDEYMBYGA1UECgwPU2Nob29sIGRpc3RyaWN0AhQSjf10wKKjsKR5dxUbzY25MdnK6DAMBggq"
    "hQMHAQECAgUAoIIBEzAYBgkqhkiG9w0BCQMxCwYJKoZIhvcNAQcBMBwGCSqGSIb3DQEJBTEPFw0yNjEyMDYxNDEzNDdaMC8GCSqG"
    "SIb3DQEJBDEiBCD7lIyFqcFjbA9fVhA+BP6LG8hsubNUkdvsJu/0Lmg9UTCBpwYJKoZIhvcNAQkPMYGZMIGWMAsGCWCGSAFlAwQB"
    "KjAKBggqhQMHAQECAjAKBggqhQMHAQECAzAIBgYqhQMCAgkwCAYGKoUDAgIVMAsGCWCGSAFlAwQBFjALBglghkgBZQMEAQIwCgYI"
    "KoZIhvcNAwcwDgYIKoZIhvcNAwICAgCAMA0GCCqGSIb3DQMCAgFAMAcGBSsOAwIHMA0GCCqGSIb3DQMCAgEoMAwGCCqFAwcBAQEB"
    "BQAEQI/W5tRRWxRPtGOtHZz5VsOCpbqqocK0IhktB89zPNjJULkdBJwNiBliaQ+Lmf2t8xYFsaO9RjwW42DVedtlaGA="
)
OPENSSL_CONTENT = b"openid fullname2026.09.01 08:00:00 +0000ediary0f8b6bb4-0a38-4d7e-a6a3-3a5e0e8d0b3c"


@pytest.fixture
def school(tmp_path: Path) -> KeyPair:
    """The district's key and the certificate registered for ediary in ESIA."""
    return make_key_pair(tmp_path, "school", NOW)


@pytest.fixture
def provider(school: KeyPair) -> EsiaLikeProvider:
    return EsiaLikeProvider(client_id=CLIENT_ID, registered=school.certificate, now=NOW)


def authorization_request(auth: ClientAuthentication, state: str, now: datetime = NOW) -> dict[str, str]:
    """The query of the browser's redirect to ESIA's /aas/oauth2/ac."""
    params = {
        "client_id": CLIENT_ID,
        "scope": SCOPE,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "access_type": "online",
    }
    return params | auth.authorization_parameters(client_id=CLIENT_ID, scope=SCOPE, state=state, now=now)


def refusal(provider: EsiaLikeProvider, params: dict[str, str]) -> str:
    with pytest.raises(Refused) as refused:
        provider.check(params)
    return str(refused.value)


async def test_esia_accepts_the_signed_authorization_and_token_requests_and_refuses_a_replayed_code(
    school: KeyPair, provider: EsiaLikeProvider
) -> None:
    auth = client_authentication("gost", school.options)
    state = str(uuid.uuid4())
    transport = httpx.ASGITransport(app=provider.app())
    async with httpx.AsyncClient(transport=transport, base_url="https://esia.test") as esia:
        redirect = await esia.get("/aas/oauth2/ac", params=authorization_request(auth, state))
        assert redirect.status_code == 302, redirect.text
        back = parse_qs(urlsplit(redirect.headers["location"]).query)
        assert back["state"] == [state]
        form = {"client_id": CLIENT_ID, "code": back["code"][0], "grant_type": "authorization_code"}
        # as resolvers/oidc.py sends it: its own fields, then the method's (ESIA's scope among them)
        form |= {"redirect_uri": REDIRECT_URI, "state": state}
        form |= auth.token_parameters(client_id=CLIENT_ID, scope=SCOPE, state=state, now=NOW)
        token = await esia.post("/aas/oauth2/te", data=form)
        assert token.status_code == 200, token.text
        assert token.json()["access_token"]
        assert token.json()["state"] == form["state"] != state
        again = await esia.post("/aas/oauth2/te", data=form)
        assert again.status_code == 400
        assert again.json()["error_description"] == "unknown code"
    assert provider.refusals == ["unknown code"]


async def test_a_token_request_signed_with_the_authorization_state_is_refused(
    school: KeyPair, provider: EsiaLikeProvider
) -> None:
    """ESIA wants a state of its own in the token request: resending the first one is refused."""
    auth = client_authentication("gost", school.options)
    state = str(uuid.uuid4())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=provider.app()), base_url="https://esia.test"
    ) as esia:
        redirect = await esia.get("/aas/oauth2/ac", params=authorization_request(auth, state))
        code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
        form = {"client_id": CLIENT_ID, "code": code, "grant_type": "authorization_code", "token_type": "Bearer"}
        form |= {"redirect_uri": REDIRECT_URI, "scope": SCOPE, "state": state}
        form |= auth.authorization_parameters(client_id=CLIENT_ID, scope=SCOPE, state=state, now=NOW)
        token = await esia.post("/aas/oauth2/te", data=form)
    assert token.status_code == 400
    assert provider.refusals == ["the token request reuses the authorization request's state"]


def test_each_request_carries_a_fresh_signature_and_the_token_request_a_fresh_state(school: KeyPair) -> None:
    auth = client_authentication("gost", school.options)
    first = auth.token_parameters(client_id=CLIENT_ID, scope=SCOPE, state="ignored", now=NOW)
    second = auth.token_parameters(client_id=CLIENT_ID, scope=SCOPE, state="ignored", now=NOW)
    assert first["state"] != second["state"]
    assert {str(uuid.UUID(first["state"])), str(uuid.UUID(second["state"]))} == {first["state"], second["state"]}
    assert first["client_secret"] != second["client_secret"]
    assert first["timestamp"] == second["timestamp"] == "2026.09.01 08:00:00 +0000"
    assert first["token_type"] == "Bearer"
    moscow = datetime(2026, 9, 1, 14, 30, 5, tzinfo=timezone(timedelta(hours=3)))
    assert esia_timestamp(moscow) == "2026.09.01 11:30:05 +0000"


def test_the_secret_is_a_detached_pkcs7_in_base64url_with_the_registered_certificate(school: KeyPair) -> None:
    auth = client_authentication("gost", school.options)
    secret = auth.authorization_parameters(client_id=CLIENT_ID, scope=SCOPE, state=str(uuid.uuid4()), now=NOW)
    text = secret["client_secret"]
    assert not set(text) & {"+", "/"}
    signed = cms.ContentInfo.load(base64.urlsafe_b64decode(text))["content"]
    assert signed["encap_content_info"]["content"].native is None
    assert [c.chosen.dump() for c in signed["certificates"]] == [school.certificate.dump()]
    assert signed["signer_infos"][0]["signature_algorithm"]["algorithm"].dotted == "1.2.643.7.1.1.1.1"


def test_a_signature_by_another_key_is_refused(school: KeyPair, provider: EsiaLikeProvider, tmp_path: Path) -> None:
    state = str(uuid.uuid4())
    intruder = make_key_pair(tmp_path, "intruder", NOW)
    own_certificate = client_authentication("gost", intruder.options)
    assert (
        refusal(provider, authorization_request(own_certificate, state)) == "the certificate is not the registered one"
    )
    # The registered certificate put beside another key: the signature itself must not verify.
    stolen = client_authentication("gost", intruder.options)
    assert isinstance(stolen, GostAuthentication)
    forged = GostAuthentication(replace(stolen.signer, certificate=school.certificate))
    assert refusal(provider, authorization_request(forged, state)) == "the signature does not verify"
    provider.check(authorization_request(client_authentication("gost", school.options), state))


def test_a_changed_state_scope_or_client_is_refused(school: KeyPair, provider: EsiaLikeProvider) -> None:
    signed = authorization_request(client_authentication("gost", school.options), str(uuid.uuid4()))
    provider.check(signed)
    assert refusal(provider, signed | {"state": str(uuid.uuid4())}) == "the signed content differs"
    assert refusal(provider, signed | {"scope": "openid fullname email snils"}) == "the signed content differs"
    other = EsiaLikeProvider(client_id="EDIARY-DISTRICT2", registered=school.certificate, now=NOW)
    assert refusal(other, signed | {"client_id": "EDIARY-DISTRICT2"}) == "the signed content differs"
    later = esia_timestamp(NOW + timedelta(seconds=1))
    assert refusal(provider, signed | {"timestamp": later}) == "the signed content differs"


def test_a_stale_or_future_timestamp_is_refused(school: KeyPair, provider: EsiaLikeProvider) -> None:
    auth = client_authentication("gost", school.options)
    state = str(uuid.uuid4())
    provider.check(authorization_request(auth, state, now=NOW - timedelta(minutes=4)))
    assert refusal(provider, authorization_request(auth, state, now=NOW - timedelta(minutes=6))) == "stale timestamp"
    assert refusal(provider, authorization_request(auth, state, now=NOW + timedelta(minutes=6))) == "stale timestamp"


def test_a_signature_made_by_openssl_verifies_in_the_test_provider() -> None:
    """The test provider agrees with OpenSSL's gost engine (OpenSSL verifies ours the same way:
    README "ESIA (Госуслуги)")."""
    registered = x509.Certificate.load(pem.unarmor(OPENSSL_CERTIFICATE)[2])
    secret = base64.urlsafe_b64encode(base64.b64decode(OPENSSL_SIGNATURE)).decode()
    verify_client_secret(secret, content=OPENSSL_CONTENT, registered=registered)
    with pytest.raises(Refused, match="the signed content differs"):
        verify_client_secret(secret, content=OPENSSL_CONTENT + b"0", registered=registered)
    raw = bytearray(base64.b64decode(OPENSSL_SIGNATURE))
    raw[-1] ^= 1
    with pytest.raises(Refused, match="the signature does not verify"):
        verify_client_secret(
            base64.urlsafe_b64encode(bytes(raw)).decode(), content=OPENSSL_CONTENT, registered=registered
        )


@pytest.mark.parametrize("encoding", ["raw", "octet", "integer"])
def test_the_key_is_read_as_the_tools_write_it_on_either_parameter_set(tmp_path: Path, encoding: str) -> None:
    """OpenSSL's gost engine writes the 32 key bytes bare, other tools wrap them; the files in DER here
    (PEM in the other tests)."""
    pair = make_key_pair(tmp_path, "cryptopro", NOW, curve_oid=CRYPTOPRO_A)
    pair.key_file.write_bytes(pkcs8(pair.private, pair.curve_oid, encoding))  # DER
    pair.certificate_file.write_bytes(pair.certificate.dump())  # DER
    provider = EsiaLikeProvider(client_id=CLIENT_ID, registered=pair.certificate, now=NOW)
    provider.check(authorization_request(client_authentication("gost", pair.options), str(uuid.uuid4())))


def test_missing_unreadable_or_wrong_files_are_refused_by_name(school: KeyPair, tmp_path: Path) -> None:
    def error(options: dict[str, str]) -> str:
        with pytest.raises(ClientAuthenticationError) as refused:
            client_authentication("gost", options)
        return str(refused.value)

    key, certificate = str(school.key_file), str(school.certificate_file)
    assert error({"certificate_file": certificate}).startswith("key_file (OIDC_<NAME>_KEY_FILE) is required")
    assert error({"key_file": key}).startswith("certificate_file (OIDC_<NAME>_CERTIFICATE_FILE) is required")
    missing = str(tmp_path / "nowhere.pem")
    assert f"cannot read {missing}" in error({"key_file": missing, "certificate_file": certificate})
    assert "cannot read" in error({"key_file": str(tmp_path), "certificate_file": certificate})
    if os.geteuid() != 0:  # root reads any file
        school.key_file.chmod(0)
        assert "cannot read" in error(school.options)
        school.key_file.chmod(0o600)
    (tmp_path / "garbage.pem").write_bytes(b"not a key")
    assert "not an unencrypted PKCS#8" in error(
        {"key_file": str(tmp_path / "garbage.pem"), "certificate_file": certificate}
    )
    broken = {
        "encrypted.pem": b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
        "armour.pem": b"-----BEGIN PRIVATE KEY-----\nnot base64!\n",
        "inner.der": pkcs8_of(b"\x04\x05ab"),
        "container.der": pkcs8_of(b"\x30" + bytes(40)),
    }
    messages = []
    for name, content in broken.items():
        (tmp_path / name).write_bytes(content)
        messages.append(error({"key_file": str(tmp_path / name), "certificate_file": certificate}))
    assert [m.split(": ", 1)[1].split(";")[0] for m in messages] == [
        "the key is encrypted",
        "not an unencrypted PKCS#8 private key",
        "unsupported GOST private key encoding (a CryptoPro container?)",
        "unsupported GOST private key encoding (a CryptoPro container?)",
    ]
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "ec.pem").write_bytes(ec_pem)
    assert "not a GOST R 34.10-2012 256-bit key" in error(
        {"key_file": str(tmp_path / "ec.pem"), "certificate_file": certificate}
    )
    assert "not an X.509 certificate" in error({"key_file": key, "certificate_file": key})
    other = make_key_pair(tmp_path, "other", NOW)
    assert error({"key_file": key, "certificate_file": str(other.certificate_file)}) == (
        "key_file and certificate_file are not a pair"
    )


# ESIA's id-token signature layout (edge/gost.py GostPublicKey.verify_jws), checked against OpenSSL's
# gost engine, which signs a JWT as ESIA does: `openssl genpkey -engine gost -algorithm gost2012_256
# -pkeyopt paramset:A`, `openssl req -engine gost -new -x509`, then `openssl dgst -engine gost
# -md_gost12_256 -sign key.pem` of the JWT's signing input (header.payload). The key was thrown away.
OPENSSL_JWT_CERTIFICATE = b"""-----BEGIN CERTIFICATE-----
MIIBpTCCAVCgAwIBAgIUU3CZmso82rmvTNw2XuMmVcAbCdswDAYIKoUDBwEBAwIF
ADAjMRIwEAYDVQQDDAllc2lhIHRlc3QxDTALBgNVBAoMBFRlc3QwHhcNMjYxMjA2
MTcxMjIyWhcNMzYxMjAzMTcxMjIyWjAjMRIwEAYDVQQDDAllc2lhIHRlc3QxDTAL
BgNVBAoMBFRlc3QwZjAfBggqhQMHAQEBATATBgcqhQMCAiMBBggqhQMHAQECAgND
AARAve2qXNmd7BamfpUGoHuacUFzN5f4BZNffW/vaMk08Ni7qzNGs1RaX9vEhFXG
FvWgp/F0mdHtSSMR68cRyPAUlqNTMFEwHQYDVR0OBBYEFJ4dXqVnqn5xIeObDCu1
IpiucqB7MB8GA1UdIwQYMBaAFJ4dXqVnqn5xIeObDCu1IpiucqB7MA8GA1UdEwEB
/wQFMAMBAf8wDAYIKoUDBwEBAwIFAANBAPUOnXjEcvoPYZqLBuFaFCiKyFHHDguS
OiAXRrVR+UIqCxXZXnBr7TYoav6ypGtTTol5dKVN174nrZuHELyVkhE=
-----END CERTIFICATE-----
"""
OPENSSL_JWT = (
    "eyJhbGciOiJHT1NUMzQxMF8yMDEyXzI1NiIsInR5cCI6IkpXVCIsInNidCI6ImlkIiwidmVyIjoxfQ."
    "eyJzdWIiOjEwMDAwMDAwMDEsImlzcyI6Imh0dHA6Ly9lc2lhLmdvc3VzbHVnaS5ydS8ifQ."
    "_ur33rSvHg3mwmdHN-ozqKhMcPqw3cJo0fi1-htsCya5NvlJOPzfrLW1biqbbDlXMeqpfGbVabzvfL5Fwm3iHQ"
)


def test_an_id_token_signed_by_openssl_as_esia_signs_verifies_and_a_changed_one_does_not() -> None:
    key = certificate_public_key(x509.Certificate.load(pem.unarmor(OPENSSL_JWT_CERTIFICATE)[2]), "test")
    header, payload, signature = OPENSSL_JWT.encode().split(b".")
    raw = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
    assert key.verify_jws(header + b"." + payload, raw)
    assert not key.verify_jws(header + b"." + payload.replace(b"MD", b"MT", 1), raw)  # another sub
    assert not key.verify_jws(header + b"." + payload, raw[32:] + raw[:32])  # r || s: not ESIA's layout
    assert not key.verify_jws(header + b"." + payload, raw[:-1])


def test_the_test_esia_signs_id_tokens_as_openssl_does(school: KeyPair) -> None:
    """The test provider's GOST id tokens (its own code) verify with edge/gost.py's check."""
    header, payload, signature = gost_jwt({"sub": 1}, school).encode().split(b".")
    raw = base64.urlsafe_b64decode(signature + b"=" * (-len(signature) % 4))
    key = certificate_public_key(school.certificate, "test")
    assert key.verify_jws(header + b"." + payload, raw)
