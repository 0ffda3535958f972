"""The weekly timetable an admin runs: slots that generate the classes' dated lessons (an admin's changes to
single lessons: ``schema.lessons``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import timetable
from resolvers.core import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.gates import ADMINS, IsAdmin
from schema.groups import ClassGroup
from schema.lessons import LessonChanges
from schema.org import SchoolClass, Subject
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type(description="A recurring weekly lesson of a class: it generates the class's dated lessons.")
class TimetableSlot(types.Node):
    model: strawberry.Private[models.TimetableSlot]

    @strawberry.field(description="The class.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return SchoolClass(model=types._must(c, "class"))

    @strawberry.field(description="The subject taught.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=types._must(s, "subject"))

    @strawberry.field(description="The planned teacher.")
    async def teacher(self, info: Info) -> User:
        u = await info.context.loaders.user_by_id.load(self.model.teacher_id)
        return User(model=types._must(u, "teacher"))

    @strawberry.field(description="Day of the week, 1 = Monday ... 5 = Friday.")
    def weekday(self) -> int:
        return int(self.model.weekday)

    @strawberry.field(description="Period number in the bell schedule.")
    def period(self) -> int:
        return int(self.model.period)

    @strawberry.field(description="Room, if set.")
    def room(self) -> str | None:
        return self.model.room

    @strawberry.field(description="First day the slot gives lessons.")
    def valid_from(self) -> dt.date:
        return self.model.valid_from

    @strawberry.field(description="Last day the slot gives lessons; null: to the end of the academic year.")
    def valid_to(self) -> dt.date | None:
        return self.model.valid_to

    @strawberry.field(
        description="The class group whose slot this is (its lessons are the group's); null for a whole-class slot, "
        "or when the viewer does not see the group."
    )
    async def group(self, info: Info) -> ClassGroup | None:
        if self.model.group_id is None:
            return None
        g = await info.context.loaders.visible_group_by_id.load(self.model.group_id)
        return ClassGroup(model=g) if g else None


@strawberry.input(description="A new weekly timetable slot.")
class TimetableSlotCreateInput:
    school_class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` of a school you run.")
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of the class's school.")
    teacher_id: strawberry.ID = strawberry.field(
        description="A `User` who teaches this subject in this class (a teaching assignment)."
    )
    weekday: int = strawberry.field(description="1 = Monday ... 5 = Friday.")
    period: int = strawberry.field(description="A period of the school's REGULAR bell schedule.")
    room: str | None = strawberry.field(default=None, description="Room, at most 50 characters.")
    valid_from: dt.date | None = strawberry.field(
        default=None, description="First day (default: today, or the year's start if later); within the class's year."
    )
    valid_to: dt.date | None = strawberry.field(
        default=None, description="Last day (default: the end of the class's academic year)."
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A `ClassGroup` drawing from the class: the slot's lessons are that group's (`Lesson.audience` "
        "GROUP), filed under the group's home class, and the teacher must teach the subject to the whole class or "
        "to that group. Two groups of one class may meet at the same hour. Omitted: a whole-class slot.",
    )


@strawberry.input(description="A change of a timetable slot; omitted fields stay as they are.")
class TimetableSlotUpdateInput:
    slot_id: strawberry.ID = strawberry.field(description="A `TimetableSlot` of a school you run.")
    teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="Another teacher assigned to the class + subject."
    )
    weekday: int | None = strawberry.field(default=None, description="1 = Monday ... 5 = Friday.")
    period: int | None = strawberry.field(default=None, description="A period of the REGULAR bell schedule.")
    room: str | None = strawberry.field(default=None, description='Room; "" clears it.')
    valid_to: dt.date | None = strawberry.field(
        default=None, description="New last day (from yesterday on, within the academic year)."
    )


@strawberry.input(description="A timetable slot to end.")
class TimetableSlotDeleteInput:
    slot_id: strawberry.ID = strawberry.field(description="A `TimetableSlot` of a school you run.")


@strawberry.type(description="The slot was saved and its lessons generated or moved.")
class TimetableSlotSuccess:
    slot: TimetableSlot = strawberry.field(description="The slot as it is now.")
    lessons: LessonChanges = strawberry.field(description="What happened to its lessons from today on.")


@strawberry.type(description="The slot was ended; its future lessons are gone unless they hold records.")
class TimetableSlotDeleteSuccess:
    slot: TimetableSlot | None = strawberry.field(
        description="The slot, now ending yesterday, when it had already started; null when it was deleted outright."
    )
    lessons: LessonChanges = strawberry.field(description="Removed lessons, and those kept (`kept`).")


_SLOT_CODES = (
    "ValidationError codes: NOT_A_TEACHER, TEACHER_NOT_ASSIGNED (no teaching assignment for the class + subject), "
    "WEEKDAY_OUT_OF_RANGE, PERIOD_NOT_IN_BELL_SCHEDULE, ROOM_TOO_LONG, OUTSIDE_ACADEMIC_YEAR, INVALID_RANGE, "
    "CLASS_BUSY (the class has another slot then), TEACHER_BUSY (the teacher has another slot then), ROOM_TAKEN "
    "(another class uses the room then)."
)

TimetableSlotCreateResult = Annotated[
    TimetableSlotSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TimetableSlotCreateResult",
        description="The new slot, or why it was refused (nothing written). "
        + _SLOT_CODES
        + " NotFoundError CLASS_NOT_FOUND, SUBJECT_NOT_FOUND, TEACHER_NOT_FOUND.",
    ),
]
TimetableSlotUpdateResult = Annotated[
    TimetableSlotSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TimetableSlotUpdateResult",
        description="The changed slot, or why it was refused (nothing written). "
        + _SLOT_CODES
        + " NotFoundError SLOT_NOT_FOUND, TEACHER_NOT_FOUND.",
    ),
]
TimetableSlotDeleteResult = Annotated[
    TimetableSlotDeleteSuccess | NotFoundError,
    strawberry.union(
        "TimetableSlotDeleteResult", description="The ended slot, or NotFoundError SLOT_NOT_FOUND (nothing written)."
    ),
]


TIMETABLE_KEEPERS = IsAdmin(_("Only school and district admins can change the timetable."))


@strawberry.type
class TimetableMutations:
    @strawberry.mutation(
        description="Add a weekly slot: its lessons are generated from today to the end of the academic year,"
        " skipping weekends, holidays and vacations." + ADMINS,
        permission_classes=[TIMETABLE_KEEPERS],
    )
    async def timetable_slot_create(
        self, info: Info, input: Annotated[TimetableSlotCreateInput, INPUT]
    ) -> TimetableSlotCreateResult:
        change = await timetable.create_slot(
            info.context,
            timetable.SlotCreateInput(
                school_class_id=input.school_class_id,
                subject_id=input.subject_id,
                teacher_id=input.teacher_id,
                weekday=input.weekday,
                period=input.period,
                room=input.room,
                valid_from=input.valid_from,
                valid_to=input.valid_to,
                group_id=input.group_id,
            ),
        )
        return TimetableSlotSuccess(slot=TimetableSlot(model=change.slot), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="Change a slot's teacher, weekday, period, room or end: its lessons from today on follow"
        " (moved, or removed unless they hold records); past lessons are history and stay." + ADMINS,
        permission_classes=[TIMETABLE_KEEPERS],
    )
    async def timetable_slot_update(
        self, info: Info, input: Annotated[TimetableSlotUpdateInput, INPUT]
    ) -> TimetableSlotUpdateResult:
        change = await timetable.update_slot(
            info.context,
            timetable.SlotUpdateInput(
                slot_id=input.slot_id,
                teacher_id=input.teacher_id,
                weekday=input.weekday,
                period=input.period,
                room=input.room,
                valid_to=input.valid_to,
            ),
        )
        return TimetableSlotSuccess(slot=TimetableSlot(model=change.slot), lessons=LessonChanges(report=change.report))

    @strawberry.mutation(
        description="End a slot: its lessons from today on are removed, except those holding grades, attendance,"
        " homework or a topic (kept and listed)." + ADMINS,
        permission_classes=[TIMETABLE_KEEPERS],
    )
    async def timetable_slot_delete(
        self, info: Info, input: Annotated[TimetableSlotDeleteInput, INPUT]
    ) -> TimetableSlotDeleteResult:
        change = await timetable.delete_slot(info.context, input.slot_id)
        slot = TimetableSlot(model=change.slot) if change.slot is not None else None
        return TimetableSlotDeleteSuccess(slot=slot, lessons=LessonChanges(report=change.report))
