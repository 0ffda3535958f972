"""Tortoise models, one module per aggregate. Refer to them as ``models.Grade``."""

from models.access import AccessRequest, AccessRequestStatus, GuardianRelation, RefusalReason
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
from models.rollup import (
    AttendanceRollup,
    GradeRollup,
    GradeWeekRollup,
    LowestMarkRollup,
    StudentAttendanceRollup,
    StudentMarkRollup,
)
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
from models.user import LoginAttempt, RefreshToken, Role, RoleGrant, User

__all__ = [
    "AbsenceNotice",
    "AbsenceNoticeItem",
    "AbsenceNoticeKind",
    "AcademicYear",
    "AccessRequest",
    "AccessRequestStatus",
    "Attendance",
    "AttendanceRevision",
    "AttendanceRollup",
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
    "GradeRollup",
    "GradeWeekRollup",
    "GuardianRelation",
    "Guardianship",
    "Homework",
    "Lesson",
    "LessonStatus",
    "LoginAttempt",
    "LowestMarkRollup",
    "OutboxEvent",
    "RefreshToken",
    "RefusalReason",
    "Remark",
    "RemarkKind",
    "RevisionAction",
    "Role",
    "RoleGrant",
    "ScaleKind",
    "School",
    "SchoolClass",
    "Student",
    "StudentAttendanceRollup",
    "StudentMarkRollup",
    "Subject",
    "TeachingAssignment",
    "Term",
    "TermGrade",
    "TermGradeRevision",
    "TimetableSlot",
    "User",
]

MODEL_MODULES = [
    "models.access",
    "models.attendance",
    "models.audit",
    "models.journal",
    "models.outbox",
    "models.remark",
    "models.rollup",
    "models.roster",
    "models.school",
    "models.timetable",
    "models.user",
]
