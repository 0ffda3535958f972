"""Class groups (issue 21): `ClassGroup`, its dated `GroupMembership`, how a client tells a
group's lesson from a class's (`LessonAudience`), and the admins' group mutations."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import groups
from resolvers.core import _
from schema.enums import describe
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown, shown_all
from schema.gates import ADMINS, IsAdmin
from schema.org import SchoolClass
from schema.types import Info, Node, _must

if TYPE_CHECKING:
    from schema.students import Student

INPUT = strawberry.argument(description="The mutation's input.")

describe(
    models.GroupKind,
    name="GroupKind",
    description="What a class group is drawn from.",
    values={
        models.GroupKind.SPLIT: "Part of one class's students (an English group, a computing half).",
        models.GroupKind.CROSS_CLASS: "Students of several parallel classes (an elective or profile group).",
    },
)


@strawberry.enum(description="Who a lesson is for: the whole class, or one of its groups' members.")
class LessonAudience(Enum):
    CLASS = strawberry.enum_value("CLASS", description="The whole class: every child enrolled on the lesson's day.")
    GROUP = strawberry.enum_value(
        "GROUP",
        description="A class group: only its members on the lesson's day (`Lesson.group`). The lesson's "
        "`schoolClass` is then the group's home class.",
    )


@strawberry.type(
    description="A class group of one academic year: a split of one class (languages, computing, labour) or "
    "a group of parallel classes' students. Seen by whoever sees one of its classes; its members by "
    "whoever sees those students."
)
class ClassGroup(Node):
    model: strawberry.Private[models.ClassGroup]

    @strawberry.field(description='The group\'s name, unique in its academic year, e.g. "5A English 1".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="A split of one class, or a group of several parallel classes.")
    def kind(self) -> models.GroupKind:
        return self.model.kind

    @strawberry.field(
        description="The class the group's lessons and timetable are filed under (`Lesson.schoolClass`): the "
        "split class, or the first class of a cross-class group."
    )
    async def home_class(self, info: Info) -> SchoolClass:
        # from the same batch as ``classes`` (the home class is one of them): one face check for both
        rows = await info.context.loaders.classes_by_group.load(self.model.id)
        home = next((c for c in rows if c.id == self.model.home_class_id), None)
        return await shown(info, SchoolClass(model=_must(home, "class")))

    @strawberry.field(description="The classes the group draws its students from, by grade level and letter.")
    async def classes(self, info: Info) -> list[SchoolClass]:
        rows = await info.context.loaders.classes_by_group.load(self.model.id)
        return await shown_all(info, [SchoolClass(model=c) for c in rows])

    @strawberry.field(description="The group's last day; null while it runs.")
    def ended_on(self) -> dt.date | None:
        return self.model.ended_on

    @strawberry.field(
        description="Every membership of the group, past ones included, by the student's name then start. Only "
        "those of the students the viewer sees: a family sees its own child's."
    )
    async def members(self, info: Info) -> list[GroupMembership]:
        rows = await info.context.loaders.members_by_group.load(self.model.id)
        return [GroupMembership(model=r) for r in rows]


@strawberry.type(description="A student's membership of a class group over a span of days.")
class GroupMembership(Node):
    model: strawberry.Private[models.GroupMembership]

    @strawberry.field(description="The student.")
    async def student(self, info: Info) -> Annotated[Student, strawberry.lazy("schema.students")]:
        # Here, not at the top: schema.students imports this module (through assessments, lessons), a cycle.
        from schema.students import Student

        s = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=_must(s, "student"))

    @strawberry.field(description="The group.")
    async def group(self, info: Info) -> ClassGroup:
        g = await info.context.loaders.visible_group_by_id.load(self.model.group_id)
        return ClassGroup(model=_must(g, "group"))

    @strawberry.field(description="First day in the group, inclusive.")
    def start_date(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="Last day in the group, inclusive; null while the student is still in it.")
    def end_date(self) -> dt.date | None:
        return self.model.end_date


@strawberry.input(description="A new class group.")
class ClassGroupCreateInput:
    class_ids: list[strawberry.ID] = strawberry.field(
        description="One `SchoolClass` (a split) or several parallel classes (a cross-class group) of a school you "
        "run; the first is the group's home class. At most 20."
    )
    name: str = strawberry.field(description='The group\'s name, 1-100 characters, unique in the year: "5A English 1".')


@strawberry.input(description="A group renamed.")
class ClassGroupUpdateInput:
    group_id: strawberry.ID = strawberry.field(description="A `ClassGroup` of a school you run.")
    name: str = strawberry.field(description="The new name, 1-100 characters, unique in the year.")


@strawberry.input(description="A group ends.")
class ClassGroupEndInput:
    group_id: strawberry.ID = strawberry.field(description="A `ClassGroup` of a school you run.")
    last_day: dt.date = strawberry.field(
        description="The group's last day: memberships still open then end on it; those starting later are dropped."
    )


@strawberry.input(description="Students move between groups from a day on (join one, leave one, or both).")
class ClassGroupMembersMoveInput:
    student_ids: list[strawberry.ID] = strawberry.field(description="`Student`s of a school you run; at most 200.")
    date: dt.date = strawberry.field(description="First day in the new group; the old membership ends the day before.")
    to_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `ClassGroup` they join (each must be enrolled in one of its classes that day)."
    )
    from_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `ClassGroup` they leave (each must be in it the day before)."
    )


@strawberry.type(description="The group as it is now.")
class ClassGroupSuccess:
    group: ClassGroup = strawberry.field(description="The group, with its classes and members.")


@strawberry.type(description="The students moved.")
class ClassGroupMembersMoveSuccess:
    to_group: ClassGroup | None = strawberry.field(description="The group they joined, if any.")
    from_group: ClassGroup | None = strawberry.field(description="The group they left, if any.")


ClassGroupCreateResult = Annotated[
    ClassGroupSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassGroupCreateResult",
        description="The new group, or why not (nothing written). ValidationError codes: CLASSES_EMPTY, "
        "GROUP_CLASSES_MIXED, NAME_EMPTY, INVALID_CHARACTERS, NAME_TOO_LONG, NAME_TAKEN; NotFoundError "
        "CLASS_NOT_FOUND.",
    ),
]
ClassGroupUpdateResult = Annotated[
    ClassGroupSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassGroupUpdateResult",
        description="The renamed group, or why not (nothing written). ValidationError codes: NAME_EMPTY, "
        "INVALID_CHARACTERS, NAME_TOO_LONG, NAME_TAKEN; NotFoundError GROUP_NOT_FOUND.",
    ),
]
ClassGroupEndResult = Annotated[
    ClassGroupSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassGroupEndResult",
        description="The ended group, or why not (nothing written). ValidationError GROUP_ENDED; NotFoundError "
        "GROUP_NOT_FOUND.",
    ),
]
ClassGroupMembersMoveResult = Annotated[
    ClassGroupMembersMoveSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassGroupMembersMoveResult",
        description="The groups after the move, or why not (nothing written). ValidationError codes: GROUPS_SAME, "
        "GROUP_ENDED, NOT_IN_GROUP, NOT_IN_GROUP_CLASSES, ALREADY_IN_GROUP (each student's problem at "
        "`studentIds[i]`), GROUP_NOT_FOUND when neither group is named; NotFoundError GROUP_NOT_FOUND, "
        "STUDENT_NOT_FOUND.",
    ),
]

GROUP_KEEPERS = IsAdmin(_("Only school admins manage class groups."))


@strawberry.type
class ClassGroupMutations:
    @strawberry.mutation(
        description=f"Create a class group: a split of one class or a group of parallel classes.{ADMINS}",
        permission_classes=[GROUP_KEEPERS],
    )
    async def class_group_create(
        self, info: Info, input: Annotated[ClassGroupCreateInput, INPUT]
    ) -> ClassGroupCreateResult:
        row = await groups.create_group(info.context, list(input.class_ids), input.name)
        return ClassGroupSuccess(group=ClassGroup(model=row))

    @strawberry.mutation(description=f"Rename a class group.{ADMINS}", permission_classes=[GROUP_KEEPERS])
    async def class_group_update(
        self, info: Info, input: Annotated[ClassGroupUpdateInput, INPUT]
    ) -> ClassGroupUpdateResult:
        row = await groups.update_group(info.context, input.group_id, input.name)
        return ClassGroupSuccess(group=ClassGroup(model=row))

    @strawberry.mutation(
        description=f"End a class group on its last day; its members' history stays.{ADMINS}",
        permission_classes=[GROUP_KEEPERS],
    )
    async def class_group_end(self, info: Info, input: Annotated[ClassGroupEndInput, INPUT]) -> ClassGroupEndResult:
        row = await groups.end_group(info.context, input.group_id, input.last_day)
        return ClassGroupSuccess(group=ClassGroup(model=row))

    @strawberry.mutation(
        description="Move students between class groups from `date`: their membership of `fromGroupId` ends the "
        f"day before, that of `toGroupId` starts on `date`.{ADMINS}",
        permission_classes=[GROUP_KEEPERS],
    )
    async def class_group_members_move(
        self, info: Info, input: Annotated[ClassGroupMembersMoveInput, INPUT]
    ) -> ClassGroupMembersMoveResult:
        to, source = await groups.move_members(
            info.context, list(input.student_ids), input.to_group_id, input.from_group_id, input.date
        )
        return ClassGroupMembersMoveSuccess(
            to_group=ClassGroup(model=to) if to else None, from_group=ClassGroup(model=source) if source else None
        )
