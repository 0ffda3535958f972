"""Homework: assign, change, remove (teachers of the class + subject)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import homework, policy
from resolvers.core import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.files import ATTACHMENTS, FILE_CODES, File
from schema.gates import HasRole
from schema.lessons import Lesson
from schema.types import Node, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.submissions import HandIn, Submission

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")

LINKS = "Up to 10 absolute http(s) addresses of materials, each at most 500 characters."
CODES = (
    "Codes: NOT_ASSIGNED (you do not teach that subject in that class), TEXT_EMPTY, "
    "INVALID_CHARACTERS, TEXT_TOO_LONG (over 5000), "
    "TOO_MANY_LINKS, INVALID_LINK, LINK_TOO_LONG, "
    + FILE_CODES
    + ", LESSON_CANCELLED, ASSIGNED_IN_MISMATCH (set in a lesson of "
    "another class or subject), ASSIGNED_IN_AFTER_DUE (set in a lesson not before the due one)"
)


@strawberry.type(description="Homework, shown on the lesson it is due for.")
class Homework(Node):
    model: strawberry.Private[models.Homework]

    @strawberry.field(description="What to do.")
    def text(self) -> str:
        return self.model.text

    @strawberry.field(description="Links to materials.")
    def links(self) -> list[str]:
        return list(self.model.links or [])

    @strawberry.field(
        description="Files the teacher attached (worksheets, pictures), in the order given; empty when none."
    )
    async def attachments(self, info: Info) -> list[File]:
        rows = await info.context.loaders.grouped(models.StoredFile, "homework_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]

    @strawberry.field(description="The lesson it is due for.")
    async def lesson(self, info: Info) -> Lesson:
        return Lesson(model=_must(await info.context.loaders.lesson_by_id.load(self.model.lesson_id), "lesson"))

    @strawberry.field(description="The lesson where it was set, if the teacher said and you see that lesson.")
    async def assigned_in(self, info: Info) -> Lesson | None:
        if self.model.assigned_in_id is None:
            return None
        lesson = await info.context.loaders.one(policy.visible_lessons).load(self.model.assigned_in_id)
        return Lesson(model=lesson) if lesson else None

    @strawberry.field(description="The teacher who set it.")
    async def assigned_by(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.assigned_by_id)
        return User(model=_must(user, "author"))

    @strawberry.field(
        description="The work handed in for it that you see: a student their own, a parent their children's, a "
        'teacher who sets homework for its lesson every student\'s (README "Hand-in"); by hand-in order.'
    )
    async def submissions(self, info: Info) -> list[Annotated[Submission, strawberry.lazy("schema.submissions")]]:
        # Here, not at the top: schema.submissions imports this module, a cycle.
        from schema.submissions import Submission

        rows = await info.context.loaders.grouped(policy.visible_submissions, "homework_id", "id").load(self.model.id)
        return [Submission(model=row) for row in rows]

    @strawberry.field(
        description="For you (a student) or your child: where the hand-in stands, with the owed-work marker (nothing "
        "handed in after the due time). Null for a student who is not yours or whom the homework is not for."
    )
    async def hand_in(
        self,
        info: Info,
        student_id: Annotated[strawberry.ID, strawberry.argument(description="Your `Student` record or a child's.")],
    ) -> Annotated[HandIn, strawberry.lazy("schema.submissions")] | None:
        # Here, not at the top: schema.submissions imports this module, a cycle.
        from schema.submissions import hand_in

        return await hand_in(info, self.model, student_id)

    @strawberry.field(description="When it was assigned.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed (equals `createdAt` until then).")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(
        description="True once the teacher removed it. Removed homework is reached only through diary events "
        "(a HOMEWORK_REMOVED event says which one to drop) and `homeworkDelete`; the diary, `Lesson.homework` "
        "and `node` no longer show it."
    )
    def removed(self) -> bool:
        return self.model.deleted_at is not None

    @strawberry.field(description="When it was removed; null while it stands.")
    def removed_at(self) -> dt.datetime | None:
        return self.model.deleted_at


@strawberry.input(description="Homework due for a lesson.")
class HomeworkAssignInput:
    lesson_id: strawberry.ID = strawberry.field(
        description="The `Lesson` it is due for: of a class + subject you teach (or give), not cancelled."
    )
    assigned_in_lesson_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `Lesson` where you set it: same class and subject, before the due lesson."
    )
    text: str = strawberry.field(description="What to do, 1-5000 characters.")
    links: list[str] | None = strawberry.field(default=None, description=LINKS)
    file_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=ATTACHMENTS)


@strawberry.type(description="The homework was set and the class's families notified.")
class HomeworkAssignSuccess:
    homework: Homework = strawberry.field(description="The new homework.")


HomeworkAssignResult = Annotated[
    HomeworkAssignSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "HomeworkAssignResult",
        description=f"The new homework, or why it was refused (nothing written). {CODES}; "
        "NotFoundError LESSON_NOT_FOUND.",
    ),
]


@strawberry.input(description="A change to homework. Give at least one of `text`, `links`, `fileIds`, `lessonId`.")
class HomeworkUpdateInput:
    homework_id: strawberry.ID = strawberry.field(description="The `Homework`.")
    text: str | None = strawberry.field(default=None, description="New text, 1-5000 characters.")
    links: list[str] | None = strawberry.field(default=None, description=f"The new links (replacing all). {LINKS}")
    lesson_id: strawberry.ID | None = strawberry.field(
        default=None, description="Move it to another `Lesson` of the same class and subject."
    )
    file_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Its files from now on (replacing all): ids of its current `attachments` to keep and of new "
        f"uploads to attach; a current one left out is removed. {ATTACHMENTS}",
    )


@strawberry.type(description="The homework was changed and the class's families notified.")
class HomeworkUpdateSuccess:
    homework: Homework = strawberry.field(description="The homework as it is now.")


HomeworkUpdateResult = Annotated[
    HomeworkUpdateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "HomeworkUpdateResult",
        description=f"The changed homework, or why it was refused (nothing written). {CODES}, NOTHING_TO_CHANGE, "
        "LESSON_MISMATCH (another class or subject); NotFoundError HOMEWORK_NOT_FOUND, LESSON_NOT_FOUND.",
    ),
]


@strawberry.input(description="Homework to remove.")
class HomeworkDeleteInput:
    homework_id: strawberry.ID = strawberry.field(description="The `Homework`.")


@strawberry.type(description="The homework was removed from the diary and the class's families notified.")
class HomeworkDeleteSuccess:
    homework: Homework = strawberry.field(description="The removed homework (`removed` is true).")


HomeworkDeleteResult = Annotated[
    HomeworkDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "HomeworkDeleteResult",
        description="The removed homework, or why it was refused (nothing written): ValidationError NOT_ASSIGNED "
        "(neither its author nor a teacher of its class + subject); NotFoundError HOMEWORK_NOT_FOUND "
        "(also when already removed).",
    ),
]


HOMEWORK_SETTERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers can set homework."))


@strawberry.type
class HomeworkMutations:
    @strawberry.mutation(
        description="Set homework due for a lesson (teachers of the class + subject, or the lesson's own "
        "teacher); every student of the class gets a HOMEWORK_ASSIGNED event. FORBIDDEN for non-teachers.",
        permission_classes=[HOMEWORK_SETTERS],
    )
    async def homework_assign(self, info: Info, input: Annotated[HomeworkAssignInput, INPUT]) -> HomeworkAssignResult:
        row = await homework.assign_homework(
            info.context,
            homework.AssignInput(
                lesson_id=input.lesson_id,
                assigned_in_lesson_id=input.assigned_in_lesson_id,
                text=input.text,
                links=input.links,
                file_ids=input.file_ids,
            ),
        )
        return HomeworkAssignSuccess(homework=Homework(model=row))

    @strawberry.mutation(
        description="Change homework (its author or a teacher of the class + subject); every student of the "
        "class gets a HOMEWORK_CHANGED event. FORBIDDEN for non-teachers.",
        permission_classes=[HOMEWORK_SETTERS],
    )
    async def homework_update(self, info: Info, input: Annotated[HomeworkUpdateInput, INPUT]) -> HomeworkUpdateResult:
        row = await homework.update_homework(
            info.context,
            homework.UpdateInput(
                homework_id=input.homework_id,
                text=input.text,
                links=input.links,
                lesson_id=input.lesson_id,
                file_ids=input.file_ids,
            ),
        )
        return HomeworkUpdateSuccess(homework=Homework(model=row))

    @strawberry.mutation(
        description="Remove homework (its author or a teacher of the class + subject): it disappears from the "
        "diary and every student of the class gets a HOMEWORK_REMOVED event. FORBIDDEN for non-teachers.",
        permission_classes=[HOMEWORK_SETTERS],
    )
    async def homework_delete(self, info: Info, input: Annotated[HomeworkDeleteInput, INPUT]) -> HomeworkDeleteResult:
        row = await homework.delete_homework(info.context, input.homework_id)
        return HomeworkDeleteSuccess(homework=Homework(model=row))
