"""Grades: give, change, remove, and final grades."""

from __future__ import annotations

from typing import Annotated

import strawberry

import models
from resolvers import grades
from schema import types
from schema.enums import GradeKind
from schema.errors import NotFoundError, ValidationError
from schema.permissions import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.input(description="A grade for one student in one lesson.")
class GradeCreateInput:
    student_id: strawberry.ID = strawberry.field(description="The `Student`.")
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` of a class + subject you teach, not cancelled, already started."
    )
    value: str = strawberry.field(description='On the school\'s scale, e.g. "5".')
    weight: int | None = strawberry.field(default=None, description="1-10; default: the school's default weight.")
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    kind: GradeKind | None = strawberry.field(default=None, description="What it is for; default CLASSWORK.")


@strawberry.type(description="The grade was recorded and the family notified.")
class GradeCreateSuccess:
    grade: types.Grade = strawberry.field(description="The new grade.")


GradeCreateResult = Annotated[
    GradeCreateSuccess | ValidationError | NotFoundError,
    strawberry.union("GradeCreateResult", description="The new grade, or why it was refused (nothing written)."),
]


@strawberry.type
class GradeMutations:
    @strawberry.mutation(
        description="Give a grade (teachers, in the classes and subjects they teach). FORBIDDEN for non-teachers.",
        permission_classes=[IsAuthenticated],
    )
    async def grade_create(self, info: Info, input: Annotated[GradeCreateInput, INPUT]) -> GradeCreateResult:
        grade = await grades.create_grade(
            info.context,
            grades.GradeInput(
                student_id=input.student_id,
                lesson_id=input.lesson_id,
                value=input.value,
                weight=input.weight,
                comment=input.comment,
                kind=models.GradeKind(input.kind.name) if input.kind else None,
            ),
        )
        return GradeCreateSuccess(grade=types.Grade(model=grade))
