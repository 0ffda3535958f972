"""The rules of running a school, for the org write probes (tests/no_leaks/org_writes.py),
written over the generated world from the README's words ("Running a school", "How a family
gets in"), apart from resolvers/: who runs which school, a student's one class at a time,
who teaches what where, and which child an access request may be approved for. Each input
helper picks the ids a mutation names besides the probed one so that only the probed one
can be wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import models
from resolvers.core import from_global_id, to_global_id, today_utc
from tests.no_leaks.reads import MISSING
from tests.no_leaks.world import World

PENDING = models.AccessRequestStatus.SUBMITTED


def today() -> date:
    return today_utc()


def _named(rows: list[Any], target: str) -> Any:
    """The world's row a global id names (None for the missing id)."""
    found = from_global_id(json.loads(target))
    return next((r for r in rows if found is not None and r.id == found[1]), None)


def gid(kind: str, pk: int) -> str:
    return json.dumps(to_global_id(kind, pk))


def administered(world: World, uid: int) -> set[int]:
    """Schools the viewer runs: their school as its admin, every school as the district's admin."""
    return {s.id for s in world.schools if world.school_admin.get(uid) == s.id or uid in world.district_admins}


def school_of(world: World, target: str) -> int | None:
    """The id of the school ``target`` names, if it is one of the world's."""
    school = _named(world.schools, target)
    return None if school is None else int(school.id)


def first_class(world: World, uid: int) -> Any:
    """The first class of a school the viewer runs (the first of the district for anyone else)."""
    run = administered(world, uid)
    return next((c for c in world.classes if c.school_id in run), world.classes[0])


def first_school(world: World, uid: int) -> int:
    """The school of the viewer's ``first_class``."""
    school_id: int = first_class(world, uid).school_id
    return school_id


def first_pupil(world: World, uid: int) -> Any:
    """The first student of a school the viewer runs (the first of the district for anyone else)."""
    run = administered(world, uid)
    return next((s for s in world.students if s.school_id in run), world.students[0])


def _teachers_of(world: World, school_id: int) -> list[int]:
    return [u for u, s in world.teacher_school.items() if s == school_id]


def _subjects_of(world: World, school_id: int, live: bool = False) -> list[Any]:
    return [s for s in world.subjects if s.school_id == school_id and not (live and s.archived_at is not None)]


def _assigned(world: World, teacher: int, klass: int, subject: int) -> bool:
    return any((a.teacher_id, a.school_class_id, a.subject_id) == (teacher, klass, subject) for a in world.assignments)


# the world's timetable slots as the allowed pass last read them (by world tag): a calendar
# write may have added one that keeps a teaching assignment
TIMETABLE: dict[str, list[Any]] = {}


def _in_timetable(world: World, teacher: int, klass: int, subject: int) -> bool:
    """A slot from today on that has the teacher give the subject to the class (the slots
    read in the allowed pass, else those the world was built with, if it keeps any)."""
    return any(
        (s.teacher_id, s.school_class_id, s.subject_id) == (teacher, klass, subject)
        and (s.valid_to is None or s.valid_to >= today())
        for s in TIMETABLE.get(world.tag, getattr(world, "slots", []))
    )


# --- enrolments: a student is in one class at a time ---------------------------------


def _open_on(e: Any, day: date) -> bool:
    return e.end_date is None or e.end_date >= day


def enrolled_on(world: World, student_id: int, day: date) -> Any:
    """The enrolment the student is in on ``day``, when it is their last one (else None)."""
    rows = sorted(
        (e for e in world.enrollments if e.student_id == student_id and _open_on(e, day)),
        key=lambda e: (e.start_date, e.id),
    )
    current = next((e for e in rows if e.start_date <= day), None)
    return None if current is None or any(e.start_date > day for e in rows) else current


def may_enrol(world: World, student: Any) -> bool:
    """In no class on or after tomorrow (the day an enrolment is probed from)."""
    tomorrow = today() + timedelta(days=1)
    return not any(e.student_id == student.id and _open_on(e, tomorrow) for e in world.enrollments)


def may_move(world: World, student: Any, klass: Any) -> bool:
    """Moved today to another class of their school, from a class they joined before today."""
    current = enrolled_on(world, student.id, today())
    return (
        current is not None
        and current.start_date < today()
        and klass.school_id == student.school_id
        and klass.id != current.school_class_id
    )


def other_class_row(world: World, student: Any) -> Any:
    """The class a student moves to: another of their school than the one they are in today."""
    current = enrolled_on(world, student.id, today())
    here = current.school_class_id if current else None
    return next(c for c in world.classes if c.school_id == student.school_id and c.id != here)


def other_class(world: World, target: str, uid: int) -> str:
    """The class the student ``target`` names moves to (the viewer's first class for a missing one)."""
    student = _named(world.students, target)
    klass = first_class(world, uid) if student is None else other_class_row(world, student)
    return gid("SchoolClass", klass.id)


def class_of(world: World, target: str, uid: int) -> str:
    """The class the student ``target`` names is enrolled into: the first of their school (the
    viewer's first class for a missing one)."""
    student = _named(world.students, target)
    klass = (
        first_class(world, uid)
        if student is None
        else next(c for c in world.classes if c.school_id == student.school_id)
    )
    return gid("SchoolClass", klass.id)


# --- teaching assignments -----------------------------------------------------------


def free_pair(world: World, klass: Any) -> tuple[int, int] | None:
    """A teacher and a live subject of the class's school, not yet taught in it by them."""
    return next(
        (
            (t, s.id)
            for t in _teachers_of(world, klass.school_id)
            for s in _subjects_of(world, klass.school_id, live=True)
            if not _assigned(world, t, klass.id, s.id)
        ),
        None,
    )


def taken_pair(world: World, klass: Any) -> tuple[int, int] | None:
    """A teacher and subject taught in the class, out of its timetable from today on."""
    return next(
        (
            (a.teacher_id, a.subject_id)
            for a in world.assignments
            if a.school_class_id == klass.id and not _in_timetable(world, a.teacher_id, klass.id, a.subject_id)
        ),
        None,
    )


def _removable(world: World, teacher: int, klass: int, subject: int) -> bool:
    return _assigned(world, teacher, klass, subject) and not _in_timetable(world, teacher, klass, subject)


def class_fields(pick: Callable[[World, Any], tuple[int, int] | None]) -> Callable[[str, World, int], str]:
    """The named class, with the teacher and subject ``pick`` finds in it (else the first
    teacher and subject of the district: a class not theirs is refused before either is read)."""

    def fields(target: str, world: World, uid: int) -> str:
        klass = _named(world.classes, target)
        pair = pick(world, klass) if klass is not None else None
        teacher, subject = pair or (next(iter(world.teacher_school)), world.subjects[0].id)
        return f"teacherId: {gid('User', teacher)}, classId: {target}, subjectId: {gid('Subject', subject)}"

    return fields


def subject_fields(taught: bool) -> Callable[[str, World, int], str]:
    """The named subject in the viewer's first class, with the first teacher of the class's
    school who may be (``taught``: removably is, else is not yet) assigned to it there."""

    def fields(target: str, world: World, uid: int) -> str:
        klass = first_class(world, uid)
        found = from_global_id(json.loads(target))
        subject = found[1] if found else MISSING
        teachers = _teachers_of(world, klass.school_id)
        if taught:
            fits = [t for t in teachers if _removable(world, t, klass.id, subject)]
        else:
            fits = [t for t in teachers if not _assigned(world, t, klass.id, subject)]
        teacher = (fits or teachers)[0]
        return f"teacherId: {gid('User', teacher)}, classId: {gid('SchoolClass', klass.id)}, subjectId: {target}"

    return fields


def teacher_fields(taught: bool) -> Callable[[str, World, int], str]:
    """The named teacher in the viewer's first class, with the first subject of its school
    they may be (``taught``: removably are, else are not yet, a live one) assigned to there:
    the same subject for every teacher of another school and a missing one."""

    def fields(target: str, world: World, uid: int) -> str:
        klass = first_class(world, uid)
        found = from_global_id(json.loads(target))
        teacher = found[1] if found else MISSING
        subjects = _subjects_of(world, klass.school_id, live=not taught)
        if taught:
            fits = [s for s in subjects if _removable(world, teacher, klass.id, s.id)]
        else:
            fits = [s for s in subjects if not _assigned(world, teacher, klass.id, s.id)]
        subject = (fits or subjects or world.subjects)[0]
        return f"teacherId: {target}, classId: {gid('SchoolClass', klass.id)}, subjectId: {gid('Subject', subject.id)}"

    return fields


def assigns(world: World, uid: int, teacher: int | None, subject: int | None, taught: bool) -> bool:
    """The viewer runs their first class's school, and ``teacher`` (else some teacher of the
    school) may be assigned to ``subject`` (else some live subject of it) there: removably
    is (``taught``), else is not yet (a live subject)."""
    klass = first_class(world, uid)
    if klass.school_id not in administered(world, uid):
        return False
    teachers = _teachers_of(world, klass.school_id) if teacher is None else [teacher]
    subjects = [s.id for s in _subjects_of(world, klass.school_id, live=not taught)]
    subjects = subjects if subject is None else [s for s in subjects if s == subject]
    if not taught and teacher is not None and world.teacher_school.get(teacher) != klass.school_id:
        return False
    return any(
        _removable(world, t, klass.id, s) if taught else not _assigned(world, t, klass.id, s)
        for t in teachers
        for s in subjects
    )


# --- access requests ----------------------------------------------------------------


def _guards(world: World, parent: int, student: int) -> bool:
    return any(g.guardian_id == parent and g.student_id == student for g in world.guardians())


def child_for(world: World, request: Any) -> Any:
    """A student of the request's school the applicant does not guard yet, if any."""
    return next(
        (
            s
            for s in world.students
            if s.school_id == request.school_id and not _guards(world, request.applicant_id, s.id)
        ),
        None,
    )


def child_id(target: str, world: World) -> str:
    request = _named(world.access_requests, target)
    child = child_for(world, request) if request is not None else None
    return gid("Student", (child or world.students[0]).id)


def pending_for(world: World, uid: int) -> Any:
    """The first pending request to a school the viewer runs, if any."""
    run = administered(world, uid)
    return next((r for r in world.access_requests if r.school_id in run and r.status == PENDING), None)


def approves(world: World, uid: int, student: Any) -> bool:
    request = pending_for(world, uid)
    return (
        request is not None
        and student.school_id == request.school_id
        and not _guards(world, request.applicant_id, student.id)
    )


# --- the rest of an input -----------------------------------------------------------


def day(offset: int = 0) -> str:
    """Today (or ``offset`` days on), as a GraphQL Date literal."""
    return json.dumps((today() + timedelta(days=offset)).isoformat())


def runs(world: World, uid: int) -> bool:
    """The viewer runs the school of their first class (``first_class``)."""
    return first_school(world, uid) in administered(world, uid)


def is_teacher_of(world: World, user: Any, school_id: int) -> bool:
    return world.teacher_school.get(user.id) == school_id


def teachers(world: World) -> list[Any]:
    return [u for u in world.users if u.id in world.teacher_school]


def year(world: World, school_id: int | None) -> str:
    """The name of a school's academic year (the first of the district's for no school), as
    the world last read it (a calendar write may rename one)."""
    found = next((y for y in world.years if y.school_id == school_id), world.years[0])
    return json.dumps(found.name)


def roster(world: World) -> str:
    """A roster file of one new teacher (a login of this world's own), as a GraphQL string."""
    return json.dumps(f"type,full_name,login\nteacher,Probe Teacher,probe.{world.tag}\n")


def no_letter_clash(world: World, klass: Any, letter: str) -> bool:
    return not any(
        c.id != klass.id
        and (c.academic_year_id, c.grade_level, c.letter) == (klass.academic_year_id, klass.grade_level, letter)
        for c in world.classes
    )
