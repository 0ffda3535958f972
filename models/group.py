"""Class groups: a class split for languages, computing or labour lessons, or a group drawn
from several parallel classes, with its dated membership (like enrolments)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.roster import Student
    from models.school import AcademicYear, School, SchoolClass


class GroupKind(StrEnum):
    SPLIT = "SPLIT"  # part of one class's students
    CROSS_CLASS = "CROSS_CLASS"  # students of several parallel classes


class ClassGroup(Model):
    """A group of one academic year. ``home_class`` is the class its lessons and timetable
    slots are filed under (``Lesson.school_class``): for a split, the class it splits; for a
    cross-class group, the first of its classes (``classes`` lists them all, the home class
    included). Who attends is ``GroupMembership``, never the class roll. ``ended_on`` is the
    group's last day (null while it runs): no lesson and no membership after it."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="class_groups", on_delete=fields.CASCADE
    )
    academic_year: fields.ForeignKeyRelation[AcademicYear] = fields.ForeignKeyField(
        "models.AcademicYear", related_name="class_groups", on_delete=fields.CASCADE
    )
    home_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="home_groups", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(GroupKind, max_length=16)
    ended_on = fields.DateField(null=True)

    school_id: int
    academic_year_id: int
    home_class_id: int

    class Meta:
        table = "class_group"
        unique_together = (("academic_year", "name"),)


class ClassGroupClass(Model):
    """One class a group draws its students from (one row for a split, two or more for a
    cross-class group)."""

    id = fields.IntField(primary_key=True)
    group: fields.ForeignKeyRelation[ClassGroup] = fields.ForeignKeyField(
        "models.ClassGroup", related_name="class_links", on_delete=fields.CASCADE
    )
    school_class: fields.ForeignKeyRelation[SchoolClass] = fields.ForeignKeyField(
        "models.SchoolClass", related_name="group_links", on_delete=fields.CASCADE
    )

    group_id: int
    school_class_id: int

    class Meta:
        table = "class_group_class"
        unique_together = (("group", "school_class"),)


class GroupMembership(Model):
    """A student's membership of a group from ``start_date`` to ``end_date`` (inclusive, open
    while null). A move from one group to another ends one membership and starts another, so
    the child's history in the old group stays."""

    id = fields.IntField(primary_key=True)
    student: fields.ForeignKeyRelation[Student] = fields.ForeignKeyField(
        "models.Student", related_name="group_memberships", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyRelation[ClassGroup] = fields.ForeignKeyField(
        "models.ClassGroup", related_name="memberships", on_delete=fields.CASCADE
    )
    start_date = fields.DateField()
    end_date = fields.DateField(null=True)

    student_id: int
    group_id: int

    class Meta:
        table = "group_membership"
        indexes = (Index(fields=("group_id", "start_date")), Index(fields=("student_id", "start_date")))
