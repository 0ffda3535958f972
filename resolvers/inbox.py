"""The reading side of notifications: the inbox, marking read, preferences, the admins'
view of deliveries, and the live ``notificationEvents`` stream."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass
from datetime import time

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from pubsub.broker import user_topic
from resolvers import audit, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of, zone_named
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.notifications import channels_of
from resolvers.sessions import Context

CURSOR_KIND = "notification"
INBOX = outbox.Source(models.Notification, CURSOR_KIND, "created_at", "the inbox")
MAX_IDS = 100
PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


async def mark_read(ctx: Context, ids: list[str] | None, everything: bool) -> int:
    """Marks the named notifications (or all of the inbox) read; returns how many changed.
    An id that is not in the viewer's inbox is NOT_FOUND and nothing changes."""
    problems: list[Problem] = []
    if everything == bool(ids):
        problems.append(("ids", ErrorCode.IDS_OR_ALL, _("Pass the ids to mark, or `all: true`.")))
    elif ids and len(ids) > MAX_IDS:
        problems.append(
            (
                "ids",
                ErrorCode.TOO_MANY,
                ngettext(
                    "At most {n} id at once; use `all: true` for everything.",
                    "At most {n} ids at once; use `all: true` for everything.",
                    MAX_IDS,
                ),
            )
        )
    if problems:
        raise refuse(problems)
    scope = policy.inbox(ctx.viewer).filter(read_at__isnull=True)
    if not everything:
        pks = {pk_of(i, "Notification") for i in ids or []}
        found = await policy.inbox(ctx.viewer).filter(id__in={p for p in pks if p}).count() if None not in pks else -1
        if found != len(pks):
            raise NotFound(_("No such notification."), ErrorCode.NOTIFICATION_NOT_FOUND)
        scope = scope.filter(id__in=pks)
    return await scope.update(read_at=now_utc())


@dataclass(frozen=True)
class CategoryChoice:
    category: models.NotificationCategory
    in_app: bool
    email: bool
    sms: bool
    push: bool = True


@dataclass(frozen=True)
class PreferencesInput:
    channels: list[CategoryChoice]
    quiet_start: time | None
    quiet_end: time | None
    timezone: str | None
    phone: str | None
    reminder_hour: int | None = None


async def set_preferences(ctx: Context, data: PreferencesInput) -> models.NotificationSettings:
    """Replaces the listed categories' channels (others keep theirs), the quiet hours, the
    time zone and the phone number."""
    user_id = ctx.viewer.id
    problems: list[Problem] = []
    seen: set[models.NotificationCategory] = set()
    for i, choice in enumerate(data.channels):
        if choice.category in seen:
            problems.append((f"channels[{i}].category", ErrorCode.DUPLICATE_CATEGORY, _("Each category once.")))
        seen.add(choice.category)
    if (data.quiet_start is None) != (data.quiet_end is None):
        problems.append(
            ("quietHoursEnd", ErrorCode.QUIET_HOURS_INCOMPLETE, _("Give both ends of the quiet hours, or neither."))
        )
    if data.timezone is not None and zone_named(data.timezone) is None:
        problems.append(("timezone", ErrorCode.UNKNOWN_TIMEZONE, _("An IANA time zone, e.g. Europe/Moscow.")))
    phone = data.phone.replace(" ", "") if data.phone else None
    if phone is not None and not PHONE.match(phone):
        problems.append(
            ("phone", ErrorCode.INVALID_PHONE, _("A phone number in international form, e.g. +79161234567."))
        )
    if data.reminder_hour is not None and not 0 <= data.reminder_hour <= 23:
        problems.append(("reminderHour", ErrorCode.HOUR_INVALID, _("An hour from 0 to 23.")))
    if any(c.sms for c in data.channels) and not phone:
        problems.append(("phone", ErrorCode.PHONE_REQUIRED, _("SMS needs a phone number.")))
    if problems:
        raise refuse(problems)

    def minutes(t: time | None) -> int | None:
        return t.hour * 60 + t.minute if t is not None else None

    async with in_transaction():
        row = await models.NotificationSettings.filter(user_id=user_id).select_for_update().first()
        if row is None:
            row = models.NotificationSettings(user_id=user_id, channels={})
        chosen = dict(row.channels or {})
        for c in data.channels:
            chosen[c.category.value] = {"inApp": c.in_app, "email": c.email, "sms": c.sms, "push": c.push}
        row.channels = chosen
        row.quiet_start, row.quiet_end = minutes(data.quiet_start), minutes(data.quiet_end)
        row.timezone, row.phone, row.reminder_hour = data.timezone, phone, data.reminder_hour
        await row.save()
        await audit.record(
            ctx.viewer,
            "notification_settings.set",
            "NotificationSettings",
            row.id,
            {
                "channels": chosen,
                "quietStart": row.quiet_start,
                "quietEnd": row.quiet_end,
                "timezone": row.timezone,
                "reminderHour": row.reminder_hour,
            },
        )
    return row


async def preferences(user_id: int) -> models.NotificationSettings:
    """The user's choices; an unsaved row with the defaults when they have never chosen."""
    found = await models.NotificationSettings.filter(user_id=user_id).first()
    return found or models.NotificationSettings(user_id=user_id, channels={})


def choices(row: models.NotificationSettings) -> list[CategoryChoice]:
    out = []
    for category in models.NotificationCategory:
        c = channels_of(row, category)
        out.append(CategoryChoice(category, c["inApp"], c["email"], c["sms"], c["push"]))
    return out


async def retry_delivery(ctx: Context, delivery_id: str) -> models.NotificationDelivery:
    """An admin of the school sends a FAILED (or SKIPPED) delivery again, now, with a fresh
    count of attempts."""
    row = await found_in(
        policy.visible_deliveries(ctx.viewer),
        delivery_id,
        "NotificationDelivery",
        _("No such delivery."),
        ErrorCode.DELIVERY_NOT_FOUND,
    )
    if row.status in (models.DeliveryStatus.PENDING, models.DeliveryStatus.SENT):
        code = ErrorCode.ALREADY_PENDING if row.status == models.DeliveryStatus.PENDING else ErrorCode.ALREADY_SENT
        raise refuse(
            [
                (
                    "deliveryId",
                    code,
                    _("The delivery is already pending.")
                    if code == ErrorCode.ALREADY_PENDING
                    else _("The delivery was already sent."),
                )
            ]
        )
    notification = await models.Notification.get(id=row.notification_id)
    async with in_transaction():
        await models.NotificationDelivery.filter(id=row.id).update(
            status=models.DeliveryStatus.PENDING, attempts=0, next_attempt_at=now_utc()
        )
        await audit.record(
            ctx.viewer,
            "notification_delivery.retry",
            "NotificationDelivery",
            row.id,
            {"channel": row.channel.value, "lastError": row.last_error},
            school_id=notification.school_id,
        )
    await row.refresh_from_db()
    return row


async def notification_events(ctx: Context, after: str | None) -> AsyncIterator[outbox.Delivery[models.Notification]]:
    """The inbox live: notifications after ``after`` (a notification cursor) are replayed, then
    new ones follow as they arrive, each re-read through the policy when delivered (one whose
    source the viewer may no longer see is skipped)."""

    async def follow() -> outbox.Follow[models.Notification]:
        uid = ctx.viewer.id
        floor = await outbox.start(ctx, INBOX, after, newest=Q(user_id=uid))

        async def check(row: models.Notification, _answer: frozenset[int] | None) -> Hashable | None:
            shown = policy.live(policy.inbox(ctx.viewer), ctx.viewer).filter(id=row.id)
            return ("user", uid) if await shown.exists() else None

        return outbox.Follow(INBOX, (user_topic(uid),), Q(user_id=uid, in_app=True), floor, check)

    async for delivery in outbox.run(ctx, follow):
        yield delivery
