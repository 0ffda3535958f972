"""The process edge of push: Web Push (RFC 8030, payload encrypted per RFC 8291 by
``pywebpush``, VAPID per RFC 8292), Firebase Cloud Messaging (HTTP v1, an OAuth2 bearer from a
service account's signed JWT) and the Apple Push Notification service (HTTP/2, an ES256 provider
token). Nothing here knows about notifications; ``resolvers.push`` does.

A sender raises ``DeviceGone`` when the push service says the device no longer exists (404,
410; FCM's UNREGISTERED, APNs' BadDeviceToken / Unregistered) and ``DeliveryError`` for
anything that may pass (retried). Neither message nor log line holds an endpoint or a token."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pywebpush import WebPusher

from edge.channels import DeliveryError
from resolvers.core import _

if TYPE_CHECKING:
    from edge.settings import Settings

log = logging.getLogger(__name__)
# httpx logs every request's URL at INFO: a Web Push endpoint and an APNs token are in it, and
# neither may reach the logs.
logging.getLogger("httpx").setLevel(logging.WARNING)

TIMEOUT = 15.0
TTL = 24 * 3600  # seconds a push service keeps a message for a device that is offline
GONE = (404, 410)


class DeviceGone(DeliveryError):
    """The push service no longer knows the device: it is removed, never retried."""


@dataclass(frozen=True)
class PushMessage:
    """What a device shows on a lock screen (``title``, ``body``) and the ids the app opens."""

    title: str
    body: str
    data: dict[str, str]

    def payload(self) -> dict[str, Any]:
        return {"title": self.title, "body": self.body, **self.data}


@dataclass(frozen=True)
class Target:
    """A device's address: the Web Push endpoint and keys, or the FCM / APNs token."""

    kind: str
    endpoint: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    token: str | None = None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Base64url (padding optional); ``ValueError`` when it is not."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ValueError("not base64url") from exc


# VAPID keys.


def load_vapid_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from PEM or from its raw 32 bytes in base64url (what the web-push
    tools print); ``ValueError`` when it is neither."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        raw = b64url_decode(text)
        if len(raw) != 32:  # a P-256 scalar
            raise ValueError("a raw VAPID private key is 32 bytes")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("a VAPID key is a P-256 (prime256v1) key")
    return key


def generate_vapid_key(path: Path) -> str:
    """A new P-256 key written to ``path`` (PEM, owner-only); returns the PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(pem)
    path.chmod(0o600)
    return pem


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The application server key a browser's ``PushManager.subscribe`` takes: the public
    point, uncompressed, in base64url."""
    raw = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(raw)


class Sender(Protocol):
    async def send(self, target: Target, message: PushMessage, now: datetime) -> None:
        """Hand one message to the push service; ``DeviceGone`` or ``DeliveryError`` if not."""


def _refused(service: str, response: httpx.Response, reason: str = "", gone: bool = False) -> DeliveryError:
    status = f"{response.status_code} {reason}".strip()
    if gone or response.status_code in GONE:
        return DeviceGone(str(_("{service} no longer knows the device ({status}).", service=service, status=status)))
    return DeliveryError(str(_("{service} refused: {status}", service=service, status=status)))


@dataclass
class WebPushSender:
    """Web Push: the payload encrypted for the subscription (aes128gcm) by ``pywebpush``, sent
    with a VAPID JWT signed by the server's key for the endpoint's origin."""

    key: ec.EllipticCurvePrivateKey
    subject: str
    client: httpx.AsyncClient | None = None

    async def send(self, target: Target, message: PushMessage, now: datetime) -> None:
        if not (target.endpoint and target.p256dh and target.auth):
            raise DeviceGone(str(_("The device has no Web Push subscription.")))
        body = json.dumps(message.payload(), ensure_ascii=False).encode()
        pusher = WebPusher({"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}})
        encrypted = pusher.encode(body, "aes128gcm")["body"]
        parts = urlsplit(target.endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "exp": int((now + timedelta(hours=12)).timestamp()),
            "sub": self.subject,
        }
        token = jwt.encode(claims, self.key, algorithm="ES256")
        headers = {
            "Authorization": f"vapid t={token}, k={public_key_b64(self.key)}",
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL),
            "Urgency": "normal",
        }
        response = await _post(self.client, "Web Push", target.endpoint, content=encrypted, headers=headers)
        if response.status_code not in (200, 201, 202):
            raise _refused("Web Push", response)


async def _post(client: httpx.AsyncClient | None, service: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        if client is not None:
            return await client.post(url, **kwargs)
        async with httpx.AsyncClient(timeout=TIMEOUT) as own:
            return await own.post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise DeliveryError(
            str(_("{service} could not be reached: {problem}", service=service, problem=type(exc).__name__))
        ) from exc


@dataclass
class FcmSender:
    """FCM HTTP v1: ``POST {base}/v1/projects/{project}/messages:send`` with an OAuth2 access
    token obtained from the service account's ``token_uri`` by a signed JWT (RFC 7523), kept
    until a minute before it expires."""

    account: dict[str, Any]
    base_url: str = "https://fcm.googleapis.com"
    client: httpx.AsyncClient | None = None
    _token: str | None = field(default=None, repr=False)
    _expires: datetime | None = field(default=None, repr=False)

    SCOPE = "https://www.googleapis.com/auth/firebase.messaging"

    @classmethod
    def from_file(cls, path: str, base_url: str) -> FcmSender:
        account = json.loads(Path(path).read_text())
        for key in ("project_id", "client_email", "private_key", "token_uri"):
            if not account.get(key):
                raise ValueError(f"the FCM service account file has no {key}")
        return cls(account, base_url.rstrip("/"))

    async def _access_token(self, now: datetime) -> str:
        if self._token and self._expires and now < self._expires - timedelta(minutes=1):
            return self._token
        claims = {
            "iss": self.account["client_email"],
            "scope": self.SCOPE,
            "aud": self.account["token_uri"],
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=1)).timestamp()),
        }
        headers = {"kid": self.account["private_key_id"]} if self.account.get("private_key_id") else None
        assertion = jwt.encode(claims, self.account["private_key"], algorithm="RS256", headers=headers)
        response = await _post(
            self.client,
            "FCM OAuth2",
            self.account["token_uri"],
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
        )
        if response.status_code != 200:
            raise _refused("FCM OAuth2", response)
        answer = response.json()
        self._token = str(answer["access_token"])
        self._expires = now + timedelta(seconds=int(answer.get("expires_in", 3600)))
        return self._token

    async def send(self, target: Target, message: PushMessage, now: datetime) -> None:
        if not target.token:
            raise DeviceGone(str(_("The device has no token.")))
        bearer = await self._access_token(now)
        fcm_message = {
            "token": target.token,
            "notification": {"title": message.title, "body": message.body},
            "data": message.data,
            "android": {"ttl": f"{TTL}s"},
        }
        body = {"message": fcm_message}
        url = f"{self.base_url}/v1/projects/{self.account['project_id']}/messages:send"
        response = await _post(self.client, "FCM", url, json=body, headers={"Authorization": f"Bearer {bearer}"})
        if response.status_code == 200:
            return
        if response.status_code == 401:  # the token was refused: a new one next time
            self._token = None
        raise _refused("FCM", response, gone=_fcm_unregistered(response))


def _fcm_unregistered(response: httpx.Response) -> bool:
    try:
        details = response.json().get("error", {}).get("details", [])
    except (ValueError, AttributeError):
        return False
    return any(isinstance(d, dict) and d.get("errorCode") == "UNREGISTERED" for d in details)


@dataclass
class ApnsSender:
    """APNs: ``POST {base}/3/device/{token}`` over HTTP/2 with an ES256 provider token (key id,
    team id; renewed every 50 minutes, as Apple asks: at most once per 20 minutes, at least once
    an hour), ``apns-topic`` (the app's bundle id) and ``apns-push-type: alert``."""

    key: ec.EllipticCurvePrivateKey
    key_id: str
    team_id: str
    topic: str
    base_url: str = "https://api.push.apple.com"
    client: httpx.AsyncClient | None = None
    _token: str | None = field(default=None, repr=False)
    _issued: datetime | None = field(default=None, repr=False)

    @classmethod
    def from_file(cls, path: str, key_id: str, team_id: str, topic: str, base_url: str) -> ApnsSender:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("an APNs key is a P-256 key (.p8)")
        return cls(key, key_id, team_id, topic, base_url.rstrip("/"))

    def _provider_token(self, now: datetime) -> str:
        if self._token is None or self._issued is None or now - self._issued > timedelta(minutes=50):
            claims = {"iss": self.team_id, "iat": int(now.timestamp())}
            self._token = jwt.encode(claims, self.key, algorithm="ES256", headers={"kid": self.key_id})
            self._issued = now
        return self._token

    async def send(self, target: Target, message: PushMessage, now: datetime) -> None:
        if not target.token:
            raise DeviceGone(str(_("The device has no token.")))
        body = {"aps": {"alert": {"title": message.title, "body": message.body}, "sound": "default"}, **message.data}
        headers = {
            "authorization": f"bearer {self._provider_token(now)}",
            "apns-topic": self.topic,
            "apns-push-type": "alert",
            "apns-priority": "10",
            "apns-expiration": str(int(now.timestamp()) + TTL),
            "apns-id": str(uuid.uuid4()),
        }
        url = f"{self.base_url}/3/device/{target.token}"
        if self.client is not None:
            response = await _post(self.client, "APNs", url, json=body, headers=headers)
        else:
            # APNs speaks HTTP/2 only: no HTTP/1.1 (and over plain http://, HTTP/2 with prior knowledge).
            async with httpx.AsyncClient(http1=False, http2=True, timeout=TIMEOUT) as client:
                response = await _post(client, "APNs", url, json=body, headers=headers)
        if response.status_code == 200:
            return
        reason = _apns_reason(response)
        if reason == "ExpiredProviderToken":
            self._token = None
        raise _refused("APNs", response, reason, gone=reason in ("BadDeviceToken", "Unregistered"))


def _apns_reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason", ""))
    except (ValueError, AttributeError):
        return ""


@dataclass
class Senders:
    """The senders this server has, by device kind; a kind without one is not offered."""

    web_push: WebPushSender | None = None
    fcm: FcmSender | None = None
    apns: ApnsSender | None = None

    def for_kind(self, kind: str) -> Sender | None:
        return {"WEB_PUSH": self.web_push, "FCM": self.fcm, "APNS": self.apns}.get(kind)


def make_senders(settings: Settings) -> Senders:
    """The senders the settings configure: Web Push with the VAPID key, FCM with a service
    account, APNs with a signing key."""
    web = (
        WebPushSender(load_vapid_key(settings.vapid_private_key), settings.vapid_subject)
        if settings.vapid_private_key
        else None
    )
    fcm = (
        FcmSender.from_file(settings.fcm_service_account_file, settings.fcm_base_url)
        if settings.fcm_service_account_file
        else None
    )
    apns = (
        ApnsSender.from_file(
            settings.apns_key_file,
            settings.apns_key_id,
            settings.apns_team_id,
            settings.apns_topic,
            settings.apns_base_url,
        )
        if settings.apns_key_file
        else None
    )
    return Senders(web, fcm, apns)
