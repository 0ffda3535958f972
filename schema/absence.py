"""Parents' absence notices: the notice type, and sending and withdrawing them."""

from __future__ import annotations

import asyncio
import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import absence
from resolvers.core import _
from resolvers.policy import windows
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.files import ATTACHMENTS, FILE_CODES, File
from schema.gates import HasRole
from schema.lessons import Lesson
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


async def load_user(info: Info, user_id: int) -> User:
    user = await info.context.loaders.user_by_id.load(user_id)
    if user is None:
        raise LookupError("missing user")
    return User(model=user)


@strawberry.enum(description="What an absence notice covers.")
class AbsenceNoticeKind(Enum):
    BY_DAY = strawberry.enum_value("BY_DAY", description="Whole days, from `from` to `to`.")
    LESSONS = strawberry.enum_value("LESSONS", description="Chosen lessons only.")


@strawberry.type(description="A parent's notice that their child misses whole days or chosen lessons.")
class AbsenceNotice(types.Node):
    model: strawberry.Private[models.AbsenceNotice]

    @strawberry.field(description="The absent child.")
    async def student(self, info: Info) -> Student:
        student = await info.context.loaders.student_by_id.load(self.model.student_id)
        if student is None:
            raise LookupError("missing student")
        return Student(model=student)

    @strawberry.field(
        description="Papers sent with it (a doctor's note), in the order given; empty when none. Seen by whoever "
        "sees the notice; removed with it when it is withdrawn whole."
    )
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.grouped(models.StoredFile, "absence_notice_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]

    @strawberry.field(description="Whole days or chosen lessons.")
    def kind(self) -> AbsenceNoticeKind:
        return AbsenceNoticeKind(self.model.kind.value)

    @strawberry.field(name="from", description="The first day it still covers.")
    def from_(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="The last day it still covers.")
    def to(self) -> dt.date:
        return self.model.end_date

    @strawberry.field(description="Why the child is absent, as the parent wrote it.")
    def reason(self) -> str:
        return self.model.reason

    @strawberry.field(description="The parent who sent it.")
    async def created_by(self, info: Info) -> User:
        return await load_user(info, self.model.created_by_id)

    @strawberry.field(description="When it was sent.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="Every day it covers (BY_DAY: each day of the range; LESSONS: the lessons' days).")
    async def days(self, info: Info) -> list[dt.date]:
        items = await info.context.loaders.absence_notice_items_by_notice.load(self.model.id)
        return sorted({i.date for i in items})

    @strawberry.field(
        description="The chosen lessons (LESSONS); empty for whole days (BY_DAY: see `days`). A teacher sees those"
        " of the days the child was in their class (a notice across a transfer: each side its own class's)."
    )
    async def lessons(self, info: Info) -> list[Lesson]:
        loaders = info.context.loaders
        items, seen = await asyncio.gather(
            loaders.absence_notice_items_by_notice.load(self.model.id),
            loaders.windows_by_student.load(self.model.student_id),
        )
        ids = [i.lesson_id for i in items if i.lesson_id is not None]
        return [
            Lesson(model=x)
            for x in await loaders.lesson_by_id.load_many(ids)
            if x is not None and windows.in_windows(seen, x.date, x.school_class_id)
        ]


@strawberry.input(description="A parent's notice of their child's absence.")
class AbsenceNoticeCreateInput:
    student_id: strawberry.ID = strawberry.field(description="Your child.")
    kind: AbsenceNoticeKind = strawberry.field(description="Whole days (BY_DAY) or chosen lessons (LESSONS).")
    from_: dt.date | None = strawberry.field(
        name="from", default=None, description="BY_DAY: first day; at most 30 days ago."
    )
    to: dt.date | None = strawberry.field(default=None, description="BY_DAY: last day; at most 31 days in all.")
    lesson_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="LESSONS: lessons of the child's class, not cancelled, each once."
    )
    reason: str = strawberry.field(description="Why, 1-500 characters. Teachers see it.")
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"A doctor's note or other papers, seen by whoever sees the notice. {ATTACHMENTS}"
    )


@strawberry.type(description="The notice was sent; unmarked lessons it covers are marked ABSENT_EXCUSED.")
class AbsenceNoticeCreateSuccess:
    notice: AbsenceNotice = strawberry.field(description="The new notice.")


AbsenceNoticeCreateResult = Annotated[
    AbsenceNoticeCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AbsenceNoticeCreateResult",
        description=(
            "The notice, or why it was refused (nothing written). ValidationError codes: REASON_REQUIRED, "
            + FILE_CODES
            + ", "
            "REASON_TOO_LONG, RANGE_REQUIRED, INVALID_RANGE, RANGE_TOO_LONG, NOTICE_TOO_OLD, LESSONS_NOT_EXPECTED, "
            "RANGE_NOT_EXPECTED, LESSONS_REQUIRED, TOO_MANY_LESSONS, LESSON_NOT_FOUND, DUPLICATE_LESSON, "
            "LESSON_CANCELLED, NOTICE_OVERLAPS, REGISTER_CHANGED (a teacher marked meanwhile: retry). "
            "NotFoundError: STUDENT_NOT_FOUND."
        ),
    ),
]


@strawberry.input(description="Withdraw days of a notice (default: all of it).")
class AbsenceNoticeDeleteInput:
    notice_id: strawberry.ID = strawberry.field(description="An `AbsenceNotice` of your child.")
    from_: dt.date | None = strawberry.field(name="from", default=None, description="First day; default its first.")
    to: dt.date | None = strawberry.field(default=None, description="Last day; default its last.")


@strawberry.type(description="The chosen days were withdrawn and their pre-marks removed.")
class AbsenceNoticeDeleteSuccess:
    notice: AbsenceNotice | None = strawberry.field(description="What is left of the notice; null when nothing is.")
    deleted_days: list[dt.date] = strawberry.field(description="The days withdrawn.")


AbsenceNoticeDeleteResult = Annotated[
    AbsenceNoticeDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AbsenceNoticeDeleteResult",
        description=(
            "What is left, or why nothing changed. ValidationError codes: INVALID_RANGE, NO_DAYS (none chosen), "
            "NOTICE_IN_PAST (a chosen day has passed). NotFoundError: NOTICE_NOT_FOUND."
        ),
    ),
]


NOTICE_SENDERS = HasRole(models.Role.PARENT, refusal=_("Only a parent can send or withdraw an absence notice."))


@strawberry.type
class AbsenceMutations:
    @strawberry.mutation(
        description=(
            "Tell the school your child misses whole days or chosen lessons (parents only: FORBIDDEN for others). "
            "Unmarked lessons it covers are marked ABSENT_EXCUSED; teachers see the notice in the register."
        ),
        permission_classes=[NOTICE_SENDERS],
    )
    async def absence_notice_create(
        self, info: Info, input: Annotated[AbsenceNoticeCreateInput, INPUT]
    ) -> AbsenceNoticeCreateResult:
        notice = await absence.create_notice(
            info.context,
            absence.NoticeInput(
                student_id=input.student_id,
                kind=models.AbsenceNoticeKind(input.kind.name),
                start=input.from_,
                end=input.to,
                lesson_ids=[str(i) for i in input.lesson_ids] if input.lesson_ids is not None else None,
                reason=input.reason,
                file_ids=input.file_ids,
            ),
        )
        return AbsenceNoticeCreateSuccess(notice=AbsenceNotice(model=notice))

    @strawberry.mutation(
        description=(
            "Withdraw days of your child's notice (today or later); their pre-marks are removed. "
            "Parents only: FORBIDDEN for others."
        ),
        permission_classes=[NOTICE_SENDERS],
    )
    async def absence_notice_delete(
        self, info: Info, input: Annotated[AbsenceNoticeDeleteInput, INPUT]
    ) -> AbsenceNoticeDeleteResult:
        deleted = await absence.delete_notice(info.context, input.notice_id, input.from_, input.to)
        return AbsenceNoticeDeleteSuccess(
            notice=AbsenceNotice(model=deleted.notice) if deleted.notice else None, deleted_days=deleted.days
        )
