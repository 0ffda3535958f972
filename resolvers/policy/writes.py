"""Who writes the diary: grades, attendance, homework, remarks, absence notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet, ValuesQuery

import models
from resolvers import core
from resolvers.policy import windows
from resolvers.policy.admin import count_of, live
from resolvers.policy.diary import (
    LESSONS_OF_STUDENTS,
    NOBODY,
    _admin_school_q,
    _uid,
    _whole_class_ids,
    followable_classes,
    homework_lesson_ids,
    students_of_lessons,
    visible_lessons,
    visible_students,
)
from resolvers.sessions import Viewer

__all__ = [
    "STAFF_ROLES",
    "Grading",
    "attendees",
    "can_change_homework",
    "can_mark",
    "can_plan_lesson",
    "can_plan_subject",
    "can_remark",
    "can_set_homework",
    "current_class_id",
    "enrolled_on",
    "family_scope",
    "family_view",
    "followed_class",
    "grading",
    "register_readable",
    "still_follows_class",
    "submitting_student",
    "taught_submissions",
]

STAFF_ROLES = (models.Role.TEACHER, models.Role.SCHOOL_ADMIN, models.Role.DISTRICT_ADMIN)


def family_scope(viewer: Viewer) -> ValuesQuery[Any]:
    """The ids of every student a viewer who is only family sees, while the account is in
    good standing (``live``): none for staff. What ``family_view`` asks; a stream reads it with
    its events (``resolvers/outbox.py``, ``Follow.asks``)."""
    uid = _uid(viewer)
    return (
        live(visible_students(viewer), viewer)
        .annotate(viewer_staff_roles=count_of(models.RoleGrant.filter(user_id=uid, role__in=list(STAFF_ROLES))))
        .filter(viewer_staff_roles=0)
        .values("id")  # a column named "id" (``values_list`` names its columns "0", "1"...)
    )


async def family_view(viewer: Viewer, seen: frozenset[int] | None = None) -> frozenset[int] | None:
    """For a viewer who is only family (a parent, a student), the ids of every student they
    see: two such viewers with the same set see exactly the same data, so what is computed
    for one can be shown to the other. ``None`` for staff, whose view is their own. Empty
    for an account that is deactivated or must change its password (``live``).

    Asked before every event of every stream, so the usual answer (a family that sees
    someone) is one statement, compiled once per viewer (``core.first_column``): the scope, the
    account's standing and the absence of staff roles together (``family_scope``), or none
    when the stream read its answer with the event and it still holds (``seen``:
    ``outbox.ANSWER_HOLDS``). Only an empty answer asks which of those it was."""
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
    return live(followable_classes(viewer), viewer).filter(id=class_id).values("id")


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


async def grading(viewer: Viewer, lesson_id: int | None, student_id: int | None = None) -> Grading:
    """Everything a grade write asks of the policy about a lesson, in one statement: the lesson
    and its school, whether the viewer sees it (``visible_lessons``) and may grade in it (gives
    it, or is assigned to its class + subject as a whole or to its group: ``_gives_or_teaches``
    and ``_for_audience``, as SQL),
    its attendees on its date with their class that day and whether the viewer sees each
    (``visible_students``), and whether the viewer sees ``student_id``. The statement is the same
    whether the lesson exists, is the viewer's or not (an id that names nothing: no lesson)."""
    uid = _uid(viewer)
    # both scopes depend on the viewer's id alone
    lessons, lesson_params = core.embedded_once(("visible_lessons", uid), lambda: visible_lessons(viewer).values("id"))
    students, student_params = core.embedded_once(
        ("visible_students", uid), lambda: visible_students(viewer).values("id")
    )
    statement = (
        f"SELECT {core.columns(models.Lesson, 'l')}, {core.columns(models.School, 's')},"
        f" CASE WHEN l.id IN ({lessons}) THEN 1 ELSE 0 END AS visible,"
        " CASE WHEN l.teacher_id = ? THEN 1 WHEN EXISTS (SELECT 1 FROM teaching_assignment ta"
        " WHERE ta.teacher_id = ? AND ta.school_class_id = l.school_class_id AND ta.subject_id = l.subject_id"
        " AND (ta.group_id IS NULL OR ta.group_id = l.group_id)) THEN 1 ELSE 0 END AS may_grade,"
        f" CASE WHEN ? IN ({students}) THEN 1 ELSE 0 END AS student_visible,"
        " a.student_id AS a_student, a.class_id AS a_class,"
        f" CASE WHEN a.student_id IN ({students}) THEN 1 ELSE 0 END AS a_visible"
        " FROM (SELECT 1 AS one) o"
        " LEFT JOIN lesson l ON l.id = ?"
        " LEFT JOIN school_class c ON c.id = l.school_class_id"
        " LEFT JOIN school s ON s.id = c.school_id"
        f" LEFT JOIN ({LESSONS_OF_STUDENTS}) a ON a.lesson_id = l.id AND a.lesson_date = l.date"
    )
    params = [*lesson_params, uid, uid, student_id or 0, *student_params, *student_params, lesson_id or 0]
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
