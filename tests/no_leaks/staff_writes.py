"""More probed mutations, those of teachers and admins that create or archive: a remark on a
student, homework for a lesson, a subject archived. Same shape as tests/no_leaks/mutations.py."""

from __future__ import annotations

import models
from resolvers.core import today_utc
from tests.no_leaks.mutations import Write, taught_pairs
from tests.no_leaks.oracle import current

STAFF_WRITES = [
    Write(
        "remarkCreate",
        "Student",
        lambda w: w.students,
        lambda g, w, uid: f'studentId: {g}, kind: OTHER, text: "probe"',
        # a teacher of the class the student is in today (a subject or as its homeroom teacher),
        # or of a group the student is a member of today, while in one of its classes
        lambda w, uid, a, r: (
            (
                bool(current(w, r.id) & a.taught)
                or any(x.covers(r.id, today_utc()) and current(w, r.id) & x.classes for x in a.group_windows)
            )
            and uid in w.teacher_school
        ),
    ),
    Write(
        "homeworkAssign",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f'lessonId: {g}, text: "probe"',
        # the teacher giving the lesson, or one assigned to its class + subject; never a cancelled one
        lambda w, uid, a, r: (
            r.status != models.LessonStatus.CANCELLED
            and (r.teacher_id == uid or (r.school_class_id, r.subject_id) in taught_pairs(w, uid))
        ),
    ),
    Write(
        "subjectArchive",
        "Subject",
        lambda w: w.subjects,
        lambda g, w, uid: f"subjectId: {g}",
        lambda w, uid, a, r: r.school_id in a.admin_schools,
    ),
]
