"""The audit trail: every write that matters, who made it, when, and what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.school import School
    from models.user import User


class AuditEntry(Model):
    """One write. ``school`` is the school whose data it changed, when there is one: a school's
    admins read their school's entries."""

    id = fields.IntField(primary_key=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    school: fields.ForeignKeyNullableRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=64)
    object_id = fields.IntField(null=True)
    details: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    address = fields.CharField(max_length=64, null=True)
    at = fields.DatetimeField(auto_now_add=True)

    actor_id: int | None
    school_id: int | None

    class Meta:
        table = "audit_entry"
        indexes = (
            Index(fields=("object_type", "object_id")),
            Index(fields=("actor_id", "at")),
            Index(fields=("school_id", "at")),
        )
