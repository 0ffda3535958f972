"""The relations every rule starts from, and the diary's rules: who sees it and who writes it.

The relations (shared by every module of the package): the viewer's id (``_uid``) and the
subqueries of who teaches, leads or runs which classes and groups, whose child is whose
(``_children_ids``), and whose lesson a lesson is (``LESSONS_OF_STUDENTS``).

Who sees schools, classes, students and their diary: lessons, grades, homework, remarks,
attendance, terms, the calendar and timetable.

Who writes the diary: grades, attendance, homework, remarks, absence notices."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import F, Q, RawSQL, Subquery
from tortoise.queryset import QuerySet, ValuesQuery

import models
from resolvers import core
from resolvers.policy import admin, windows
from resolvers.sessions import Viewer

__all__ = [
    "LESSONS_OF_STUDENTS",
    "NOBODY",
    "STAFF_ROLES",
    "Grading",
    "acknowledgeable_remarks",
    "administered_class_groups",
    "administered_classes",
    "administered_lessons",
    "at_risk_schools",
    "attendees",
    "can_change_homework",
    "can_mark",
    "can_plan_lesson",
    "can_plan_subject",
    "can_remark",
    "can_set_homework",
    "children",
    "children_by_name",
    "children_ids",
    "current_class_id",
    "enrolled_on",
    "family_group_slot_ids",
    "family_lesson_ids",
    "family_scope",
    "family_students",
    "family_view",
    "followable_classes",
    "followed_class",
    "grading",
    "group_days_ids",
    "group_member_lesson_ids",
    "group_term_ids",
    "homework_lesson_ids",
    "journal_classes",
    "journal_groups",
    "journal_whole_classes",
    "lessons_of_students",
    "listed_schools",
    "own_absence_notices",
    "register_readable",
    "stats_schools",
    "still_follows_class",
    "students_of_lessons",
    "submitting_student",
    "taught_submissions",
    "visible_absence_notices",
    "visible_academic_years",
    "visible_assessments",
    "visible_class_groups",
    "visible_classes",
    "visible_days_off",
    "visible_districts",
    "visible_enrollments",
    "visible_grades",
    "visible_group_memberships",
    "visible_homework",
    "visible_lessons",
    "visible_remarks",
    "visible_schools",
    "visible_short_days",
    "visible_slots",
    "visible_students",
    "visible_subjects",
    "visible_submissions",
    "visible_teaching_assignments",
    "visible_term_grades",
    "visible_terms",
    "visible_users",
]


# --- the relations every rule starts from ------------------------------------------------

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


def _whole_classes(uid: int) -> tuple[ValuesQuery[Any], ValuesQuery[Any]]:
    """The ids of the classes the viewer teaches a subject to as a whole (not only to a group of
    it), and of those they lead as homeroom teacher: two subqueries."""
    assigned = models.TeachingAssignment.filter(teacher_id=uid, group_id__isnull=True).values("school_class_id")
    homeroom = models.SchoolClass.filter(homeroom_teacher_id=uid).values("id")
    return assigned, homeroom


def _whole_class_ids(uid: int) -> Q:
    """Classes the viewer teaches a subject to as a whole, or leads (``_whole_classes``; as a
    filter on ``id``)."""
    assigned, homeroom = _whole_classes(uid)
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
SELECT e.student_id AS student_id, e.school_class_id AS class_id, l.id AS lesson_id, l.date AS lesson_date,
       l.subject_id AS subject_id
FROM enrollment e
JOIN lesson l ON l.school_class_id = e.school_class_id AND l.group_id IS NULL
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
UNION ALL
SELECT e.student_id, e.school_class_id, l.id, l.date, l.subject_id
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


# --- who sees the diary ------------------------------------------------------------------


def _family(uid: int) -> QuerySet[models.Student]:
    """The viewer's own record and their children (unrevoked): they see the whole diary."""
    return models.Student.filter(Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id"))))


def _staffed_pupils(uid: int, field: str = "id") -> Q:
    """The children ever enrolled in a class the viewer teaches as a whole, leads or runs (the
    classes of ``_staffed_class_ids``; their windows), as a filter on ``field``.

    One subquery per way of keeping a class rather than one over the OR of them: the database
    cannot estimate an OR of subqueries (it takes most of the district's 4,000 classes for a
    teacher's 20) and then reads every enrolment of the district to keep the teacher's 500
    (70 ms at 100,000 students); each branch alone it reads by index, at what the viewer keeps."""
    classes = [
        *_whole_classes(uid),
        models.SchoolClass.filter(
            school_id__in=Subquery(_grant_schools(uid, models.Role.SCHOOL_ADMIN).values("school_id"))
        ).values("id"),
        models.SchoolClass.filter(school_id__in=Subquery(_district_schools(uid).values("id"))).values("id"),
    ]
    branches: list[Q] = []
    for c in classes:
        pupils: dict[str, Any] = {
            f"{field}__in": Subquery(models.Enrollment.filter(school_class_id__in=Subquery(c)).values("student_id"))
        }
        branches.append(Q(**pupils))
    return Q(*branches, join_type=Q.OR)


def visible_students(viewer: Viewer) -> QuerySet[models.Student]:
    """The family; the students ever enrolled in a class the viewer teaches as a whole, leads or
    runs (an admin: the classes of their schools, so a child who moved to another school is still
    seen by its old school, through the windows of ``policy.windows``); the members (ever) of the
    groups the viewer teaches, not the rest of their class (a group-only teacher reads the
    group's children, for the days they were in it); a school's own students for its admins."""
    uid = _uid(viewer)
    return models.Student.filter(
        Q(user_id=uid)
        | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
        | _staffed_pupils(uid)
        | Q(id__in=Subquery(_group_pupils(uid).values("student_id")))
        | _admin_school_q(uid)
    )


def children(viewer: Viewer) -> QuerySet[models.Student]:
    """The viewer's own children (unrevoked guardianships): a subset of ``visible_students``
    that needs none of its other branches."""
    return models.Student.filter(id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def children_ids(viewer: Viewer) -> tuple[str, list[Any]]:
    """``children``'s ids as SQL with ``?`` placeholders, and its values: the rule, to be read
    with another statement of the same request (the request's session: ``sessions.admit``, so that
    a family's first field asks no statement of its own). Compiled once per viewer, run every time."""
    uid = _uid(viewer)
    return core.embedded_once(("children_ids", uid), lambda: _children_ids(uid).values("student_id"))


async def children_by_name(viewer: Viewer) -> list[models.Student]:
    """``children`` by name and id (``Viewer.children``, the first statement of every family's
    diary): the scope's SQL depends on nothing but the viewer's id, so it is compiled once per
    viewer (``core.embedded_once``) and run every time, as it stands at that moment."""
    statement, params = core.embedded_once(
        ("children_by_name", _uid(viewer)), lambda: children(viewer).order_by("full_name", "id")
    )
    return [core.hydrate(models.Student, row) for row in await core.fetch(statement, params)]


def family_students(viewer: Viewer) -> QuerySet[models.Student]:
    """The viewer's own student record and their children (unrevoked guardianships): whose
    hand-ins of homework they follow (``Homework.handIn``)."""
    return _family(_uid(viewer))


def visible_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    uid = _uid(viewer)
    # the family's classes: the own record's and the children's, one subquery each (as one over
    # ``user_id = ? OR id IN (children)`` the database read all 100,000 students: 50 ms a parent)
    own = models.Student.filter(user_id=uid).values("id")
    own_classes = models.Enrollment.filter(student_id__in=Subquery(own)).values("school_class_id")
    children_classes = models.Enrollment.filter(
        student_id__in=Subquery(_children_ids(uid).values("student_id"))
    ).values("school_class_id")
    return models.SchoolClass.filter(
        _taught_class_ids(uid)
        | Q(id__in=Subquery(own_classes))
        | Q(id__in=Subquery(children_classes))
        | _admin_school_q(uid)
    )


def visible_schools(viewer: Viewer) -> QuerySet[models.School]:
    uid = _uid(viewer)
    staff = _grant_schools(uid, models.Role.TEACHER, models.Role.SCHOOL_ADMIN).values("school_id")
    # the family's schools, one subquery each for the own record and the children (as for classes)
    own_school = models.Student.filter(user_id=uid).values("school_id")
    children = _children_ids(uid).values("student_id")
    children_schools = models.Student.filter(id__in=Subquery(children)).values("school_id")
    return models.School.filter(
        Q(id__in=Subquery(staff))
        | Q(id__in=Subquery(own_school))
        | Q(id__in=Subquery(children_schools))
        | _admin_school_q(uid, "id")
    )


def followable_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    """Classes whose live events (every student's grades) the viewer may follow: the ones
    they teach as a whole or lead, and those of the schools they administer. Not a parent's
    class, nor the class of a group the viewer teaches only (the other group's are not theirs)."""
    return models.SchoolClass.filter(_staffed_class_ids(_uid(viewer)))


def visible_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """For the staff, the lessons of the classes they teach as a whole, lead or run, with the
    lessons of the groups drawn from them (a cross-class group's lessons are filed under its home
    class), and the lessons of the groups they teach; a teacher of a group only also sees what
    its members' diaries show them (``group_member_lesson_ids``): on the days a child is a member
    of a group they teach while enrolled in one of its classes, the child's whole-class lessons
    and the lessons of the child's groups that day (as a whole-class teacher reads their class's
    children's whole diary), so what that diary reaches ``node(id:)`` returns; not the lessons of
    the class on a day none of its members is theirs, nor another group's without their member;
    for a family, the whole-class lessons of its children's classes on the days they were
    enrolled there (not the old class's after a transfer) and the lessons of the groups they
    were members of on the lesson's day (``LESSONS_OF_STUDENTS``; not another
    group's: a German-group child does not see the English group's lessons, their homework or
    assessments, nor a child who moved group the old group's after the move); and for everyone the lessons they
    give or were planned to give (a substitute sees the lesson they stand in for)."""
    uid = _uid(viewer)
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    drawn = models.ClassGroupClass.filter(school_class_id__in=Subquery(staffed)).values("group_id")
    taught = _taught_group_ids(uid).values("group_id")
    return models.Lesson.filter(
        Q(school_class_id__in=Subquery(staffed))
        | Q(group_id__in=Subquery(drawn))
        | Q(group_id__in=Subquery(taught))
        | Q(id__in=group_member_lesson_ids(uid))
        | Q(id__in=family_lesson_ids(uid))
        | Q(teacher_id=uid)
        | Q(original_teacher_id=uid)
    )


def visible_assessments(viewer: Viewer) -> QuerySet[models.PlannedAssessment]:
    """The assessments announced (and not called off) for the visible lessons that take place:
    whoever sees a lesson sees what is planned for it; a cancelled lesson hides it."""
    return models.PlannedAssessment.filter(
        cancelled_at__isnull=True,
        lesson_id__in=Subquery(visible_lessons(viewer).filter(status=models.LessonStatus.SCHEDULED).values("id")),
    )


def visible_grades(viewer: Viewer) -> QuerySet[models.Grade]:
    """The grades of the students the viewer sees, removed ones included: a removed grade
    stays visible as removed, with who removed it, when and why. The family sees all of them;
    a teacher the grades given in the classes they teach or lead to the children enrolled
    there, an admin those given in the classes of their schools: of a transferred child, those
    of its enrolment in that class (``policy.windows``), not those of its other class. A teacher
    of a group only, the grades of its members' days in the group (``group_days_ids``: the
    windows of ``policy.windows``), not one given before the child joined or after they left."""
    uid = _uid(viewer)
    return models.Grade.filter(
        _in_whole_classes(uid)
        | Q(id__in=group_days_ids(uid, "grade"))
        | Q(student_id__in=Subquery(_family(uid).values("id")))
    )


def _in_whole_classes(uid: int) -> Q:
    """Rows (grades, final grades) given in a class the viewer teaches as a whole, leads or runs,
    to a child enrolled in one of them."""
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    return Q(school_class_id__in=Subquery(staffed)) & _staffed_pupils(uid, "student_id")


def visible_homework(viewer: Viewer) -> QuerySet[models.Homework]:
    """Homework of visible lessons; removed homework is gone for everyone."""
    return models.Homework.filter(lesson_id__in=Subquery(visible_lessons(viewer).values("id")), deleted_at__isnull=True)


def visible_submissions(viewer: Viewer) -> QuerySet[models.Submission]:
    """Work handed in for homework that stands: the student's own and their guardians'
    (unrevoked), also after the child left the class; and the teachers who set homework for its
    due lesson (``taught_submissions``). Nobody else: not another subject's teacher of the class,
    not a group's teacher for another group's or the whole class's lessons, not the admins."""
    uid = _uid(viewer)
    return models.Submission.filter(
        Q(student_id__in=Subquery(_family(uid).values("id")))
        | Q(homework_id__in=Subquery(models.Homework.filter(lesson_id__in=homework_lesson_ids(uid)).values("id"))),
        homework_id__in=Subquery(models.Homework.filter(deleted_at__isnull=True).values("id")),
    )


def visible_remarks(viewer: Viewer) -> QuerySet[models.Remark]:
    """Remarks are for the family and the school, not for everyone who can see the student:
    the student themself and their active guardians; the teachers of the class the remark
    was written in (any subject as a whole, or its homeroom teacher); the school's admins. A
    teacher who taught the child in another class does not read remarks written there. A teacher
    of a group only reads the remarks of its members written on their days in the group
    (``group_days_ids``), not those of the rest of the class, nor of before the child joined."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    taught = models.SchoolClass.filter(_whole_class_ids(uid)).values("id")
    admin_classes = models.SchoolClass.filter(_admin_school_q(uid)).values("id")
    return models.Remark.filter(
        Q(student_id__in=Subquery(models.Student.filter(family).values("id")))
        | Q(school_class_id__in=Subquery(taught))
        | Q(school_class_id__in=Subquery(admin_classes))
        | Q(id__in=group_days_ids(uid, "remark"))
    )


def acknowledgeable_remarks(viewer: Viewer) -> QuerySet[models.Remark]:
    """Remarks the viewer may acknowledge as read: their own, or their children's (while the
    guardianship is active). Teachers and admins read remarks but do not acknowledge them."""
    uid = _uid(viewer)
    family = Q(user_id=uid) | Q(id__in=Subquery(_children_ids(uid).values("student_id")))
    return models.Remark.filter(student_id__in=Subquery(models.Student.filter(family).values("id")))


def visible_subjects(viewer: Viewer) -> QuerySet[models.Subject]:
    return models.Subject.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_users(viewer: Viewer) -> QuerySet[models.User]:
    """Themself, and the staff (teachers, admins) of the schools the viewer can see.

    Parents and students of other families are never reachable by id."""
    uid = _uid(viewer)
    staff = models.RoleGrant.filter(
        role__in=[models.Role.TEACHER, models.Role.SCHOOL_ADMIN],
        school_id__in=Subquery(visible_schools(viewer).values("id")),
    ).values("user_id")
    return models.User.filter(Q(id=uid) | Q(id__in=Subquery(staff)))


def visible_absence_notices(viewer: Viewer) -> QuerySet[models.AbsenceNotice]:
    """The family's notices; for the child's teachers and admins, those with a day in one of
    their windows (``policy.windows``: an enrolment in a class they teach, lead or run), seen
    whole: a notice across a transfer day is read by both sides. A teacher of a group only reads
    the notices of its members that cover a day the child was in the group (their lessons are
    affected: ``group_days_ids``), not other children's, nor one of before the child joined."""
    uid = _uid(viewer)
    enrolled = Q(student__enrollments__end_date__isnull=True) | Q(student__enrollments__end_date__gte=F("date"))
    in_window = models.AbsenceNoticeItem.filter(
        enrolled,
        student__enrollments__school_class_id__in=Subquery(
            models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
        ),
        student__enrollments__start_date__lte=F("date"),
    ).values("notice_id")
    group_days = group_days_ids(uid, "absence_notice", first="start_date", last="end_date", classed=False)
    return models.AbsenceNotice.filter(
        Q(student_id__in=Subquery(_family(uid).values("id"))) | Q(id__in=Subquery(in_window)) | Q(id__in=group_days)
    )


def own_absence_notices(viewer: Viewer) -> QuerySet[models.AbsenceNotice]:
    """Notices the viewer may change: those of their own children (unrevoked guardianship)."""
    return models.AbsenceNotice.filter(student_id__in=Subquery(_children_ids(_uid(viewer)).values("student_id")))


def visible_terms(viewer: Viewer) -> QuerySet[models.Term]:
    return models.Term.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_term_grades(viewer: Viewer) -> QuerySet[models.TermGrade]:
    """Final grades have the audience of the student's grades: the family, the teachers of
    the class they were set in (as a whole, or its homeroom teacher) to a child enrolled there,
    the admins of its school and its district (after a transfer, the old class's final grades are
    the old side's, the new class's the new side's). A teacher of a group only reads the final
    grades of its members for a term (or a year) with a day the child was in their group
    (``group_term_ids``): not another child's of the class, nor one of a term the child spent
    outside the group (left before it began, or joined after it ended)."""
    uid = _uid(viewer)
    return models.TermGrade.filter(
        _in_whole_classes(uid) | Q(id__in=group_term_ids(uid)) | Q(student_id__in=Subquery(_family(uid).values("id")))
    )


def stats_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose dashboard (aggregates over all their classes) the viewer reads: the
    school's admins and its district's. Not teachers: a teacher reads their own classes
    through the journal and the students' progress, not the whole school's figures."""
    return models.School.filter(_admin_school_q(_uid(viewer), "id"))


def at_risk_schools(viewer: Viewer) -> QuerySet[models.School]:
    """Schools whose at-risk list (students named, with their averages and absences) the
    viewer reads: the school's own admins only. A district admin reads aggregates."""
    admin = _grant_schools(_uid(viewer), models.Role.SCHOOL_ADMIN).values("school_id")
    return models.School.filter(id__in=Subquery(admin))


def listed_schools(viewer: Viewer) -> QuerySet[models.School]:
    """The school directory: every school, by name only (``SchoolListing``), for any signed-in
    user (a family picks the school to apply to before it sees anything of it); nothing for
    anyone else."""
    return models.School.all() if viewer.user_id is not None else models.School.filter(id=NOBODY)


def visible_districts(viewer: Viewer) -> QuerySet[models.District]:
    """Districts the viewer administers (and whose aggregates they read): no other district."""
    grants = models.RoleGrant.filter(user_id=_uid(viewer), role=models.Role.DISTRICT_ADMIN).values("district_id")
    return models.District.filter(id__in=Subquery(grants))


def journal_classes(viewer: Viewer, subject_id: int) -> QuerySet[models.SchoolClass]:
    """Classes whose journal of ``subject_id`` (every student's grades and attendance on one
    grid) the viewer may read: the teachers assigned to that class + subject, and the admins
    of the school or its district. Not parents, students, homeroom or other teachers: a
    journal shows the whole class, which only those who keep or supervise it may see."""
    uid = _uid(viewer)
    assigned = models.TeachingAssignment.filter(teacher_id=uid, subject_id=subject_id).values("school_class_id")
    return models.SchoolClass.filter(Q(id__in=Subquery(assigned)) | _admin_school_q(uid))


def journal_whole_classes(viewer: Viewer, subject_id: int) -> QuerySet[models.SchoolClass]:
    """Of ``journal_classes``, those whose whole journal the viewer reads: a teacher of the
    class as a whole + ``subject_id``, and the school's admins. A teacher of groups of it only
    reads a journal of those groups (``journal_groups``)."""
    uid = _uid(viewer)
    assigned = models.TeachingAssignment.filter(teacher_id=uid, subject_id=subject_id, group_id__isnull=True)
    return models.SchoolClass.filter(Q(id__in=Subquery(assigned.values("school_class_id"))) | _admin_school_q(uid))


async def journal_groups(viewer: Viewer, class_id: int, subject_id: int) -> list[int]:
    """The groups of ``class_id`` the viewer teaches ``subject_id`` to: the journal of a teacher
    of those groups only (not in ``journal_whole_classes``) holds their lessons and members."""
    rows = await models.TeachingAssignment.filter(
        teacher_id=_uid(viewer), school_class_id=class_id, subject_id=subject_id, group_id__isnull=False
    ).values_list("group_id", flat=True)
    return sorted({int(str(g)) for g in rows})


def administered_classes(viewer: Viewer) -> QuerySet[models.SchoolClass]:
    return models.SchoolClass.filter(_admin_school_q(_uid(viewer)))


def visible_enrollments(viewer: Viewer) -> QuerySet[models.Enrollment]:
    """What ``Student.enrollments`` shows: every enrolment of a student the viewer sees whole
    (``visible_students``), in whichever class or school; a class the viewer does not see is
    a face there (``Enrollment.schoolClass``). An admin who sees a child that moved schools sees
    all its enrolments, as the field lists them; the diary stays within the windows."""
    return models.Enrollment.filter(student_id__in=Subquery(visible_students(viewer).values("id")))


def visible_teaching_assignments(viewer: Viewer) -> QuerySet[models.TeachingAssignment]:
    """A teacher's own (``Viewer.teaching``), and those of the classes of the schools the viewer
    administers, who create and remove them (``teachingAssignmentCreate``/``Delete``)."""
    uid = _uid(viewer)
    return models.TeachingAssignment.filter(
        Q(teacher_id=uid) | Q(school_class_id__in=Subquery(administered_classes(viewer).values("id")))
    )


def administered_lessons(viewer: Viewer) -> QuerySet[models.Lesson]:
    """Lessons an admin may cancel, restore or give to a substitute: those of their schools."""
    return models.Lesson.filter(school_class_id__in=Subquery(administered_classes(viewer).values("id")))


def visible_slots(viewer: Viewer) -> QuerySet[models.TimetableSlot]:
    """The weekly timetable, with the audience of the lessons it makes (``visible_lessons``):
    the staff of a class (its whole-class teachers, homeroom teacher and admins) see all its
    slots and those of the groups drawn from it; a group's teacher their group's slots (a teacher
    of a group only: not the rest of the class's); a family the whole-class slots of its
    children's classes and the slots of the groups they are members of while the slot runs
    (``family_group_slot_ids``: not another group's, nor a group's a child left before the slot
    began); everyone the slots they teach."""
    uid = _uid(viewer)
    staffed = models.SchoolClass.filter(_staffed_class_ids(uid)).values("id")
    drawn = models.ClassGroupClass.filter(school_class_id__in=Subquery(staffed)).values("group_id")
    taught = _taught_group_ids(uid).values("group_id")
    family_classes = models.Enrollment.filter(student_id__in=Subquery(_family(uid).values("id"))).values(
        "school_class_id"
    )
    return models.TimetableSlot.filter(
        Q(school_class_id__in=Subquery(staffed))
        | Q(group_id__in=Subquery(drawn))
        | Q(group_id__in=Subquery(taught))
        | Q(school_class_id__in=Subquery(family_classes), group_id__isnull=True)
        | Q(group_id__isnull=False, id__in=family_group_slot_ids(uid))
        | Q(teacher_id=uid)
    )


def visible_academic_years(viewer: Viewer) -> QuerySet[models.AcademicYear]:
    return models.AcademicYear.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_days_off(viewer: Viewer) -> QuerySet[models.DayOff]:
    return models.DayOff.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_short_days(viewer: Viewer) -> QuerySet[models.ShortDay]:
    return models.ShortDay.filter(school_id__in=Subquery(visible_schools(viewer).values("id")))


def visible_class_groups(viewer: Viewer) -> QuerySet[models.ClassGroup]:
    """A class's groups are seen by whoever sees one of the classes the group draws from
    (``visible_classes``): its teachers, homeroom teacher, the school's admins and the
    families of its children. Who is in a group is narrower: ``visible_group_memberships``."""
    links = models.ClassGroupClass.filter(school_class_id__in=Subquery(visible_classes(viewer).values("id")))
    return models.ClassGroup.filter(id__in=Subquery(links.values("group_id")))


def administered_class_groups(viewer: Viewer) -> QuerySet[models.ClassGroup]:
    """Groups an admin creates, changes, ends and moves children between: those of the
    schools they run (``classGroupCreate``, ``classGroupUpdate``, ``classGroupEnd``,
    ``classGroupMembersMove``). Another school's group is not there for them."""
    return models.ClassGroup.filter(_admin_school_q(_uid(viewer)))


def visible_group_memberships(viewer: Viewer) -> QuerySet[models.GroupMembership]:
    """What ``ClassGroup.members`` lists: the memberships of the students the viewer sees
    (``visible_students``) in the groups they see. A family sees its own child's; a teacher
    of 5A sees the 5A children of a cross-class group, not those of 5B."""
    return models.GroupMembership.filter(
        student_id__in=Subquery(visible_students(viewer).values("id")),
        group_id__in=Subquery(visible_class_groups(viewer).values("id")),
    )


# --- who writes the diary ----------------------------------------------------------------

STAFF_ROLES = (models.Role.TEACHER, models.Role.SCHOOL_ADMIN, models.Role.DISTRICT_ADMIN)


def family_scope(viewer: Viewer) -> ValuesQuery[Any]:
    """The ids of every student a viewer who is only family sees, while the account is in
    good standing (``admin.live``): none for staff. What ``family_view`` asks; a stream reads it with
    its events (``resolvers/outbox.py``, ``Follow.asks``)."""
    uid = _uid(viewer)
    return (
        admin.live(visible_students(viewer), viewer)
        .annotate(viewer_staff_roles=admin.count_of(models.RoleGrant.filter(user_id=uid, role__in=list(STAFF_ROLES))))
        .filter(viewer_staff_roles=0)
        .values("id")  # a column named "id" (``values_list`` names its columns "0", "1"...)
    )


async def family_view(viewer: Viewer, seen: frozenset[int] | None = None) -> frozenset[int] | None:
    """For a viewer who is only family (a parent, a student), the ids of every student they
    see: two such viewers with the same set see exactly the same data, so what is computed
    for one can be shown to the other. ``None`` for staff, whose view is their own. Empty
    for an account that is deactivated or must change its password (``admin.live``).

    Asked before every event of every stream, so the usual answer (a family that sees
    someone) is one statement, compiled once per viewer (``core.first_column``): the scope, the
    account's standing and the absence of staff roles together (``family_scope``), or none
    when the stream read its answer with the event and it still holds (``seen``:
    ``streams.ANSWER_HOLDS``). Only an empty answer asks which of those it was."""
    if seen is None:
        seen = frozenset(
            int(i) for i in await core.first_column(("family_view", _uid(viewer)), lambda: family_scope(viewer))
        )
    if seen:
        return seen
    if any(role in STAFF_ROLES for role in await viewer.roles()):
        return None
    return frozenset()


def followed_class(viewer: Viewer, class_id: int) -> ValuesQuery[Any]:
    """The class's id while the viewer may still follow its live events (``followable_classes``,
    and the account in good standing), else no row. What ``still_follows_class`` asks; a class
    stream reads it with its events (``resolvers/outbox.py``, ``Follow.asks``)."""
    return admin.live(followable_classes(viewer), viewer).filter(id=class_id).values("id")


async def still_follows_class(viewer: Viewer, class_id: int) -> bool:
    """Whether the viewer may still follow the class's live events (``followed_class``): asked
    before every event of a class stream that did not read the answer with it."""
    ids = await core.first_column(("follows_class", _uid(viewer), class_id), lambda: followed_class(viewer, class_id))
    return bool(ids)


async def _gives_or_teaches(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer gives this very lesson (also as a substitute) or is assigned to its class +
    subject."""
    if viewer.user_id is None:
        return False
    if lesson.teacher_id == viewer.user_id:
        return True
    return await models.TeachingAssignment.filter(
        _for_audience(lesson),
        teacher_id=viewer.user_id,
        school_class_id=lesson.school_class_id,
        subject_id=lesson.subject_id,
    ).exists()


def _for_audience(lesson: models.Lesson) -> Q:
    """The teaching assignments that reach the lesson's children: the class + subject as a
    whole, or, for a group's lesson, that group (a group's teacher writes nothing for the
    whole class's lessons or another group's)."""
    whole = Q(group_id__isnull=True)
    return whole | Q(group_id=lesson.group_id) if lesson.group_id is not None else whole


async def can_set_homework(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer teaches the lesson's class + subject, or gives this very lesson (a substitute)."""
    return await _gives_or_teaches(viewer, lesson)


async def can_plan_lesson(viewer: Viewer, lesson: models.Lesson) -> bool:
    """Who writes a lesson's topic and plan note and announces its assessment: a teacher of the
    lesson's class + subject, or the teacher giving this very lesson (a substitute plans the
    lesson they give, not the others of the class). Admins only when they also teach it."""
    return await _gives_or_teaches(viewer, lesson)


async def can_plan_subject(viewer: Viewer, class_id: int, subject_id: int) -> bool:
    """Who imports a thematic plan for a class + subject: a teacher assigned to the whole class +
    subject (a substitute gives single lessons, not the term; a group's teacher plans the group's
    lessons one by one, ``can_plan_lesson``, not the other group's)."""
    if viewer.user_id is None:
        return False
    return await models.TeachingAssignment.exists(
        teacher_id=viewer.user_id, school_class_id=class_id, subject_id=subject_id, group_id=None
    )


async def can_change_homework(viewer: Viewer, homework: models.Homework, lesson: models.Lesson) -> bool:
    """Its author, or a teacher of its class + subject (a colleague taking over the class)."""
    if viewer.user_id is None:
        return False
    return (
        homework.assigned_by_id == viewer.user_id
        or await models.TeachingAssignment.filter(
            _for_audience(lesson),
            teacher_id=viewer.user_id,
            school_class_id=lesson.school_class_id,
            subject_id=lesson.subject_id,
        ).exists()
    )


async def can_remark(viewer: Viewer, student_id: int, class_id: int, day: date) -> bool:
    """The viewer teaches any subject to the student's class (``class_id``) as a whole, or is its
    homeroom teacher; or teaches a group the student is a member of on ``day`` (the remark's day)
    while enrolled in ``class_id`` (``windows.group_windows_of``): a group's teacher writes no
    remark on the rest of the class, nor on a child of before they joined the group."""
    if viewer.user_id is None:
        return False
    if await models.SchoolClass.filter(_whole_class_ids(viewer.user_id), id=class_id).exists():
        return True
    spans = await windows.group_windows_of(viewer.user_id, [student_id])
    return windows.in_windows(spans.get(student_id, []), day, class_id)


async def current_class_id(student_id: int, day: date) -> int | None:
    """The class the student is enrolled in on ``day``, if any."""
    enrollment = (
        await models.Enrollment.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day), student_id=student_id, start_date__lte=day
        )
        .order_by("-start_date", "-id")
        .first()
    )
    return enrollment.school_class_id if enrollment else None


@dataclass(frozen=True)
class Grading:
    """A lesson as a viewer who grades in it finds it (``grading``): read whole, whatever the
    viewer may do with it, so that a refusal costs what a success costs."""

    viewer_id: int
    lesson: models.Lesson | None  # None: no such lesson
    school: models.School | None  # the lesson's class's
    visible: bool  # ``visible_lessons``
    may_grade: bool  # the viewer gives it (a substitute too) or is assigned to its class + subject, or its group
    student_visible: bool  # the student asked about is one of ``visible_students``
    # its attendees on its date (``students_of_lessons``), each with the class they were enrolled
    # in that day and whether the viewer sees them (``visible_students``)
    attendees: dict[int, tuple[int, bool]]

    @property
    def gives(self) -> bool:
        """The viewer gives the lesson (also a substitute who does not otherwise see it)."""
        return self.lesson is not None and self.lesson.teacher_id == self.viewer_id

    def gradable(self, ids: set[int]) -> dict[int, int]:
        """Of ``ids``, the students the viewer may grade in the lesson: its attendees on its date
        (the class's, or the group's members) seen by the viewer, or, for the teacher giving it
        (a substitute who does not otherwise teach the class), every student of its register;
        each with the class they were enrolled in that day (a cross-class group's member from a
        parallel class, their own class), under which their grade is filed and counted."""
        return {pk: c for pk, (c, seen) in self.attendees.items() if pk in ids and (seen or self.gives)}


# The viewer (both ``?``) gives lesson ``l`` or is assigned to its class + subject, as a whole or to its group.
_MAY_GRADE = (
    "(l.teacher_id = ? OR EXISTS (SELECT 1 FROM teaching_assignment ta"
    " WHERE ta.teacher_id = ? AND ta.school_class_id = l.school_class_id AND ta.subject_id = l.subject_id"
    " AND (ta.group_id IS NULL OR ta.group_id = l.group_id)))"
)


async def grading(
    viewer: Viewer, lesson_id: int | None, student_id: int | None = None, lock: Sequence[int] = ()
) -> Grading:
    """Everything a grade write asks of the policy about a lesson, in one statement: the lesson
    and its school, whether the viewer sees it (``visible_lessons``) and may grade in it (gives
    it, or is assigned to its class + subject as a whole or to its group: ``_gives_or_teaches``
    and ``_for_audience``, as SQL),
    its attendees on its date with their class that day and whether the viewer sees each
    (``visible_students``), and whether the viewer sees ``student_id``. The statement is the same
    whether the lesson exists, is the viewer's or not (an id that names nothing: no lesson).

    ``lock`` (PostgreSQL, inside the write's transaction): the same statement also locks, in id
    order, those of these students who attend the lesson when the viewer may grade in it, as
    ``grades.lock_students`` does for the write that follows; nobody else's rows are locked."""
    uid = _uid(viewer)
    # both scopes depend on the viewer's id alone
    lessons, lesson_params = core.embedded_once(("visible_lessons", uid), lambda: visible_lessons(viewer).values("id"))
    students, student_params = core.embedded_once(
        ("visible_students", uid), lambda: visible_students(viewer).values("id")
    )
    ids = sorted(set(lock)) if core.dialect() == "postgres" else []
    locking, locked = "", ""
    lock_params: list[Any] = []
    if ids:
        locking = (
            f"WITH locked AS (SELECT st.id FROM student st WHERE st.id IN ({core.placeholders(len(ids))})"
            f" AND st.id IN (SELECT a.student_id FROM ({LESSONS_OF_STUDENTS}) a WHERE a.lesson_id = ?)"
            f" AND EXISTS (SELECT 1 FROM lesson l WHERE l.id = ? AND {_MAY_GRADE})"
            " ORDER BY st.id FOR NO KEY UPDATE OF st) "
        )
        locked = ", (SELECT COUNT(*) FROM locked) AS locked"
        lock_params = [*ids, lesson_id or 0, lesson_id or 0, uid, uid]
    statement = (
        f"{locking}SELECT {core.columns(models.Lesson, 'l')}, {core.columns(models.School, 's')},"
        f" CASE WHEN {core.embedded_member('l.id', lessons)} THEN 1 ELSE 0 END AS visible,"
        f" CASE WHEN {_MAY_GRADE} THEN 1 ELSE 0 END AS may_grade,"
        f" CASE WHEN {core.embedded_member('?', students)} THEN 1 ELSE 0 END AS student_visible,"
        " a.student_id AS a_student, a.class_id AS a_class,"
        f" CASE WHEN {core.embedded_member('a.student_id', students)} THEN 1 ELSE 0 END AS a_visible{locked}"
        " FROM (SELECT 1 AS one) o"
        " LEFT JOIN lesson l ON l.id = ?"
        " LEFT JOIN school_class c ON c.id = l.school_class_id"
        " LEFT JOIN school s ON s.id = c.school_id"
        f" LEFT JOIN ({LESSONS_OF_STUDENTS}) a ON a.lesson_id = l.id AND a.lesson_date = l.date"
    )
    params = [*lock_params, *lesson_params, uid, uid, *student_params, student_id or 0, *student_params]
    params.append(lesson_id or 0)
    rows = await core.fetch(statement, params)
    first = rows[0]
    lesson = core.hydrate(models.Lesson, first, "l_") if first["l_id"] is not None else None
    return Grading(
        viewer_id=uid,
        lesson=lesson,
        school=core.hydrate(models.School, first, "s_") if lesson is not None else None,
        visible=bool(first["visible"]),
        may_grade=bool(first["may_grade"]),
        student_visible=bool(first["student_visible"]),
        attendees={
            int(r["a_student"]): (int(r["a_class"]), bool(r["a_visible"])) for r in rows if r["a_student"] is not None
        },
    )


async def can_mark(viewer: Viewer, lesson: models.Lesson) -> bool:
    """The viewer gives the lesson (also as a substitute) or is assigned to its class + subject."""
    return await _gives_or_teaches(viewer, lesson)


async def register_readable(viewer: Viewer, lessons: list[models.Lesson]) -> set[int]:
    """Ids of the ``lessons`` whose register (every student's mark with its history) the
    viewer reads: the lesson's teachers (giving it, planned to, assigned to its class +
    subject), the class's homeroom teacher, and the admins of its school. Families see
    their own child's marks in the diary instead. Two statements for any number of lessons."""
    uid = _uid(viewer)
    if not lessons or uid == NOBODY:
        return set()
    class_ids = {lesson.school_class_id for lesson in lessons}
    assigned = await models.TeachingAssignment.filter(teacher_id=uid, school_class_id__in=class_ids).values(
        "school_class_id", "subject_id", "group_id"
    )
    # a class-wide assignment reads every lesson of the class + subject, a group's only the group's
    keys = {(row["school_class_id"], row["subject_id"], row["group_id"]) for row in assigned}
    led = await models.SchoolClass.filter(Q(homeroom_teacher_id=uid) | _admin_school_q(uid), id__in=class_ids).values(
        "id"
    )
    staff = {row["id"] for row in led}
    return {
        lesson.id
        for lesson in lessons
        if uid in (lesson.teacher_id, lesson.original_teacher_id)
        or (lesson.school_class_id, lesson.subject_id, None) in keys
        or (lesson.group_id is not None and (lesson.school_class_id, lesson.subject_id, lesson.group_id) in keys)
        or lesson.school_class_id in staff
    }


async def enrolled_on(class_id: int, day: date) -> set[int]:
    """Ids of the students enrolled in the class on the day."""
    rows = await models.Enrollment.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day), school_class_id=class_id, start_date__lte=day
    ).values("student_id")
    return {int(row["student_id"]) for row in rows}


async def attendees(lesson: models.Lesson) -> set[int]:
    """Ids of the students a lesson is for on its date (``LESSONS_OF_STUDENTS``): those enrolled
    in its class, or, for a group's lesson, the group's members that day (a child's other groups'
    lessons are not theirs: nobody grades or marks them there)."""
    return set((await students_of_lessons([lesson])).get(lesson.id, {}))


def taught_submissions(viewer: Viewer) -> QuerySet[models.Submission]:
    """Handed-in work a teacher returns and grades: for homework (standing) of the lessons they
    set homework for (``homework_lesson_ids``: the same teachers as ``can_set_homework``), whoever
    the student. Locked and checked inside the write's transaction."""
    lessons = homework_lesson_ids(_uid(viewer))
    return models.Submission.filter(
        homework_id__in=Subquery(models.Homework.filter(lesson_id__in=lessons, deleted_at__isnull=True).values("id"))
    )


async def submitting_student(viewer: Viewer, lesson: models.Lesson, today: date) -> int | None:
    """The viewer's own student record, if they hand work in for homework due at ``lesson``: the
    lesson is for them (``students_of_lessons``: their class's, or their group's on its date) and
    they are still enrolled today in the class they attended it under (a child who left the class
    hands nothing more in there). Guardians do not hand work in for their children."""
    if viewer.user_id is None:
        return None
    own = await models.Student.filter(user_id=viewer.user_id).values_list("id", flat=True)
    attending = (await students_of_lessons([lesson])).get(lesson.id, {})
    for student_id in (int(str(i)) for i in own):
        class_id = attending.get(student_id)
        if class_id is not None and await current_class_id(student_id, today) == class_id:
            return student_id
    return None
