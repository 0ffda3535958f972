"""Shared pieces of the scopes: the viewer's id and the subqueries every rule starts from."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers.context import Viewer

__all__ = ["NOBODY"]

NOBODY = -1  # a user id that matches no row: the scope of an anonymous viewer is empty


def _uid(viewer: Viewer) -> int:
    return viewer.user_id if viewer.user_id is not None else NOBODY


def _grant_schools(uid: int, *roles: models.Role) -> QuerySet[models.RoleGrant]:
    return models.RoleGrant.filter(user_id=uid, role__in=list(roles), school_id__isnull=False)


def _district_schools(uid: int) -> QuerySet[models.School]:
    districts = models.RoleGrant.filter(user_id=uid, role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.School.filter(district_id__in=Subquery(districts))


def _admin_school_q(uid: int, field: str = "school_id") -> Q:
    """Schools the viewer administers, directly or through their district."""
    admin = _grant_schools(uid, models.Role.SCHOOL_ADMIN).values("school_id")
    district = _district_schools(uid).values("id")
    by_grant: dict[str, Any] = {f"{field}__in": Subquery(admin)}
    by_district: dict[str, Any] = {f"{field}__in": Subquery(district)}
    return Q(**by_grant) | Q(**by_district)


def _taught_class_ids(uid: int) -> Q:
    """Classes the viewer teaches a subject in, or leads as homeroom teacher (as a filter on ``id``)."""
    assigned = models.TeachingAssignment.filter(teacher_id=uid).values("school_class_id")
    homeroom = models.SchoolClass.filter(homeroom_teacher_id=uid).values("id")
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


def _staffed_class_ids(uid: int) -> Q:
    """Classes whose children's diaries the viewer keeps or runs (as a filter on ``id``): the
    ones they teach or lead, and every class of the schools they administer. Their windows
    (``policy.windows``) are the children's enrolments in these classes."""
    return _taught_class_ids(uid) | _admin_school_q(uid)


def _own_student_ids(uid: int) -> QuerySet[models.Student]:
    return models.Student.filter(user_id=uid)


def _children_ids(uid: int) -> QuerySet[models.Guardianship]:
    return models.Guardianship.filter(guardian_id=uid, revoked_at__isnull=True)
