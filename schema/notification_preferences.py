"""Notification preferences: channels per category, quiet hours, the SMS phone number."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import inbox
from schema import types
from schema.errors import ValidationError
from schema.gates import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="Kinds of notifications grouped for preferences.")
class NotificationCategory(Enum):
    GRADES = strawberry.enum_value("GRADES", description="Grades and final grades.")
    ABSENCES = strawberry.enum_value("ABSENCES", description="Absences and late arrivals.")
    HOMEWORK = strawberry.enum_value("HOMEWORK", description="New homework.")
    REMARKS = strawberry.enum_value("REMARKS", description="Teachers' remarks.")
    ANNOUNCEMENTS = strawberry.enum_value("ANNOUNCEMENTS", description="School and class news.")
    MEETINGS = strawberry.enum_value("MEETINGS", description="Parent-teacher meetings.")
    CHAT_MESSAGES = strawberry.enum_value("CHAT_MESSAGES", description="Chat messages.")
    ASSESSMENTS = strawberry.enum_value(
        "ASSESSMENTS", description="Reminders of announced assessments, the day before (at `reminderHour`)."
    )


@strawberry.type(description="Which channels one category of notifications goes to.")
class CategoryChannels:
    category: NotificationCategory = strawberry.field(description="The category.")
    in_app: bool = strawberry.field(description="Shown in the inbox (and `notificationEvents`).")
    email: bool = strawberry.field(description="Sent by e-mail (to the account's address, if it has one).")
    sms: bool = strawberry.field(description="Sent by SMS (to `phone`).")
    push: bool = strawberry.field(
        description="Pushed to your devices (`pushDeviceRegister`), also while the app is closed; on by default."
    )


@strawberry.type(description="Your notification preferences.")
class NotificationPreferences:
    model: strawberry.Private[models.NotificationSettings]

    @strawberry.field(description="Channels per category, every category (defaults: the inbox only).")
    def channels(self) -> list[CategoryChannels]:
        return [
            CategoryChannels(
                category=NotificationCategory(c.category.value), in_app=c.in_app, email=c.email, sms=c.sms, push=c.push
            )
            for c in inbox.choices(self.model)
        ]

    @strawberry.field(description="Quiet hours start (local time): no e-mail, SMS or push until they end. Null: none.")
    def quiet_hours_start(self) -> dt.time | None:
        m = self.model.quiet_start
        return dt.time(m // 60, m % 60) if m is not None else None

    @strawberry.field(description="Quiet hours end (local time); e-mail, SMS and push held back are sent then.")
    def quiet_hours_end(self) -> dt.time | None:
        m = self.model.quiet_end
        return dt.time(m // 60, m % 60) if m is not None else None

    @strawberry.field(description="The IANA time zone of the quiet hours; null: your school's.")
    def timezone(self) -> str | None:
        return self.model.timezone

    @strawberry.field(
        description="The hour (0-23, local time) of the day before an announced assessment when you are reminded "
        "of it (moved to the end of the quiet hours if they hold it); null: 18."
    )
    def reminder_hour(self) -> int | None:
        hour = self.model.reminder_hour
        return int(hour) if hour is not None else None

    @strawberry.field(description="The phone number SMS go to.")
    def phone(self) -> str | None:
        return self.model.phone


@strawberry.type
class PreferencesViewer:
    @strawberry.field(description="Your notification preferences.")
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        user_id = info.context.viewer.user_id
        assert user_id is not None  # the viewer object exists only for a logged-in user
        return NotificationPreferences(model=await inbox.preferences(user_id))


@strawberry.input(description="The channels of one category.")
class CategoryChannelsInput:
    category: NotificationCategory = strawberry.field(description="The category.")
    in_app: bool = strawberry.field(default=True, description="Show it in the inbox.")
    email: bool = strawberry.field(default=False, description="Send it by e-mail.")
    sms: bool = strawberry.field(default=False, description="Send it by SMS (needs `phone`).")
    push: bool = strawberry.field(default=True, description="Push it to your registered devices.")


@strawberry.input(description="Notification preferences. Categories not listed keep their channels.")
class NotificationPreferencesSetInput:
    channels: list[CategoryChannelsInput] = strawberry.field(
        default_factory=list, description="Channels per category, each category at most once."
    )
    quiet_hours_start: dt.time | None = strawberry.field(
        default=None, description="Quiet hours start, local time (with `quietHoursEnd`; both null: none)."
    )
    quiet_hours_end: dt.time | None = strawberry.field(default=None, description="Quiet hours end, local time.")
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone of the quiet hours; null: your school's."
    )
    phone: str | None = strawberry.field(default=None, description="Phone for SMS, international form (+7...).")
    reminder_hour: int | None = strawberry.field(
        default=None, description="The hour (0-23, local) of assessment reminders, the day before; null: 18."
    )


@strawberry.type(description="The preferences as saved.")
class NotificationPreferencesSetSuccess:
    preferences: NotificationPreferences = strawberry.field(description="Your preferences.")


NotificationPreferencesSetResult = Annotated[
    NotificationPreferencesSetSuccess | ValidationError,
    strawberry.union(
        "NotificationPreferencesSetResult",
        description="The saved preferences, or why not (nothing changed). ValidationError codes: "
        "DUPLICATE_CATEGORY, QUIET_HOURS_INCOMPLETE, UNKNOWN_TIMEZONE, INVALID_PHONE, PHONE_REQUIRED, HOUR_INVALID.",
    ),
]


@strawberry.type
class PreferenceMutations:
    @strawberry.mutation(
        description="Choose channels per category, quiet hours and the SMS phone number.",
        permission_classes=[IsAuthenticated],
    )
    async def notification_preferences_set(
        self, info: Info, input: Annotated[NotificationPreferencesSetInput, INPUT]
    ) -> NotificationPreferencesSetResult:
        row = await inbox.set_preferences(
            info.context,
            inbox.PreferencesInput(
                channels=[
                    inbox.CategoryChoice(models.NotificationCategory(c.category.name), c.in_app, c.email, c.sms, c.push)
                    for c in input.channels
                ],
                quiet_start=input.quiet_hours_start,
                quiet_end=input.quiet_hours_end,
                timezone=input.timezone,
                phone=input.phone,
                reminder_hour=input.reminder_hour,
            ),
        )
        return NotificationPreferencesSetSuccess(preferences=NotificationPreferences(model=row))
