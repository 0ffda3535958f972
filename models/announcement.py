"""Announcements (school or class news) and parent-teacher meetings."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.school import School, SchoolClass
    from models.user import User


class Audience(StrEnum):
    """Who reads an announcement, within its school (or its class when it has one)."""

    EVERYONE = "EVERYONE"
    PARENTS = "PARENTS"
    STUDENTS = "STUDENTS"
    TEACHERS = "TEACHERS"


class Announcement(Model):
    """News of a school (``school_class`` null) or of one class, for an ``audience``. Removing
    one keeps the row (``deleted_at``) so that the audit trail still names it."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="announcements", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyNullableRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="announcements", null=True, on_delete=fields.CASCADE
    )
    audience = fields.CharEnumField(Audience, max_length=16)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    pinned = fields.BooleanField(default=False)
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="announcements", on_delete=fields.RESTRICT
    )
    published_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    school_id: int
    school_class_id: int | None
    author_id: int

    class Meta:
        table = "announcement"
        indexes = (Index(fields=("school_id", "published_at")), Index(fields=("school_class_id", "published_at")))


class MeetingAnswer(StrEnum):
    ATTENDING = "ATTENDING"
    NOT_ATTENDING = "NOT_ATTENDING"


class Meeting(Model):
    """A parent-teacher meeting for the parents of one or more classes of a school."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="meetings", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    place = fields.CharField(max_length=200, null=True)
    link = fields.CharField(max_length=500, null=True)
    agenda = fields.TextField(default="")
    organiser: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meetings_organised", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    school_id: int
    organiser_id: int

    class Meta:
        table = "meeting"
        indexes = (Index(fields=("school_id", "starts_at")),)


class MeetingClass(Model):
    """A class whose parents are invited to a meeting."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="classes", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="meetings", on_delete=fields.CASCADE
    )

    meeting_id: int
    school_class_id: int

    class Meta:
        table = "meeting_class"
        unique_together = (("meeting", "school_class"),)


class MeetingResponse(Model):
    """The answer of an invited parent to a meeting. Answering again replaces it."""

    id = fields.IntField(primary_key=True)
    meeting: fields.ForeignKeyRelation[Meeting] = fields.ForeignKeyField(
        "models.Meeting", related_name="responses", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="meeting_responses", on_delete=fields.CASCADE
    )
    answer = fields.CharEnumField(MeetingAnswer, max_length=16)
    comment = fields.CharField(max_length=1000, null=True)
    answered_at = fields.DatetimeField()

    meeting_id: int
    user_id: int

    class Meta:
        table = "meeting_response"
        unique_together = (("meeting", "user"),)
