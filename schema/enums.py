"""GraphQL enums. Values equal the stored values of the matching ``models`` enums."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import TypeVar

import strawberry
from strawberry.types.enum import has_enum_definition

E = TypeVar("E", bound=Enum)


def describe(cls: type[E], *, name: str, description: str, values: Mapping[E, str]) -> None:
    """Show ``cls``, an enum defined outside the schema (``pubsub.broker.EventKind``), as the
    GraphQL enum ``name``, each value described by ``values``. A member without a description
    (or a description without a member) fails at import, before any schema is built."""
    if set(values) != set(cls):
        raise TypeError(f"{name}: describe exactly the members of {cls.__name__}: {set(cls) ^ set(values)}")
    by_name = {member.name: text for member, text in values.items()}
    strawberry.enum(cls, name=name, description=description)
    assert has_enum_definition(cls)
    for value in cls.__strawberry_definition__.values:
        value.description = by_name[value.name]


@strawberry.enum(description="What a user may be. One user can hold several roles.")
class Role(Enum):
    STUDENT = strawberry.enum_value("STUDENT", description="A child with their own login: sees themself.")
    PARENT = strawberry.enum_value("PARENT", description="A parent or legal representative: sees their children.")
    TEACHER = strawberry.enum_value("TEACHER", description="Writes the journal of the classes and subjects taught.")
    SCHOOL_ADMIN = strawberry.enum_value("SCHOOL_ADMIN", description="Runs one school and reads all of it.")
    DISTRICT_ADMIN = strawberry.enum_value("DISTRICT_ADMIN", description="Reads every school of a district.")


@strawberry.enum(description="A student's attendance at a lesson.")
class AttendanceStatus(Enum):
    PRESENT = strawberry.enum_value("PRESENT", description="Was there from the start.")
    ABSENT_EXCUSED = strawberry.enum_value("ABSENT_EXCUSED", description="Absent with a valid reason.")
    ABSENT_UNEXCUSED = strawberry.enum_value("ABSENT_UNEXCUSED", description="Absent without a valid reason.")
    LATE = strawberry.enum_value("LATE", description="Came late.")


@strawberry.enum(description="What kind of day a calendar day is for a school.")
class DayKind(Enum):
    SCHOOL_DAY = strawberry.enum_value("SCHOOL_DAY", description="A regular school day.")
    WEEKEND = strawberry.enum_value("WEEKEND", description="Saturday or Sunday.")
    HOLIDAY = strawberry.enum_value("HOLIDAY", description="A public or school holiday.")
    VACATION = strawberry.enum_value("VACATION", description="Part of a vacation (school break).")


@strawberry.enum(description="Whether a lesson takes place.")
class LessonStatus(Enum):
    SCHEDULED = strawberry.enum_value("SCHEDULED", description="Takes place as planned (possibly with a substitute).")
    CANCELLED = strawberry.enum_value("CANCELLED", description="Cancelled: no grades can be given for it.")


@strawberry.enum(description="What a grade was given for; each kind has a default weight.")
class GradeKind(Enum):
    CLASSWORK = strawberry.enum_value("CLASSWORK", description="Work in class.")
    HOMEWORK = strawberry.enum_value("HOMEWORK", description="Homework.")
    ORAL = strawberry.enum_value("ORAL", description="An oral answer.")
    QUIZ = strawberry.enum_value("QUIZ", description="A short quiz.")
    TEST = strawberry.enum_value("TEST", description="A test.")
    LAB_WORK = strawberry.enum_value("LAB_WORK", description="Laboratory or practical work.")
    PROJECT = strawberry.enum_value("PROJECT", description="A project or essay.")
    CONTROL_WORK = strawberry.enum_value("CONTROL_WORK", description="A control work (major test).")
    DICTATION = strawberry.enum_value("DICTATION", description="A dictation.")
    EXAM = strawberry.enum_value("EXAM", description="An exam.")


@strawberry.enum(description="How a school grades.")
class ScaleKind(Enum):
    NUMERIC = strawberry.enum_value("NUMERIC", description="Whole numbers from `min` to `max` (e.g. 1-5, 0-100).")
    LETTER = strawberry.enum_value("LETTER", description="Letters (e.g. A-F), each with a numeric value.")
    PASS_FAIL = strawberry.enum_value("PASS_FAIL", description='"pass" or "fail".')


@strawberry.enum(description="Which bell schedule a period belongs to.")
class BellVariant(Enum):
    REGULAR = strawberry.enum_value("REGULAR", description="The normal schedule.")
    SHORTENED = strawberry.enum_value("SHORTENED", description="Shortened lessons (e.g. before holidays).")


@strawberry.enum(description="Why a range of days has no lessons.")
class DayOffKind(Enum):
    HOLIDAY = strawberry.enum_value("HOLIDAY", description="A public or school holiday.")
    VACATION = strawberry.enum_value("VACATION", description="A vacation between terms.")


@strawberry.enum(description="What a revision of a grade did.")
class RevisionAction(Enum):
    CREATED = strawberry.enum_value("CREATED", description="The grade was given.")
    UPDATED = strawberry.enum_value("UPDATED", description="The grade was corrected.")
    DELETED = strawberry.enum_value("DELETED", description="The grade was removed.")


@strawberry.enum(description="How a progress chart groups days.")
class ChartBucket(Enum):
    WEEK = strawberry.enum_value("WEEK", description="Weeks starting on Monday.")
    MONTH = strawberry.enum_value("MONTH", description="Calendar months starting on the 1st.")
