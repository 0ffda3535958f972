"""Writing notifications: one place (``write``) turns drafts into inbox rows and e-mail / SMS /
push deliveries according to each recipient's preferences; ``notify`` does it in its own
transaction and wakes the recipients' live streams. Announcements and meetings call
``write`` inside their own write transaction; the notifier does for diary events; a chat
writes ``chat_message_drafts`` in a message's transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.transactions import in_transaction

import models
from pubsub.broker import Broker, BrokerUnavailable, encode, user_topic
from resolvers import core
from resolvers.core import now_utc, zone_named

log = logging.getLogger(__name__)

NOTIFICATION = "NOTIFICATION"  # the kind of a wake-up message on a user's topic

# Channels wanted when a user has not chosen: the inbox, and push to the devices they
# registered (registering one is asking for it; none registered, none sent).
DEFAULT_CHANNELS = {"inApp": True, "email": False, "sms": False, "push": True}


@dataclass(frozen=True)
class Draft:
    """A notification to write: who, what kind, and references to its source (ids only)."""

    user_id: int
    kind: str
    category: models.NotificationCategory
    school_id: int | None
    student_id: int | None = None
    outbox_event_id: int | None = None
    announcement_id: int | None = None
    meeting_id: int | None = None
    chat_message_id: int | None = None
    planned_assessment_id: int | None = None


def channels_of(settings: models.NotificationSettings | None, category: models.NotificationCategory) -> dict[str, bool]:
    chosen = (settings.channels or {}).get(category.value) if settings else None
    return {key: bool((chosen or DEFAULT_CHANNELS).get(key, default)) for key, default in DEFAULT_CHANNELS.items()}


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name`` (``core.zone_named``), UTC when there is none."""
    return zone_named(name) or ZoneInfo("UTC")


def outside_quiet_hours(moment: datetime, start: int | None, end: int | None, tz: ZoneInfo) -> datetime:
    """``moment`` if it is outside the quiet hours (minutes after local midnight, ``start`` to
    ``end``, possibly over midnight), else the instant they end."""
    if start is None or end is None or start == end:
        return moment
    local = moment.astimezone(tz)
    minute = local.hour * 60 + local.minute
    quiet = start <= minute < end if start < end else minute >= start or minute < end
    if not quiet:
        return moment
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    ends = datetime.combine(day, time(end // 60, end % 60), tzinfo=tz)
    return ends.astimezone(moment.tzinfo)


async def held_until(
    notification: models.Notification, settings: models.NotificationSettings | None
) -> datetime | None:
    """When the recipient's quiet hours end, if they hold ``notification`` now: checked when
    sending too, as a retry (or an admin's) may fall into them. None: send now."""
    if settings is None or settings.quiet_start is None:
        return None
    school = await models.School.get_or_none(id=notification.school_id) if notification.school_id else None
    tz = zone(settings.timezone or (school.timezone if school else None))
    now = now_utc()
    due = outside_quiet_hours(now, settings.quiet_start, settings.quiet_end, tz)
    return due if due > now else None


async def write(drafts: Sequence[Draft]) -> set[int]:
    """Inside the caller's transaction: the notifications of ``drafts`` that their recipients
    want (in the inbox, by e-mail, by SMS, by push), with a pending delivery per outside channel
    and per push device of a live session, timed after the recipient's quiet hours. Returns the
    users whose inbox changed."""
    drafts = await _not_yet_notified(drafts)
    if not drafts:
        return set()
    user_ids = {d.user_id for d in drafts}
    chosen = {s.user_id: s for s in await models.NotificationSettings.filter(user_id__in=user_ids)}
    users = {u.id: u for u in await models.User.filter(id__in=user_ids, is_active=True).only("id", "email")}
    school_ids = {d.school_id for d in drafts if d.school_id is not None}
    zones = dict(await models.School.filter(id__in=school_ids).values_list("id", "timezone")) if school_ids else {}
    devices: dict[int, list[int]] = {}
    for device_id, owner in await models.PushDevice.filter(
        user_id__in=user_ids, session__ended_at__isnull=True
    ).values_list("id", "user_id"):
        devices.setdefault(int(owner), []).append(int(device_id))
    now = now_utc()
    plain: list[tuple[Any, ...]] = []
    pushes: list[models.PushDelivery] = []
    woken: set[int] = set()
    deliveries: list[models.NotificationDelivery] = []
    for draft in drafts:
        user = users.get(draft.user_id)
        if user is None:
            continue
        settings = chosen.get(draft.user_id)
        wanted = channels_of(settings, draft.category)
        outside: list[models.Channel] = []
        if wanted["email"] and user.email:
            outside.append(models.Channel.EMAIL)
        if wanted["sms"] and settings is not None and settings.phone:
            outside.append(models.Channel.SMS)
        pushed = devices.get(draft.user_id, []) if wanted["push"] else []
        if not wanted["inApp"] and not outside and not pushed:
            continue
        if wanted["inApp"]:
            woken.add(draft.user_id)
        if not outside and not pushed:
            plain.append(
                (
                    draft.user_id,
                    draft.kind,
                    draft.category,
                    wanted["inApp"],
                    draft.school_id,
                    draft.student_id,
                    draft.outbox_event_id,
                    draft.announcement_id,
                    draft.meeting_id,
                    draft.chat_message_id,
                    draft.planned_assessment_id,
                    now,
                )
            )
            continue
        row = models.Notification(
            user_id=draft.user_id,
            kind=draft.kind,
            category=draft.category,
            in_app=wanted["inApp"],
            school_id=draft.school_id,
            student_id=draft.student_id,
            outbox_event_id=draft.outbox_event_id,
            announcement_id=draft.announcement_id,
            meeting_id=draft.meeting_id,
            chat_message_id=draft.chat_message_id,
            planned_assessment_id=draft.planned_assessment_id,
        )
        await row.save()  # its id is needed for the deliveries
        tz = zone((settings.timezone if settings else None) or zones.get(draft.school_id))
        due = outside_quiet_hours(now, settings.quiet_start, settings.quiet_end, tz) if settings else now
        deliveries.extend(
            models.NotificationDelivery(notification_id=row.id, channel=channel, next_attempt_at=due)
            for channel in outside
        )
        pushes.extend(
            models.PushDelivery(notification_id=row.id, device_id=device, next_attempt_at=due) for device in pushed
        )
    if plain:
        await _insert(plain)
    if deliveries:
        await models.NotificationDelivery.bulk_create(deliveries)
    if pushes:
        await models.PushDelivery.bulk_create(pushes)
    return woken


# What ``write`` fills of a notification, in this order: those without a delivery to make go
# in as values (``_insert``), with no model made for each (the notifier writes one per family
# member of every diary event).
_FILLED = (
    "user_id",
    "kind",
    "category",
    "in_app",
    "school_id",
    "student_id",
    "outbox_event_id",
    "announcement_id",
    "meeting_id",
    "chat_message_id",
    "planned_assessment_id",
    "created_at",
)


async def _insert(rows: Sequence[tuple[Any, ...]]) -> None:
    """Notifications given as values of ``_FILLED``, in one INSERT per ``core.MAX_VALUES``
    values, each value converted by the model's own field as ``bulk_create`` converts it."""
    meta = models.Notification._meta
    converters = [meta.fields_map[name].to_db_value for name in _FILLED]
    columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in _FILLED)
    conn = connections.get("default")
    postgres = core.dialect() == "postgres"
    per_statement = core.MAX_VALUES // len(_FILLED)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values = [
            convert(value, models.Notification) for row in chunk for convert, value in zip(converters, row, strict=True)
        ]
        if postgres:
            numbers = iter(range(1, len(values) + 1))
            groups = ", ".join("(" + ", ".join(f"${next(numbers)}" for _ in _FILLED) + ")" for _ in chunk)
        else:
            groups = ", ".join("(" + ", ".join("?" * len(_FILLED)) + ")" for _ in chunk)
        await conn.execute_query(f'INSERT INTO "{meta.db_table}" ({columns}) VALUES {groups}', values)


async def _not_yet_notified(drafts: Sequence[Draft]) -> list[Draft]:
    """Drop drafts about an outbox event its user was already notified of: an event notifies
    each user once (also enforced by a unique index, which must never stop the notifier)."""
    event_ids = {d.outbox_event_id for d in drafts if d.outbox_event_id is not None}
    if not event_ids:
        return list(drafts)
    rows = await models.Notification.filter(outbox_event_id__in=event_ids).values("user_id", "outbox_event_id")
    done = {(row["user_id"], row["outbox_event_id"]) for row in rows}
    return [d for d in drafts if (d.user_id, d.outbox_event_id) not in done]


async def publish(broker: Broker, user_ids: Iterable[int]) -> None:
    """After commit: wake the recipients' ``notificationEvents`` streams, which then read their
    inbox after their cursor. A lost broker loses only the wake-up: the next one, or a
    resubscription with ``after``, delivers what is in the inbox."""
    messages = [(user_topic(uid), encode(0, NOTIFICATION)) for uid in sorted(user_ids)]
    if not messages:
        return
    try:
        await broker.publish_many(messages)
    except BrokerUnavailable:
        log.warning("broker unavailable: %d inbox wake-up(s) not sent", len(messages))


async def notify(broker: Broker, drafts: Sequence[Draft]) -> set[int]:
    """Write ``drafts`` in their own transaction, then wake the recipients."""
    async with in_transaction():
        woken = await write(drafts)
    await publish(broker, woken)
    return woken


def chat_message_drafts(message_id: int, recipient_ids: Iterable[int], school_id: int | None) -> list[Draft]:
    """For the chats, to ``write`` in the message's own transaction: a CHAT_MESSAGE
    notification per recipient (the chat's current members but the author), referring to the
    message by id."""
    return [
        Draft(
            user_id=uid,
            kind="CHAT_MESSAGE",
            category=models.NotificationCategory.CHAT_MESSAGES,
            school_id=school_id,
            chat_message_id=message_id,
        )
        for uid in sorted(set(recipient_ids))
    ]
