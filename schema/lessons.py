"""One dated lesson of a class as its readers see it, what a timetable or calendar change did to the
lessons, and an admin's changes to single lessons: cancel, restore, give to a substitute
(``resolvers.lessons``; the timetable that makes lessons: ``schema.timetable``; homework:
``schema.homework``; the register: ``schema.attendance``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import lesson_plan, lessons
from resolvers.core import _
from schema.enums import LessonStatus
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import ADMINS, IsAdmin
from schema.groups import ClassGroup, LessonAudience
from schema.org import SchoolClass, Subject
from schema.types import Info, Node, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.assessments import PlannedAssessment
    from schema.attendance import RegisterRow
    from schema.homework import Homework


@strawberry.type(
    description="One dated lesson of a class, or of one of its class groups: `audience` tells which (CLASS: "
    "every child of the class; GROUP: only the members of `group` on the lesson's date)."
)
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

    @strawberry.field(description="The class taught; for a group's lesson, the group's home class.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return await shown(info, SchoolClass(model=_must(c, "class")))

    @strawberry.field(
        description="CLASS for a lesson of the whole class, GROUP for a lesson of one of its groups (read the "
        "group from `group`). Always answered, whoever the viewer."
    )
    def audience(self) -> LessonAudience:
        return LessonAudience.GROUP if self.model.group_id is not None else LessonAudience.CLASS

    @strawberry.field(
        description="The class group the lesson is for; null for a whole-class lesson (`audience` CLASS), or "
        "when the viewer does not see the group (a substitute who does not teach its classes)."
    )
    async def group(self, info: Info) -> ClassGroup | None:
        if self.model.group_id is None:
            return None
        g = await info.context.loaders.visible_group_by_id.load(self.model.group_id)
        return ClassGroup(model=g) if g else None

    @strawberry.field(description="The lesson's topic, once the teacher wrote it.")
    def topic(self) -> str | None:
        return self.model.topic

    @strawberry.field(
        description="The teacher's note on the plan of the lesson (`lessonTopicSet`). For the lesson's teachers, "
        "the class's homeroom teacher and the school's admins (who read its register); null for everyone else."
    )
    async def plan_note(self, info: Info) -> str | None:
        if self.model.plan_note is None:
            return None
        if not await info.context.loaders.register_readable_by_lesson.load(self.model.id):
            return None
        return self.model.plan_note

    @strawberry.field(
        description="The assessment a teacher announced for the lesson (a control work, a test...), if any; null "
        "while the lesson is cancelled."
    )
    async def assessment(
        self, info: Info
    ) -> Annotated[PlannedAssessment, strawberry.lazy("schema.assessments")] | None:
        # Here, not at the top: schema.assessments imports this module, a cycle.
        from schema.assessments import PlannedAssessment

        if self.model.status != models.LessonStatus.SCHEDULED:
            return None
        row = await info.context.loaders.assessment_by_lesson.load(self.model.id)
        return PlannedAssessment(model=row) if row is not None else None

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
        # Here, not at the top: schema.homework imports this module, a cycle.
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
        # Here, not at the top: schema.attendance imports this module, a cycle.
        from schema.attendance import RegisterRow

        loaders = info.context.loaders
        if not await loaders.register_readable_by_lesson.load(self.model.id):
            return None
        return [RegisterRow(data=r) for r in await loaders.register_by_lesson.load(self.model.id)]


@strawberry.type(description="What a timetable or calendar change did to the generated lessons.")
class LessonChanges:
    report: strawberry.Private[lesson_plan.SyncReport]

    @strawberry.field(description="Lessons generated.")
    def created(self) -> int:
        return self.report.created

    @strawberry.field(description="Lessons moved or changed (teacher, room, period, bell times).")
    def updated(self) -> int:
        return self.report.updated

    @strawberry.field(description="Lessons removed (they held no grades, attendance, homework or topic).")
    def removed(self) -> int:
        return self.report.removed

    @strawberry.field(description="Lessons cancelled because they fall on a holiday or vacation.")
    def cancelled(self) -> int:
        return self.report.cancelled

    @strawberry.field(description="Lessons a removed or moved day off had cancelled, scheduled again.")
    def restored(self) -> int:
        return self.report.restored

    @strawberry.field(
        description="Lessons that would have been removed or cancelled but hold grades, attendance, homework, a"
        " topic or remarks: kept as they are, for the school to deal with."
    )
    def kept(self) -> list[Lesson]:
        return [Lesson(model=x) for x in self.report.kept]


@strawberry.input(description="A lesson that will not take place.")
class LessonCancelInput:
    lesson_id: strawberry.ID = strawberry.field(description="A `Lesson` of a school you run.")
    reason: str = strawberry.field(description="Why, 1-500 characters; shown to the family.")


@strawberry.input(description="A cancelled lesson that takes place after all.")
class LessonRestoreInput:
    lesson_id: strawberry.ID = strawberry.field(description="A cancelled `Lesson` of a school you run.")


@strawberry.input(description="Another teacher gives a lesson.")
class LessonSubstituteInput:
    lesson_id: strawberry.ID = strawberry.field(description="A `Lesson` of a school you run.")
    teacher_id: strawberry.ID = strawberry.field(
        description="A `User` teaching at the school; the planned teacher ends the substitution."
    )
    reason: str = strawberry.field(description="Why, 1-500 characters (may be empty when ending a substitution).")


@strawberry.type(description="The lesson as it is now.")
class LessonChangeSuccess:
    lesson: Lesson = strawberry.field(description="The changed lesson.")


LessonCancelResult = Annotated[
    LessonChangeSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "LessonCancelResult",
        description="The cancelled lesson, or why not (nothing written). ValidationError codes: REASON_REQUIRED, "
        "REASON_TOO_LONG, LESSON_ALREADY_CANCELLED, LESSON_HAS_RECORDS (it has grades or attendance: it took "
        "place); NotFoundError LESSON_NOT_FOUND.",
    ),
]
LessonRestoreResult = Annotated[
    LessonChangeSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "LessonRestoreResult",
        description="The scheduled lesson, or why not (nothing written). ValidationError codes: LESSON_NOT_CANCELLED, "
        "CANCELLED_BY_DAY_OFF (change the day off instead); NotFoundError LESSON_NOT_FOUND.",
    ),
]
LessonSubstituteResult = Annotated[
    LessonChangeSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "LessonSubstituteResult",
        description="The lesson with its substitute, or why not (nothing written). ValidationError codes: "
        "NOT_A_TEACHER, REASON_REQUIRED, REASON_TOO_LONG, LESSON_CANCELLED, TEACHER_BUSY (they give another lesson "
        "then); NotFoundError LESSON_NOT_FOUND, TEACHER_NOT_FOUND.",
    ),
]


LESSON_KEEPERS = IsAdmin(_("Only school and district admins can cancel lessons or arrange substitutes."))
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type
class LessonMutations:
    @strawberry.mutation(
        description="Cancel a lesson: the family sees it as CANCELLED with the reason." + ADMINS,
        permission_classes=[LESSON_KEEPERS],
    )
    async def lesson_cancel(self, info: Info, input: Annotated[LessonCancelInput, INPUT]) -> LessonCancelResult:
        row = await lessons.cancel_lesson(info.context, lessons.CancelInput(input.lesson_id, input.reason))
        return LessonChangeSuccess(lesson=Lesson(model=row))

    @strawberry.mutation(
        description="Schedule a lesson cancelled by hand again." + ADMINS, permission_classes=[LESSON_KEEPERS]
    )
    async def lesson_restore(self, info: Info, input: Annotated[LessonRestoreInput, INPUT]) -> LessonRestoreResult:
        row = await lessons.restore_lesson(info.context, input.lesson_id)
        return LessonChangeSuccess(lesson=Lesson(model=row))

    @strawberry.mutation(
        description="Give a lesson to a substitute, who then sees, marks and grades it; the planned teacher is"
        " kept (`Lesson.substitutedTeacher`)." + ADMINS,
        permission_classes=[LESSON_KEEPERS],
    )
    async def lesson_substitute(
        self, info: Info, input: Annotated[LessonSubstituteInput, INPUT]
    ) -> LessonSubstituteResult:
        row = await lessons.substitute_lesson(
            info.context, lessons.SubstituteInput(input.lesson_id, input.teacher_id, input.reason)
        )
        return LessonChangeSuccess(lesson=Lesson(model=row))
