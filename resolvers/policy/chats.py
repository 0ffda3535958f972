"""Chats: who may reach whom, and who reads which chat."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers.core import today_utc
from resolvers.policy.diary import _admin_school_q, _children_ids, _grant_schools, _own_student_ids, _uid
from resolvers.sessions import Viewer

__all__ = [
    "chat_membership",
    "chat_ties",
    "reachable_users",
    "school_people",
    "visible_chat_members",
    "visible_chats",
    "visible_messages",
]


def _current_enrollments(**filters: Any) -> QuerySet[models.Enrollment]:
    today = today_utc()
    return models.Enrollment.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today, **filters)


def _class_teachers(class_ids: Subquery) -> Q:
    """Users teaching a subject in, or leading, one of ``class_ids`` (a filter on ``User.id``)."""
    assigned = models.TeachingAssignment.filter(school_class_id__in=class_ids).values("teacher_id")
    homeroom = models.SchoolClass.filter(id__in=class_ids, homeroom_teacher_id__isnull=False).values(
        "homeroom_teacher_id"
    )
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


def _school_people(school_ids: Subquery) -> Q:
    """Everyone of the schools (a filter on ``User.id``): staff, students with a login, and the
    active guardians of their students."""
    staff = models.RoleGrant.filter(
        role__in=[models.Role.TEACHER, models.Role.SCHOOL_ADMIN], school_id__in=school_ids
    ).values("user_id")
    students = models.Student.filter(school_id__in=school_ids, user_id__isnull=False).values("user_id")
    guardians = models.Guardianship.filter(
        revoked_at__isnull=True,
        student_id__in=Subquery(models.Student.filter(school_id__in=school_ids).values("id")),
    ).values("guardian_id")
    return Q(id__in=Subquery(staff)) | Q(id__in=Subquery(students)) | Q(id__in=Subquery(guardians))


def _staff_schools(uid: int) -> Q:
    """Schools the user works in (teacher, school admin) or runs as a district admin (a filter on ``School.id``)."""
    teaching = _grant_schools(uid, models.Role.TEACHER, models.Role.SCHOOL_ADMIN).values("school_id")
    return Q(id__in=Subquery(teaching)) | _admin_school_q(uid, "id")


def reachable_users(viewer: Viewer) -> QuerySet[models.User]:
    """The people the viewer may start a chat with or add to one (never themself, never a
    deactivated account). Same school only:
    - staff (teachers, school admins; district admins over their district's schools) reach
      everyone of their schools;
    - a parent reaches the teachers (any subject, and the homeroom teacher) of their
      children's current classes, the active guardians of those classes' students, the
      administration of their children's schools, and their own children's logins;
    - a student reaches the teachers of their current class, their classmates (with a login),
      and their own guardians.
    A parent never reaches students other than their own children."""
    uid = _uid(viewer)
    staff_schools = Subquery(models.School.filter(_staff_schools(uid)).values("id"))
    child_ids = Subquery(_children_ids(uid).values("student_id"))
    child_classes = Subquery(_current_enrollments(student_id__in=child_ids).values("school_class_id"))
    class_students = Subquery(_current_enrollments(school_class_id__in=child_classes).values("student_id"))
    child_schools = Subquery(models.Student.filter(id__in=child_ids).values("school_id"))
    class_guardians = models.Guardianship.filter(revoked_at__isnull=True, student_id__in=class_students)
    admins = models.RoleGrant.filter(role=models.Role.SCHOOL_ADMIN, school_id__in=child_schools)
    own_children = models.Student.filter(id__in=child_ids, user_id__isnull=False)
    parent_reach = (
        _class_teachers(child_classes)
        | Q(id__in=Subquery(class_guardians.values("guardian_id")))
        | Q(id__in=Subquery(admins.values("user_id")))
        | Q(id__in=Subquery(own_children.values("user_id")))
    )
    own = Subquery(_own_student_ids(uid).values("id"))
    own_classes = Subquery(_current_enrollments(student_id__in=own).values("school_class_id"))
    classmates = Subquery(_current_enrollments(school_class_id__in=own_classes).values("student_id"))
    classmate_users = models.Student.filter(id__in=classmates, user_id__isnull=False)
    own_guardians = models.Guardianship.filter(revoked_at__isnull=True, student_id__in=own)
    student_reach = (
        _class_teachers(own_classes)
        | Q(id__in=Subquery(classmate_users.values("user_id")))
        | Q(id__in=Subquery(own_guardians.values("guardian_id")))
    )
    return models.User.filter(_school_people(staff_schools) | parent_reach | student_reach, is_active=True).exclude(
        id=uid
    )


async def chat_ties(viewer: Viewer) -> set[tuple[int, int]]:
    """What holds the viewer in each of their current chats, as (chat, user) pairs: each other
    member they reach (``reachable_users``), and themself while they belong to the chat's
    school (work in it or run it, study in it, or have a child in it). Two statements.

    A guardianship revoked takes the guardian out of every chat in which it cut a tie: the
    child's class's parents and teachers, the child's own login, the school they no longer
    belong to. Nowhere else: a chat whose people they still reach (through another child, as
    staff) keeps them."""
    uid = _uid(viewer)
    mine = models.ChatMember.filter(user_id=uid, removed_at__isnull=True, chat__deleted_at__isnull=True)
    reached = (
        await models.ChatMember.filter(
            chat_id__in=Subquery(mine.values("chat_id")),
            removed_at__isnull=True,
            user_id__in=Subquery(reachable_users(viewer).values("id")),
        )
        .exclude(user_id=uid)
        .values_list("chat_id", "user_id")
    )
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    schools = models.School.filter(
        _staff_schools(uid) | Q(id__in=Subquery(models.Student.filter(family).values("school_id")))
    )
    belonging = await mine.filter(chat__school_id__in=Subquery(schools.values("id"))).values_list("chat_id", flat=True)
    return {(int(chat), int(user)) for chat, user in reached} | {(int(str(chat)), uid) for chat in belonging}


def school_people(school_id: int) -> QuerySet[models.User]:
    """Everyone of one school: a chat's members all belong to its school."""
    return models.User.filter(_school_people(Subquery(models.School.filter(id=school_id).values("id"))))


def visible_chats(viewer: Viewer) -> QuerySet[models.Chat]:
    """Chats the viewer is a current member of; deleted chats are not there for anyone. A
    member who left or was removed sees nothing of the chat from then on."""
    mine = models.ChatMember.filter(user_id=_uid(viewer), removed_at__isnull=True).values("chat_id")
    return models.Chat.filter(id__in=Subquery(mine), deleted_at__isnull=True)


def visible_chat_members(viewer: Viewer) -> QuerySet[models.ChatMember]:
    """The current members of the visible chats (what ``Chat.members`` lists)."""
    return models.ChatMember.filter(chat_id__in=Subquery(visible_chats(viewer).values("id")), removed_at__isnull=True)


def visible_messages(viewer: Viewer) -> QuerySet[models.Message]:
    """Messages (tombstones included) of the visible chats."""
    return models.Message.filter(chat_id__in=Subquery(visible_chats(viewer).values("id")))


async def chat_membership(viewer: Viewer, chat_id: int) -> models.ChatMember | None:
    """The viewer's current membership of a chat that is not deleted, if any."""
    return await models.ChatMember.filter(
        chat_id=chat_id, user_id=_uid(viewer), removed_at__isnull=True, chat__deleted_at__isnull=True
    ).first()
