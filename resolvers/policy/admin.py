"""Who runs a school, its accounts and its families' guardianships, and whose live streams see
anything (``live``)."""

from __future__ import annotations

from typing import Any, TypeVar

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count
from tortoise.models import Model
from tortoise.queryset import QuerySet

import models
from resolvers.core import now_utc
from resolvers.policy.diary import _admin_school_q, _children_ids, _district_schools, _uid
from resolvers.sessions import Viewer

__all__ = [
    "ADMIN_ROLES",
    "administered_districts",
    "administered_guardianships",
    "administered_schools",
    "administered_users",
    "district_schools",
    "family_logins",
    "guarded_students",
    "in_good_standing",
    "live",
    "login_readable_students",
    "own_access_requests",
    "own_identities",
    "own_push_devices",
    "own_sessions",
    "reviewable_access_requests",
    "visible_access_requests",
    "visible_audit_entries",
    "visible_guardianships",
]

ADMIN_ROLES = (models.Role.SCHOOL_ADMIN, models.Role.DISTRICT_ADMIN)


def administered_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools the viewer runs (structure, calendar, timetable): as their school admin, or as
    admin of their district (a district sets holidays for its schools)."""
    return models.School.filter(_admin_school_q(_uid(viewer), "id"))


def district_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose settings the viewer changes: those of the districts they administer."""
    return _district_schools(_uid(viewer))


def visible_audit_entries(viewer: Viewer) -> QuerySet[models.AuditEntry]:
    """The audit log of the schools the viewer administers (``School.auditLog``)."""
    return models.AuditEntry.filter(school_id__in=Subquery(administered_schools(viewer).values("id")))


def administered_districts(viewer: Viewer) -> QuerySet[models.District]:
    districts = models.RoleGrant.filter(user_id=_uid(viewer), role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.District.filter(id__in=Subquery(districts))


def visible_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """The applicant's own requests, and every request to a school the viewer administers.
    Nobody else (not the school's teachers, not another school's or district's admins)."""
    uid = _uid(viewer)
    return models.AccessRequest.filter(Q(applicant_id=uid) | _admin_school_q(uid))


def reviewable_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """Requests the viewer approves or refuses: those to the schools they administer."""
    return models.AccessRequest.filter(_admin_school_q(_uid(viewer)))


def own_access_requests(viewer: Viewer) -> QuerySet[models.AccessRequest]:
    """Requests the viewer submitted (and may withdraw)."""
    return models.AccessRequest.filter(applicant_id=_uid(viewer))


def administered_users(viewer: Viewer) -> QuerySet[models.User]:
    """Accounts the viewer manages: those they wholly run. A user is in scope when they hold a
    role in a school the viewer administers and every tie they have is inside what the viewer
    runs: each role grant (a school's role in an administered school; a district admin's in a
    district the viewer administers), each guardianship (revoked ones too: another school may
    restore them) of a student of an administered school, their own student record, each
    teaching assignment and homeroom class. Anyone with a tie elsewhere is someone else's to
    run too: resetting their password would hand the viewer that other school or district, so
    they are not there for the viewer (``USER_NOT_FOUND``, as for a missing id)."""
    uid = _uid(viewer)
    own_districts = models.RoleGrant.filter(
        user_id=uid, role=models.Role.DISTRICT_ADMIN, district_id__isnull=False
    ).values("district_id")
    inside_grants = models.RoleGrant.filter(
        _admin_school_q(uid) | Q(role=models.Role.DISTRICT_ADMIN, district_id__in=Subquery(own_districts))
    ).values("id")
    students = models.Student.filter(_admin_school_q(uid)).values("id")
    classes = models.SchoolClass.filter(_admin_school_q(uid)).values("id")
    ties_elsewhere = (
        models.RoleGrant.exclude(id__in=Subquery(inside_grants)).values("user_id"),
        models.Guardianship.exclude(student_id__in=Subquery(students)).values("guardian_id"),
        models.Student.filter(user_id__isnull=False).exclude(id__in=Subquery(students)).values("user_id"),
        models.TeachingAssignment.exclude(school_class_id__in=Subquery(classes)).values("teacher_id"),
        models.SchoolClass.filter(homeroom_teacher_id__isnull=False)
        .exclude(id__in=Subquery(classes))
        .values("homeroom_teacher_id"),
    )
    held_here = models.RoleGrant.filter(_admin_school_q(uid)).values("user_id")
    elsewhere = Q(id__in=Subquery(ties_elsewhere[0]))
    for ties in ties_elsewhere[1:]:
        elsewhere |= Q(id__in=Subquery(ties))
    return models.User.filter(id__in=Subquery(held_here)).exclude(elsewhere)


def administered_guardianships(viewer: Viewer) -> QuerySet[models.Guardianship]:
    """Guardianships the viewer revokes and restores, and reads whole (revoked ones, and every
    revocation with its reason): those of the students of the schools they administer."""
    students = models.Student.filter(_admin_school_q(_uid(viewer))).values("id")
    return models.Guardianship.filter(student_id__in=Subquery(students))


def visible_guardianships(viewer: Viewer) -> QuerySet[models.Guardianship]:
    """Who a child's guardians are. The school's admins (and its district's) read every
    guardianship of its students, revoked ones included (``administered_guardianships``). The
    child's family (the child, and each guardian while their own guardianship stands) reads
    the guardianships that stand, never a revoked one: that a guardian was removed, and why,
    is the school's to know. Nobody else: teachers reach a class's parents through
    ``peopleSearch``, not through the child's legal links."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    children = models.Student.filter(family).values("id")
    administered = models.Student.filter(_admin_school_q(uid)).values("id")
    return models.Guardianship.filter(
        Q(revoked_at__isnull=True, student_id__in=Subquery(children)) | Q(student_id__in=Subquery(administered))
    )


def guarded_students(viewer: Viewer) -> QuerySet[models.Student]:
    """Children whose own login the viewer makes and runs (``childLoginCreate`` and the rest):
    those of their unrevoked guardianships, each guardian alike (not only the one who made the
    login). Nobody else's: a teacher, an admin, a revoked guardian and another family find no
    such student (STUDENT_NOT_FOUND)."""
    return models.Student.filter(id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def family_logins(viewer: Viewer) -> QuerySet[models.User]:
    """The children's logins the viewer resets, deactivates and reactivates: a login a guardian
    made (``created_by``) of a child in ``guarded_students``. A login the school issued stays
    the school's to run (LOGIN_ISSUED_BY_SCHOOL)."""
    logins = guarded_students(viewer).filter(user_id__isnull=False).values("user_id")
    return models.User.filter(id__in=Subquery(logins), created_by_id__isnull=False)


def login_readable_students(viewer: Viewer) -> QuerySet[models.Student]:
    """Students whose login state (``Student.login``) the viewer reads: their guardians' children
    (unrevoked) and the students of the schools they administer. Not the child's teachers, not
    the child themself (they know their own login: ``viewer``), nobody else."""
    uid = _uid(viewer)
    return models.Student.filter(Q(id__in=Subquery(_children_ids(uid).values("student_id"))) | _admin_school_q(uid))


def _standing(viewer: Viewer) -> QuerySet[models.User]:
    """The viewer's account row while it is active, not waiting for a password change, and (for
    a viewer who came with a token) its session has not ended (``resolvers/sessions.py``)."""
    standing = models.User.filter(id=_uid(viewer), is_active=True, must_change_password=False)
    if viewer.session_id is not None:
        standing = standing.filter(sessions__id=viewer.session_id, sessions__ended_at__isnull=True)
    return standing


async def in_good_standing(viewer: Viewer) -> bool:
    """The account is active and not waiting for a password change, and the viewer's session
    is live; read fresh (never cached)."""
    if viewer.user_id is None:
        return False
    return await _standing(viewer).exists()


def own_identities(viewer: Viewer) -> QuerySet[models.ExternalIdentity]:
    """The external identities linked to the viewer's account, and nobody else's: which provider
    accounts a person uses is their own business, not their admins'."""
    return models.ExternalIdentity.filter(user_id=_uid(viewer))


def own_sessions(viewer: Viewer) -> QuerySet[models.Session]:
    """The viewer's live sessions, and nobody else's (not even for their admins): a session is
    live while it has not ended and holds a refresh token that is neither used up nor expired.
    One that nobody can renew any more is over even though nothing ended it, and its access
    tokens have expired before its last refresh token did (the settings keep the access
    lifetime within the refresh one)."""
    uid = _uid(viewer)
    renewable = models.RefreshToken.filter(user_id=uid, revoked_at__isnull=True, expires_at__gt=now_utc())
    return models.Session.filter(user_id=uid, ended_at__isnull=True, key__in=Subquery(renewable.values("family")))


def own_push_devices(viewer: Viewer) -> QuerySet[models.PushDevice]:
    """The viewer's push devices whose session is live (``own_sessions``): what
    ``viewer.pushDevices`` lists, what ``pushDeviceUnregister`` may remove, and what a push is
    sent to (asked as the recipient when sending). A device of an ended or expired session, of
    a deactivated account, or of anyone else, is none of them."""
    uid = _uid(viewer)
    active = models.User.filter(id=uid, is_active=True).values("id")
    return models.PushDevice.filter(
        user_id__in=Subquery(active), session_id__in=Subquery(own_sessions(viewer).values("id"))
    )


M = TypeVar("M", bound=Model)


def live(scope: QuerySet[M], viewer: Viewer) -> QuerySet[M]:
    """``scope``, empty once the viewer's account is deactivated or waiting for a password
    change, or the viewer's session ended: what a live stream re-checks before every event, in
    the same one statement (so a stream on another process than the one that closes the
    session's sockets delivers nothing meanwhile). The ids are parameters, so every viewer's
    statement has the same text (one prepared statement on each PostgreSQL connection)."""
    return scope.annotate(viewer_standing=count_of(_standing(viewer))).filter(viewer_standing=1)


def count_of(rows: QuerySet[Any]) -> Subquery:
    """How many ``rows`` there are, as a term of another statement."""
    return Subquery(rows.annotate(counted=Count("id")).values("counted"))
