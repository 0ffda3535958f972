"""Grades: lesson grades with their revisions, and term / year grades with theirs."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.roster import Student
    from models.school import AcademicYear, SchoolClass, Subject, Term
    from models.timetable import Lesson
    from models.user import User


class GradeKind(StrEnum):
    CLASSWORK = "CLASSWORK"
    HOMEWORK = "HOMEWORK"
    ORAL = "ORAL"
    QUIZ = "QUIZ"
    TEST = "TEST"
    LAB_WORK = "LAB_WORK"
    PROJECT = "PROJECT"
    CONTROL_WORK = "CONTROL_WORK"
    DICTATION = "DICTATION"
    EXAM = "EXAM"


class RevisionAction(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


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
    deleted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="grades_deleted", null=True, on_delete=fields.RESTRICT
    )
    delete_reason = fields.CharField(max_length=500, null=True)

    student_id: int
    subject_id: int
    school_class_id: int
    lesson_id: int | None
    teacher_id: int
    deleted_by_id: int | None

    class Meta:
        table = "grade"
        indexes = (
            Index(fields=("student_id", "date")),
            Index(fields=("lesson_id",)),
            Index(fields=("school_class_id", "subject_id", "date")),
        )


class GradeRevision(Model):
    """One change of a grade, append-only: who, when, what it was, what it became, and why.

    Written in the same transaction as the change. Creation is a revision too, so the
    history of a grade is complete from its first value."""

    id = fields.IntField(primary_key=True)
    grade: fields.ForeignKeyRelation[Grade] = fields.ForeignKeyField(
        "models.Grade", related_name="revisions", on_delete=fields.CASCADE
    )
    action = fields.CharEnumField(RevisionAction, max_length=16)
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="grade_revisions", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)
    old_value = fields.CharField(max_length=16, null=True)
    new_value = fields.CharField(max_length=16, null=True)
    old_weight = fields.SmallIntField(null=True)
    new_weight = fields.SmallIntField(null=True)
    old_kind = fields.CharField(max_length=20, null=True)
    new_kind = fields.CharField(max_length=20, null=True)
    old_comment = fields.CharField(max_length=1000, null=True)
    new_comment = fields.CharField(max_length=1000, null=True)
    reason = fields.CharField(max_length=500, null=True)

    grade_id: int
    actor_id: int

    class Meta:
        table = "grade_revision"
        indexes = (Index(fields=("grade_id", "at")),)


class TermGrade(Model):
    """A final grade of a student in a subject for a term, or for the whole year when
    ``term`` is null. ``period_key`` ("term:<id>" / "year:<id>") makes it unique per period."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="term_grades", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="term_grades", on_delete=fields.RESTRICT
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="term_grades", on_delete=fields.RESTRICT
    )
    academic_year: fields.ForeignKeyRelation[AcademicYear] = fields.ForeignKeyField(
        "models.AcademicYear", related_name="term_grades", on_delete=fields.RESTRICT
    )
    term: fields.ForeignKeyNullableRelation[Term] = fields.ForeignKeyField(
        "models.Term", related_name="term_grades", null=True, on_delete=fields.RESTRICT
    )
    period_key = fields.CharField(max_length=32)
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="term_grades_given", on_delete=fields.RESTRICT
    )
    value = fields.CharField(max_length=16)
    numeric_value = fields.FloatField(null=True)
    comment = fields.CharField(max_length=1000, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    student_id: int
    subject_id: int
    school_class_id: int
    academic_year_id: int
    term_id: int | None
    teacher_id: int

    class Meta:
        table = "term_grade"
        unique_together = (("student", "subject", "period_key"),)
        indexes = (Index(fields=("school_class_id", "subject_id", "period_key")),)


class TermGradeRevision(Model):
    """One change of a term or year grade, append-only (see ``GradeRevision``)."""

    id = fields.IntField(primary_key=True)
    term_grade: fields.ForeignKeyRelation[TermGrade] = fields.ForeignKeyField(
        "models.TermGrade", related_name="revisions", on_delete=fields.CASCADE
    )
    action = fields.CharEnumField(RevisionAction, max_length=16)
    actor: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="term_grade_revisions", on_delete=fields.RESTRICT
    )
    at = fields.DatetimeField(auto_now_add=True)
    old_value = fields.CharField(max_length=16, null=True)
    new_value = fields.CharField(max_length=16, null=True)
    reason = fields.CharField(max_length=500, null=True)

    term_grade_id: int
    actor_id: int

    class Meta:
        table = "term_grade_revision"
        indexes = (Index(fields=("term_grade_id", "at")),)
