"""Tortoise models, one module per aggregate. Refer to them as ``models.Grade``."""

from models.audit import AuditEntry
from models.journal import Attendance, AttendanceStatus, Grade, GradeKind
from models.outbox import OutboxEvent
from models.roster import Enrollment, Guardianship, Student, TeachingAssignment
from models.school import (
    AcademicYear,
    BellPeriod,
    BellVariant,
    DayOff,
    DayOffKind,
    District,
    School,
    SchoolClass,
    Subject,
    Term,
)
from models.timetable import Homework, Lesson, LessonStatus, TimetableSlot
from models.user import LoginAttempt, RefreshToken, Role, RoleGrant, User

__all__ = [
    "AcademicYear",
    "Attendance",
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
    "Guardianship",
    "Homework",
    "Lesson",
    "LessonStatus",
    "LoginAttempt",
    "OutboxEvent",
    "RefreshToken",
    "Role",
    "RoleGrant",
    "School",
    "SchoolClass",
    "Student",
    "Subject",
    "TeachingAssignment",
    "Term",
    "TimetableSlot",
    "User",
]

MODEL_MODULES = [
    "models.audit",
    "models.journal",
    "models.outbox",
    "models.roster",
    "models.school",
    "models.timetable",
    "models.user",
]
