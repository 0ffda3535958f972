"""What teachers write: grades and attendance."""

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


class GradeKind(StrEnum):
    CLASSWORK = "CLASSWORK"
    HOMEWORK = "HOMEWORK"
    TEST = "TEST"
    CONTROL_WORK = "CONTROL_WORK"
    EXAM = "EXAM"


class AttendanceStatus(StrEnum):
    PRESENT = "PRESENT"
    ABSENT_EXCUSED = "ABSENT_EXCUSED"
    ABSENT_UNEXCUSED = "ABSENT_UNEXCUSED"
    LATE = "LATE"


class Grade(Model):
    """A grade as shown (``value``) and as counted (``numeric_value``, ``weight``).

    ``date`` copies the lesson's date (or the day of an out-of-lesson grade) so that a
    student's grades over a period are one index range scan. Removal is soft."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="grades", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="grades", on_delete=fields.RESTRICT
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="grades", on_delete=fields.RESTRICT
    )
    lesson: fields.ForeignKeyNullableRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="grades", null=True, on_delete=fields.RESTRICT
    )
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="grades_given", on_delete=fields.RESTRICT
    )
    date = fields.DateField()
    value = fields.CharField(max_length=16)
    numeric_value = fields.FloatField(null=True)
    weight = fields.SmallIntField(default=1)
    kind = fields.CharEnumField(GradeKind, max_length=20, default=GradeKind.CLASSWORK)
    comment = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    student_id: int
    subject_id: int
    school_class_id: int
    lesson_id: int | None
    teacher_id: int

    class Meta:
        table = "grade"
        indexes = (
            Index(fields=("student_id", "date")),
            Index(fields=("lesson_id",)),
            Index(fields=("school_class_id", "subject_id", "date")),
        )


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

    student_id: int
    lesson_id: int
    marked_by_id: int

    class Meta:
        table = "attendance"
        unique_together = (("student", "lesson"),)
        indexes = (Index(fields=("student_id", "date")),)
