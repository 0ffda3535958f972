"""Attendance: the register of each lesson with its history, and parents' absence notices."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.roster import Student
    from models.timetable import Lesson
    from models.user import User


class AttendanceStatus(StrEnum):
    PRESENT = "PRESENT"
    ABSENT_EXCUSED = "ABSENT_EXCUSED"
    ABSENT_UNEXCUSED = "ABSENT_UNEXCUSED"
    LATE = "LATE"


class AbsenceNoticeKind(StrEnum):
    BY_DAY = "BY_DAY"
    LESSONS = "LESSONS"


class Attendance(Model):
    """A student's attendance at one lesson, one row per (student, lesson)."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="attendance", on_delete=fields.CASCADE
    )
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="attendance", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    status = fields.CharEnumField(AttendanceStatus, max_length=20)
    late_minutes = fields.SmallIntField(null=True)
    reason = fields.CharField(max_length=500, null=True)
    marked_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="attendance_marked", on_delete=fields.RESTRICT
    )
    marked_at = fields.DatetimeField(auto_now=True)
    # Set when the mark was pre-filled from a parent's absence notice (until a teacher re-marks).
    notice: fields.ForeignKeyNullableRelation[AbsenceNotice] = fields.ForeignKeyField(
        "models.AbsenceNotice", related_name="marks", null=True, on_delete=fields.SET_NULL
    )

    student_id: int
    lesson_id: int
    marked_by_id: int
    notice_id: int | None

    class Meta:
        table = "attendance"
        unique_together = (("student", "lesson"),)
        indexes = (Index(fields=("student_id", "date")),)


class AttendanceRevision(Model):
    """One change of a mark, append-only: re-marking a register replaces the mark and keeps
    what it was here (``old_status`` null: the first mark)."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="attendance_revisions", on_delete=fields.CASCADE
    )
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="attendance_revisions", on_delete=fields.CASCADE
    )
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="attendance_revisions", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)
    old_status = fields.CharField(max_length=20, null=True)
    new_status = fields.CharField(max_length=20, null=True)
    old_late_minutes = fields.SmallIntField(null=True)
    new_late_minutes = fields.SmallIntField(null=True)
    old_reason = fields.CharField(max_length=500, null=True)
    new_reason = fields.CharField(max_length=500, null=True)

    student_id: int
    lesson_id: int
    actor_id: int

    class Meta:
        table = "attendance_revision"
        indexes = (Index(fields=("lesson_id", "student_id", "at")),)


class AbsenceNotice(Model):
    """A parent's notice that their child will miss (or missed) school: whole days from
    ``start_date`` to ``end_date`` (BY_DAY) or chosen lessons (LESSONS). What it still
    covers is its items; deleting days deletes items, and a notice with none left is gone."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="absence_notices", on_delete=fields.CASCADE
    )
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="absence_notices", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(AbsenceNoticeKind, max_length=16)
    start_date = fields.DateField()
    end_date = fields.DateField()
    reason = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)

    student_id: int
    created_by_id: int

    class Meta:
        table = "absence_notice"
        indexes = (Index(fields=("student_id", "start_date")),)


class AbsenceNoticeItem(Model):
    """One day (BY_DAY: ``lesson`` null) or one lesson (LESSONS) a notice covers."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[AbsenceNotice] = fields.ForeignKeyField(
        "models.AbsenceNotice", related_name="items", on_delete=fields.CASCADE
    )
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="absence_notice_items", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    lesson: fields.ForeignKeyNullableRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="absence_notice_items", null=True, on_delete=fields.CASCADE
    )

    notice_id: int
    student_id: int
    lesson_id: int | None

    class Meta:
        table = "absence_notice_item"
        indexes = (Index(fields=("student_id", "date")), Index(fields=("notice_id",)))
