"""Planned assessments (``resolvers.assessments``): a teacher announces a control work, a test, a
dictation... for a coming lesson; families see it on the lesson and in
``Student.upcomingAssessments``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import assessments
from schema import types
from schema.enums import GradeKind
from schema.errors import NotFoundError, ValidationError
from schema.lesson_topics import PLANNERS
from schema.lessons import Lesson
from schema.types import Node, _must
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type(description="An assessment a teacher announced for a coming lesson.")
class PlannedAssessment(Node):
    model: strawberry.Private[models.PlannedAssessment]

    @strawberry.field(description="What kind of work it is (a control work, a test, a dictation...).")
    def kind(self) -> GradeKind:
        return GradeKind[self.model.kind.value]

    @strawberry.field(description="What it covers, as the teacher wrote it.")
    def description(self) -> str:
        return self.model.description

    @strawberry.field(description="The lesson it takes place in (it moves with the lesson).")
    async def lesson(self, info: Info) -> Lesson:
        return Lesson(model=_must(await info.context.loaders.lesson_by_id.load(self.model.lesson_id), "lesson"))

    @strawberry.field(description="The teacher who announced it.")
    async def planned_by(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.planned_by_id), "teacher"))

    @strawberry.field(description="When it was announced.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed (equals `createdAt` until then).")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(
        description="True once the teacher called it off: reached then only through its ASSESSMENT_CANCELLED "
        "event and `assessmentCancel`; `Lesson.assessment` and `node` no longer show it."
    )
    def cancelled(self) -> bool:
        return self.model.cancelled_at is not None


@strawberry.input(description="An assessment for a coming lesson; planning a lesson's assessment again changes it.")
class AssessmentPlanInput:
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` that has not started, of a class + subject you teach (or one you give), not cancelled."
    )
    kind: GradeKind = strawberry.field(
        description="QUIZ, TEST, DICTATION, LAB_WORK, PROJECT, CONTROL_WORK or EXAM (not CLASSWORK, HOMEWORK, ORAL)."
    )
    description: str = strawberry.field(description="What it covers, 1-1000 characters; shown to families.")


@strawberry.input(description="A lesson whose announced assessment is called off.")
class AssessmentCancelInput:
    lesson_id: strawberry.ID = strawberry.field(description="The `Lesson` (that has not started).")


@strawberry.type(description="The assessment as it is now; the class's families were told.")
class AssessmentSuccess:
    assessment: PlannedAssessment = strawberry.field(description="The assessment (`cancelled` after a cancellation).")


CODES = (
    "ValidationError codes: NOT_ASSIGNED (you do not teach that class + subject nor give the lesson), "
    "LESSON_CANCELLED, LESSON_STARTED"
)
AssessmentPlanResult = Annotated[
    AssessmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AssessmentPlanResult",
        description=f"The announced assessment, or why not (nothing written). {CODES}, ASSESSMENT_KIND_INVALID, "
        "TEXT_EMPTY, INVALID_CHARACTERS, TEXT_TOO_LONG; NotFoundError LESSON_NOT_FOUND.",
    ),
]
AssessmentCancelResult = Annotated[
    AssessmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AssessmentCancelResult",
        description=f"The called-off assessment, or why not (nothing written). {CODES}; NotFoundError "
        "LESSON_NOT_FOUND, ASSESSMENT_NOT_FOUND (none is announced).",
    ),
]


@strawberry.type
class AssessmentMutations:
    @strawberry.mutation(
        description="Announce a control work, test, dictation... for a coming lesson, or change the one announced "
        "(teachers of the class + subject, or the lesson's own teacher): every student of the class gets an "
        "ASSESSMENT_PLANNED (or ASSESSMENT_CHANGED) event, and the family a reminder the day before. FORBIDDEN "
        "for non-teachers.",
        permission_classes=[PLANNERS],
    )
    async def assessment_plan(self, info: Info, input: Annotated[AssessmentPlanInput, INPUT]) -> AssessmentPlanResult:
        row = await assessments.plan(
            info.context,
            assessments.PlanInput(input.lesson_id, models.GradeKind(input.kind.name), input.description),
        )
        return AssessmentSuccess(assessment=PlannedAssessment(model=row))

    @strawberry.mutation(
        description="Call off a lesson's announced assessment: every student of the class gets an "
        "ASSESSMENT_CANCELLED event and no reminder goes out. FORBIDDEN for non-teachers.",
        permission_classes=[PLANNERS],
    )
    async def assessment_cancel(
        self, info: Info, input: Annotated[AssessmentCancelInput, INPUT]
    ) -> AssessmentCancelResult:
        row = await assessments.cancel(info.context, input.lesson_id)
        return AssessmentSuccess(assessment=PlannedAssessment(model=row))
