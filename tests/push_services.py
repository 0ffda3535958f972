"""Local push services that speak the providers' protocols, for the push tests: a Web Push
service that checks the VAPID JWT and DECRYPTS each message (RFC 8291, aes128gcm) with the
subscription's private key, as a browser would; an FCM HTTP v1 service with its OAuth2 token
endpoint (the service account's signed JWT checked); and an APNs service over HTTP/2 (``h2``)
that checks the provider token and the headers. Each records what arrived, and can be told to
answer that a device is gone."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge.push import b64url, b64url_decode
from resolvers.core import now_utc


@dataclass
class Arrival:
    """One message a service accepted: to whom (subscription or token) and its payload."""

    to: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@contextlib.asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """``app`` on a free port of 127.0.0.1 (HTTP/1.1): its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


# Web Push ---------------------------------------------------------------------------------


@dataclass
class Subscription:
    """What a browser's ``PushManager.subscribe`` keeps: its key pair and auth secret."""

    name: str
    key: ec.EllipticCurvePrivateKey
    auth: bytes

    def p256dh(self) -> str:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)


@dataclass
class WebPushService:
    """A push service: ``POST /push/<name>``. Refuses a request whose VAPID JWT is not signed by
    ``server_key`` for this origin (401), answers 410 for a subscription in ``gone`` and
    ``status`` (e.g. 503) when set; otherwise decrypts and records the message."""

    server_key: str  # the application server's public key the browser subscribed with (base64url)
    base: str = ""
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    arrived: list[Arrival] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    status: int | None = None
    refused: list[str] = field(default_factory=list)

    def subscribe(self) -> dict[str, str]:
        """A new subscription: the ``pushDeviceRegister`` input a browser would send."""
        name = secrets.token_hex(8)
        self.subscriptions[name] = Subscription(name, ec.generate_private_key(ec.SECP256R1()), secrets.token_bytes(16))
        sub = self.subscriptions[name]
        return {
            "kind": "WEB_PUSH",
            "endpoint": f"{self.base}/push/{name}",
            "p256dh": sub.p256dh(),
            "auth": b64url(sub.auth),
        }

    def to(self, endpoint: str) -> list[dict[str, Any]]:
        return [a.payload for a in self.arrived if a.to == endpoint.rsplit("/", 1)[-1]]

    def _vapid_problem(self, authorization: str) -> str | None:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return "scheme"
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        if parts.get("k") != self.server_key:
            return "key"
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(parts["k"]))
        try:
            # exp is checked against the suite's clock below, not the real one.
            claims = jwt.decode(
                parts["t"], public, algorithms=["ES256"], audience=self.base, options={"verify_exp": False}
            )
        except jwt.InvalidTokenError as exc:
            return f"jwt: {exc}"
        remaining = claims["exp"] - now_utc().timestamp()
        if not 0 < remaining <= 24 * 3600 or not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return "claims"
        return None

    async def push(self, request: Request) -> Response:
        name = request.path_params["name"]
        problem = self._vapid_problem(request.headers.get("authorization", ""))
        if problem is not None:
            self.refused.append(problem)
            return Response(status_code=401)
        if name in self.gone or name not in self.subscriptions:
            return Response(status_code=410)
        if self.status is not None:
            return Response(status_code=self.status)
        if request.headers.get("content-encoding") != "aes128gcm" or not request.headers.get("ttl"):
            self.refused.append("headers")
            return Response(status_code=400)
        sub = self.subscriptions[name]
        plain = http_ece.decrypt(await request.body(), private_key=sub.key, auth_secret=sub.auth, version="aes128gcm")
        self.arrived.append(Arrival(name, json.loads(plain), dict(request.headers)))
        return Response(status_code=201)


@contextlib.asynccontextmanager
async def web_push_service(server_key: str) -> AsyncIterator[WebPushService]:
    service = WebPushService(server_key)
    app = Starlette(routes=[Route("/push/{name}", service.push, methods=["POST"])])
    async with serve(app) as base:
        service.base = base
        yield service


# FCM --------------------------------------------------------------------------------------


@dataclass
class FcmService:
    """FCM HTTP v1 and its OAuth2 token endpoint. A token in ``gone`` answers 404 UNREGISTERED."""

    project: str = "ediary-tests"
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    base: str = ""
    bearers: set[str] = field(default_factory=set)
    arrived: list[Arrival] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)

    def account(self) -> dict[str, str]:
        """The service account file's fields an operator downloads."""
        pem = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project,
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": f"push@{self.project}.iam.gserviceaccount.com",
            "token_uri": f"{self.base}/token",
        }

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        try:
            claims = jwt.decode(
                str(form.get("assertion")),
                self.key.public_key(),
                algorithms=["RS256"],
                audience=f"{self.base}/token",
                options={"verify_exp": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError:
            self.refused.append("assertion")
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if claims.get("scope") != "https://www.googleapis.com/auth/firebase.messaging" or not claims["iss"].startswith(
            "push@"
        ):
            self.refused.append("claims")
            return JSONResponse({"error": "invalid_scope"}, status_code=400)
        bearer = secrets.token_urlsafe(24)
        self.bearers.add(bearer)
        return JSONResponse({"access_token": bearer, "expires_in": 3599, "token_type": "Bearer"})

    async def send(self, request: Request) -> Response:
        if request.path_params["project"] != self.project:
            return JSONResponse({"error": {"code": 404}}, status_code=404)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if bearer not in self.bearers:
            self.refused.append("bearer")
            return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, status_code=401)
        body = await request.json()
        message = body["message"]
        shape = (
            set(body) == {"message"}
            and isinstance(message.get("token"), str)
            and set(message["notification"]) == {"title", "body"}
            and all(isinstance(v, str) for v in message.get("data", {}).values())
        )
        if not shape:
            self.refused.append("shape")
            return JSONResponse({"error": {"code": 400, "status": "INVALID_ARGUMENT"}}, status_code=400)
        if message["token"] in self.gone:
            error = {"code": 404, "status": "NOT_FOUND", "details": [{"errorCode": "UNREGISTERED"}]}
            return JSONResponse({"error": error}, status_code=404)
        self.arrived.append(Arrival(message["token"], {**message["notification"], **message.get("data", {})}))
        return JSONResponse({"name": f"projects/{self.project}/messages/{len(self.arrived)}"})


@contextlib.asynccontextmanager
async def fcm_service() -> AsyncIterator[FcmService]:
    service = FcmService()
    app = Starlette(
        routes=[
            Route("/token", service.token, methods=["POST"]),
            Route("/v1/projects/{project}/messages:send", service.send, methods=["POST"]),
        ]
    )
    async with serve(app) as base:
        service.base = base
        yield service


# APNs over HTTP/2 -------------------------------------------------------------------------


@dataclass
class ApnsService:
    """APNs: ``POST /3/device/<token>`` over HTTP/2 only (prior knowledge, no TLS: a local
    stand-in). Checks the ES256 provider token against ``key``'s public half, its ``kid`` and
    ``iss``, and the ``apns-topic`` and ``apns-push-type`` headers; a token in ``gone`` answers
    410 Unregistered."""

    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    key_id: str = "KEY1234567"
    team_id: str = "TEAM123456"
    topic: str = "org.ediary.app"
    base: str = ""
    arrived: list[Arrival] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        path = headers.get(":path", "")
        if headers.get(":method") != "POST" or not path.startswith("/3/device/"):
            return 404, {"reason": "BadPath"}
        token = path.removeprefix("/3/device/")
        bearer = headers.get("authorization", "").removeprefix("bearer ")
        try:
            if jwt.get_unverified_header(bearer).get("kid") != self.key_id:
                raise jwt.InvalidTokenError("kid")
            claims = jwt.decode(bearer, self.key.public_key(), algorithms=["ES256"], options={"verify_iat": False})
        except jwt.InvalidTokenError:
            self.refused.append("token")
            return 403, {"reason": "InvalidProviderToken"}
        if claims.get("iss") != self.team_id:
            self.refused.append("iss")
            return 403, {"reason": "InvalidProviderToken"}
        if headers.get("apns-topic") != self.topic:
            self.refused.append("topic")
            return 400, {"reason": "TopicDisallowed"}
        if headers.get("apns-push-type") != "alert":
            self.refused.append("push-type")
            return 400, {"reason": "InvalidPushType"}
        if token in self.gone:
            return 410, {"reason": "Unregistered", "timestamp": 0}
        payload = json.loads(body)
        alert = payload["aps"]["alert"]
        data = {k: v for k, v in payload.items() if k != "aps"}
        self.arrived.append(Arrival(token, {"title": alert["title"], "body": alert["body"], **data}, headers))
        return 200, {}

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        try:
            while data := await reader.read(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = ({str(k): str(v) for k, v in event.headers or []}, bytearray())
                    elif isinstance(event, h2.events.DataReceived) and event.stream_id is not None:
                        streams[event.stream_id][1].extend(event.data or b"")
                        conn.acknowledge_received_data(event.flow_controlled_length or 0, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id in streams:
                        headers, body = streams.pop(event.stream_id)
                        status, answer = self.answer(headers, bytes(body))
                        content = json.dumps(answer).encode() if answer else b""
                        response = [(":status", str(status)), ("apns-id", headers.get("apns-id", ""))]
                        response.append(("content-length", str(len(content))))
                        conn.send_headers(event.stream_id, response, end_stream=not content)
                        if content:
                            conn.send_data(event.stream_id, content, end_stream=True)
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def apns_service() -> AsyncIterator[ApnsService]:
    service = ApnsService()
    server = await asyncio.start_server(service.connection, "127.0.0.1", 0)
    service.base = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield service
    finally:
        server.close()
        await server.wait_closed()
