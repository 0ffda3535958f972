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
from models.chat import Chat, ChatEvent, ChatEventKind, ChatMember, Message
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
from models.user import LoginAttempt, RefreshToken, Role, RoleGrant, User, fold_name

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
    "Chat",
    "ChatEvent",
    "ChatEventKind",
    "ChatMember",
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
    "Message",
    "OutboxEvent",
    "RefreshToken",
    "Remark",
    "RemarkKind",
    "RevisionAction",
    "Role",
    "RoleGrant",
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
    "fold_name",
]

MODEL_MODULES = [
    "models.attendance",
    "models.audit",
    "models.chat",
    "models.journal",
    "models.outbox",
    "models.remark",
    "models.roster",
    "models.school",
    "models.timetable",
    "models.user",
]
