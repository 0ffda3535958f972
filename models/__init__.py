"""Tortoise models, one module per aggregate. Refer to them as ``models.Grade``."""

from models.announcement import Announcement, Audience, Meeting, MeetingAnswer, MeetingClass, MeetingResponse
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
from models.notification import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationCategory,
    NotificationDelivery,
    NotificationSettings,
    NotifierCursor,
)
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
from models.user import LoginAttempt, RefreshToken, Role, RoleGrant, User

__all__ = [
    "AbsenceNotice",
    "AbsenceNoticeItem",
    "AbsenceNoticeKind",
    "AcademicYear",
    "Announcement",
    "Attendance",
    "AttendanceRevision",
    "AttendanceStatus",
    "Audience",
    "AuditEntry",
    "BellPeriod",
    "BellVariant",
    "Channel",
    "DayOff",
    "DayOffKind",
    "DeliveryStatus",
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
    "Meeting",
    "MeetingAnswer",
    "MeetingClass",
    "MeetingResponse",
    "Notification",
    "NotificationCategory",
    "NotificationDelivery",
    "NotificationSettings",
    "NotifierCursor",
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
]

MODEL_MODULES = [
    "models.announcement",
    "models.attendance",
    "models.audit",
    "models.journal",
    "models.notification",
    "models.outbox",
    "models.remark",
    "models.roster",
    "models.school",
    "models.timetable",
    "models.user",
]
