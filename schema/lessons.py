"""One dated lesson of a class as its readers see it (the timetable that makes lessons and an
admin's changes to single lessons: ``schema.timetable``; homework: ``schema.homework``; the
register: ``schema.attendance``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from schema.enums import LessonStatus
from schema.faces import shown
from schema.schools import SchoolClass, Subject
from schema.types import Info, Node, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.attendance import RegisterRow
    from schema.homework import Homework


@strawberry.type(description="One dated lesson of a class.")
class Lesson(Node):
    model: strawberry.Private[models.Lesson]

    @strawberry.field(description="The day of the lesson.")
    def date(self) -> dt.date:
        return self.model.date

    @strawberry.field(description="Period number in the bell schedule.")
    def period(self) -> int:
        return int(self.model.period)

    @strawberry.field(description="Start instant (the school's bell time, with offset).")
    def starts_at(self) -> dt.datetime:
        return self.model.starts_at

    @strawberry.field(description="End instant (the school's bell time, with offset).")
    def ends_at(self) -> dt.datetime:
        return self.model.ends_at

    @strawberry.field(description="Subject taught.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=_must(s, "subject"))

    @strawberry.field(description="The teacher giving the lesson (the substitute, if any).")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(description="The planned teacher when a substitute gives the lesson, else null.")
    async def substituted_teacher(self, info: Info) -> User | None:
        if self.model.original_teacher_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.original_teacher_id)
        return User(model=user) if user else None

    @strawberry.field(description="The class taught.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return await shown(info, SchoolClass(model=_must(c, "class")))

    @strawberry.field(description="The lesson's topic, once the teacher wrote it.")
    def topic(self) -> str | None:
        return self.model.topic

    @strawberry.field(description="Room, if known.")
    def room(self) -> str | None:
        return self.model.room

    @strawberry.field(description="Whether the lesson takes place.")
    def status(self) -> LessonStatus:
        return LessonStatus(self.model.status)

    @strawberry.field(
        description="Why it was cancelled: the school's reason, or the holiday's or vacation's name; null while"
        " it takes place."
    )
    async def cancel_reason(self, info: Info) -> str | None:
        if self.model.status != models.LessonStatus.CANCELLED:
            return None
        if self.model.day_off_id is not None:
            off = await info.context.loaders.day_off_by_id.load(self.model.day_off_id)
            return off.name if off else None
        return self.model.cancel_reason

    @strawberry.field(description="Why a substitute gives the lesson; null without a substitution.")
    def substitution_reason(self) -> str | None:
        return self.model.substitution_reason if self.model.original_teacher_id is not None else None

    @strawberry.field(description="Homework due for this lesson.")
    async def homework(self, info: Info) -> list[Annotated[Homework, strawberry.lazy("schema.homework")]]:
        from schema.homework import Homework

        return [Homework(model=h) for h in await info.context.loaders.homework_by_lesson.load(self.model.id)]

    @strawberry.field(
        description=(
            "The register: every student enrolled on the lesson's date, by name, with the mark, the absence "
            "notice and the mark's history. For the lesson's teachers, the class's homeroom teacher and the "
            "school's admins; null for everyone else (families see their child's marks in the diary)."
        )
    )
    async def register(self, info: Info) -> list[Annotated[RegisterRow, strawberry.lazy("schema.attendance")]] | None:
        from schema.attendance import RegisterRow

        loaders = info.context.loaders
        if not await loaders.register_readable_by_lesson.load(self.model.id):
            return None
        return [RegisterRow(data=r) for r in await loaders.register_by_lesson.load(self.model.id)]
