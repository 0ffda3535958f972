"""Remarks: a teacher's note on a student, acknowledged by the family."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import policy, remarks
from resolvers.core import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.files import ATTACHMENTS, FILE_CODES, File
from schema.gates import HasRole, IsAuthenticated
from schema.lessons import Lesson
from schema.org import Subject
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="What a remark is about.")
class RemarkKind(Enum):
    PRAISE = strawberry.enum_value("PRAISE", description="Praise for good work or conduct.")
    BEHAVIOUR = strawberry.enum_value("BEHAVIOUR", description="A note on behaviour.")
    MISSING_WORK = strawberry.enum_value("MISSING_WORK", description="Homework or materials were missing.")
    OTHER = strawberry.enum_value("OTHER", description="Anything else.")


@strawberry.type(description="A teacher's note on a student that the family reads and acknowledges.")
class Remark(types.Node):
    model: strawberry.Private[models.Remark]

    @strawberry.field(description="The student it is about.")
    async def student(self, info: Info) -> Student:
        s = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=types._must(s, "student"))

    @strawberry.field(description="Files the teacher sent with it, in the order given; empty when none.")
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.grouped(models.StoredFile, "remark_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]

    @strawberry.field(description="The teacher who wrote it.")
    async def author(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.author_id)
        return User(model=types._must(user, "author"))

    @strawberry.field(description="What it is about.")
    def kind(self) -> RemarkKind:
        return RemarkKind(self.model.kind)

    @strawberry.field(description="The note.")
    def text(self) -> str:
        return self.model.text

    @strawberry.field(description="The day it concerns (the lesson's date, or the day it was written).")
    def date(self) -> dt.date:
        return self.model.date

    @strawberry.field(description="The lesson it is about, if any and if you see it (`node` returns it).")
    async def lesson(self, info: Info) -> Lesson | None:
        if self.model.lesson_id is None:
            return None
        lesson = await info.context.loaders.one(policy.visible_lessons).load(self.model.lesson_id)
        return Lesson(model=lesson) if lesson else None

    @strawberry.field(description="The lesson's subject, when it is about a lesson.")
    async def subject(self, info: Info) -> Subject | None:
        if self.model.subject_id is None:
            return None
        subject = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=subject) if subject else None

    @strawberry.field(description="When it was written.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When the family (or the student) first acknowledged it; null until then.")
    def acknowledged_at(self) -> dt.datetime | None:
        return self.model.acknowledged_at

    @strawberry.field(description="Who acknowledged it first: a guardian or the student.")
    async def acknowledged_by(self, info: Info) -> User | None:
        if self.model.acknowledged_by_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.acknowledged_by_id)
        return User(model=user) if user else None


@strawberry.input(description="A remark on a student.")
class RemarkCreateInput:
    student_id: strawberry.ID = strawberry.field(
        description="A `Student` of a class you teach as a whole (any subject) or lead as homeroom teacher, or a "
        "member of a group you teach on the remark's day (the lesson's, else today)."
    )
    kind: RemarkKind = strawberry.field(description="What it is about.")
    text: str = strawberry.field(description="The note, 1-2000 characters. Shown to the family.")
    lesson_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A `Lesson` of the student's class it is about (of a group's: one the student attends as a "
        "member); the remark gets its subject.",
    )
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description=f"Files for the family (a photo of the work), seen by the remark's readers. {ATTACHMENTS}",
    )


@strawberry.type(description="The remark was written and the family notified.")
class RemarkCreateSuccess:
    remark: Remark = strawberry.field(description="The new remark.")


RemarkCreateResult = Annotated[
    RemarkCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "RemarkCreateResult",
        description="The new remark, or why it was refused (nothing written). ValidationError codes: "
        "NOT_ASSIGNED (you do not teach the student's class), LESSON_NOT_IN_CLASS, TEXT_EMPTY, "
        "INVALID_CHARACTERS, TEXT_TOO_LONG, " + FILE_CODES + "; "
        "NotFoundError STUDENT_NOT_FOUND, LESSON_NOT_FOUND.",
    ),
]


@strawberry.input(description="A remark read by the family.")
class RemarkAcknowledgeInput:
    remark_id: strawberry.ID = strawberry.field(description="A `Remark` on your child (or on you).")


@strawberry.type(description="The remark is acknowledged (by you now, or by whoever did first).")
class RemarkAcknowledgeSuccess:
    remark: Remark = strawberry.field(description="The remark with `acknowledgedAt` and `acknowledgedBy`.")


RemarkAcknowledgeResult = Annotated[
    RemarkAcknowledgeSuccess | NotFoundError,
    strawberry.union(
        "RemarkAcknowledgeResult",
        description="The acknowledged remark, or NotFoundError REMARK_NOT_FOUND (not there, or not on your "
        "child or yourself).",
    ),
]


REMARK_WRITERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers can write remarks."))


@strawberry.type
class RemarkMutations:
    @strawberry.mutation(
        description="Write a remark on a student of a class you teach or lead; the family gets a REMARK_ADDED "
        "event. FORBIDDEN for non-teachers.",
        permission_classes=[REMARK_WRITERS],
    )
    async def remark_create(self, info: Info, input: Annotated[RemarkCreateInput, INPUT]) -> RemarkCreateResult:
        row = await remarks.create_remark(
            info.context,
            remarks.RemarkInput(
                student_id=input.student_id,
                kind=models.RemarkKind(input.kind.name),
                text=input.text,
                lesson_id=input.lesson_id,
                file_ids=input.file_ids,
            ),
        )
        return RemarkCreateSuccess(remark=Remark(model=row))

    @strawberry.mutation(
        description="Acknowledge having read a remark (an active guardian of the child, or the student). "
        "The first acknowledgement is kept; acknowledging again changes nothing.",
        permission_classes=[IsAuthenticated],
    )
    async def remark_acknowledge(
        self, info: Info, input: Annotated[RemarkAcknowledgeInput, INPUT]
    ) -> RemarkAcknowledgeResult:
        row = await remarks.acknowledge_remark(info.context, input.remark_id)
        return RemarkAcknowledgeSuccess(remark=Remark(model=row))
