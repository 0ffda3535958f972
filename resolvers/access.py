"""Parent access requests: how a family gets in. A registered account applies to a school
for a child (with the child's birth certificate and the applicant's identity document, and
consent to data processing); the school's admins approve it (a guardianship: the parent sees
the child at once) or refuse it with a reason, within 72 hours. The applicant may withdraw it
while it is pending. The documents are read only by the applicant and the school's admins
(``policy.visible_access_requests``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.transactions import in_transaction

import models
from resolvers import audit, policy
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc, pk_of
from resolvers.enrollment import check_birth_date
from resolvers.errors import Problem, found_in, refuse
from resolvers.schools import name_of
from resolvers.sessions import Context

REVIEW_WITHIN = timedelta(hours=72)
MAX_NAME, MAX_CERTIFICATE, MAX_DOCUMENT, MAX_COMMENT = 200, 50, 200, 2000
MAX_PAGE = 100
PENDING = models.AccessRequestStatus.SUBMITTED


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()


def _certificate(raw: str) -> str:
    """Spaces and dashes do not make two certificate numbers different."""
    return "".join(ch for ch in raw.upper() if ch.isalnum())


@dataclass(frozen=True)
class Application:
    school_id: str
    child_full_name: str
    child_birth_date: date
    birth_certificate_number: str
    identity_document: str
    relation: models.GuardianRelation
    consent: bool


def _text(
    raw: str, path: str, limit: int, problems: list[Problem], codes: tuple[ErrorCode, ErrorCode], message: Text
) -> str:
    """``codes``: the problem's when ``raw`` is blank, and when it is longer than ``limit``."""
    text = " ".join(raw.split())
    if not text:
        problems.append((path, codes[0], message))
    elif len(text) > limit:
        problems.append((path, codes[1], ngettext("At most {n} character.", "At most {n} characters.", limit)))
    return text


async def _duplicate(uid: int, school_id: int, child: str, born: date, certificate: str) -> bool:
    """A pending request of the applicant at the school for the same child: the same birth
    certificate, or the same name and birth date."""
    pending = await models.AccessRequest.filter(applicant_id=uid, school_id=school_id, status=PENDING).values(
        "child_full_name", "child_birth_date", "birth_certificate_number"
    )
    return any(
        _certificate(r["birth_certificate_number"]) == _certificate(certificate)
        or (_folded(r["child_full_name"]) == _folded(child) and r["child_birth_date"] == born)
        for r in pending
    )


async def submit(ctx: Context, data: Application) -> models.AccessRequest:
    uid = ctx.viewer.id
    school = await found_in(
        models.School.all(), data.school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )
    problems: list[Problem] = []
    child = name_of(data.child_full_name, "childFullName", MAX_NAME, problems)
    check_birth_date(data.child_birth_date, "childBirthDate", problems)
    certificate = _text(
        data.birth_certificate_number,
        "birthCertificateNumber",
        MAX_CERTIFICATE,
        problems,
        (ErrorCode.CERTIFICATE_REQUIRED, ErrorCode.CERTIFICATE_TOO_LONG),
        _("Give the number of the child's birth certificate."),
    )
    document = _text(
        data.identity_document,
        "identityDocument",
        MAX_DOCUMENT,
        problems,
        (ErrorCode.DOCUMENT_REQUIRED, ErrorCode.DOCUMENT_TOO_LONG),
        _("Give your identity document (kind, series and number)."),
    )
    if not data.consent:
        problems.append(
            ("consent", ErrorCode.CONSENT_REQUIRED, _("The school can only process the request with your consent."))
        )
    if problems:
        raise refuse(problems)
    now = now_utc()
    async with in_transaction():
        # One submission of an applicant at a time: the duplicate check reads under the lock.
        await models.User.filter(id=uid).select_for_update().first()
        if await _duplicate(uid, school.id, child, data.child_birth_date, certificate):
            raise refuse(
                [
                    (
                        "childFullName",
                        ErrorCode.DUPLICATE_REQUEST,
                        _("You already have a pending request for this child here."),
                    )
                ]
            )
        row = await models.AccessRequest.create(
            applicant_id=uid,
            school_id=school.id,
            child_full_name=child,
            child_birth_date=data.child_birth_date,
            birth_certificate_number=certificate,
            identity_document=document,
            relation=data.relation,
            consent_at=now,
            submitted_at=now,
            due_at=now + REVIEW_WITHIN,
        )
        # The audit entry names the request, never the documents in it.
        await audit.record(
            ctx.viewer,
            "access_request.submit",
            "AccessRequest",
            row.id,
            {"relation": data.relation.value},
            school_id=school.id,
        )
    return row


# A decided request's refusal, by what became of it.
ALREADY = {
    models.AccessRequestStatus.APPROVED: _("The request was already approved."),
    models.AccessRequestStatus.REFUSED: _("The request was already refused."),
    models.AccessRequestStatus.WITHDRAWN: _("The request was already withdrawn."),
}


async def _reviewable(ctx: Context, request_id: str) -> models.AccessRequest:
    return await found_in(
        policy.reviewable_access_requests(ctx.viewer),
        request_id,
        "AccessRequest",
        _("No such access request."),
        ErrorCode.ACCESS_REQUEST_NOT_FOUND,
    )


def _still_pending(row: models.AccessRequest) -> None:
    """A decided (or withdrawn) request is refused as such: nothing else about it matters."""
    if row.status != PENDING:
        raise refuse(
            [
                (
                    "requestId",
                    ErrorCode.NOT_PENDING,
                    ALREADY[row.status],
                )
            ]
        )


async def _decide(ctx: Context, row: models.AccessRequest, **changes: object) -> None:
    """Inside a transaction: the decision lands only on a request still pending, so of two
    admins deciding at once, the second is refused (and writes nothing)."""
    changed = await models.AccessRequest.filter(id=row.id, status=PENDING).update(
        reviewed_by_id=ctx.viewer.user_id, reviewed_at=now_utc(), **changes
    )
    if not changed:
        raise refuse([("requestId", ErrorCode.NOT_PENDING, _("The request was decided meanwhile."))])


async def approve(ctx: Context, request_id: str, student_id: str | None) -> models.AccessRequest:
    """The child: ``student_id`` if the admin picked one, else the one student of the school
    with the request's name and birth date. Creates the guardianship (and the PARENT role at
    the school if missing) in the same transaction: the parent sees the child at once."""
    row = await _reviewable(ctx, request_id)
    _still_pending(row)
    problems: list[Problem] = []
    student = None
    if student_id is not None:
        pk = pk_of(student_id, "Student")
        student = await models.Student.filter(id=pk, school_id=row.school_id).first() if pk else None
        if student is None:
            problems.append(("studentId", ErrorCode.STUDENT_NOT_IN_SCHOOL, _("Pick a student of the school asked.")))
    else:
        candidates = await models.Student.filter(school_id=row.school_id, birth_date=row.child_birth_date)
        matching = [s for s in candidates if _folded(s.full_name) == _folded(row.child_full_name)]
        if not matching:
            problems.append(
                (
                    "studentId",
                    ErrorCode.NO_MATCHING_STUDENT,
                    _("No student of the school has that name and birth date."),
                )
            )
        elif len(matching) > 1:
            problems.append(
                ("studentId", ErrorCode.AMBIGUOUS_STUDENT, _("Several students match: pick one with studentId."))
            )
        else:
            student = matching[0]
    if student is not None and await models.Guardianship.exists(
        guardian_id=row.applicant_id, student_id=student.id, revoked_at__isnull=True
    ):
        problems.append(("studentId", ErrorCode.ALREADY_GUARDIAN, _("The applicant is already this child's guardian.")))
    if problems or student is None:
        raise refuse(problems)
    async with in_transaction():
        await _decide(ctx, row, status=models.AccessRequestStatus.APPROVED, student_id=student.id)
        link = await models.Guardianship.create(
            guardian_id=row.applicant_id, student_id=student.id, relation=row.relation.value.lower()
        )
        parent_role: dict[str, Any] = {
            "user_id": row.applicant_id,
            "role": models.Role.PARENT,
            "school_id": row.school_id,
        }
        if not await models.RoleGrant.exists(**parent_role):
            await models.RoleGrant.create(**parent_role)
        await audit.record(
            ctx.viewer,
            "access_request.approve",
            "AccessRequest",
            row.id,
            {"student": student.id, "guardianship": link.id, "applicant": row.applicant_id},
            school_id=row.school_id,
        )
    await row.refresh_from_db()
    return row


async def refuse_request(
    ctx: Context, request_id: str, reason: models.RefusalReason, comment: str
) -> models.AccessRequest:
    row = await _reviewable(ctx, request_id)
    _still_pending(row)
    problems: list[Problem] = []
    text = _text(
        comment,
        "comment",
        MAX_COMMENT,
        problems,
        (ErrorCode.COMMENT_REQUIRED, ErrorCode.COMMENT_TOO_LONG),
        _("Tell the applicant why."),
    )
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await _decide(ctx, row, status=models.AccessRequestStatus.REFUSED, refusal_reason=reason, comment=text)
        await audit.record(
            ctx.viewer,
            "access_request.refuse",
            "AccessRequest",
            row.id,
            {"reason": reason.value},
            school_id=row.school_id,
        )
    await row.refresh_from_db()
    return row


async def withdraw(ctx: Context, request_id: str) -> models.AccessRequest:
    row = await found_in(
        policy.own_access_requests(ctx.viewer),
        request_id,
        "AccessRequest",
        _("No such access request."),
        ErrorCode.ACCESS_REQUEST_NOT_FOUND,
    )
    _still_pending(row)
    async with in_transaction():
        changed = await models.AccessRequest.filter(id=row.id, status=PENDING).update(
            status=models.AccessRequestStatus.WITHDRAWN
        )
        if not changed:
            raise refuse([("requestId", ErrorCode.NOT_PENDING, _("The request was decided meanwhile."))])
        await audit.record(ctx.viewer, "access_request.withdraw", "AccessRequest", row.id, school_id=row.school_id)
    await row.refresh_from_db()
    return row
