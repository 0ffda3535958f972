"""Push with the app closed: devices registered by a session, and the push deliveries of
notifications (README "Push notifications").

A device (``models.PushDevice``) is registered by a session and receives while that session
is live: ``sessions.end`` removes a session's devices with it, and every push asks the policy
as its recipient first (``policy.own_push_devices``: an expired session or a deactivated account
counts too), then whether the recipient may still see the notification's source (a revoked
guardianship: nothing about that child). ``notifications.write`` queues one ``PushDelivery`` per
device of a recipient who wants the category pushed, timed after their quiet hours; the worker
here claims due ones (a lease, like e-mail and SMS), sends each at most once, retries with
``delivery.backoff`` and removes a device its push service no longer knows (404/410).

What a lock screen shows (``render``): a title naming the kind of news ("New grade") and the
child's given name, never the grade, the text of a message or a remark; the payload's data
holds ids (the notification's, the child's) and the kind, for the app to open."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from tortoise.transactions import in_transaction

import models
from edge.channels import DeliveryError
from edge.push import DeviceGone, PushMessage, Senders, Target, b64url_decode
from edge.settings import Settings, push_host_allowed
from resolvers import audit, core, policy
from resolvers.accounts import home_school_id
from resolvers.codes import ErrorCode
from resolvers.core import _, now_utc, pk_of, to_global_id
from resolvers.delivery import MAX_ATTEMPTS, backoff, claim, finish
from resolvers.errors import NotFound, Problem, refuse
from resolvers.notifications import held_until
from resolvers.sessions import Context, Viewer

log = logging.getLogger(__name__)

BATCH = 50
# A user's devices at most: registering one more removes the least recently used (``register``).
MAX_DEVICES = 10
MAX_ENDPOINT = 1000
MAX_TOKEN = 4096
P256_POINT = 65  # an uncompressed P-256 public key
AUTH_SECRET = 16
FCM_TOKEN = re.compile(r"[A-Za-z0-9_:\-.]{20,4096}")
APNS_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){32,100}")


@dataclass(frozen=True)
class DeviceInput:
    kind: models.PushKind
    endpoint: str | None = None
    p256dh: str | None = None
    auth: str | None = None
    token: str | None = None


def _endpoint_problem(endpoint: str | None, settings: Settings) -> Problem | None:
    """An endpoint is an https:// address of one of the push services the settings name
    (``push_hosts``; no credentials, no fragment); http://127.0.0.1 only where the settings
    allow it (the suite's local push service)."""
    message = _("An https:// address of a push service (the subscription's endpoint).")
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        return ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, message)
    try:
        parts = urlsplit(endpoint)
        port = parts.port  # a port that is not a number is refused
    except ValueError:
        return ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, message)
    del port
    local = settings.push_allow_local_http and parts.scheme == "http" and parts.hostname == "127.0.0.1"
    if (parts.scheme != "https" and not local) or not parts.hostname or parts.username or parts.password:
        return ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, message)
    if not local and not push_host_allowed(parts.hostname, settings.push_hosts):
        return ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, message)  # not a push service: posted nowhere
    if parts.fragment or any(c.isspace() for c in endpoint):
        return ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, message)
    return None


def _key_problems(p256dh: str | None, auth: str | None) -> list[Problem]:
    problems: list[Problem] = []
    try:
        point = b64url_decode(p256dh or "")
        if len(point) != P256_POINT:
            raise ValueError("length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        problems.append(
            ("p256dh", ErrorCode.PUSH_KEY_INVALID, _("The subscription's p256dh key: 65 bytes in base64url."))
        )
    try:
        if len(b64url_decode(auth or "")) != AUTH_SECRET:
            raise ValueError("length")
    except ValueError:
        problems.append(
            ("auth", ErrorCode.PUSH_KEY_INVALID, _("The subscription's auth secret: 16 bytes in base64url."))
        )
    return problems


def validate(data: DeviceInput, settings: Settings) -> list[Problem]:
    """Every problem of the input: the fields its kind needs, well formed, and none other."""
    problems: list[Problem] = []
    if data.kind == models.PushKind.WEB_PUSH:
        if settings.vapid_private_key is None:
            problems.append(("kind", ErrorCode.PUSH_UNAVAILABLE, _("This server does not send Web Push.")))
        if (problem := _endpoint_problem(data.endpoint, settings)) is not None:
            problems.append(problem)
        problems.extend(_key_problems(data.p256dh, data.auth))
        if data.token is not None:
            problems.append(("token", ErrorCode.PUSH_TOKEN_INVALID, _("A Web Push subscription has no token.")))
        return problems
    token = data.token or ""
    pattern = FCM_TOKEN if data.kind == models.PushKind.FCM else APNS_TOKEN
    if len(token) > MAX_TOKEN or not pattern.fullmatch(token):
        message = (
            _("An FCM registration token.")
            if data.kind == models.PushKind.FCM
            else _("An APNs device token (hexadecimal).")
        )
        problems.append(("token", ErrorCode.PUSH_TOKEN_INVALID, message))
    if data.endpoint is not None or data.p256dh is not None or data.auth is not None:
        problems.append(
            ("endpoint", ErrorCode.PUSH_ENDPOINT_INVALID, _("Only a Web Push subscription has an endpoint and keys."))
        )
    return problems


def address_hash(data: DeviceInput) -> str:
    address = data.endpoint if data.kind == models.PushKind.WEB_PUSH else data.token
    return hashlib.sha256(f"{data.kind.value}\n{address}".encode()).hexdigest()


async def register(ctx: Context, data: DeviceInput) -> models.PushDevice:
    """A device for the viewer's session. The same endpoint or token registered before (by this
    login or another) is replaced: a device follows its latest login. A user has at most
    ``MAX_DEVICES``: one more removes the least recently used (``_make_room``). Audited by ids and
    kind."""
    viewer = ctx.viewer
    user_id, session_id = viewer.id, viewer.session_id
    problems = validate(data, ctx.settings)
    if problems:
        raise refuse(problems)
    assert session_id is not None  # an authenticated viewer came with its session (``sessions.admit``)
    digest = address_hash(data)
    school_id = await home_school_id(user_id)
    async with in_transaction():
        # One registration of a user at a time (their row locked on PostgreSQL; SQLite writes
        # one at a time anyway), so two at once cannot both find room for the last device.
        await models.User.filter(id=user_id).select_for_update().first()
        earlier = await models.PushDevice.filter(address_hash=digest).select_for_update().first()
        if earlier is not None:
            await earlier.delete()
        await _make_room(viewer, school_id)
        device = await models.PushDevice.create(
            user_id=user_id,
            session_id=session_id,
            kind=data.kind,
            address_hash=digest,
            endpoint=data.endpoint,
            p256dh=data.p256dh,
            auth=data.auth,
            token=data.token,
        )
        await audit.record(
            viewer,
            "push_device.register",
            "PushDevice",
            device.id,
            {"kind": data.kind.value, "session": session_id, "replaced": earlier is not None},
            school_id=school_id,
        )
    return device


async def _make_room(viewer: Viewer, school_id: int | None) -> None:
    """Below ``MAX_DEVICES`` for one more: the user's least recently used devices removed (the
    one whose session was last seen longest ago, the older registration first), each audited
    (``push_device.evict``). A device of a session that is no longer live counts as used least
    (it would not be sent to again anyway)."""
    devices = await models.PushDevice.filter(user_id=viewer.id)  # the user's row is locked (``register``)
    excess = len(devices) - MAX_DEVICES + 1
    if excess <= 0:
        return
    live = {d.id for d in await policy.own_push_devices(viewer).only("id")}
    sessions = await models.Session.filter(id__in={d.session_id for d in devices}).only("id", "last_seen_at")
    seen = {s.id: s.last_seen_at for s in sessions}
    ordered = sorted(devices, key=lambda d: (d.id in live, seen[d.session_id], d.created_at, d.id))
    for device in ordered[:excess]:
        await device.delete()  # and its pending pushes with it
        await audit.record(
            viewer,
            "push_device.evict",
            "PushDevice",
            device.id,
            {"kind": device.kind.value, "session": device.session_id},
            school_id=school_id,
        )


async def unregister(ctx: Context, device_id: str) -> None:
    """Remove one of the viewer's devices (of any of their live sessions). Another's, one of an
    ended session and anything that is not a device id are the same NOT_FOUND."""
    viewer = ctx.viewer
    pk = pk_of(device_id, "PushDevice")
    async with in_transaction():
        device = (
            await policy.own_push_devices(viewer).filter(id=pk).select_for_update().first() if pk is not None else None
        )
        if device is None:
            raise NotFound(_("No such push device."), ErrorCode.PUSH_DEVICE_NOT_FOUND)
        await device.delete()
        await audit.record(
            viewer,
            "push_device.unregister",
            "PushDevice",
            device.id,
            {"kind": device.kind.value, "session": device.session_id},
            school_id=await home_school_id(viewer.id),
        )


# Delivery.


async def deliver_due(senders: Senders, now: datetime | None = None, locale: str = core.FALLBACK) -> int:
    """One round: every claimed push attempted once, in ``locale``. Returns how many."""
    rows = await claim(models.PushDelivery, now or now_utc(), BATCH)
    with core.using(locale):
        for row in rows:
            await attempt(row, senders)
    return len(rows)


async def attempt(row: models.PushDelivery, senders: Senders) -> None:
    notification = await models.Notification.get(id=row.notification_id)
    recipient = Viewer(notification.user_id)
    device = await policy.own_push_devices(recipient).filter(id=row.device_id).first()
    if device is None:  # its session ended or expired, or the account was deactivated: never again
        await models.PushDevice.filter(id=row.device_id).delete()
        return
    settings = await models.NotificationSettings.filter(user_id=notification.user_id).first()
    due = await held_until(notification, settings)
    if due is not None:
        await models.PushDelivery.filter(id=row.id).update(next_attempt_at=due)
        return
    message = await render(notification)
    sender = senders.for_kind(device.kind.value)
    if message is None or sender is None:
        reason = _("The recipient may no longer see this.") if message is None else _("Not configured on this server.")
        await finish(row, models.DeliveryStatus.SKIPPED, error=str(reason))
        return
    target = Target(device.kind.value, device.endpoint, device.p256dh, device.auth, device.token)
    try:
        await sender.send(target, message, now_utc())
    except DeviceGone:
        log.info("push device %d is gone: removed", device.id)
        await device.delete()  # and its deliveries with it
        return
    except DeliveryError as exc:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.warning("push %d failed for good after %d attempts", row.id, attempts)
            await finish(row, models.DeliveryStatus.FAILED, error=str(exc))
        else:
            await models.PushDelivery.filter(id=row.id).update(
                attempts=attempts, last_error=str(exc)[:500], next_attempt_at=now_utc() + backoff(attempts)
            )
        return
    await finish(row, models.DeliveryStatus.SENT)
    await models.PushDevice.filter(id=device.id).update(last_sent_at=now_utc())


# What a lock screen shows, by category: the kind of news, never its content.
TITLES = {
    models.NotificationCategory.GRADES: _("New grade"),
    models.NotificationCategory.ABSENCES: _("Attendance"),
    models.NotificationCategory.HOMEWORK: _("New homework"),
    models.NotificationCategory.REMARKS: _("A teacher's remark"),
    models.NotificationCategory.ANNOUNCEMENTS: _("A new announcement"),
    models.NotificationCategory.MEETINGS: _("A parent-teacher meeting"),
    models.NotificationCategory.CHAT_MESSAGES: _("A new chat message"),
    models.NotificationCategory.ASSESSMENTS: _("An assessment tomorrow"),
}
FINAL_GRADE = _("A final grade was set")


def given_name(full_name: str) -> str:
    """The first word of a child's name: names are written given name first."""
    return full_name.split()[0] if full_name.split() else ""


async def render(n: models.Notification) -> PushMessage | None:
    """The push of a notification, read as its recipient sees it now; None when they may no
    longer see its source."""
    if not await policy.visible_notifications(Viewer(n.user_id)).filter(id=n.id).exists():
        return None
    title = FINAL_GRADE if n.kind == "TERM_GRADE_SET" else TITLES.get(n.category, _("Something new"))
    data = {"notification": to_global_id("Notification", n.id), "kind": n.kind, "category": n.category.value}
    body = str(_("Open ediary to see it."))
    if n.student_id is not None:
        child = await models.Student.get(id=n.student_id)
        body = given_name(child.full_name)
        data["student"] = to_global_id("Student", n.student_id)
    return PushMessage(str(title), body, data)
