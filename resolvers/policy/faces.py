"""Faces: the few places where an object the viewer may not fetch with ``node(id)`` is still
shown, and the only fields it then answers (issue 16). A substitute's register names children
whose diaries they may not read; a teacher of a transferred child's old class sees the name of
the new class; an applicant sees the name of the school applied to; the family of a child who
moved schools sees the old school's term (name and days) on the final grades set there. Every other field of a
face answers null or an empty list (schema/faces.py enforces it for every field of these
types, those added later too); a field that can be neither is listed here or the schema test
refuses it.

``FACES``: type -> the fields a face answers besides ``id``.
``FACE_PLACES``: type -> the fields ("Parent.field") that may return it as a face: each asks
``schema.faces.shown`` whether the viewer sees the object, and shows a face if not.
``FACE_SCOPES``: type -> its ``node`` scope, which says whether an object is a face (or, for
a type without a face, whether it is shown at all: ``schema.faces.visible_only``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from resolvers.policy.diary import (
    visible_absence_notices,
    visible_classes,
    visible_schools,
    visible_students,
    visible_users,
)
from resolvers.sessions import Viewer

__all__ = ["FACES", "FACE_PLACES", "FACE_SCOPES", "WHOLE_FACES"]

FACES: dict[str, frozenset[str]] = {
    "User": frozenset({"fullName"}),
    "Subject": frozenset({"name", "archivedAt"}),
    "Student": frozenset({"fullName", "schoolClass", "school"}),
    "SchoolClass": frozenset({"name", "gradeLevel", "letter", "school"}),
    # accessRequests: a non-null connection, empty for whoever does not administer the school
    # (and whoever administers it sees it whole).
    "School": frozenset({"name", "timezone", "gradeScale", "accessRequests"}),
    # A term is its name and days: a child's final grade of its old school names that school's term.
    "Term": frozenset({"name", "number", "startDate", "endDate"}),
}

FACE_PLACES: dict[str, frozenset[str]] = {
    # An admin reads the names of applicants, of their students' guardians and of their
    # schools' accounts, who may hold roles elsewhere too.
    # The names of the people and subjects on what the viewer reads: a lesson's teachers, a
    # remark's author, a notice's guardian, a grade's subject.
    "User": frozenset(
        {
            "AccessRequest.applicant",
            "Guardianship.guardian",
            "Account.user",
            "Lesson.teacher",
            "Lesson.substitutedTeacher",
            "Grade.teacher",
            "TermGrade.teacher",
            "Remark.author",
            "AbsenceNotice.createdBy",
            "SchoolClass.homeroomTeacher",
            "TimetableSlot.teacher",
            "ChatMember.user",
            "ChatMessage.author",
            "Chat.createdBy",
            "Announcement.author",
            "Meeting.organiser",
            "MeetingResponse.user",
            "RegisterRow.markedBy",
            # The people a search finds (`Query.people`): whom the viewer may reach in a chat.
            "UserEdge.node",
        }
    ),
    "Subject": frozenset(
        {"Lesson.subject", "Grade.subject", "TermGrade.subject", "SubjectProgress.subject", "TimetableSlot.subject"}
    ),
    "Student": frozenset({"RegisterRow.student"}),
    "SchoolClass": frozenset(
        {"Lesson.schoolClass", "Student.schoolClass", "Enrollment.schoolClass", "Announcement.schoolClass"}
    ),
    "School": frozenset(
        {"AccessRequest.school", "SchoolClass.school", "Student.school", "Chat.school", "Announcement.school"}
    ),
    # The family reads a final grade set in the child's old school (before a transfer) with its term.
    "Term": frozenset({"TermGrade.term"}),
}

# Types whose every field is a face field: a place may return them without asking
# (tests/access/test_reachability.py keeps them so; a field added to one makes its places ask).
WHOLE_FACES = frozenset({"User", "Subject", "Term"})

FACE_SCOPES: dict[str, Callable[[Viewer], Any]] = {
    "User": visible_users,
    "Student": visible_students,
    "SchoolClass": visible_classes,
    "School": visible_schools,
    "AbsenceNotice": visible_absence_notices,
}
