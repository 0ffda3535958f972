"""Shared pieces of the scopes: the viewer's id and the subqueries every rule starts from."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers import core
from resolvers.sessions import Viewer

__all__ = [
    "LESSONS_OF_STUDENTS",
    "NOBODY",
    "family_group_slot_ids",
    "family_lesson_ids",
    "group_days_ids",
    "group_member_lesson_ids",
    "group_term_ids",
    "homework_lesson_ids",
    "lessons_of_students",
    "students_of_lessons",
]

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


def _whole_class_ids(uid: int) -> Q:
    """Classes the viewer teaches a subject to as a whole (not only to a group of it), or leads
    as homeroom teacher (as a filter on ``id``)."""
    assigned = models.TeachingAssignment.filter(teacher_id=uid, group_id__isnull=True).values("school_class_id")
    homeroom = models.SchoolClass.filter(homeroom_teacher_id=uid).values("id")
    return Q(id__in=Subquery(assigned)) | Q(id__in=Subquery(homeroom))


def _taught_group_ids(uid: int) -> QuerySet[models.TeachingAssignment]:
    """The groups the viewer teaches a subject to (``values("group_id")``)."""
    return models.TeachingAssignment.filter(teacher_id=uid, group_id__isnull=False)


def _staffed_class_ids(uid: int) -> Q:
    """Classes whose children's diaries the viewer keeps or runs (as a filter on ``id``): the
    ones they teach as a whole or lead, and every class of the schools they administer. Their
    windows (``policy.windows``) are the children's enrolments in these classes. A teacher of a
    group only keeps its members' diaries, while they are members (``_group_pupils``)."""
    return _whole_class_ids(uid) | _admin_school_q(uid)


def _group_pupils(uid: int) -> QuerySet[models.GroupMembership]:
    """The memberships of the groups the viewer teaches a subject to: a group's teacher's
    windows on its members' diaries (``policy.windows``), from the first to the last day of each."""
    return models.GroupMembership.filter(group_id__in=Subquery(_taught_group_ids(uid).values("group_id")))


def _own_student_ids(uid: int) -> QuerySet[models.Student]:
    return models.Student.filter(user_id=uid)


def _children_ids(uid: int) -> QuerySet[models.Guardianship]:
    return models.Guardianship.filter(guardian_id=uid, revoked_at__isnull=True)


# THE rule of whose lesson a lesson is, as a derived table for hand-written statements: one row
# (student_id, class_id, lesson_id, lesson_date) per lesson a student attends, with the class the
# student was enrolled in that day (``class_id``: the row's class for the windows and the counts,
# also for a cross-class group's lesson filed under another class, ``ClassGroup.home_class``).
# A whole class's lesson is for the children enrolled in its class on its date; a group's lesson
# only for the group's members on its date (dated: a child who moved group has the old group's
# lessons before the move and the new one's after it) while enrolled in one of the classes the
# group draws from. The diary, progress, planned assessments, reminders and the families' live
# events all read it; a caller filters on ``student_id`` or ``lesson_id`` and ``lesson_date``.
LESSONS_OF_STUDENTS = """
SELECT e.student_id AS student_id, e.school_class_id AS class_id, l.id AS lesson_id, l.date AS lesson_date
FROM enrollment e
JOIN lesson l ON l.school_class_id = e.school_class_id AND l.group_id IS NULL
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
UNION ALL
SELECT e.student_id, e.school_class_id, l.id, l.date
FROM group_membership m
JOIN class_group g ON g.id = m.group_id
JOIN class_group_class gc ON gc.group_id = g.id
JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id
JOIN lesson l ON l.school_class_id = g.home_class_id AND l.group_id = m.group_id
     AND l.date >= m.start_date AND (m.end_date IS NULL OR l.date <= m.end_date)
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
"""


def family_lesson_ids(uid: int) -> RawSQL:
    """The ids of the lessons of the viewer's own record and their children (unrevoked): a
    subquery of ``LESSONS_OF_STUDENTS`` for a filter ``id__in`` (the viewer's id is an int).

    The family's filter goes into each branch of the union: PostgreSQL does not push a filter
    by a subquery into a UNION ALL, so filtering the union read every student's every lesson
    to keep the family's (27 s for one parent at 100,000 students; 0.4 ms filtered per branch)."""
    family = _family_sql(uid)
    branches = [f"{branch} WHERE e.student_id IN ({family})" for branch in LESSONS_OF_STUDENTS.split("UNION ALL")]
    return RawSQL(f"(SELECT sl.lesson_id FROM ({' UNION ALL '.join(branches)}) sl)")


def _family_sql(uid: int) -> str:
    """The ids of the viewer's own record and their children (unrevoked), as SQL."""
    return (
        f"SELECT id FROM student WHERE user_id = {int(uid)} UNION "
        f"SELECT student_id FROM guardianship WHERE guardian_id = {int(uid)} AND revoked_at IS NULL"
    )


# The days a member spends in a group and enrolled in one of the classes it draws from: the
# membership and the enrolment overlap each other (``{first}``..``{last}`` is the row's day or
# days) and the row's span. A group's teacher's windows (``policy.windows``) as SQL.
_IN_MEMBERSHIP = """
({open_end}{last} >= m.start_date AND {last} >= e.start_date)
AND (m.end_date IS NULL OR {first} <= m.end_date) AND (e.end_date IS NULL OR {first} <= e.end_date)
AND (m.end_date IS NULL OR e.start_date <= m.end_date) AND (e.end_date IS NULL OR m.start_date <= e.end_date)
"""


def group_days_ids(
    uid: int, table: str, column: str = "id", first: str = "date", last: str = "date", classed: bool = True
) -> RawSQL:
    """The ``column`` of the rows of ``table`` (a grade, a remark, an absence notice: a
    ``student_id`` and a day, or days ``first``..``last``) that fall in a group's teacher's windows
    on a member's diary: a day the child was a member of a group the viewer teaches while enrolled
    in one of its classes; with ``classed``, only rows filed under that class or the group's home
    class (``school_class_id``). A subquery for a filter ``id__in`` (the viewer's id is an int)."""
    return _group_days(uid, f"{table} x", f"x.{column}", f"x.{first}", f"x.{last}", classed)


def group_term_ids(uid: int) -> RawSQL:
    """The ids of the final grades (``term_grade``) a group's teacher reads: of a member of a group
    the viewer teaches, for a term (a year grade: the academic year) with a day on which the child
    was in the group while enrolled in one of its classes, set in that class or the group's home
    class; not a term the child spent wholly outside the group. A subquery for a filter ``id__in``."""
    period = "term_grade x JOIN academic_year y ON y.id = x.academic_year_id LEFT JOIN term p ON p.id = x.term_id"
    first, last = "COALESCE(p.start_date, y.start_date)", "COALESCE(p.end_date, y.end_date)"
    return _group_days(uid, period, "x.id", first, last, classed=True)


def _group_days(uid: int, source: str, column: str, first: str, last: str, classed: bool) -> RawSQL:
    """``column`` of the rows of ``source`` (alias ``x``: a ``student_id``; days ``first``..``last``,
    SQL over it) in the windows of the groups the viewer (``uid``) teaches (``group_days_ids``)."""
    days = _IN_MEMBERSHIP.format(first=first, last=last, open_end="")
    classes = " AND x.school_class_id IN (e.school_class_id, g.home_class_id)" if classed else ""
    return RawSQL(
        f"(SELECT {column} FROM {source}"
        " JOIN group_membership m ON m.student_id = x.student_id"
        f" JOIN teaching_assignment t ON t.group_id = m.group_id AND t.teacher_id = {int(uid)}"
        " JOIN class_group g ON g.id = m.group_id"
        " JOIN class_group_class gc ON gc.group_id = m.group_id"
        " JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id"
        f" WHERE {days}{classes})"
    )


# The lessons a group's teacher reads in its members' diaries (``LESSONS_OF_STUDENTS`` within the
# windows of ``policy.windows``): on a day the child is a member of a group the viewer teaches
# while enrolled in one of its classes (``e``), the whole-class lessons of that class and the
# lessons of the child's groups that day (any group drawing from that class, not only the
# viewer's). It starts from the viewer's group assignments, so it is empty at once for anyone who
# teaches no group, and it never builds the whole ``LESSONS_OF_STUDENTS`` union. A child is in one
# class at a time, so the enrolment of the window is the enrolment of the lesson's row.
_GROUP_MEMBER_LESSONS = """
SELECT l.id FROM teaching_assignment t
JOIN group_membership m ON m.group_id = t.group_id
JOIN class_group_class gc ON gc.group_id = m.group_id
JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id
JOIN lesson l ON l.school_class_id = e.school_class_id AND l.group_id IS NULL
     AND l.date >= m.start_date AND (m.end_date IS NULL OR l.date <= m.end_date)
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
WHERE t.teacher_id = {uid} AND t.group_id IS NOT NULL
UNION
SELECT l.id FROM teaching_assignment t
JOIN group_membership m ON m.group_id = t.group_id
JOIN class_group_class gc ON gc.group_id = m.group_id
JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id
JOIN group_membership m2 ON m2.student_id = m.student_id
JOIN class_group_class gc2 ON gc2.group_id = m2.group_id AND gc2.school_class_id = e.school_class_id
JOIN class_group g2 ON g2.id = m2.group_id
JOIN lesson l ON l.school_class_id = g2.home_class_id AND l.group_id = m2.group_id
     AND l.date >= m2.start_date AND (m2.end_date IS NULL OR l.date <= m2.end_date)
     AND l.date >= m.start_date AND (m.end_date IS NULL OR l.date <= m.end_date)
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
WHERE t.teacher_id = {uid} AND t.group_id IS NOT NULL
"""


def group_member_lesson_ids(uid: int) -> RawSQL:
    """The ids of the lessons in the diaries of the members of the groups the viewer teaches, on
    their days in the group (``_GROUP_MEMBER_LESSONS``): exactly what ``Student.diary`` shows a
    group's teacher, so what they reach there ``node(id:)`` returns. A subquery for a filter
    ``id__in`` (the viewer's id is an int)."""
    return RawSQL(f"({_GROUP_MEMBER_LESSONS.format(uid=int(uid))})")


def family_group_slot_ids(uid: int) -> RawSQL:
    """The ids of the group timetable slots of the groups the viewer's own record and their
    children (unrevoked) are members of while the slot runs (its ``valid_from``..``valid_to``
    meets a membership while enrolled in one of the group's classes): not another group's."""
    days = _IN_MEMBERSHIP.format(first="x.valid_from", last="x.valid_to", open_end="x.valid_to IS NULL OR ")
    return RawSQL(
        "(SELECT x.id FROM timetable_slot x"
        " JOIN group_membership m ON m.group_id = x.group_id"
        " JOIN class_group_class gc ON gc.group_id = x.group_id"
        " JOIN enrollment e ON e.student_id = m.student_id AND e.school_class_id = gc.school_class_id"
        f" WHERE m.student_id IN ({_family_sql(uid)}) AND {days})"
    )


def homework_lesson_ids(uid: int) -> RawSQL:
    """The ids of the lessons the viewer sets homework for (``policy.can_set_homework``): those of
    a class + subject they are assigned to as a whole, those of a group they teach the subject to,
    and the lessons they give (a substitute): a subquery for a filter ``lesson_id__in``."""
    return RawSQL(
        "(SELECT l.id FROM lesson l JOIN teaching_assignment ta ON ta.school_class_id = l.school_class_id"
        " AND ta.subject_id = l.subject_id AND (ta.group_id IS NULL OR ta.group_id = l.group_id)"
        f" WHERE ta.teacher_id = {int(uid)} UNION SELECT l2.id FROM lesson l2 WHERE l2.teacher_id = {int(uid)})"
    )


async def lessons_of_students(student_ids: list[int], start: date, end: date) -> list[tuple[int, int, int]]:
    """(student id, class id, lesson id) of every lesson of ``start``..``end`` the students attend
    (``LESSONS_OF_STUDENTS``): one statement."""
    if not student_ids:
        return []
    rows = await core.fetch(
        f"SELECT sl.student_id, sl.class_id, sl.lesson_id FROM ({LESSONS_OF_STUDENTS}) sl"
        f" WHERE sl.student_id IN ({core.placeholders(len(student_ids))})"
        " AND sl.lesson_date >= ? AND sl.lesson_date <= ?",
        [*student_ids, start, end],
    )
    return [(int(r["student_id"]), int(r["class_id"]), int(r["lesson_id"])) for r in rows]


async def students_of_lessons(lessons: list[models.Lesson]) -> dict[int, dict[int, int]]:
    """Per lesson id, the students it is for on its date (``LESSONS_OF_STUDENTS``), each with the
    class they were enrolled in that day: one statement for any number of lessons."""
    found: dict[int, dict[int, int]] = defaultdict(dict)
    if not lessons:
        return found
    ids = sorted({x.id for x in lessons})
    rows = await core.fetch(
        f"SELECT sl.student_id, sl.class_id, sl.lesson_id FROM ({LESSONS_OF_STUDENTS}) sl"
        f" WHERE sl.lesson_id IN ({core.placeholders(len(ids))})"
        " AND sl.lesson_date >= ? AND sl.lesson_date <= ?",
        [*ids, min(x.date for x in lessons), max(x.date for x in lessons)],
    )
    for r in rows:
        found[int(r["lesson_id"])][int(r["student_id"])] = int(r["class_id"])
    return found
