"""Files people attach to what they write: homework, announcements, chat messages, remarks,
absence notices (a doctor's note) and the work students hand in. The bytes live in the storage
(``edge/storage.py``) under ``key``; this row says what they are and whose they are."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.announcement import Announcement
    from models.attendance import AbsenceNotice
    from models.chat import Message
    from models.remark import Remark
    from models.submission import Submission
    from models.timetable import Homework
    from models.user import User


class StoredFile(Model):
    """A file uploaded by ``uploaded_by``. It is pending (its uploader's alone, attached to
    nothing) from ``fileUploadStart`` until the write of its owner object sets exactly one of the
    owner columns in that write's transaction; a pending file not attached by ``expires_at`` is
    removed with its bytes by the housekeeping sweep. ``size`` and ``content_type`` are those the
    server found in the bytes it received (null until they arrived); ``name`` is the uploader's
    file name, shown to readers but never written to the audit trail."""

    id = fields.IntField(primary_key=True)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    uploaded_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="files_uploaded", on_delete=fields.CASCADE
    )
    size = fields.IntField(null=True)
    content_type = fields.CharField(max_length=100, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    uploaded_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField()
    attached_at = fields.DatetimeField(null=True)
    homework: fields.ForeignKeyNullableRelation[Homework] = fields.ForeignKeyField(
        "models.Homework", related_name="files", null=True, on_delete=fields.CASCADE
    )
    announcement: fields.ForeignKeyNullableRelation[Announcement] = fields.ForeignKeyField(
        "models.Announcement", related_name="files", null=True, on_delete=fields.CASCADE
    )
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="files", null=True, on_delete=fields.CASCADE
    )
    remark: fields.ForeignKeyNullableRelation[Remark] = fields.ForeignKeyField(
        "models.Remark", related_name="files", null=True, on_delete=fields.CASCADE
    )
    absence_notice: fields.ForeignKeyNullableRelation[AbsenceNotice] = fields.ForeignKeyField(
        "models.AbsenceNotice", related_name="files", null=True, on_delete=fields.CASCADE
    )
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="files", null=True, on_delete=fields.CASCADE
    )

    uploaded_by_id: int
    homework_id: int | None
    announcement_id: int | None
    message_id: int | None
    remark_id: int | None
    absence_notice_id: int | None
    submission_id: int | None

    class Meta:
        table = "stored_file"
        indexes = (("attached_at", "expires_at"),)
