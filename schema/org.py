"""Running a school: schools and their settings (district admins), subjects and classes
(the school's admins)."""

from __future__ import annotations

from typing import Annotated

import strawberry

import models
from resolvers import org, schools
from resolvers.i18n import _
from schema import types
from schema.enums import GradeKind, ScaleKind
from schema.errors import NotFoundError, ValidationError
from schema.permissions import HasRole, IsAdmin
from schema.schools import School, SchoolClass, Subject

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")

SCALE_CODES = "INVALID_SCALE_RANGE, INVALID_MARKS, INVALID_PASS_MARK, INVALID_ROUNDING_THRESHOLD, INVALID_WEIGHT"


@strawberry.input(description="A mark of a LETTER or PASS_FAIL scale.")
class GradeMarkInput:
    value: str = strawberry.field(description='As shown and typed, 1-16 characters, e.g. "A" or "pass".')
    numeric_value: float = strawberry.field(description="What it counts for in averages; distinct per mark.")


@strawberry.input(description="The default weight of one kind of grade.")
class GradeKindWeightInput:
    kind: GradeKind = strawberry.field(description="The kind of grade.")
    weight: int = strawberry.field(description="Its default weight, 1-10.")


@strawberry.input(description="Grading settings of a school; every field left out keeps its current value.")
class GradeScaleInput:
    kind: ScaleKind | None = strawberry.field(
        default=None,
        description="NUMERIC, LETTER or PASS_FAIL. Switching to LETTER or PASS_FAIL without `marks` uses A-F "
        "(5 to 1) or pass/fail (1/0).",
    )
    min: int | None = strawberry.field(default=None, description="NUMERIC: the lowest mark, 0 or more.")
    max: int | None = strawberry.field(default=None, description="NUMERIC: the highest mark, above min, at most 100.")
    marks: list[GradeMarkInput] | None = strawberry.field(
        default=None, description="LETTER / PASS_FAIL: the marks (at least two; exactly two for PASS_FAIL)."
    )
    pass_mark: int | None = strawberry.field(
        default=None, description="Lowest passing numeric value, within the scale."
    )
    rounding_threshold: float | None = strawberry.field(
        default=None, description="How far to the next mark an average rounds up: above 0, at most 1."
    )
    default_grade_weight: int | None = strawberry.field(
        default=None, description="Weight of kinds not listed in `kindWeights`, 1-10."
    )
    kind_weights: list[GradeKindWeightInput] | None = strawberry.field(
        default=None, description="Default weight per kind of grade (replaces the whole list)."
    )


def _scale(value: GradeScaleInput | None) -> schools.ScaleSpec:
    if value is None:
        return schools.ScaleSpec()
    return schools.ScaleSpec(
        kind=models.ScaleKind(value.kind.name) if value.kind else None,
        min=value.min,
        max=value.max,
        marks=[schools.MarkSpec(m.value, m.numeric_value) for m in value.marks] if value.marks is not None else None,
        pass_mark=value.pass_mark,
        rounding_threshold=value.rounding_threshold,
        default_grade_weight=value.default_grade_weight,
        kind_weights={models.GradeKind(w.kind.name): w.weight for w in value.kind_weights}
        if value.kind_weights is not None
        else None,
    )


@strawberry.input(description="A new school of your district.")
class SchoolCreateInput:
    name: str = strawberry.field(description="Its name, unique in the district, 1-200 characters.")
    timezone: str = strawberry.field(default="UTC", description="IANA time zone, e.g. Europe/Moscow.")
    grade_scale: GradeScaleInput | None = strawberry.field(
        default=None, description="Grading settings; default: whole numbers 1-5, pass mark 3."
    )


@strawberry.input(description="Changes to a school: fields left out stay as they are.")
class SchoolUpdateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` of your district.")
    name: str | None = strawberry.field(default=None, description="A new name, unique in the district.")
    timezone: str | None = strawberry.field(default=None, description="A new IANA time zone.")
    grade_scale: GradeScaleInput | None = strawberry.field(
        default=None,
        description="New grading settings. The marks (kind, min, max, marks) cannot change once the school "
        "has grades (SCALE_IN_USE); the pass mark, rounding and weights can.",
    )


@strawberry.type(description="The school was created.")
class SchoolCreateSuccess:
    school: School = strawberry.field(description="The new school.")


@strawberry.type(description="The school was changed (or already was as asked).")
class SchoolUpdateSuccess:
    school: School = strawberry.field(description="The school as it is now.")


SchoolCreateResult = Annotated[
    SchoolCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SchoolCreateResult",
        description="The new school, or why not (nothing written). ValidationError codes: NAME_EMPTY, "
        "INVALID_CHARACTERS, "
        f"NAME_TOO_LONG, NAME_TAKEN, INVALID_TIMEZONE, {SCALE_CODES}; NotFoundError DISTRICT_NOT_FOUND.",
    ),
]
SchoolUpdateResult = Annotated[
    SchoolUpdateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SchoolUpdateResult",
        description="The changed school, or why not (nothing written). ValidationError codes: "
        "NAME_EMPTY, INVALID_CHARACTERS, "
        f"NAME_TOO_LONG, NAME_TAKEN, INVALID_TIMEZONE, {SCALE_CODES}, SCALE_IN_USE; NotFoundError "
        "SCHOOL_NOT_FOUND (not there, or not of your district).",
    ),
]


@strawberry.input(description="A new subject of a school.")
class SubjectCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    name: str = strawberry.field(description="Its name, unique in the school, 1-100 characters.")


@strawberry.input(description="A subject renamed.")
class SubjectUpdateInput:
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of a school you run.")
    name: str = strawberry.field(description="The new name, unique in the school, 1-100 characters.")


@strawberry.input(description="A subject the school no longer teaches.")
class SubjectArchiveInput:
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of a school you run.")


@strawberry.type(description="The subject as it is now.")
class SubjectSuccess:
    subject: Subject = strawberry.field(description="The subject.")


SUBJECT_CODES = "ValidationError codes: NAME_EMPTY, INVALID_CHARACTERS, NAME_TOO_LONG, NAME_TAKEN; NotFoundError "
SubjectCreateResult = Annotated[
    SubjectSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubjectCreateResult",
        description=f"The new subject, or why not (nothing written). {SUBJECT_CODES}SCHOOL_NOT_FOUND.",
    ),
]
SubjectUpdateResult = Annotated[
    SubjectSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubjectUpdateResult",
        description=f"The renamed subject, or why not (nothing written). {SUBJECT_CODES}SUBJECT_NOT_FOUND.",
    ),
]
SubjectArchiveResult = Annotated[
    SubjectSuccess | NotFoundError,
    strawberry.union(
        "SubjectArchiveResult",
        description="The archived subject, or NotFoundError SUBJECT_NOT_FOUND (not there, or not of a school you run).",
    ),
]


@strawberry.input(description="A new class of a school's academic year.")
class ClassCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    grade_level: int = strawberry.field(description="Grade level, 0-12.")
    letter: str = strawberry.field(description='Letter within the grade level, 1-8 characters, e.g. "A".')
    academic_year: str = strawberry.field(
        description='The name of one of the school\'s academic years, e.g. "2026/2027".'
    )
    homeroom_teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="A `User` holding the TEACHER role at the school, to lead the class."
    )


@strawberry.input(description="Changes to a class: fields left out stay as they are.")
class ClassUpdateInput:
    class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` of a school you run.")
    grade_level: int | None = strawberry.field(default=None, description="A new grade level, 0-12.")
    letter: str | None = strawberry.field(default=None, description="A new letter.")
    homeroom_teacher_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A teacher of the school to lead the class; null removes the homeroom teacher; left out keeps it.",
    )


@strawberry.type(description="The class as it is now.")
class ClassSuccess:
    school_class: SchoolClass = strawberry.field(description="The class.")


CLASS_CODES = "INVALID_GRADE_LEVEL, LETTER_EMPTY, LETTER_TOO_LONG, NOT_A_TEACHER, CLASS_EXISTS"
ClassCreateResult = Annotated[
    ClassSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassCreateResult",
        description=f"The new class, or why not (nothing written). ValidationError codes: {CLASS_CODES}, "
        "ACADEMIC_YEAR_NOT_FOUND; NotFoundError SCHOOL_NOT_FOUND.",
    ),
]
ClassUpdateResult = Annotated[
    ClassSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassUpdateResult",
        description=f"The changed class, or why not (nothing written). ValidationError codes: {CLASS_CODES}; "
        "NotFoundError CLASS_NOT_FOUND.",
    ),
]

ADMINS = "School admins of the school and district admins of its district; FORBIDDEN for everyone else."


SCHOOL_CREATORS = HasRole(models.Role.DISTRICT_ADMIN, refusal=_("Only district admins create schools."))
SCHOOL_SETTERS = HasRole(models.Role.DISTRICT_ADMIN, refusal=_("Only district admins change school settings."))
SUBJECT_KEEPERS = IsAdmin(_("Only school admins manage subjects."))
CLASS_KEEPERS = IsAdmin(_("Only school admins manage classes."))


@strawberry.type
class OrgMutations:
    @strawberry.mutation(
        description="Create a school in your district. District admins only (FORBIDDEN otherwise).",
        permission_classes=[SCHOOL_CREATORS],
    )
    async def school_create(self, info: Info, input: Annotated[SchoolCreateInput, INPUT]) -> SchoolCreateResult:
        spec = schools.SchoolSpec(name=input.name, timezone=input.timezone, scale=_scale(input.grade_scale))
        return SchoolCreateSuccess(school=School(model=await schools.create_school(info.context, spec)))

    @strawberry.mutation(
        description="Change a school's name, time zone or grading settings. District admins of its district only.",
        permission_classes=[SCHOOL_SETTERS],
    )
    async def school_update(self, info: Info, input: Annotated[SchoolUpdateInput, INPUT]) -> SchoolUpdateResult:
        spec = schools.SchoolSpec(name=input.name, timezone=input.timezone, scale=_scale(input.grade_scale))
        row = await schools.update_school(info.context, input.school_id, spec)
        return SchoolUpdateSuccess(school=School(model=row))

    @strawberry.mutation(description=f"Add a subject to a school. {ADMINS}", permission_classes=[SUBJECT_KEEPERS])
    async def subject_create(self, info: Info, input: Annotated[SubjectCreateInput, INPUT]) -> SubjectCreateResult:
        row = await org.create_subject(info.context, input.school_id, input.name)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(description=f"Rename a subject. {ADMINS}", permission_classes=[SUBJECT_KEEPERS])
    async def subject_update(self, info: Info, input: Annotated[SubjectUpdateInput, INPUT]) -> SubjectUpdateResult:
        row = await org.update_subject(info.context, input.subject_id, input.name)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(
        description="Archive a subject: subjects are never deleted (lessons, grades and journals keep them); an "
        f"archived one takes no new teaching assignments. Archiving again changes nothing. {ADMINS}",
        permission_classes=[SUBJECT_KEEPERS],
    )
    async def subject_archive(self, info: Info, input: Annotated[SubjectArchiveInput, INPUT]) -> SubjectArchiveResult:
        row = await org.archive_subject(info.context, input.subject_id)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(description=f"Create a class. {ADMINS}", permission_classes=[CLASS_KEEPERS])
    async def class_create(self, info: Info, input: Annotated[ClassCreateInput, INPUT]) -> ClassCreateResult:
        spec = org.ClassSpec(
            grade_level=input.grade_level,
            letter=input.letter,
            academic_year=input.academic_year,
            homeroom_teacher_id=input.homeroom_teacher_id,
        )
        row = await org.create_class(info.context, input.school_id, spec)
        return ClassSuccess(school_class=SchoolClass(model=row))

    @strawberry.mutation(
        description=f"Change a class's grade level, letter or homeroom teacher. {ADMINS}",
        permission_classes=[CLASS_KEEPERS],
    )
    async def class_update(self, info: Info, input: Annotated[ClassUpdateInput, INPUT]) -> ClassUpdateResult:
        homeroom = input.homeroom_teacher_id
        spec = org.ClassSpec(
            grade_level=input.grade_level,
            letter=input.letter,
            homeroom_teacher_id=None if homeroom is strawberry.UNSET else (homeroom or ""),
        )
        row = await org.update_class(info.context, input.class_id, spec)
        return ClassSuccess(school_class=SchoolClass(model=row))
