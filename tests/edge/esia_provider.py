"""An ESIA-like test provider that checks the GOST client authentication (``edge/gost.py``) the way
ESIA does, and the test key pairs and self-signed GOST certificates it is given.

Written apart from ``edge/gost.py`` (its own ASN.1 reading, its own byte orders) so that a mistake
in the signer is not repeated here and cancelled out. ``verify_client_secret`` parses the PKCS#7,
checks that it is detached, that its certificate is the registered one, that the signed content
(through the ``message-digest`` attribute) is ``scope + timestamp + client_id + state`` and that the
GOST R 34.10-2012 signature of the signed attributes verifies with the registered public key.
The app serves ESIA's v1 endpoints: ``GET /aas/oauth2/ac`` (authorization: a code, by redirect;
the person who logs in is the ``oid`` the test's browser adds) and ``POST /aas/oauth2/te`` (token:
the code for an access token, with a state of its own, and an id token when the provider has a
signing key), ESIA's person resource ``GET /rs/prns/{oid}`` (the bearer token's person only) and a
standard ``GET /userinfo``. Given a GOST ``signing`` key pair it signs id tokens as ESIA does
(``GOST3410_2012_256``: s || r big-endian over the Streebog-256 digest of ``header.payload`` read
little-endian, as OpenSSL's gost engine signs); given RSA ``jose_keys`` it signs RS256 and
publishes them at ``/jwks`` with a discovery document (``/.well-known/openid-configuration``).
``served`` runs it under uvicorn on a free loopback port; ``hits`` counts the requests by path.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import gostcrypto  # type: ignore[import-untyped]
import uvicorn
from asn1crypto import cms, core, pem, x509  # type: ignore[import-untyped]
from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from resolvers.core import now_utc

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


def make_rsa_certificate(folder: Path, name: str, now: datetime) -> tuple[RSAKey, Path]:
    """An RSA key and its self-signed certificate (PEM file): a provider that distributes an RS256
    signing key as a certificate."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = crypto_x509.Name([crypto_x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        crypto_x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(crypto_x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(private, hashes.SHA256())
    )
    path = folder / f"{name}.rsa.cert.pem"
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return RSAKey.import_key(private), path


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gost_jwt(claims: dict[str, Any], pair: KeyPair) -> str:
    """A JWT signed as ESIA signs its id tokens (``GOST3410_2012_256``, header as ESIA's v2 API)."""
    header = {"alg": "GOST3410_2012_256", "typ": "JWT", "sbt": "id", "ver": 1}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    digest = _streebog(signing_input.encode())[::-1]
    r_s = bytes(_gost(pair.curve_oid).sign(bytearray(pair.private.to_bytes(32, "big")), bytearray(digest)))
    return f"{signing_input}.{_b64(r_s[32:] + r_s[:32])}"


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
    now: datetime | None = None  # None: the project's clock
    skew: timedelta = timedelta(minutes=5)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code → its authorization request
    refusals: list[str] = field(default_factory=list)
    issuer: str = "http://esia.gosuslugi.ru/"
    signing: KeyPair | None = None  # signs GOST id tokens
    jose_keys: list[RSAKey] = field(default_factory=list)  # the last one signs RS256 id tokens
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)  # oid → ESIA's person resource
    access: dict[str, str] = field(default_factory=dict)  # access token → oid
    token_clock: Callable[[], datetime] | None = None  # the id tokens' iat/exp (default: ``clock``)
    tamper: str | None = None  # "signature" or "payload": a broken id token
    person_fails: bool = False
    userinfo_subject: str | None = None  # a userinfo that names another subject
    hits: Counter[str] = field(default_factory=Counter)
    base_url: str = ""

    def clock(self) -> datetime:
        return self.now or now_utc()

    def check(self, params: dict[str, str]) -> None:
        """The client authentication of a request (``Refused`` with the reason)."""
        if params.get("client_id") != self.client_id:
            raise Refused("unknown client_id")
        try:
            uuid.UUID(params.get("state", ""))
            stamp = datetime.strptime(params.get("timestamp", ""), "%Y.%m.%d %H:%M:%S %z")
        except ValueError as error:
            raise Refused(f"malformed state or timestamp: {error}") from error
        if abs(stamp - self.clock()) > self.skew:
            raise Refused("stale timestamp")
        content = (params["scope"] + params["timestamp"] + params["client_id"] + params["state"]).encode()
        verify_client_secret(params.get("client_secret", ""), content=content, registered=self.registered)

    async def authorize(self, request: Request) -> Response:
        self.hits["ac"] += 1
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
        self.hits["te"] += 1
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
        oid = authorization.get("oid", "1000000001")
        self.access[token] = oid
        answer: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        answer["state"] = params["state"]
        if self.signing is not None or self.jose_keys:
            answer["id_token"] = self.id_token(oid, authorization.get("nonce"))
        return JSONResponse(answer)

    def id_token(self, oid: str, nonce: str | None) -> str:
        """An id token as ESIA's: its ``sub`` and ``urn:esia:sbj_id`` are the person's oid (a number)."""
        now = int((self.token_clock or self.clock)().timestamp())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": int(oid),
            "urn:esia:sbj_id": int(oid),
            "nbf": now,
            "iat": now,
            "exp": now + 60,
            "auth_time": now,
            "amr": "PWD",
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if self.signing is not None:
            token = gost_jwt(claims, self.signing)
        else:
            key = self.jose_keys[-1]
            token = jwt.encode({"alg": "RS256", **({"kid": key.kid} if key.kid else {})}, claims, key)
        header, payload, signature = token.split(".")
        if self.tamper == "signature":
            signature = ("B" if signature[0] == "A" else "A") + signature[1:]
        elif self.tamper == "payload":
            payload = _b64(json.dumps({**claims, "sub": int(oid) + 1}).encode())
        return f"{header}.{payload}.{signature}"

    def _bearer(self, request: Request) -> str | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.access.get(token) if scheme == "Bearer" else None

    async def person(self, request: Request) -> Response:
        """ESIA's ``/rs/prns/{oid}``: the person the access token was issued for, no one else."""
        self.hits["prns"] += 1
        oid = request.path_params["oid"]
        if self.person_fails:
            return JSONResponse({"code": "ESIA-000000"}, status_code=503)
        if self._bearer(request) != oid or oid not in self.persons:
            return JSONResponse({"code": "ESIA-007014"}, status_code=403)
        return JSONResponse({"stateFacts": ["EntityRoot"], **self.persons[oid], "trusted": True})

    async def userinfo(self, request: Request) -> Response:
        self.hits["userinfo"] += 1
        oid = self._bearer(request)
        if oid is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        person = self.persons.get(oid, {})
        name = " ".join(person.get(k, "") for k in ("firstName", "lastName")).strip()
        return JSONResponse({"sub": self.userinfo_subject or oid, "name": name})

    async def discovery(self, request: Request) -> Response:
        self.hits["discovery"] += 1
        base = self.base_url
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}/aas/oauth2/ac",
                "token_endpoint": f"{base}/aas/oauth2/te",
                "jwks_uri": f"{base}/jwks",
            }
        )

    async def jwks(self, request: Request) -> Response:
        self.hits["jwks"] += 1
        return JSONResponse({"keys": [{**k.as_dict(private=False), "kid": k.kid} for k in self.jose_keys]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/aas/oauth2/ac", self.authorize),
                Route("/aas/oauth2/te", self.token, methods=["POST"]),
                Route("/rs/prns/{oid}", self.person),
                Route("/userinfo", self.userinfo),
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
            ]
        )


@contextlib.asynccontextmanager
async def served(provider: EsiaLikeProvider) -> AsyncIterator[str]:
    """The provider on a free loopback port, until the block ends: its base URL (also set as
    ``provider.base_url``)."""
    config = uvicorn.Config(provider.app(), host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        provider.base_url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        yield provider.base_url
    finally:
        server.should_exit = True
        await task
