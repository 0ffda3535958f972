"""Roll-ups: the dashboards' sums and counts, kept in step with every grade and attendance
write in the same transaction, so that a school's or a district's figures are read from a
few hundred rows instead of millions.

Every measure is an integer, so a roll-up equals a full recomputation exactly: a mark is
counted in hundredths (``mark`` = round(numeric value x 100)), and weighted sums are sums
of ``mark x weight``. Rows are keyed by the term (of the grade's or lesson's school, by
date) and the dimensions the dashboards group by; the ids are plain integers, not foreign
keys, because roll-ups are derived data that ``server.py rollups-check --repair`` rebuilds.
A row whose counts went back to zero stays (it is harmless and will likely be reused)."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model


class GradeRollup(Model):
    """Counted grades per term, class, subject and teacher (who gave them)."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    school_class_id = fields.IntField()
    subject_id = fields.IntField()
    teacher_id = fields.IntField()
    grades = fields.IntField(default=0)
    weight = fields.BigIntField(default=0)
    mark_sum = fields.BigIntField(default=0)  # hundredths
    weighted_sum = fields.BigIntField(default=0)  # hundredths x weight

    class Meta:
        table = "rollup_grade"
        unique_together = (("school_id", "term_id", "school_class_id", "subject_id", "teacher_id"),)
        indexes = (Index(fields=("term_id", "school_id")),)


class GradeWeekRollup(Model):
    """Counted grades per term, week (its Monday) and mark: the distribution and the weeks."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    week_start = fields.DateField()
    mark = fields.IntField()  # hundredths
    grades = fields.IntField(default=0)
    weight = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_grade_week"
        unique_together = (("school_id", "term_id", "week_start", "mark"),)
        indexes = (Index(fields=("term_id", "school_id")),)


class StudentMarkRollup(Model):
    """A student's counted grades per term and class, by mark: the student's average, and
    their lowest mark (which decides "success" and "quality")."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    school_class_id = fields.IntField()
    student_id = fields.IntField()
    mark = fields.IntField()  # hundredths
    grades = fields.IntField(default=0)
    weight = fields.BigIntField(default=0)

    class Meta:
        table = "rollup_student_mark"
        unique_together = (("school_id", "term_id", "school_class_id", "student_id", "mark"),)
        indexes = (Index(fields=("term_id", "school_id")), Index(fields=("student_id",)))


class LowestMarkRollup(Model):
    """How many students of a class have ``lowest`` as their lowest counted mark of the term:
    "success" and "quality" shares of a whole district without reading every student."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    school_class_id = fields.IntField()
    lowest = fields.IntField()  # hundredths
    students = fields.IntField(default=0)

    class Meta:
        table = "rollup_lowest_mark"
        unique_together = (("school_id", "term_id", "school_class_id", "lowest"),)
        indexes = (Index(fields=("term_id", "school_id")),)


class AttendanceRollup(Model):
    """Attendance marks per term, class and week (its Monday)."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    school_class_id = fields.IntField()
    week_start = fields.DateField()
    marked = fields.IntField(default=0)
    present = fields.IntField(default=0)
    late = fields.IntField(default=0)
    excused = fields.IntField(default=0)
    unexcused = fields.IntField(default=0)

    class Meta:
        table = "rollup_attendance"
        unique_together = (("school_id", "term_id", "school_class_id", "week_start"),)
        indexes = (Index(fields=("term_id", "school_id")),)


class StudentAttendanceRollup(Model):
    """A student's attendance marks per term and class: the at-risk list's absences."""

    id = fields.BigIntField(primary_key=True)
    school_id = fields.IntField()
    term_id = fields.IntField()
    school_class_id = fields.IntField()
    student_id = fields.IntField()
    marked = fields.IntField(default=0)
    unexcused = fields.IntField(default=0)

    class Meta:
        table = "rollup_student_attendance"
        unique_together = (("school_id", "term_id", "school_class_id", "student_id"),)
        indexes = (Index(fields=("term_id", "school_id")),)
