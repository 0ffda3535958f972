"""Push devices and push deliveries: notifications sent to a phone or a browser while the app
is closed (``resolvers/push.py``, README "Push notifications").

A device belongs to the session that registered it: it receives only while that session is
live (checked when sending), and goes with it. Its address (a Web Push endpoint, an FCM or
APNs token) is a secret of the device and never leaves these rows: not in the audit trail, not
in the logs, not in the API (a device is shown by its id, kind and dates)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.notification import DeliveryStatus

if TYPE_CHECKING:
    from models.notification import Notification
    from models.user import Session, User


class PushKind(StrEnum):
    WEB_PUSH = "WEB_PUSH"  # a browser's push subscription (RFC 8030, encrypted per RFC 8291, VAPID)
    FCM = "FCM"  # Firebase Cloud Messaging registration token (Android, and iOS through FCM)
    APNS = "APNS"  # an Apple Push Notification service device token


class PushDevice(Model):
    """One device of one session. ``address_hash`` (SHA-256 of the kind and the endpoint or
    token) is unique: the same browser or phone registered again, by the same or another login,
    replaces its earlier row, so a device follows its latest login only."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="push_devices", on_delete=fields.CASCADE
    )
    session: fields.ForeignKeyRelation[Session] = fields.ForeignKeyField(
        "models.Session", related_name="push_devices", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(PushKind, max_length=8)
    address_hash = fields.CharField(max_length=64, unique=True)
    # WEB_PUSH: the push service's endpoint and the subscription's keys (base64url); FCM/APNS: the token.
    endpoint = fields.CharField(max_length=1000, null=True)
    p256dh = fields.CharField(max_length=100, null=True)
    auth = fields.CharField(max_length=40, null=True)
    token = fields.CharField(max_length=4096, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_sent_at = fields.DatetimeField(null=True)

    user_id: int
    session_id: int

    class Meta:
        table = "push_device"
        indexes = (Index(fields=("user_id", "id")),)


class PushDelivery(Model):
    """One notification pushed to one device, at most once (unique pair). Claimed, retried
    with backoff and leased like ``NotificationDelivery``; a device the push service no longer
    knows (404/410) is deleted, and its deliveries with it."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="push_deliveries", on_delete=fields.CASCADE
    )
    device: fields.ForeignKeyRelation[PushDevice] = fields.ForeignKeyField(
        "models.PushDevice", related_name="deliveries", on_delete=fields.CASCADE
    )
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    notification_id: int
    device_id: int

    class Meta:
        table = "push_delivery"
        unique_together = (("notification", "device"),)
        indexes = (Index(fields=("status", "next_attempt_at")),)
