"""People search: whom the viewer can add to a chat, by the first letters of a name and/or
by category (a class's parents, teachers or students; the administration)."""

from __future__ import annotations

from enum import StrEnum

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers import pages, policy
from resolvers.core import _, pk_of, today_utc
from resolvers.errors import BadUserInput
from resolvers.sessions import Context

LIMIT_DEFAULT = 20
LIMIT_MAX = 100
MAX_QUERY = 100
CURSOR = "people"  # ``people``: by name then id
ORDER = "full_name"


class PeopleCategory(StrEnum):
    PARENTS_OF_CLASS = "PARENTS_OF_CLASS"
    TEACHERS_OF_CLASS = "TEACHERS_OF_CLASS"
    STUDENTS_OF_CLASS = "STUDENTS_OF_CLASS"
    ADMINISTRATION = "ADMINISTRATION"


def name_matches(query: str) -> Q:
    """Every word of ``query`` starts some word of the name: "ив" finds "Иван Петров" and
    "Пётр Иванов"; "ив пет" only the first. Matched on the folded name (``fold_name``), so
    it is case-insensitive in every script on every database."""
    condition = Q()
    for word in models.fold_name(query).split():
        condition &= Q(name_folded__startswith=word) | Q(name_folded__contains=" " + word)
    return condition


def _in_category(category: PeopleCategory, class_id: int | None) -> Q:
    if category is PeopleCategory.ADMINISTRATION:
        return Q(id__in=Subquery(models.RoleGrant.filter(role=models.Role.SCHOOL_ADMIN).values("user_id")))
    today = today_utc()
    current = models.Enrollment.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today), school_class_id=class_id, start_date__lte=today
    ).values("student_id")
    if category is PeopleCategory.PARENTS_OF_CLASS:
        guardians = models.Guardianship.filter(revoked_at__isnull=True, student_id__in=Subquery(current))
        return Q(id__in=Subquery(guardians.values("guardian_id")))
    if category is PeopleCategory.STUDENTS_OF_CLASS:
        students = models.Student.filter(id__in=Subquery(current), user_id__isnull=False)
        return Q(id__in=Subquery(students.values("user_id")))
    assigned = models.TeachingAssignment.filter(school_class_id=class_id).values("teacher_id")
    homeroom = models.SchoolClass.filter(id=class_id).values("homeroom_teacher_id")
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


async def search(
    ctx: Context, query: str | None, category: PeopleCategory | None, class_id: str | None, limit: int | None
) -> list[models.User]:
    """The first ``limit`` people of ``found`` (``peopleSearch``, by name then id): the first
    page of the ``people`` connection."""
    size = LIMIT_DEFAULT if limit is None else limit
    if not 1 <= size <= LIMIT_MAX:
        raise BadUserInput(_("`limit` is 1-{most}.", most=LIMIT_MAX), argument="limit")
    scope = await found(ctx, query, category, class_id)
    return (await pages.keyset(scope, CURSOR, first=size, descending=False, by=ORDER)).rows


async def found(
    ctx: Context, query: str | None, category: PeopleCategory | None, class_id: str | None
) -> QuerySet[models.User]:
    """Only people the viewer may reach (``policy.reachable_users``) matching the search. A
    class the viewer cannot see finds nobody, like a class that does not exist."""
    text = (query or "").strip()
    if len(text) > MAX_QUERY:
        raise BadUserInput(_("Type at most {most} characters.", most=MAX_QUERY), argument="query")
    scope = policy.reachable_users(ctx.viewer)
    if text:
        scope = scope.filter(name_matches(text))
    if category is not None:
        needs_class = category is not PeopleCategory.ADMINISTRATION
        class_pk = pk_of(class_id, "SchoolClass") if class_id else None
        if needs_class and class_id is None:
            raise BadUserInput(_("Say which class (`classId`)."), argument="classId")
        if needs_class and (
            class_pk is None or not await policy.visible_classes(ctx.viewer).filter(id=class_pk).exists()
        ):
            return scope.filter(id=policy.NOBODY)
        scope = scope.filter(_in_category(category, class_pk))
    return scope
