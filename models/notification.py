"""Notifications: a user's inbox of references to things that happened, their deliveries by
e-mail and SMS, each user's preferences, and the notifier's cursor over the outbox.

A notification copies no personal data: it points at its source (an outbox event, an
announcement, a meeting, a chat message) and is rendered through the policy when read."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.announcement import Announcement, Meeting
    from models.outbox import OutboxEvent
    from models.roster import Student
    from models.school import School
    from models.timetable import PlannedAssessment
    from models.user import User


class NotificationCategory(StrEnum):
    """What a user chooses channels for."""

    GRADES = "GRADES"
    ABSENCES = "ABSENCES"
    HOMEWORK = "HOMEWORK"
    REMARKS = "REMARKS"
    ANNOUNCEMENTS = "ANNOUNCEMENTS"
    MEETINGS = "MEETINGS"
    CHAT_MESSAGES = "CHAT_MESSAGES"
    ASSESSMENTS = "ASSESSMENTS"


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # the recipient may no longer see the source, or has no address any more


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="notifications", on_delete=fields.CASCADE
    )
    kind = fields.CharField(max_length=32)
    category = fields.CharEnumField(NotificationCategory, max_length=16)
    # Shown in the inbox; false when the user wants this category by e-mail or SMS only.
    in_app = fields.BooleanField(default=True)
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    outbox_event: fields.ForeignKeyNullableRelation[OutboxEvent] = fields.ForeignKeyField(
        "models.OutboxEvent", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    announcement: fields.ForeignKeyNullableRelation[Announcement] = fields.ForeignKeyField(
        "models.Announcement", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    meeting: fields.ForeignKeyNullableRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    # The assessment a day-before reminder is about (``resolvers/reminders.py``).
    planned_assessment: fields.ForeignKeyNullableRelation[PlannedAssessment] = fields.ForeignKeyField(
        "models.PlannedAssessment", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    # A chat message's id; not a foreign key so that notifications do not depend on the chat models.
    chat_message_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    read_at = fields.DatetimeField(null=True)

    user_id: int
    school_id: int | None
    student_id: int | None
    outbox_event_id: int | None
    announcement_id: int | None
    meeting_id: int | None
    planned_assessment_id: int | None

    class Meta:
        table = "notification"
        unique_together = (("user", "outbox_event"),)  # an event notifies each user once
        indexes = (Index(fields=("user_id", "id")), Index(fields=("user_id", "read_at")))


class NotificationSettings(Model):
    """The choices of a user. ``channels`` maps a category to the channels wanted besides the
    inbox ({"GRADES": {"inApp": true, "email": true, "sms": false}}); a category not listed
    uses the defaults (inbox only). Quiet hours are minutes after local midnight in
    ``timezone`` (the school's when null); e-mail and SMS wait until they end."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="notification_settings", on_delete=fields.CASCADE
    )
    channels: fields.Field[dict[str, Any] | None] = fields.JSONField(default=dict, null=True)
    quiet_start = fields.SmallIntField(null=True)
    quiet_end = fields.SmallIntField(null=True)
    timezone = fields.CharField(max_length=64, null=True)
    phone = fields.CharField(max_length=32, null=True)
    # The hour (0-23, local) of the day before an announced assessment when its reminder goes out; null: 18.
    reminder_hour = fields.SmallIntField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    user_id: int

    class Meta:
        table = "notification_settings"


class NotificationDelivery(Model):
    """One notification sent on one channel. The worker claims due rows by moving
    ``next_attempt_at`` forward (a lease), sends, and records the outcome; a failed attempt is
    retried with exponential backoff until ``MAX_ATTEMPTS``, then stays FAILED for the school's
    admins to see and retry."""

    id = fields.BigIntField(primary_key=True)
    notification: fields.ForeignKeyRelation[Notification] = fields.ForeignKeyField(
        "models.Notification", related_name="deliveries", on_delete=fields.CASCADE
    )
    channel = fields.CharEnumField(Channel, max_length=8)
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    attempts = fields.SmallIntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=500, null=True)
    sent_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    notification_id: int

    class Meta:
        table = "notification_delivery"
        indexes = (Index(fields=("status", "next_attempt_at")),)


class NotifierCursor(Model):
    """The one row (id 1) holding the last outbox event the notifier has turned into
    notifications; advanced in the same transaction as the notifications it wrote."""

    id = fields.IntField(primary_key=True)
    last_event_id = fields.BigIntField(default=0)

    class Meta:
        table = "notifier_cursor"


class AssessmentReminder(Model):
    """That a user was reminded of an assessment for its lesson's date: written with the
    reminder's notification, so that each family member is reminded once per date (a lesson
    moved to another day is reminded of again, the day before that day)."""

    id = fields.BigIntField(primary_key=True)
    planned_assessment: fields.ForeignKeyRelation[PlannedAssessment] = fields.ForeignKeyField(
        "models.PlannedAssessment", related_name="reminders", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assessment_reminders", on_delete=fields.CASCADE
    )
    lesson_date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)

    planned_assessment_id: int
    user_id: int

    class Meta:
        table = "assessment_reminder"
        unique_together = (("planned_assessment", "user", "lesson_date"),)
