"""Hand-in (README "Hand-in"): the `Submission` type, a student's `HandIn` of a homework, and the
mutations `homeworkSubmit`, `submissionReturn`, `submissionGrade`."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import policy, submissions
from resolvers.core import _, pk_of
from schema import types
from schema.enums import GradeKind
from schema.errors import NotFoundError, ValidationError
from schema.files import ATTACHMENTS, FILE_CODES, File
from schema.gates import HasRole
from schema.grades import Grade
from schema.homework import Homework
from schema.students import Student
from schema.types import Node
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="Where a student's work for a homework stands.")
class SubmissionStatus(Enum):
    ASSIGNED = strawberry.enum_value("ASSIGNED", description="Nothing handed in yet.")
    SUBMITTED = strawberry.enum_value("SUBMITTED", description="Handed in before the due lesson started.")
    LATE = strawberry.enum_value("LATE", description="Handed in after the due lesson started.")
    RETURNED = strawberry.enum_value(
        "RETURNED", description="The teacher returned it with a comment: it can be handed in again."
    )
    GRADED = strawberry.enum_value("GRADED", description="The teacher graded it (`grade`): it is closed.")


@strawberry.type(
    description="A student's work for a homework: text and files. Seen by the student, their guardians and the "
    "teachers who set homework for its due lesson; nobody else."
)
class Submission(Node):
    model: strawberry.Private[models.Submission]

    @strawberry.field(description="The homework it is for (null once you no longer see it).")
    async def homework(self, info: Info) -> Homework | None:
        found = await info.context.loaders.one(policy.visible_homework).load(self.model.homework_id)
        return Homework(model=found) if found else None

    @strawberry.field(description="Whose work it is (null if you do not see the student).")
    async def student(self, info: Info) -> Student | None:
        found = await info.context.loaders.one(policy.visible_students).load(self.model.student_id)
        return Student(model=found) if found else None

    @strawberry.field(description="Where it stands: SUBMITTED, LATE, RETURNED or GRADED.")
    def status(self) -> SubmissionStatus:
        return SubmissionStatus(self.model.status.value)

    @strawberry.field(description="True when the last hand-in came after the due lesson started.")
    def late(self) -> bool:
        return self.model.late

    @strawberry.field(description="How many times it was handed in (1 the first time; a new hand-in replaces it).")
    def attempt(self) -> int:
        return self.model.attempt

    @strawberry.field(description="The work's text as last handed in (may be empty when files carry it).")
    def text(self) -> str:
        return self.model.text

    @strawberry.field(description="The files handed in with it, in the order given; empty when none.")
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.grouped(models.StoredFile, "submission_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]

    @strawberry.field(description="When it was last handed in.")
    def submitted_at(self) -> dt.datetime:
        return self.model.submitted_at

    @strawberry.field(description="When the teacher last returned it; null if never.")
    def returned_at(self) -> dt.datetime | None:
        return self.model.returned_at

    @strawberry.field(description="The teacher's comment when they last returned it; null if never.")
    def return_comment(self) -> str | None:
        return self.model.return_comment

    @strawberry.field(description="The teacher who last returned it; null if never.")
    async def returned_by(self, info: Info) -> User | None:
        if self.model.returned_by_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_users).load(self.model.returned_by_id)
        return User(model=found) if found else None

    @strawberry.field(
        description="The grade it got, in the journal on the homework's due lesson; null until graded (or once "
        "the grade was removed)."
    )
    async def grade(self, info: Info) -> Grade | None:
        if self.model.grade_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_grades).load(self.model.grade_id)
        return Grade(model=found) if found and found.deleted_at is None else None

    @strawberry.field(description="When it was graded; null until then.")
    def graded_at(self) -> dt.datetime | None:
        return self.model.graded_at


@strawberry.type(description="One student's hand-in of one homework, as their family follows it.")
class HandIn:
    student_id: strawberry.Private[int]
    due: strawberry.Private[dt.datetime]
    row: strawberry.Private[models.Submission | None]

    @strawberry.field(description="Where it stands; ASSIGNED while nothing was handed in.")
    def status(self) -> SubmissionStatus:
        return SubmissionStatus(self.row.status.value) if self.row else SubmissionStatus.ASSIGNED

    @strawberry.field(
        description="Owed work: nothing was handed in and the due time (the start of the due lesson) has passed."
    )
    def owed(self) -> bool:
        return self.row is None and not submissions.before(self.due)

    @strawberry.field(description="The due time: when the homework's due lesson starts (by the school's bells).")
    def due_at(self) -> dt.datetime:
        return self.due

    @strawberry.field(description="The work handed in; null while nothing was.")
    def submission(self) -> Submission | None:
        return Submission(model=self.row) if self.row else None


async def hand_in(info: Info, homework: models.Homework, student_id: strawberry.ID) -> HandIn | None:
    """``Homework.handIn``: for the viewer's own record or child, of a homework that is for them."""
    pk = pk_of(student_id, "Student")
    if pk is None:
        return None
    loaders = info.context.loaders
    student = await loaders.one(policy.family_students).load(pk)
    lesson = await loaders.lesson_by_id.load(homework.lesson_id)
    if student is None or lesson is None or pk not in await loaders.attendees_by_lesson.load(lesson.id):
        return None
    rows = await loaders.grouped(policy.visible_submissions, "homework_id", "id").load(homework.id)
    row = next((r for r in rows if r.student_id == pk), None)
    return HandIn(student_id=pk, due=lesson.starts_at, row=row)


@strawberry.input(description="Work to hand in for a homework: the whole work (a new hand-in replaces it).")
class HomeworkSubmitInput:
    homework_id: strawberry.ID = strawberry.field(description="The `Homework`: one set for a lesson of yours.")
    text: str | None = strawberry.field(
        default=None, description=f"The work's text, at most {submissions.MAX_TEXT} characters."
    )
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Its files (replacing all): ids of the current `attachments` to keep and of new uploads. "
        + ATTACHMENTS,
    )


@strawberry.type(description="The work was handed in and the teacher notified.")
class HomeworkSubmitSuccess:
    submission: Submission = strawberry.field(description="The work as handed in now (SUBMITTED or LATE).")


HomeworkSubmitResult = Annotated[
    HomeworkSubmitSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "HomeworkSubmitResult",
        description="The handed-in work, or why it was refused (nothing written): ValidationError "
        "SUBMISSION_NOT_OPEN (not for you: not your lesson, or you left the class), SUBMISSION_GRADED, "
        "SUBMISSION_CHANGED_MEANWHILE (handed in from another device at the same moment: reload), "
        f"SUBMISSION_EMPTY (no text, no files), INVALID_CHARACTERS, TEXT_TOO_LONG, {FILE_CODES}; NotFoundError "
        "HOMEWORK_NOT_FOUND.",
    ),
]


@strawberry.input(description="Handed-in work to give back.")
class SubmissionReturnInput:
    submission_id: strawberry.ID = strawberry.field(description="The `Submission`.")
    comment: str = strawberry.field(
        description=f"What to redo, 1-{submissions.MAX_COMMENT} characters; the family reads it."
    )


@strawberry.type(description="The work was returned and the family notified.")
class SubmissionReturnSuccess:
    submission: Submission = strawberry.field(description="The work, RETURNED.")


SubmissionReturnResult = Annotated[
    SubmissionReturnSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubmissionReturnResult",
        description="The returned work, or why not (nothing written): ValidationError SUBMISSION_GRADED, "
        "SUBMISSION_RETURNED (not handed in again since), SUBMISSION_CHANGED_MEANWHILE, TEXT_EMPTY, "
        "INVALID_CHARACTERS, COMMENT_TOO_LONG; NotFoundError SUBMISSION_NOT_FOUND.",
    ),
]


@strawberry.input(description="A grade for handed-in work.")
class SubmissionGradeInput:
    submission_id: strawberry.ID = strawberry.field(description="The `Submission`.")
    value: str = strawberry.field(description='On the school\'s scale, e.g. "5".')
    weight: int | None = strawberry.field(
        default=None, description="1-10; default: the school's weight for the kind (`School.gradeScale.kindWeights`)."
    )
    comment: str | None = strawberry.field(default=None, description="Shown to the family, at most 1000 characters.")
    kind: GradeKind | None = strawberry.field(default=None, description="What it is for; default HOMEWORK.")


@strawberry.type(description="The work was graded: the grade is in the journal and the family notified.")
class SubmissionGradeSuccess:
    submission: Submission = strawberry.field(description="The work, GRADED, with its `grade`.")


SubmissionGradeResult = Annotated[
    SubmissionGradeSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubmissionGradeResult",
        description="The graded work, or why not (nothing written): ValidationError SUBMISSION_GRADED, "
        "SUBMISSION_CHANGED_MEANWHILE, and those of `gradeCreate` for the due lesson (LESSON_IN_FUTURE until it "
        "started, LESSON_CANCELLED, STUDENT_NOT_IN_CLASS, INVALID_VALUE, INVALID_WEIGHT, COMMENT_TOO_LONG); "
        "NotFoundError SUBMISSION_NOT_FOUND.",
    ),
]


STUDENTS = HasRole(models.Role.STUDENT, refusal=_("Only students hand work in."))
TEACHERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers return and grade handed-in work."))


@strawberry.type
class SubmissionMutations:
    @strawberry.mutation(
        description="Hand work in for a homework of your lesson, or hand it in again (until graded): it replaces "
        "the text and files. LATE after the due lesson started. The teacher gets a SUBMISSION_HANDED_IN event. "
        "FORBIDDEN for non-students.",
        permission_classes=[STUDENTS],
    )
    async def homework_submit(self, info: Info, input: Annotated[HomeworkSubmitInput, INPUT]) -> HomeworkSubmitResult:
        row = await submissions.submit(
            info.context, submissions.SubmitInput(input.homework_id, input.text, input.file_ids)
        )
        return HomeworkSubmitSuccess(submission=Submission(model=row))

    @strawberry.mutation(
        description="Return handed-in work with a comment (teachers who set homework for its lesson): the student "
        "may hand it in again; the family gets a SUBMISSION_RETURNED event. FORBIDDEN for non-teachers.",
        permission_classes=[TEACHERS],
    )
    async def submission_return(
        self, info: Info, input: Annotated[SubmissionReturnInput, INPUT]
    ) -> SubmissionReturnResult:
        row = await submissions.return_work(info.context, input.submission_id, input.comment)
        return SubmissionReturnSuccess(submission=Submission(model=row))

    @strawberry.mutation(
        description="Grade handed-in work (teachers who set homework for its lesson): the grade goes to the journal "
        "on the homework's due lesson as `gradeCreate` writes it (GRADE_ADDED) and the work is GRADED "
        "(SUBMISSION_GRADED). FORBIDDEN for non-teachers.",
        permission_classes=[TEACHERS],
    )
    async def submission_grade(
        self, info: Info, input: Annotated[SubmissionGradeInput, INPUT]
    ) -> SubmissionGradeResult:
        row = await submissions.grade_work(
            info.context,
            submissions.GradeInput(
                submission_id=input.submission_id,
                value=input.value,
                weight=input.weight,
                kind=models.GradeKind(input.kind.name) if input.kind else models.GradeKind.HOMEWORK,
                comment=input.comment,
            ),
        )
        return SubmissionGradeSuccess(submission=Submission(model=row))
