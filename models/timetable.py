"""The weekly timetable and the dated lessons it produces, with their homework."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from models.journal import GradeKind

if TYPE_CHECKING:
    from models.group import ClassGroup
    from models.school import DayOff, SchoolClass, Subject
    from models.user import User


class LessonStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"


class TimetableSlot(Model):
    """A recurring weekly lesson: on ``weekday`` (1 = Monday) in ``period``, valid over a date range."""

    id = fields.IntField(primary_key=True)
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="timetable", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="timetable_slots", on_delete=fields.CASCADE
    )
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="timetable_slots", on_delete=fields.RESTRICT
    )
    weekday = fields.SmallIntField()
    period = fields.SmallIntField()
    room = fields.CharField(max_length=50, null=True)
    valid_from = fields.DateField()
    valid_to = fields.DateField(null=True)
    # A group's slot (null: the whole class's); ``school_class`` is then the group's home class.
    group: fields.ForeignKeyNullableRelation[ClassGroup] = fields.ForeignKeyField(
        "models.ClassGroup", related_name="timetable", null=True, on_delete=fields.CASCADE
    )

    school_class_id: int
    subject_id: int
    teacher_id: int
    group_id: int | None

    class Meta:
        table = "timetable_slot"
        indexes = (Index(fields=("school_class_id", "weekday", "period")),)


class Lesson(Model):
    """One dated lesson of a class. ``starts_at``/``ends_at`` are UTC instants computed from the
    school's bell schedule in the school's time zone. A substitution keeps the planned
    teacher in ``original_teacher``.

    ``slot`` is the timetable slot that generated it (null for a lesson added by hand or whose
    slot is gone); a change of the slot moves its future lessons. ``day_off`` is set while a
    holiday or vacation keeps the lesson CANCELLED, so that removing the day off restores it;
    a lesson cancelled by hand has ``day_off`` null."""

    id = fields.IntField(primary_key=True)
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="lessons", on_delete=fields.CASCADE
    )
    subject: fields.ForeignKeyRelation[Subject] = fields.ForeignKeyField(
        "models.Subject", related_name="lessons", on_delete=fields.RESTRICT
    )
    teacher: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="lessons", on_delete=fields.RESTRICT
    )
    original_teacher: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="substituted_lessons", null=True, on_delete=fields.SET_NULL
    )
    date = fields.DateField()
    period = fields.SmallIntField()
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    room = fields.CharField(max_length=50, null=True)
    topic = fields.CharField(max_length=500, null=True)
    # The teacher's note on the plan of the lesson (what to bring, what to repeat): for the staff who
    # keep the lesson's register, not for families.
    plan_note = fields.CharField(max_length=1000, null=True)
    status = fields.CharEnumField(LessonStatus, max_length=16, default=LessonStatus.SCHEDULED)
    slot: fields.ForeignKeyNullableRelation[TimetableSlot] = fields.ForeignKeyField(
        "models.TimetableSlot", related_name="lessons", null=True, on_delete=fields.SET_NULL
    )
    day_off: fields.ForeignKeyNullableRelation[DayOff] = fields.ForeignKeyField(
        "models.DayOff", related_name="cancelled_lessons", null=True, on_delete=fields.SET_NULL
    )
    # Why it was cancelled (by hand) or why a substitute gives it; shown to the family.
    cancel_reason = fields.CharField(max_length=500, null=True)
    substitution_reason = fields.CharField(max_length=500, null=True)
    # A group's lesson (null: the whole class's): ``school_class`` is then the group's home
    # class, and only the group's members on ``date`` attend it.
    group: fields.ForeignKeyNullableRelation[ClassGroup] = fields.ForeignKeyField(
        "models.ClassGroup", related_name="lessons", null=True, on_delete=fields.RESTRICT
    )

    school_class_id: int
    subject_id: int
    teacher_id: int
    original_teacher_id: int | None
    slot_id: int | None
    day_off_id: int | None
    group_id: int | None

    class Meta:
        table = "lesson"
        indexes = (Index(fields=("school_class_id", "date")), Index(fields=("teacher_id", "date")))
        # A slot gives at most one lesson a day: generation is idempotent even when two
        # writes race (lessons added by hand have no slot, and NULLs never collide).
        unique_together = (("slot", "date"),)


class Homework(Model):
    """Homework due for ``lesson``: shown in the diary on the lesson it is due for.
    ``assigned_in`` is the lesson where it was set, if any. Removal is soft so that the
    families' event stream can still say what was removed."""

    id = fields.IntField(primary_key=True)
    lesson: fields.ForeignKeyRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="homework", on_delete=fields.CASCADE
    )
    assigned_in: fields.ForeignKeyNullableRelation[Lesson] = fields.ForeignKeyField(
        "models.Lesson", related_name="homework_set", null=True, on_delete=fields.SET_NULL
    )
    text = fields.TextField()
    links: fields.Field[list[str]] = fields.JSONField(default=list)
    assigned_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="homework_assigned", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    lesson_id: int
    assigned_in_id: int | None
    assigned_by_id: int

    class Meta:
        table = "homework"
        indexes = (Index(fields=("lesson_id",)),)


class PlannedAssessment(Model):
    """An assessment a teacher announces for a lesson (a control work, a test, a dictation: a
    grade kind) with a description, so that families know before it happens. One per lesson;
    cancelling is soft (``cancelled_at``) so that the families' event stream can say what was
    cancelled, and planning the lesson's assessment again revives the row. It follows its
    lesson: a moved lesson moves it, a cancelled lesson hides it."""

    id = fields.IntField(primary_key=True)
    lesson: fields.OneToOneRelation[Lesson] = fields.OneToOneField(
        "models.Lesson", related_name="planned_assessment", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(GradeKind, max_length=20)
    description = fields.CharField(max_length=1000)
    planned_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="assessments_planned", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    cancelled_at = fields.DatetimeField(null=True)

    lesson_id: int
    planned_by_id: int

    class Meta:
        table = "planned_assessment"
