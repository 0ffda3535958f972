"""Who is who in a school: students, their classes over time, guardians, teaching assignments."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.group import ClassGroup
    from models.school import School, SchoolClass, Subject
    from models.user import User


class Student(Model):
    """A child on a school's roll. ``user`` is the child's own login, when they have one."""

    id = fields.IntField(primary_key=True)
    user: fields.OneToOneNullableRelation[User] = fields.OneToOneField(
        "models.User", related_name="student", null=True, on_delete=fields.SET_NULL
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="students", on_delete=fields.RESTRICT
    )
    full_name = fields.CharField(max_length=200)
    birth_date = fields.DateField(null=True)

    user_id: int | None
    school_id: int

    class Meta:
        table = "student"


class Enrollment(Model):
    """A student's membership of a class from ``start_date`` to ``end_date`` (inclusive, open
    while null). A transfer ends one enrolment and starts another."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="enrollments", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="enrollments", on_delete=fields.CASCADE
    )
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)

    student_id: int
    school_class_id: int

    class Meta:
        table = "enrollment"
        indexes = (Index(fields=("school_class_id", "start_date")), Index(fields=("student_id", "start_date")))


class Guardianship(Model):
    """A parent or legal representative of a student. Revoking keeps the row for history:
    ``revoked_at`` is set while it is revoked (every scope reads only the unrevoked ones),
    and each revocation, with who made it, why, and who restored it, is a
    ``GuardianshipRevocation``."""

    id = fields.IntField(primary_key=True)
    guardian: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="guardianships", on_delete=fields.CASCADE
    )
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="guardianships", on_delete=fields.CASCADE
    )
    relation = fields.CharField(max_length=50, default="parent")
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)

    guardian_id: int
    student_id: int

    class Meta:
        table = "guardianship"
        indexes = (Index(fields=("guardian_id", "student_id")),)


class RevocationCategory(StrEnum):
    """Why a guardianship was revoked, as a category (the words are the revocation's ``reason``)."""

    COURT_ORDER = "COURT_ORDER"
    CUSTODY_CHANGE = "CUSTODY_CHANGE"
    GUARDIAN_REQUEST = "GUARDIAN_REQUEST"
    ENTERED_BY_MISTAKE = "ENTERED_BY_MISTAKE"
    OTHER = "OTHER"


class GuardianshipRevocation(Model):
    """One revocation of a guardianship by a school's admin, open until it is restored. The
    ``reason`` is the admin's words, kept here only (the audit trail records the category):
    read by the school's admins alone. ``chat_members`` are the ``ChatMember`` rows the
    revocation closed, given back on restore while nobody has changed them since."""

    id = fields.IntField(primary_key=True)
    guardianship: fields.ForeignKeyRelation[Guardianship] = fields.ForeignKeyField(
        "models.Guardianship", related_name="revocations", on_delete=fields.CASCADE
    )
    category = fields.CharEnumField(RevocationCategory, max_length=32)
    reason = fields.CharField(max_length=500)
    revoked_at = fields.DatetimeField()
    revoked_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="guardianships_revoked", null=True, on_delete=fields.SET_NULL
    )
    restored_at = fields.DatetimeField(null=True)
    restored_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="guardianships_restored", null=True, on_delete=fields.SET_NULL
    )
    chat_members: Any = fields.JSONField(default=list)

    guardianship_id: int
    revoked_by_id: int | None
    restored_by_id: int | None

    class Meta:
        table = "guardianship_revocation"
        indexes = (Index(fields=("guardianship_id", "revoked_at")),)


class TeachingAssignment(Model):
    """A teacher teaches ``subject`` in ``school_class``, or only to ``group`` of it (then
    ``school_class`` is the group's home class): the unit of a teacher's write rights."""

    id = fields.IntField(primary_key=True)
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="teaching_assignments", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="teaching_assignments", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="teaching_assignments", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[ClassGroup] = fields.ForeignKeyField(
        "models.ClassGroup", related_name="teaching_assignments", null=True, on_delete=fields.CASCADE
    )

    teacher_id: int
    school_class_id: int
    subject_id: int
    group_id: int | None

    class Meta:
        table = "teaching_assignment"
        # One row per teacher, class, subject and group: a teacher may hold "5A English 1" and
        # "5A English 2" at once. NULLs are distinct in a UNIQUE constraint, so migration 0024
        # also adds a partial unique index: one class-wide row per teacher, class and subject.
        unique_together = (("teacher", "school_class", "subject", "group"),)
