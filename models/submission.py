"""Work a student hands in for homework (README "Hand-in"): its text and files (``StoredFile``
rows whose ``submission`` is this one), where it stands, and the grade it got."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.journal import Grade
    from models.roster import Student
    from models.timetable import Homework
    from models.user import User


class SubmissionStatus(StrEnum):
    """Where a student's work for a homework stands. ``ASSIGNED`` (nothing handed in) has no row;
    a row is one of the others."""

    ASSIGNED = "ASSIGNED"
    SUBMITTED = "SUBMITTED"
    LATE = "LATE"
    RETURNED = "RETURNED"
    GRADED = "GRADED"


class Submission(Model):
    """One student's work for one homework (one row per pair: a resubmission replaces the text
    and files and counts ``attempt`` up). ``late`` says the last hand-in came after the due time
    (the start of the homework's due lesson); ``returned_*`` is the teacher's last return, kept
    until the next one; ``grade`` is the journal's grade given for it, once graded."""

    id = fields.IntField(primary_key=True)
    homework: fields.ForeignKeyRelation[Homework] = fields.ForeignKeyField(
        "models.Homework", related_name="submissions", on_delete=fields.CASCADE
    )
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="submissions", on_delete=fields.CASCADE
    )
    text = fields.TextField(default="")
    status = fields.CharEnumField(SubmissionStatus, max_length=16)
    late = fields.BooleanField(default=False)
    attempt = fields.IntField(default=1)
    submitted_at = fields.DatetimeField()
    returned_at = fields.DatetimeField(null=True)
    returned_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="submissions_returned", null=True, on_delete=fields.SET_NULL
    )
    return_comment = fields.TextField(null=True)
    grade: fields.ForeignKeyNullableRelation[Grade] = fields.ForeignKeyField(
        "models.Grade", related_name="submissions", null=True, on_delete=fields.SET_NULL
    )
    graded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    homework_id: int
    student_id: int
    returned_by_id: int | None
    grade_id: int | None

    class Meta:
        table = "submission"
        unique_together = (("homework_id", "student_id"),)
