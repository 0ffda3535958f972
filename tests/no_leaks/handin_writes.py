"""The probed hand-in mutations (README "Hand-in"): a student hands work in for homework of a
lesson they attended while still enrolled in its class; the teachers who set homework for the
lesson return and grade it. Same shape as tests/no_leaks/mutations.py."""

from __future__ import annotations

from typing import Any

import models
from tests.no_leaks.mutations import Write
from tests.no_leaks.oracle import Allowed, current
from tests.no_leaks.world import World


def _attended_under(world: World, student_id: int, lesson: Any) -> int | None:
    """The class the student attended the lesson under: its class's (a whole-class lesson) or, for
    a group's lesson, the class of the group they were enrolled in while a member on its date."""
    classes = current(world, student_id, lesson.date)
    group_id = getattr(lesson, "group_id", None)
    if group_id is None:
        return lesson.school_class_id if lesson.school_class_id in classes else None
    member = any(
        m.student_id == student_id
        and m.group_id == group_id
        and m.start_date <= lesson.date
        and (m.end_date is None or lesson.date <= m.end_date)
        for m in world.memberships
    )
    drawn = classes & world.group_classes.get(group_id, set())
    return next(iter(sorted(drawn)), None) if member else None


def _lesson_of(world: World, homework_id: int) -> Any:
    homework = next(h for h in world.homework if h.id == homework_id)
    return next(x for x in world.lessons if x.id == homework.lesson_id)


def _work(world: World, student_id: int, homework_id: int) -> Any:
    return next((w for w in world.submissions if w.student_id == student_id and w.homework_id == homework_id), None)


def _hands_in(world: World, uid: int, allowed: Allowed, homework: Any) -> bool:
    """The viewer's own student record attended the lesson and is still enrolled today in the class
    they attended it under; the homework stands and their work is not graded yet."""
    if homework.deleted_at is not None:
        return False
    lesson = _lesson_of(world, homework.id)
    for student in (s for s in world.students if s.user_id == uid):
        under = _attended_under(world, student.id, lesson)
        if under is not None and under in current(world, student.id):
            work = _work(world, student.id, homework.id)
            return work is None or work.status != models.SubmissionStatus.GRADED
    return False


def _sets_homework(world: World, uid: int, lesson: Any) -> bool:
    """The teacher giving the lesson, or one assigned to its class + subject as a whole or to its group."""
    return lesson.teacher_id == uid or any(
        a.teacher_id == uid
        and a.school_class_id == lesson.school_class_id
        and a.subject_id == lesson.subject_id
        and (getattr(a, "group_id", None) is None or a.group_id == getattr(lesson, "group_id", None))
        for a in world.assignments
    )


def _marks(world: World, uid: int, work: Any, *, returning: bool) -> bool:
    """Its homework stands, the viewer set homework for the lesson, the work is not graded (nor,
    to return it, returned already); a grade also needs a lesson not called off."""
    homework = next(h for h in world.homework if h.id == work.homework_id)
    if homework.deleted_at is not None:
        return False
    lesson = _lesson_of(world, homework.id)
    if not _sets_homework(world, uid, lesson) or work.status == models.SubmissionStatus.GRADED:
        return False
    if returning:
        return bool(work.status != models.SubmissionStatus.RETURNED)
    return bool(lesson.status != models.LessonStatus.CANCELLED)


HANDIN_WRITES = [
    Write(
        "homeworkSubmit",
        "Homework",
        lambda w: w.homework,
        lambda g, w, uid: f'homeworkId: {g}, text: "probe"',
        _hands_in,
    ),
    # returned before graded: a graded work is closed to both
    Write(
        "submissionReturn",
        "Submission",
        lambda w: w.submissions,
        lambda g, w, uid: f'submissionId: {g}, comment: "probe"',
        lambda w, uid, a, r: _marks(w, uid, r, returning=True),
    ),
    Write(
        "submissionGrade",
        "Submission",
        lambda w: w.submissions,
        lambda g, w, uid: f'submissionId: {g}, value: "5"',
        lambda w, uid, a, r: _marks(w, uid, r, returning=False),
    ),
]
