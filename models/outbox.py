"""The outbox: each diary event is written in the same transaction as the change it reports.

The row id is the event's cursor: it only grows, so ``id > cursor`` replays what a client
missed. ``published_at`` is set once the event has been handed to the broker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.journal import Grade, TermGrade
    from models.remark import Remark
    from models.roster import Student
    from models.school import SchoolClass
    from models.submission import Submission
    from models.timetable import Homework, Lesson


class OutboxEvent(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="events", on_delete=fields.CASCADE
    )
    grade: fields.ForeignKeyNullableRelation[Grade] = fields.ForeignKeyField(
        "models.Grade", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    homework: fields.ForeignKeyNullableRelation[Homework] = fields.ForeignKeyField(
        "models.Homework", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    school_class: fields.ForeignKeyNullableRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="events", null=True, on_delete=fields.CASCADE
    )
    lesson: fields.ForeignKeyNullableRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    term_grade: fields.ForeignKeyNullableRelation[TermGrade] = fields.ForeignKeyField(
        "models.TermGrade", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    remark: fields.ForeignKeyNullableRelation[Remark] = fields.ForeignKeyField(
        "models.Remark", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    submission: fields.ForeignKeyNullableRelation[Submission] = fields.ForeignKeyField(
        "models.Submission", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    occurred_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)

    student_id: int
    grade_id: int | None
    homework_id: int | None
    school_class_id: int | None
    lesson_id: int | None
    term_grade_id: int | None
    remark_id: int | None
    submission_id: int | None

    class Meta:
        table = "outbox_event"
        indexes = (
            Index(fields=("student_id", "id")),
            Index(fields=("school_class_id", "id")),
            Index(fields=("published_at", "id")),
        )
