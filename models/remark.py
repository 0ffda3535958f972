"""Remarks: a teacher's note on a student that the family reads and acknowledges."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.roster import Student
    from models.school import SchoolClass, Subject
    from models.timetable import Lesson
    from models.user import User


class RemarkKind(StrEnum):
    PRAISE = "PRAISE"
    BEHAVIOUR = "BEHAVIOUR"
    MISSING_WORK = "MISSING_WORK"
    OTHER = "OTHER"


class Remark(Model):
    """A teacher's note on a student, optionally about a lesson. The first guardian (or the
    student) to acknowledge it is recorded with the time."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="remarks", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="remarks", on_delete=fields.RESTRICT
    )
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="remarks_written", on_delete=fields.RESTRICT
    )
    subject: fields.ForeignKeyNullableRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="remarks", null=True, on_delete=fields.RESTRICT
    )
    lesson: fields.ForeignKeyNullableRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="remarks", null=True, on_delete=fields.SET_NULL
    )
    kind = fields.CharEnumField(RemarkKind, max_length=16)
    text = fields.CharField(max_length=2000)
    date = fields.DateField()
    created_at = fields.DatetimeField(auto_now_add=True)
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="remarks_acknowledged", null=True, on_delete=fields.SET_NULL
    )

    student_id: int
    school_class_id: int
    author_id: int
    subject_id: int | None
    lesson_id: int | None
    acknowledged_by_id: int | None

    class Meta:
        table = "remark"
        indexes = (Index(fields=("student_id", "date")),)
