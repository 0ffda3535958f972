"""Final grades: a student's grade in a subject for a term or the whole year, its history, and
setting it (the subject's teachers; ``resolvers.term_grades``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import term_grades
from schema.calendar import Term
from schema.enums import RevisionAction
from schema.errors import NotFoundError, ValidationError
from schema.grades import GRADE_WRITERS, INPUT, GradeBase
from schema.types import Info, Node, _must
from schema.users import User


@strawberry.type(description="A final grade of a student in a subject for a term, or for the whole year.")
class TermGrade(Node, GradeBase):
    model: strawberry.Private[models.TermGrade]

    @strawberry.field(description="The term it is the final grade of; null for a year grade.")
    async def term(self, info: Info) -> Term | None:
        if self.model.term_id is None:
            return None
        found = await info.context.loaders.term_by_id.load(self.model.term_id)
        return Term(model=found) if found else None

    @strawberry.field(description='As shown, e.g. "5" or "B".')
    def value(self) -> str:
        return self.model.value

    @strawberry.field(description="What it counts for on the school's scale.")
    def numeric_value(self) -> float | None:
        return self.model.numeric_value

    @strawberry.field(description="The teacher's comment.")
    def comment(self) -> str | None:
        return self.model.comment

    @strawberry.field(description="Who set it.")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(description="When it was first set.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed.")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(description="Every time it was set, oldest first: who, when, from what to what, and why.")
    async def history(self, info: Info) -> list[TermGradeRevision]:
        rows = await info.context.loaders.grouped(models.TermGradeRevision, "term_grade_id", "at", "id").load(
            self.model.id
        )
        return [TermGradeRevision(model=r) for r in rows]


@strawberry.type(description="One change of a final grade.")
class TermGradeRevision:
    model: strawberry.Private[models.TermGradeRevision]

    @strawberry.field(description="Set for the first time, or changed.")
    def action(self) -> RevisionAction:
        return RevisionAction(self.model.action.value)

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return self.model.at

    @strawberry.field(description="Who set it.")
    async def by(self, info: Info) -> User | None:
        user = await info.context.loaders.user_by_id.load(self.model.actor_id)
        return User(model=user) if user else None

    @strawberry.field(description="The value before (null the first time).")
    def old_value(self) -> str | None:
        return self.model.old_value

    @strawberry.field(description="The value after.")
    def new_value(self) -> str | None:
        return self.model.new_value

    @strawberry.field(description="Why, as the teacher wrote it (required once the grade was over a day old).")
    def reason(self) -> str | None:
        return self.model.reason


@strawberry.input(description="A final grade for a term (or, without `termId`, for the year).")
class TermGradeSetInput:
    student_id: strawberry.ID = strawberry.field(description="The `Student`, in a class you teach the subject in.")
    subject_id: strawberry.ID = strawberry.field(description="The `Subject`.")
    term_id: strawberry.ID | None = strawberry.field(
        default=None, description="A `Term` of the class's academic year, already started; null: the year grade."
    )
    value: str = strawberry.field(description="On the school's scale (see `SubjectProgress.suggestedGrade`).")
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    reason: str | None = strawberry.field(
        default=None, description="Why it changes, when it was set before. Required once it is over 24 hours old."
    )


@strawberry.type(description="The final grade was set and the family notified.")
class TermGradeSetSuccess:
    term_grade: TermGrade = strawberry.field(description="The final grade as it is now, with its history.")


TermGradeSetResult = Annotated[
    TermGradeSetSuccess | ValidationError | NotFoundError,
    strawberry.union("TermGradeSetResult", description="The final grade, or why not (nothing written)."),
]


@strawberry.type
class TermGradeMutations:
    @strawberry.mutation(
        description=(
            "Set a student's final grade in a subject for a term or the year (the subject's teachers in the "
            "student's current class). Setting it again changes it, kept in `TermGrade.history`. FORBIDDEN for "
            "non-teachers. NotFoundError: STUDENT_NOT_FOUND, SUBJECT_NOT_FOUND, TERM_NOT_FOUND. ValidationError: "
            "NOT_ASSIGNED, TERM_NOT_OF_YEAR, TERM_NOT_STARTED, INVALID_VALUE, COMMENT_TOO_LONG, REASON_REQUIRED, "
            "REASON_TOO_LONG, TERM_GRADE_CHANGED_MEANWHILE. Setting the same value again records nothing."
        ),
        permission_classes=[GRADE_WRITERS],
    )
    async def term_grade_set(self, info: Info, input: Annotated[TermGradeSetInput, INPUT]) -> TermGradeSetResult:
        data = term_grades.TermGradeInput(
            input.student_id, input.subject_id, input.term_id, input.value, input.comment, input.reason
        )
        return TermGradeSetSuccess(term_grade=TermGrade(model=await term_grades.set_term_grade(info.context, data)))
