"""The school aggregate: district, schools, their calendar, bell schedule, subjects, classes."""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.user import User


class DayOffKind(StrEnum):
    HOLIDAY = "HOLIDAY"
    VACATION = "VACATION"


class ScaleKind(StrEnum):
    NUMERIC = "NUMERIC"
    LETTER = "LETTER"
    PASS_FAIL = "PASS_FAIL"  # noqa: S105 (a grading scale, not a password)


class BellVariant(StrEnum):
    REGULAR = "REGULAR"
    SHORTENED = "SHORTENED"


class District(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)

    class Meta:
        table = "district"


class School(Model):
    """A school. Bell times are wall-clock times in ``timezone``, lesson instants are stored in UTC."""

    id = fields.IntField(primary_key=True)
    district: fields.ForeignKeyRelation[District] = fields.ForeignKeyField(
        "models.District", related_name="schools", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64, default="UTC")
    # The grading scale. NUMERIC: whole numbers from ``scale_min`` to ``scale_max``. LETTER and
    # PASS_FAIL: the marks listed in ``scale_marks`` ([{"value": "A", "numeric": 5.0}, ...], best
    # first), each counted as its numeric value. ``pass_mark`` is the lowest passing numeric value.
    scale_kind = fields.CharEnumField(ScaleKind, max_length=16, default=ScaleKind.NUMERIC, db_default="NUMERIC")
    scale_min = fields.IntField(default=1)
    scale_max = fields.IntField(default=5)
    scale_marks: fields.Field[list[dict[str, Any]] | None] = fields.JSONField(default=list, null=True)
    pass_mark = fields.IntField(default=3)
    # A final grade rounds up from this fraction: 0.5 makes 4.5 a 5, 0.6 keeps 4.5 a 4.
    rounding_threshold = fields.FloatField(default=0.5, db_default=0.5)
    default_grade_weight = fields.IntField(default=1)
    # Default weight per grade kind ({"TEST": 2, ...}); kinds not listed weigh ``default_grade_weight``.
    # The JSON columns are nullable only so that existing schools could gain them; null means empty.
    kind_weights: fields.Field[dict[str, int] | None] = fields.JSONField(default=dict, null=True)

    district_id: int

    class Meta:
        table = "school"


class AcademicYear(Model):
    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="academic_years", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=50)
    start_date = fields.DateField()
    end_date = fields.DateField()

    school_id: int

    class Meta:
        table = "academic_year"
        unique_together = (("school", "name"),)


class Term(Model):
    """A grading period of an academic year: a quarter, trimester or semester."""

    id = fields.IntField(primary_key=True)
    academic_year: fields.ForeignKeyRelation[AcademicYear] = fields.ForeignKeyField(
        "models.AcademicYear", related_name="terms", on_delete=fields.CASCADE
    )
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="terms", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=50)
    number = fields.SmallIntField()
    start_date = fields.DateField()
    end_date = fields.DateField()

    academic_year_id: int
    school_id: int

    class Meta:
        table = "term"
        indexes = (Index(fields=("school_id", "start_date")),)


class DayOff(Model):
    """Days without lessons besides weekends: a public holiday or a vacation, inclusive range."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="days_off", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(DayOffKind, max_length=16)
    name = fields.CharField(max_length=200)
    start_date = fields.DateField()
    end_date = fields.DateField()

    school_id: int

    class Meta:
        table = "day_off"
        indexes = (Index(fields=("school_id", "start_date")),)


class ShortDay(Model):
    """A school day that follows the SHORTENED bell schedule (e.g. the eve of a holiday)."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="short_days", on_delete=fields.CASCADE
    )
    date = fields.DateField()
    name = fields.CharField(max_length=200)

    school_id: int

    class Meta:
        table = "short_day"
        unique_together = (("school", "date"),)


class BellPeriod(Model):
    """One period of the bell schedule, as local wall-clock times of the school."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="bell_periods", on_delete=fields.CASCADE
    )
    variant = fields.CharEnumField(BellVariant, max_length=16, default=BellVariant.REGULAR)
    number = fields.SmallIntField()
    # Minutes after local midnight: bell times are wall-clock times of the school, not
    # instants, so they carry no time zone (and store the same on every database).
    start_minute = fields.SmallIntField()
    end_minute = fields.SmallIntField()

    school_id: int

    @property
    def starts_at(self) -> time:
        return time(self.start_minute // 60, self.start_minute % 60)

    @property
    def ends_at(self) -> time:
        return time(self.end_minute // 60, self.end_minute % 60)

    class Meta:
        table = "bell_period"
        unique_together = (("school", "variant", "number"),)


class Subject(Model):
    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="subjects", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    # Set when the school stops teaching it: no new teaching assignments; grades and lessons stay.
    archived_at = fields.DatetimeField(null=True)

    school_id: int

    class Meta:
        table = "subject"
        unique_together = (("school", "name"),)


class SchoolClass(Model):
    """A class of one academic year, e.g. grade 5 letter "A" = "5A"."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="classes", on_delete=fields.CASCADE
    )
    academic_year: fields.ForeignKeyRelation[AcademicYear] = fields.ForeignKeyField(
        "models.AcademicYear", related_name="classes", on_delete=fields.CASCADE
    )
    grade_level = fields.SmallIntField()
    letter = fields.CharField(max_length=8)
    homeroom_teacher: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="homeroom_classes", null=True, on_delete=fields.SET_NULL
    )

    school_id: int
    academic_year_id: int
    homeroom_teacher_id: int | None

    @property
    def name(self) -> str:
        return f"{self.grade_level}{self.letter}"

    class Meta:
        table = "school_class"
        unique_together = (("academic_year", "grade_level", "letter"),)
