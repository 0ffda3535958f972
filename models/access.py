"""Parent access requests: how a family gets into the diary. A registered account asks a
school to link it to a child; the school's admins approve (a guardianship) or refuse (a reason)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.roster import Student
    from models.school import School
    from models.user import User


class AccessRequestStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REFUSED = "REFUSED"
    WITHDRAWN = "WITHDRAWN"


class GuardianRelation(StrEnum):
    MOTHER = "MOTHER"
    FATHER = "FATHER"
    LEGAL_GUARDIAN = "LEGAL_GUARDIAN"
    OTHER_REPRESENTATIVE = "OTHER_REPRESENTATIVE"


class RefusalReason(StrEnum):
    NOT_PARENT = "NOT_PARENT"
    NOT_STUDYING_HERE = "NOT_STUDYING_HERE"
    DOCUMENTS_INVALID = "DOCUMENTS_INVALID"
    CONFLICTING_INFORMATION = "CONFLICTING_INFORMATION"
    WITHDRAWN_ON_REQUEST = "WITHDRAWN_ON_REQUEST"


class AccessRequest(Model):
    """One application by ``applicant`` to be linked to a child of ``school``. The child's and
    the applicant's documents are personal data: only the applicant and the school's admins
    read them. Due ``due_at`` (72 hours after submission); ``student`` is the child matched
    on approval."""

    id = fields.IntField(primary_key=True)
    applicant: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="access_requests", on_delete=fields.CASCADE
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="access_requests", on_delete=fields.CASCADE
    )
    child_full_name = fields.CharField(max_length=200)
    child_birth_date = fields.DateField()
    birth_certificate_number = fields.CharField(max_length=50)
    identity_document = fields.CharField(max_length=200)
    relation = fields.CharEnumField(GuardianRelation, max_length=24)
    consent_at = fields.DatetimeField()
    status = fields.CharEnumField(AccessRequestStatus, max_length=16, default=AccessRequestStatus.SUBMITTED)
    submitted_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    reviewed_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="access_requests_reviewed", null=True, on_delete=fields.SET_NULL
    )
    reviewed_at = fields.DatetimeField(null=True)
    refusal_reason = fields.CharEnumField(RefusalReason, max_length=32, null=True)
    comment = fields.CharField(max_length=2000, null=True)
    student: fields.ForeignKeyNullableRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="access_requests", null=True, on_delete=fields.SET_NULL
    )

    applicant_id: int
    school_id: int
    reviewed_by_id: int | None
    student_id: int | None

    class Meta:
        table = "access_request"
        indexes = (Index(fields=("school_id", "status", "due_at")), Index(fields=("applicant_id", "submitted_at")))
