"""The ESIA (Gosuslugi) client authentication: a GOST signature instead of a client secret
(issue 20, item 1a; ``OIDC_<NAME>_CLIENT_AUTH=gost``).

ESIA's OAuth 2.0 flow (v1 endpoints ``/aas/oauth2/ac`` and ``/aas/oauth2/te``) takes no issued
secret. In both requests of the code flow the client sends

- ``timestamp``: the request's time, ``yyyy.MM.dd HH:mm:ss +0000``;
- ``client_secret``: the base64url of a detached PKCS#7 (CMS ``SignedData``) signature of
  ``scope + timestamp + client_id + state`` (the strings joined as they are sent, UTF-8), made with
  GOST R 34.10-2012 (256-bit key) over a GOST R 34.11-2012 (Streebog-256) digest with the key of the
  organisation's certificate registered for the information system; the certificate rides in it.

The token request also carries a ``state`` of its own: ESIA wants a new UUID there, not the one of
the authorization request, so ``token_parameters`` makes one, signs it and returns it (the caller
sends the parameters as returned, after its own), with ``token_type=Bearer``, which ESIA requires.

The key file is an unencrypted PKCS#8 GOST key (PEM ``PRIVATE KEY`` or DER), as OpenSSL's gost
engine writes it (``openssl genpkey -engine gost -algorithm gost2012_256``; a CryptoPro container is
converted to it first, README "ESIA (Госуслуги)"); the certificate file an X.509 certificate (PEM or
DER) whose public key is the key's. Both are read once, when the provider is configured.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gostcrypto  # type: ignore[import-untyped]
from asn1crypto import algos, cms, core, pem, x509  # type: ignore[import-untyped]

from edge.signers import ClientAuthenticationError

TIMESTAMP_FORMAT = "%Y.%m.%d %H:%M:%S %z"  # ESIA's "yyyy.MM.dd HH:mm:ss Z": 2026.09.01 08:00:00 +0000

GOST3410_2012_256 = "1.2.643.7.1.1.1.1"  # id-tc26-gost3410-12-256: the key, and the CMS signature
STREEBOG_256 = "1.2.643.7.1.1.2.2"  # id-tc26-gost3411-12-256

# Parameter sets of a 256-bit key (RFC 4357, RFC 7836) → gostcrypto's curve (R 1323565.1.024-2019).
CURVES = {
    "1.2.643.7.1.2.1.1.1": "id-tc26-gost-3410-2012-256-paramSetA",
    "1.2.643.7.1.2.1.1.2": "id-tc26-gost-3410-2012-256-paramSetB",
    "1.2.643.7.1.2.1.1.3": "id-tc26-gost-3410-2012-256-paramSetC",
    "1.2.643.7.1.2.1.1.4": "id-tc26-gost-3410-2012-256-paramSetD",
    "1.2.643.2.2.35.1": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-A
    "1.2.643.2.2.35.2": "id-tc26-gost-3410-2012-256-paramSetC",  # CryptoPro-B
    "1.2.643.2.2.35.3": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-C
    "1.2.643.2.2.36.0": "id-tc26-gost-3410-2012-256-paramSetB",  # CryptoPro-XchA
    "1.2.643.2.2.36.1": "id-tc26-gost-3410-2012-256-paramSetD",  # CryptoPro-XchB
}
SIZE = 32


class _Algorithm(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _GostPrivateKeyInfo(core.Sequence):  # type: ignore[misc]
    """PKCS#8 ``PrivateKeyInfo`` read plainly (asn1crypto's own knows no GOST key)."""

    _fields = [
        ("version", core.Integer),
        ("algorithm", _Algorithm),
        ("private_key", core.OctetString),
        ("attributes", core.Any, {"implicit": 0, "optional": True}),
    ]


class _GostPublicKeyInfo(core.Sequence):  # type: ignore[misc]
    _fields = [("algorithm", _Algorithm), ("public_key", core.OctetBitString)]


def _gost3410(curve: str) -> Any:
    """gostcrypto's GOST R 34.10-2012 (256-bit) on ``curve``."""
    parameters = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[curve]
    return gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, parameters)


def streebog256(data: bytes) -> bytes:
    """The GOST R 34.11-2012 256-bit digest of ``data``, in the byte order CMS carries it."""
    return bytes(gostcrypto.gosthash.new("streebog256", data=data).digest())


def esia_timestamp(now: datetime) -> str:
    """``now`` as ESIA's ``timestamp`` parameter, in UTC."""
    return now.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def signed_content(*, scope: str, timestamp: str, client_id: str, state: str) -> bytes:
    """What ESIA's v1 ``client_secret`` signs: the four parameters joined in this order."""
    return (scope + timestamp + client_id + state).encode()


def _curve_name(parameters: core.Asn1Value, what: str) -> str:
    """The curve of an id-tc26-gost3410-12-256 key from its parameters (SEQUENCE of OIDs)."""
    try:
        oid = core.Sequence.load(parameters.dump())[0].dotted
    except (ValueError, TypeError, IndexError, AttributeError) as error:
        raise ClientAuthenticationError(f"{what}: the GOST key parameters cannot be read") from error
    if oid not in CURVES:
        raise ClientAuthenticationError(f"{what}: unsupported GOST R 34.10-2012 parameter set {oid}")
    return CURVES[oid]


def _der(data: bytes) -> bytes:
    return pem.unarmor(data)[2] if pem.detect(data) else data


def _read(path_text: str, setting: str) -> bytes:
    if not path_text:
        raise ClientAuthenticationError(f"{setting} is required for the gost client authentication")
    try:
        return Path(path_text).read_bytes()
    except OSError as error:
        raise ClientAuthenticationError(f"{setting}: cannot read {path_text}: {error.strerror}") from error


def _load_key(data: bytes, setting: str) -> tuple[int, str]:
    """(the private key as an integer, its curve) from an unencrypted PKCS#8 GOST key."""
    try:
        label, _, der = pem.unarmor(data) if pem.detect(data) else ("", {}, data)
        if label == "ENCRYPTED PRIVATE KEY":
            raise ClientAuthenticationError(f'{setting}: the key is encrypted; decrypt it (README, "ESIA (Госуслуги)")')
        info = _GostPrivateKeyInfo.load(der)
        algorithm = info["algorithm"]
        oid = algorithm["algorithm"].dotted
        raw = bytes(info["private_key"].native)
    except (ValueError, TypeError, KeyError) as error:
        raise ClientAuthenticationError(f"{setting}: not an unencrypted PKCS#8 private key") from error
    if oid != GOST3410_2012_256:
        raise ClientAuthenticationError(f"{setting}: not a GOST R 34.10-2012 256-bit key (algorithm {oid})")
    curve = _curve_name(algorithm["parameters"], setting)
    # The gost engine writes the 32 bytes little-endian, bare or inside an OCTET STRING; some
    # tools write an INTEGER.
    try:
        if len(raw) == SIZE:
            value = int.from_bytes(raw, "little")
        elif raw[:1] == b"\x04":
            value = int.from_bytes(core.OctetString.load(raw).native, "little")
        elif raw[:1] == b"\x02":
            value = int(core.Integer.load(raw).native)
        else:
            raise ValueError(raw[:1])
    except (ValueError, TypeError) as error:
        raise ClientAuthenticationError(
            f"{setting}: unsupported GOST private key encoding (a CryptoPro container?)"
        ) from error
    return value, curve


def _public_point(certificate: x509.Certificate, setting: str) -> tuple[bytes, str]:
    """(x || y big-endian, the curve) of a certificate's GOST public key."""
    try:
        info = _GostPublicKeyInfo.load(certificate["tbs_certificate"]["subject_public_key_info"].dump())
    except ValueError as error:
        raise ClientAuthenticationError(f"{setting}: the certificate's public key cannot be read") from error
    oid = info["algorithm"]["algorithm"].dotted
    if oid != GOST3410_2012_256:
        raise ClientAuthenticationError(f"{setting}: not a GOST R 34.10-2012 256-bit certificate (algorithm {oid})")
    curve = _curve_name(info["algorithm"]["parameters"], setting)
    try:
        point = core.OctetString.load(info["public_key"].native).native
    except ValueError as error:
        raise ClientAuthenticationError(f"{setting}: the certificate's public key cannot be read") from error
    if len(point) != 2 * SIZE:
        raise ClientAuthenticationError(f"{setting}: the certificate's public key is not a 256-bit point")
    return point[:SIZE][::-1] + point[SIZE:][::-1], curve


@dataclass(frozen=True)
class GostPublicKey:
    """A GOST R 34.10-2012 (256-bit) public key: ``point`` is x || y big-endian on ``curve``."""

    point: bytes
    curve: str

    def verify_jws(self, signing_input: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's signature of a JWS ``signing_input`` (ESIA's
        ``GOST3410_2012_256`` id tokens, API v2/v3).

        ESIA signs a JWT as ``openssl dgst -sign`` does with OpenSSL's gost engine: the Streebog-256
        digest of ``header.payload`` read as a little-endian number, the signature s || r, each 32
        bytes big-endian (the layout CMS carries too). Source: the PHP ESIA client
        ekapusta/oauth2-esia verifies ESIA's tokens by handing the JWT's signature bytes unchanged
        to ``openssl dgst -verify ... -signature ... -engine gost``
        (src/Security/JWTSigner/OpenSslCliJwtSigner.php), and PHP ESIA clients built on
        ``openssl_verify(..., 'md_gost12_256')`` do the same; OpenSSL's engine (gost_sign.c) stores
        s then r."""
        if len(signature) != 2 * SIZE:
            return False
        r_s = signature[SIZE:] + signature[:SIZE]
        digest = streebog256(signing_input)[::-1]
        return bool(_gost3410(self.curve).verify(bytearray(self.point), bytearray(digest), bytearray(r_s)))


def certificate_public_key(certificate: x509.Certificate, setting: str) -> GostPublicKey:
    """The GOST public key of an X.509 ``certificate`` (``ClientAuthenticationError`` naming
    ``setting`` when it is not a GOST R 34.10-2012 256-bit key)."""
    point, curve = _public_point(certificate, setting)
    return GostPublicKey(point, curve)


def is_gost_certificate(certificate: x509.Certificate) -> bool:
    """Whether the certificate's key is a GOST R 34.10-2012 256-bit one."""
    info = _GostPublicKeyInfo.load(certificate["tbs_certificate"]["subject_public_key_info"].dump())
    return bool(info["algorithm"]["algorithm"].dotted == GOST3410_2012_256)


@dataclass(frozen=True)
class GostSigner:
    """Signs with the organisation's key; ``certificate`` is the one registered in ESIA."""

    private_key: int
    curve: str
    certificate: x509.Certificate

    def signature_value(self, digest: bytes) -> bytes:
        """The GOST R 34.10-2012 signature of a Streebog digest as CMS carries it: s || r, big-endian
        (the digest read as a little-endian number, as GOST R 34.10 and OpenSSL read it)."""
        r_s = _gost3410(self.curve).sign(bytearray(self.private_key.to_bytes(SIZE, "big")), bytearray(digest[::-1]))
        return bytes(r_s[SIZE:] + r_s[:SIZE])

    def sign(self, content: bytes, now: datetime) -> bytes:
        """The DER of a detached CMS SignedData of ``content`` (signed attributes: content type,
        signing time, message digest; the certificate included)."""
        digest_algorithm = algos.DigestAlgorithm({"algorithm": STREEBOG_256})
        attributes = cms.CMSAttributes(
            [
                cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
                cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": now.astimezone(UTC)})]}),
                cms.CMSAttribute({"type": "message_digest", "values": [streebog256(content)]}),
            ]
        )
        tbs = self.certificate["tbs_certificate"]
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {"issuer": tbs["issuer"], "serial_number": tbs["serial_number"]}
                        )
                    }
                ),
                "digest_algorithm": digest_algorithm,
                "signed_attrs": attributes,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": GOST3410_2012_256}),
                "signature": self.signature_value(streebog256(attributes.dump())),
            }
        )
        signed_data = cms.SignedData(
            {
                "version": "v1",
                "digest_algorithms": [digest_algorithm],
                "encap_content_info": {"content_type": "data"},
                "certificates": [self.certificate],
                "signer_infos": [signer_info],
            }
        )
        return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())

    def client_secret(self, *, client_id: str, scope: str, state: str, timestamp: str, now: datetime) -> str:
        content = signed_content(scope=scope, timestamp=timestamp, client_id=client_id, state=state)
        return base64.urlsafe_b64encode(self.sign(content, now)).decode()


@dataclass(frozen=True)
class GostAuthentication:
    """ESIA's way: a fresh signature in the authorization request and in the token request."""

    signer: GostSigner

    def new_state(self) -> str:
        # ESIA takes only a UUID as state ("a 128-bit request identifier ... by the UUID standard");
        # uuid4 draws its 122 random bits from os.urandom.
        return str(uuid.uuid4())

    def authorization_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        timestamp = esia_timestamp(now)
        secret = self.signer.client_secret(client_id=client_id, scope=scope, state=state, timestamp=timestamp, now=now)
        return {"client_secret": secret, "timestamp": timestamp}

    def token_parameters(self, *, client_id: str, scope: str, state: str, now: datetime) -> dict[str, str]:
        # ESIA: the token request's state is a new UUID, not the authorization request's ``state``.
        fresh = str(uuid.uuid4())
        timestamp = esia_timestamp(now)
        secret = self.signer.client_secret(client_id=client_id, scope=scope, state=fresh, timestamp=timestamp, now=now)
        # ESIA also wants the scope in the token request (signed above), which standard providers do not
        return {"client_secret": secret, "timestamp": timestamp, "state": fresh, "token_type": "Bearer", "scope": scope}

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> GostAuthentication:
        """From ``key_file`` and ``certificate_file`` (``OIDC_<NAME>_KEY_FILE``, ``..._CERTIFICATE_FILE``)."""
        key_setting = "key_file (OIDC_<NAME>_KEY_FILE)"
        certificate_setting = "certificate_file (OIDC_<NAME>_CERTIFICATE_FILE)"
        private_key, curve = _load_key(_read(options.get("key_file", ""), key_setting), key_setting)
        try:
            certificate = x509.Certificate.load(_der(_read(options.get("certificate_file", ""), certificate_setting)))
            certificate["tbs_certificate"]["serial_number"].native  # noqa: B018 (parse it now, not at sign time)
        except (ValueError, TypeError, KeyError) as error:
            raise ClientAuthenticationError(f"{certificate_setting}: not an X.509 certificate") from error
        point, certificate_curve = _public_point(certificate, certificate_setting)
        q = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[curve]["q"]
        if not 0 < private_key < q or certificate_curve != curve:
            raise ClientAuthenticationError("key_file and certificate_file are not a pair")
        public = _gost3410(curve).public_key_generate(bytearray(private_key.to_bytes(SIZE, "big")))
        if bytes(public) != point:
            raise ClientAuthenticationError("key_file and certificate_file are not a pair")
        return cls(GostSigner(private_key=private_key, curve=curve, certificate=certificate))
