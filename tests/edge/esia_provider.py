"""An ESIA-like test provider that checks the GOST client authentication (``edge/gost.py``) the way
ESIA does, and the test key pairs and self-signed GOST certificates it is given.

Written apart from ``edge/gost.py`` (its own ASN.1 reading, its own byte orders) so that a mistake
in the signer is not repeated here and cancelled out. ``verify_client_secret`` parses the PKCS#7,
checks that it is detached, that its certificate is the registered one, that the signed content
(through the ``message-digest`` attribute) is ``scope + timestamp + client_id + state`` and that the
GOST R 34.10-2012 signature of the signed attributes verifies with the registered public key.
The app serves ESIA's v1 endpoints: ``GET /aas/oauth2/ac`` (authorization: a code, by redirect)
and ``POST /aas/oauth2/te`` (token: the code for an access token, with a state of its own).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import gostcrypto  # type: ignore[import-untyped]
from asn1crypto import cms, core, pem, x509  # type: ignore[import-untyped]
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

PARAMSET_A = "1.2.643.7.1.2.1.1.1"  # id-tc26-gost-3410-12-256-paramSetA
CRYPTOPRO_A = "1.2.643.2.2.35.1"
CURVE = {PARAMSET_A: "id-tc26-gost-3410-2012-256-paramSetA", CRYPTOPRO_A: "id-tc26-gost-3410-2012-256-paramSetB"}
KEY_OID = "1.2.643.7.1.1.1.1"
DIGEST_OID = "1.2.643.7.1.1.2.2"
CERT_SIGNATURE_OID = "1.2.643.7.1.1.3.2"  # id-tc26-signwithdigest-gost3410-12-256


class Refused(Exception):
    """The provider refuses the client's authentication (the reason is the message)."""


def _gost(curve_oid: str) -> Any:
    curves = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019
    return gostcrypto.gostsignature.new(gostcrypto.gostsignature.MODE_256, curves[CURVE[curve_oid]])


def _streebog(data: bytes) -> bytes:
    return bytes(gostcrypto.gosthash.new("streebog256", data=data).digest())


def _sequence(*children: bytes) -> bytes:
    """The DER of a SEQUENCE of already encoded ``children``."""
    return bytes(core.Sequence(contents=b"".join(children)).dump())


def _algorithm(curve_oid: str) -> bytes:
    digest = b"" if curve_oid == PARAMSET_A else core.ObjectIdentifier(DIGEST_OID).dump()
    parameters = _sequence(core.ObjectIdentifier(curve_oid).dump(), digest)
    return _sequence(core.ObjectIdentifier(KEY_OID).dump(), parameters)


@dataclass(frozen=True)
class KeyPair:
    """A GOST R 34.10-2012 key pair, its self-signed certificate and their files."""

    private: int
    curve_oid: str
    certificate: x509.Certificate
    key_file: Path
    certificate_file: Path

    @property
    def options(self) -> dict[str, str]:
        return {"key_file": str(self.key_file), "certificate_file": str(self.certificate_file)}


def pkcs8(private: int, curve_oid: str, encoding: str = "raw") -> bytes:
    """The PKCS#8 DER of a GOST key; ``encoding`` of the key inside: ``raw`` (32 bytes little-endian,
    as OpenSSL's gost engine writes it), ``octet`` (the same in an OCTET STRING) or ``integer``."""
    little = private.to_bytes(32, "little")
    inner = {
        "raw": little,
        "octet": core.OctetString(little).dump(),
        "integer": core.Integer(private).dump(),
    }[encoding]
    return pkcs8_of(inner, curve_oid)


def pkcs8_of(inner: bytes, curve_oid: str = PARAMSET_A) -> bytes:
    """A PKCS#8 DER of a GOST key whose private key field holds ``inner``, whatever it is."""
    return _sequence(core.Integer(0).dump(), _algorithm(curve_oid), core.OctetString(inner).dump())


def make_key_pair(folder: Path, name: str, now: datetime, curve_oid: str = PARAMSET_A) -> KeyPair:
    """A fresh key and a self-signed certificate valid a year around ``now``, written to PEM files."""
    gost = _gost(curve_oid)
    q = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[CURVE[curve_oid]]["q"]
    private = secrets.randbelow(q - 1) + 1
    public = bytes(gost.public_key_generate(bytearray(private.to_bytes(32, "big"))))
    point = public[:32][::-1] + public[32:][::-1]  # x, y little-endian (RFC 4491)
    spki = _sequence(_algorithm(curve_oid), core.OctetBitString(core.OctetString(point).dump()).dump())
    subject = x509.Name.build({"common_name": name, "organization_name": "Test school district"})
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": secrets.randbits(64),
            "signature": {"algorithm": CERT_SIGNATURE_OID},
            "issuer": subject,
            "validity": {
                "not_before": x509.Time({"utc_time": now - timedelta(days=180)}),
                "not_after": x509.Time({"utc_time": now + timedelta(days=180)}),
            },
            "subject": subject,
            "subject_public_key_info": x509.PublicKeyInfo.load(spki),
        }
    )
    digest = _streebog(tbs.dump())[::-1]
    r_s = bytes(gost.sign(bytearray(private.to_bytes(32, "big")), bytearray(digest)))
    certificate = x509.Certificate(
        {
            "tbs_certificate": tbs,
            "signature_algorithm": {"algorithm": CERT_SIGNATURE_OID},
            "signature_value": r_s[32:] + r_s[:32],
        }
    )
    key_file, certificate_file = folder / f"{name}.key.pem", folder / f"{name}.cert.pem"
    key_file.write_bytes(pem.armor("PRIVATE KEY", pkcs8(private, curve_oid)))
    certificate_file.write_bytes(pem.armor("CERTIFICATE", certificate.dump()))
    return KeyPair(private, curve_oid, x509.Certificate.load(certificate.dump()), key_file, certificate_file)


def _public_key(certificate: x509.Certificate) -> tuple[str, bytes]:
    """(curve OID, x || y big-endian) of a certificate's GOST key."""
    spki = core.Sequence.load(certificate["tbs_certificate"]["subject_public_key_info"].dump())
    algorithm = core.Sequence.load(spki[0].dump())
    curve_oid = core.Sequence.load(algorithm[1].dump())[0].native
    point = core.OctetString.load(core.OctetBitString.load(spki[1].dump()).native).native
    return curve_oid, point[:32][::-1] + point[32:][::-1]


def verify_client_secret(secret: str, *, content: bytes, registered: x509.Certificate) -> None:
    """Raise ``Refused`` unless ``secret`` is a detached PKCS#7 of ``content`` by ``registered``'s key."""
    try:
        info = cms.ContentInfo.load(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4)))
        if info["content_type"].native != "signed_data":
            raise Refused("not a PKCS#7 SignedData")
        signed = info["content"]
        (signer,) = signed["signer_infos"]
        (certificate,) = signed["certificates"]
        attributes = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
        signed_attributes = b"\x31" + signer["signed_attrs"].dump()[1:]  # signed as a SET OF (RFC 5652 5.4)
        signature = bytes(signer["signature"].native)
        sid = signer["sid"].chosen
        digest_oid = signer["digest_algorithm"]["algorithm"].dotted
    except (ValueError, TypeError, KeyError) as error:
        raise Refused(f"unreadable signature: {error}") from error
    if signed["encap_content_info"]["content"].native is not None:
        raise Refused("the signature is not detached")
    if certificate.chosen.dump() != registered.dump():
        raise Refused("the certificate is not the registered one")
    tbs = registered["tbs_certificate"]
    if sid["issuer"].dump() != tbs["issuer"].dump() or sid["serial_number"].native != tbs["serial_number"].native:
        raise Refused("the signer is not the certificate's")
    if digest_oid != DIGEST_OID or attributes.get("content_type") != "data":
        raise Refused("not a Streebog-256 signature of data")
    if attributes.get("message_digest") != _streebog(content):
        raise Refused("the signed content differs")
    curve_oid, public = _public_key(registered)
    r_s = signature[32:] + signature[:32]  # CMS carries s || r
    if len(signature) != 64 or not _gost(curve_oid).verify(
        bytearray(public), bytearray(_streebog(signed_attributes)[::-1]), bytearray(r_s)
    ):
        raise Refused("the signature does not verify")


@dataclass
class EsiaLikeProvider:
    """ESIA's v1 code flow with the GOST client authentication; ``now`` is its clock."""

    client_id: str
    registered: x509.Certificate
    now: datetime
    skew: timedelta = timedelta(minutes=5)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code → its authorization request
    refusals: list[str] = field(default_factory=list)

    def check(self, params: dict[str, str]) -> None:
        """The client authentication of a request (``Refused`` with the reason)."""
        if params.get("client_id") != self.client_id:
            raise Refused("unknown client_id")
        try:
            uuid.UUID(params.get("state", ""))
            stamp = datetime.strptime(params.get("timestamp", ""), "%Y.%m.%d %H:%M:%S %z")
        except ValueError as error:
            raise Refused(f"malformed state or timestamp: {error}") from error
        if abs(stamp - self.now) > self.skew:
            raise Refused("stale timestamp")
        content = (params["scope"] + params["timestamp"] + params["client_id"] + params["state"]).encode()
        verify_client_secret(params.get("client_secret", ""), content=content, registered=self.registered)

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        try:
            self.check(params)
        except Refused as refused:
            self.refusals.append(str(refused))
            return JSONResponse({"error": "invalid_client", "error_description": str(refused)}, status_code=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode({'code': code, 'state': params['state']})}", 302)

    async def token(self, request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode()))
        try:
            self.check(params)
            authorization = self.codes.pop(params.get("code", ""), None)
            if authorization is None or authorization["redirect_uri"] != params.get("redirect_uri"):
                raise Refused("unknown code")
            if params["state"] == authorization["state"]:
                raise Refused("the token request reuses the authorization request's state")
            if params.get("token_type") != "Bearer" or params.get("grant_type") != "authorization_code":
                raise Refused("not a Bearer authorization_code request")
        except Refused as refused:
            self.refusals.append(str(refused))
            return JSONResponse({"error": "invalid_client", "error_description": str(refused)}, status_code=400)
        token = secrets.token_urlsafe(24)
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "state": params["state"]}
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/aas/oauth2/ac", self.authorize), Route("/aas/oauth2/te", self.token, methods=["POST"])]
        )
