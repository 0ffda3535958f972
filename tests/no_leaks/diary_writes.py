"""More probed mutations, the diary writes that name a lesson or a student and pick further
ids from the world: a class's grades, a register, a final grade, an absence notice. Same
shape as tests/no_leaks/mutations.py."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import models
from resolvers.core import from_global_id, to_global_id, today_utc
from tests.no_leaks.mutations import Write, taught_pairs
from tests.no_leaks.oracle import Allowed, current
from tests.no_leaks.world import World


def _notice(target: str, world: World, uid: int) -> str:
    """A notice for one day past the world's notices (2 and 3 days ahead)."""
    day = (today_utc() + timedelta(days=10)).isoformat()
    return f'studentId: {target}, kind: BY_DAY, from: "{day}", to: "{day}", reason: "probe"'


def _row(world: World, rows: list[Any], target: str) -> Any:
    """The world's row a global id names (None for the missing id)."""
    found = from_global_id(json.loads(target))
    return next((r for r in rows if found is not None and r.id == found[1]), None)


def _pupil(world: World, lesson: Any) -> int | None:
    """A student enrolled in the lesson's class on its date, if any."""
    if lesson is None:
        return None
    return next((s.id for s in world.students if lesson.school_class_id in current(world, s.id, lesson.date)), None)


def _pupil_id(target: str, world: World) -> str:
    """The row an input names with the lesson: its pupil (the first student when it has none)."""
    pupil = _pupil(world, _row(world, world.lessons, target))
    return json.dumps(to_global_id("Student", pupil if pupil is not None else world.students[0].id))


def _teaches(world: World, uid: int, lesson: Any) -> bool:
    """Not cancelled, and the viewer gives it or is assigned to its class + subject."""
    return lesson.status != models.LessonStatus.CANCELLED and (
        lesson.teacher_id == uid or (lesson.school_class_id, lesson.subject_id) in taught_pairs(world, uid)
    )


def _grades_in(world: World, uid: int, allowed: Allowed, lesson: Any) -> bool:
    """Its teacher grades a pupil the viewer sees, and the one giving it (a substitute) any pupil."""
    pupil = _pupil(world, lesson)
    return (
        pupil is not None and _teaches(world, uid, lesson) and (lesson.teacher_id == uid or pupil in allowed["Student"])
    )


def _final_pair(world: World, uid: int, student: Any) -> tuple[int, bool]:
    """The subject a final grade is probed in, and whether the viewer is assigned it for the
    student today: a subject they teach in the child's class today as a whole, else the subject of
    a group they teach that the child is in today (drawing from that class); else the district's
    first subject, not theirs."""
    classes = current(world, student.id) if student is not None else set()
    pair = next(((c, s) for c, s in sorted(taught_pairs(world, uid)) if c in classes), None)
    if pair is not None:
        return pair[1], True
    today = today_utc()
    groups = {
        m.group_id
        for m in world.memberships
        if student is not None
        and m.student_id == student.id
        and m.start_date <= today
        and (m.end_date is None or today <= m.end_date)
        and world.group_classes.get(m.group_id, set()) & classes
    }
    group = next((a for a in world.group_assignments if a.teacher_id == uid and a.group_id in groups), None)
    if group is not None:
        return group.subject_id, True
    return world.subjects[0].id, False


def _subject_for(target: str, world: World, uid: int) -> str:
    """The subject of ``_final_pair`` for the student the input names."""
    subject, _assigned = _final_pair(world, uid, _row(world, world.students, target))
    return json.dumps(to_global_id("Subject", subject))


def _sets_final(world: World, uid: int, allowed: Allowed, student: Any) -> bool:
    """A teacher assigned the probed subject for the student today (``_final_pair``: in their
    class as a whole, or to a group they are in today), who sees the student."""
    return uid in world.teacher_school and student.id in allowed["Student"] and _final_pair(world, uid, student)[1]


def _plans(world: World, uid: int, lesson: Any) -> bool:
    """The teacher giving the lesson, or one assigned to its class + subject (a cancelled one too)."""
    return lesson.teacher_id == uid or (lesson.school_class_id, lesson.subject_id) in taught_pairs(world, uid)


def _plan_of(target: str, world: World, uid: int) -> str:
    """A thematic plan for the class: a subject the viewer teaches there (else its school's first),
    a term of its year (else the district's first)."""
    klass = _row(world, world.classes, target)
    pair = next(((c, s) for c, s in sorted(taught_pairs(world, uid)) if klass is not None and c == klass.id), None)
    school = [s for s in world.subjects if klass is not None and s.school_id == klass.school_id]
    subject = pair[1] if pair else (school or world.subjects)[0].id
    year = [t for t in world.terms if klass is not None and t.academic_year_id == klass.academic_year_id]
    term = (year or world.terms)[0].id
    return (
        f"classId: {target}, subjectId: {json.dumps(to_global_id('Subject', subject))}, "
        f'termId: {json.dumps(to_global_id("Term", term))}, file: "topic\\nprobe"'
    )


DIARY_WRITES = [
    Write(
        "thematicPlanImport",
        "SchoolClass",
        lambda w: w.classes,
        _plan_of,
        # a teacher assigned to a subject of the class
        lambda w, uid, a, r: any(c == r.id for c, _s in taught_pairs(w, uid)),
    ),
    Write(
        "lessonTopicSet",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f'lessonId: {g}, topic: "probe"',
        lambda w, uid, a, r: _plans(w, uid, r),
    ),
    # The world's lessons have all started: announcing is refused to all, and the lesson's own
    # teachers are told why (seen), everyone else as for a missing lesson.
    Write(
        "assessmentPlan",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f'lessonId: {g}, kind: TEST, description: "probe"',
        lambda w, uid, a, r: False,
    ),
    Write(
        "assessmentCancel",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f"lessonId: {g}",
        lambda w, uid, a, r: False,
    ),
    Write(
        "gradesCreate",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f'lessonId: {g}, grades: [{{ studentId: {_pupil_id(g, w)}, value: "5" }}]',
        _grades_in,
    ),
    Write(
        "attendanceMark",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f"lessonId: {g}, marks: [{{ studentId: {_pupil_id(g, w)}, status: ABSENT_UNEXCUSED }}]",
        # the register of every pupil, whoever sees them
        lambda w, uid, a, r: _pupil(w, r) is not None and _teaches(w, uid, r),
    ),
    Write(
        "termGradeSet",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: f'studentId: {g}, subjectId: {_subject_for(g, w, uid)}, value: "5", reason: "probe"',
        _sets_final,
    ),
    Write(
        "absenceNoticeCreate",
        "Student",
        lambda w: w.students,
        _notice,
        # a guardian whose guardianship stands
        lambda w, uid, a, r: any(
            g.guardian_id == uid and g.student_id == r.id and g.revoked_at is None for g in w.guardianships
        ),
    ),
]
