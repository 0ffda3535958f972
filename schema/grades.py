"""Grades: the `Grade` type and its history, and the mutations that give, change and remove grades (final
grades: ``schema.term_grades``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import grade_changes, grades, policy
from resolvers.core import _
from schema import types
from schema.enums import GradeKind, RevisionAction
from schema.errors import NotFoundError, ValidationError
from schema.gates import HasRole
from schema.lessons import Lesson
from schema.org import Subject
from schema.students import Student
from schema.types import Node, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.submissions import Submission

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type
class GradeBase:
    """The fields ``Grade`` and ``TermGrade`` share; not a GraphQL type of its own. Strawberry lists
    inherited fields first (after ``Node.id``), so only the fields both types list first live here:
    the others stay in each type, in the schema's order."""

    model: strawberry.Private[models.Grade | models.TermGrade]

    @strawberry.field(description="The graded student.")
    async def student(self, info: Info) -> Student:
        s = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=_must(s, "student"))

    @strawberry.field(description="The subject.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=_must(s, "subject"))


@strawberry.type(description="A grade: as shown (`value`) and as counted (`numericValue`, `weight`).")
class Grade(Node, GradeBase):
    model: strawberry.Private[models.Grade]

    @strawberry.field(description="The lesson it was given in, if any and if you see it (`node` returns it).")
    async def lesson(self, info: Info) -> Lesson | None:
        if self.model.lesson_id is None:
            return None
        lesson = await info.context.loaders.one(policy.visible_lessons).load(self.model.lesson_id)
        return Lesson(model=lesson) if lesson else None

    @strawberry.field(description='As shown, e.g. "5".')
    def value(self) -> str:
        return self.model.value

    @strawberry.field(description="The handed-in work it grades (`submissionGrade`), if you see it; null for others.")
    async def submission(self, info: Info) -> Annotated[Submission, strawberry.lazy("schema.submissions")] | None:
        # Here, not at the top: schema.submissions imports this module, a cycle.
        from schema.submissions import Submission

        rows = await info.context.loaders.grouped(policy.visible_submissions, "grade_id", "id").load(self.model.id)
        return Submission(model=rows[0]) if rows else None

    @strawberry.field(description="On the school's numeric scale, for averages.")
    def numeric_value(self) -> float | None:
        return self.model.numeric_value

    @strawberry.field(description="Weight in the weighted average, 1-10.")
    def weight(self) -> int:
        return int(self.model.weight)

    @strawberry.field(description="What the grade was given for.")
    def kind(self) -> GradeKind:
        return GradeKind(self.model.kind)

    @strawberry.field(description="The teacher's comment.")
    def comment(self) -> str | None:
        return self.model.comment

    @strawberry.field(description="Who gave it.")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(description="When it was given.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed.")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(description="Whether the grade was removed: it no longer counts, and stays shown as removed.")
    def removed(self) -> bool:
        return self.model.deleted_at is not None

    @strawberry.field(description="When it was removed, if it was.")
    def removed_at(self) -> dt.datetime | None:
        return self.model.deleted_at

    @strawberry.field(description="Who removed it, if it was removed.")
    async def removed_by(self, info: Info) -> User | None:
        if self.model.deleted_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.deleted_by_id)
        return User(model=user) if user else None

    @strawberry.field(description="Why it was removed (required once the grade was over a day old).")
    def remove_reason(self) -> str | None:
        return self.model.delete_reason

    @strawberry.field(
        description="Every change since it was given, oldest first: who, when, from what to what, and why."
    )
    async def history(self, info: Info) -> list[GradeRevision]:
        return [
            GradeRevision(model=r)
            for r in await info.context.loaders.grouped(models.GradeRevision, "grade_id", "at", "id").load(
                self.model.id
            )
        ]


@strawberry.input(description="A grade for one student in one lesson.")
class GradeCreateInput:
    student_id: strawberry.ID = strawberry.field(description="The `Student`.")
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` of a class + subject you teach, not cancelled, already started."
    )
    value: str = strawberry.field(description='On the school\'s scale, e.g. "5".')
    weight: int | None = strawberry.field(
        default=None, description="1-10; default: the school's weight for the kind (`School.gradeScale.kindWeights`)."
    )
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    kind: GradeKind | None = strawberry.field(default=None, description="What it is for; default CLASSWORK.")


@strawberry.type(description="The grade was recorded and the family notified.")
class GradeCreateSuccess:
    grade: Grade = strawberry.field(description="The new grade.")


GradeCreateResult = Annotated[
    GradeCreateSuccess | ValidationError | NotFoundError,
    strawberry.union("GradeCreateResult", description="The new grade, or why it was refused (nothing written)."),
]


def _kind(kind: GradeKind | None) -> models.GradeKind | None:
    return models.GradeKind(kind.name) if kind else None


@strawberry.input(description="One student's grade in `gradesCreate`.")
class GradeRowInput:
    student_id: strawberry.ID = strawberry.field(description="The `Student`, in the lesson's class on its date.")
    value: str = strawberry.field(description='On the school\'s scale, e.g. "5".')
    weight: int | None = strawberry.field(
        default=None, description="1-10; default: the school's weight for the kind (`School.gradeScale.kindWeights`)."
    )
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    kind: GradeKind | None = strawberry.field(default=None, description="What it is for; default CLASSWORK.")


@strawberry.input(description="Grades for several students of one lesson (a column of the class journal).")
class GradesCreateInput:
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` of a class + subject you teach, not cancelled, already started."
    )
    grades: list[GradeRowInput] = strawberry.field(
        description="1-100 grades; a student may appear more than once (e.g. classwork and an oral answer)."
    )


@strawberry.type(description="Every grade was recorded and the families notified.")
class GradesCreateSuccess:
    grades: list[Grade] = strawberry.field(description="The new grades, in the order given.")


GradesCreateResult = Annotated[
    GradesCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "GradesCreateResult",
        description="All the new grades, or why not: then none was written, and `fields` names every refused row.",
    ),
]


@strawberry.input(description="A correction of a grade. Omitted fields keep their value.")
class GradeUpdateInput:
    grade_id: strawberry.ID = strawberry.field(description="The `Grade`.")
    value: str | None = strawberry.field(default=None, description="The new value on the school's scale.")
    weight: int | None = strawberry.field(default=None, description="The new weight, 1-10.")
    kind: GradeKind | None = strawberry.field(default=None, description="The new kind.")
    comment: str | None = strawberry.field(default=None, description='The new comment; "" removes it.')
    reason: str | None = strawberry.field(
        default=None, description="Why, shown to the family in the grade's history. Required after 24 hours."
    )


@strawberry.type(description="The grade was corrected, its history extended and the family notified.")
class GradeUpdateSuccess:
    grade: Grade = strawberry.field(description="The grade as it is now.")


GradeUpdateResult = Annotated[
    GradeUpdateSuccess | ValidationError | NotFoundError,
    strawberry.union("GradeUpdateResult", description="The corrected grade, or why not (nothing written)."),
]


@strawberry.input(description="The removal of a grade given by mistake.")
class GradeDeleteInput:
    grade_id: strawberry.ID = strawberry.field(description="The `Grade`.")
    reason: str | None = strawberry.field(
        default=None, description="Why, shown to the family with the removed grade. Required after 24 hours."
    )


@strawberry.type(description="The grade was removed: it no longer counts and shows as removed.")
class GradeDeleteSuccess:
    grade: Grade = strawberry.field(description="The removed grade (`removed` is true).")


GradeDeleteResult = Annotated[
    GradeDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union("GradeDeleteResult", description="The removed grade, or why not (nothing written)."),
]


@strawberry.type(description="One change in a grade's history.")
class GradeRevision:
    model: strawberry.Private[models.GradeRevision]

    @strawberry.field(description="Given, corrected or removed.")
    def action(self) -> RevisionAction:
        return RevisionAction(self.model.action.value)

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return self.model.at

    @strawberry.field(description="Who made the change.")
    async def by(self, info: Info) -> User | None:
        user = await info.context.loaders.user_by_id.load(self.model.actor_id)
        return User(model=user) if user else None

    @strawberry.field(description="The value before (null when the grade was given).")
    def old_value(self) -> str | None:
        return self.model.old_value

    @strawberry.field(description="The value after (null when the grade was removed).")
    def new_value(self) -> str | None:
        return self.model.new_value

    @strawberry.field(description="The weight before.")
    def old_weight(self) -> int | None:
        return None if self.model.old_weight is None else int(self.model.old_weight)

    @strawberry.field(description="The weight after.")
    def new_weight(self) -> int | None:
        return None if self.model.new_weight is None else int(self.model.new_weight)

    @strawberry.field(description="The kind before.")
    def old_kind(self) -> GradeKind | None:
        return GradeKind(self.model.old_kind) if self.model.old_kind else None

    @strawberry.field(description="The kind after.")
    def new_kind(self) -> GradeKind | None:
        return GradeKind(self.model.new_kind) if self.model.new_kind else None

    @strawberry.field(description="The comment before.")
    def old_comment(self) -> str | None:
        return self.model.old_comment

    @strawberry.field(description="The comment after.")
    def new_comment(self) -> str | None:
        return self.model.new_comment

    @strawberry.field(description="Why, as the teacher wrote it.")
    def reason(self) -> str | None:
        return self.model.reason


GRADE_WRITERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers can write grades."))


@strawberry.type
class GradeMutations:
    @strawberry.mutation(
        description=(
            "Give a grade (teachers, in the classes and subjects they teach). FORBIDDEN for non-teachers. "
            "NotFoundError: STUDENT_NOT_FOUND, LESSON_NOT_FOUND. ValidationError: NOT_ASSIGNED, "
            "STUDENT_NOT_IN_CLASS, LESSON_CANCELLED, LESSON_IN_FUTURE, INVALID_VALUE, INVALID_WEIGHT, COMMENT_TOO_LONG."
        ),
        permission_classes=[GRADE_WRITERS],
    )
    async def grade_create(self, info: Info, input: Annotated[GradeCreateInput, INPUT]) -> GradeCreateResult:
        row = grades.GradeRow(input.student_id, input.value, input.weight, input.comment, _kind(input.kind))
        return GradeCreateSuccess(grade=Grade(model=await grades.create_grade(info.context, input.lesson_id, row)))

    @strawberry.mutation(
        description=(
            "Give several students a grade in one lesson, all or nothing. FORBIDDEN for non-teachers. "
            "NotFoundError: LESSON_NOT_FOUND. ValidationError (every refused row as `grades[i].<field>`): "
            "NO_GRADES, TOO_MANY_GRADES, NOT_ASSIGNED, LESSON_CANCELLED, LESSON_IN_FUTURE, STUDENT_NOT_IN_CLASS, "
            "INVALID_VALUE, INVALID_WEIGHT, COMMENT_TOO_LONG."
        ),
        permission_classes=[GRADE_WRITERS],
    )
    async def grades_create(self, info: Info, input: Annotated[GradesCreateInput, INPUT]) -> GradesCreateResult:
        rows = [grades.GradeRow(r.student_id, r.value, r.weight, r.comment, _kind(r.kind)) for r in input.grades]
        created = await grades.create_grades(info.context, input.lesson_id, rows)
        return GradesCreateSuccess(grades=[Grade(model=g) for g in created])

    @strawberry.mutation(
        description=(
            "Correct a grade (teachers of its class + subject). The change is kept in `Grade.history` and the "
            "family notified. NotFoundError: GRADE_NOT_FOUND. ValidationError: REASON_REQUIRED (over 24 hours "
            "old), REASON_TOO_LONG, GRADE_REMOVED, GRADE_CHANGED_MEANWHILE, INVALID_VALUE, INVALID_WEIGHT, "
            "COMMENT_TOO_LONG. Changing nothing succeeds and records nothing."
        ),
        permission_classes=[GRADE_WRITERS],
    )
    async def grade_update(self, info: Info, input: Annotated[GradeUpdateInput, INPUT]) -> GradeUpdateResult:
        change = grade_changes.GradeChange(
            input.grade_id, input.value, input.weight, _kind(input.kind), input.comment, input.reason
        )
        return GradeUpdateSuccess(grade=Grade(model=await grade_changes.update_grade(info.context, change)))

    @strawberry.mutation(
        description=(
            "Remove a grade (teachers of its class + subject): it stops counting and stays visible to the family "
            "as removed, with who, when and why. NotFoundError: GRADE_NOT_FOUND. ValidationError: "
            "REASON_REQUIRED (over 24 hours old), REASON_TOO_LONG, GRADE_REMOVED, GRADE_CHANGED_MEANWHILE."
        ),
        permission_classes=[GRADE_WRITERS],
    )
    async def grade_delete(self, info: Info, input: Annotated[GradeDeleteInput, INPUT]) -> GradeDeleteResult:
        grade = await grade_changes.delete_grade(info.context, input.grade_id, input.reason)
        return GradeDeleteSuccess(grade=Grade(model=grade))
