"""Tortoise models, one module per aggregate. Refer to them as ``models.Grade``."""

from models.attendance import (
    AbsenceNotice,
    AbsenceNoticeItem,
    AbsenceNoticeKind,
    Attendance,
    AttendanceRevision,
    AttendanceStatus,
)
from models.audit import AuditEntry
from models.journal import Grade, GradeKind, GradeRevision, RevisionAction, TermGrade, TermGradeRevision
from models.outbox import OutboxEvent
from models.remark import Remark, RemarkKind
from models.roster import Enrollment, Guardianship, Student, TeachingAssignment
from models.school import (
    AcademicYear,
    BellPeriod,
    BellVariant,
    DayOff,
    DayOffKind,
    District,
    ScaleKind,
    School,
    SchoolClass,
    Subject,
    Term,
)
from models.timetable import Homework, Lesson, LessonStatus, TimetableSlot
from models.user import LoginAttempt, RefreshToken, Role, RoleGrant, RosterKey, RosterKind, User

__all__ = [
    "AbsenceNotice",
    "AbsenceNoticeItem",
    "AbsenceNoticeKind",
    "AcademicYear",
    "Attendance",
    "AttendanceRevision",
    "AttendanceStatus",
    "AuditEntry",
    "BellPeriod",
    "BellVariant",
    "DayOff",
    "DayOffKind",
    "District",
    "Enrollment",
    "Grade",
    "GradeKind",
    "GradeRevision",
    "Guardianship",
    "Homework",
    "Lesson",
    "LessonStatus",
    "LoginAttempt",
    "OutboxEvent",
    "RefreshToken",
    "Remark",
    "RemarkKind",
    "RevisionAction",
    "Role",
    "RoleGrant",
    "RosterKey",
    "RosterKind",
    "ScaleKind",
    "School",
    "SchoolClass",
    "Student",
    "Subject",
    "TeachingAssignment",
    "Term",
    "TermGrade",
    "TermGradeRevision",
    "TimetableSlot",
    "User",
]

MODEL_MODULES = [
    "models.attendance",
    "models.audit",
    "models.journal",
    "models.outbox",
    "models.remark",
    "models.roster",
    "models.school",
    "models.timetable",
    "models.user",
]
