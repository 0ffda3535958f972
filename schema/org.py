"""A school's subjects and classes: the `Subject` and `SchoolClass` types and the school admins'
mutations that run them (``resolvers.org``; schools themselves: ``schema.schools``). A class's
students, lessons and journal are those domains' types, annotated lazily: they build on this one."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from resolvers import diary as diary_resolvers
from resolvers import journal as journal_resolvers
from resolvers import org
from resolvers.core import _, pk_of
from resolvers.loaders import RangeKey
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAdmin
from schema.types import FromArg, Node, ToArg, _must
from schema.users import User

if TYPE_CHECKING:
    from schema.groups import ClassGroup
    from schema.journal import ClassJournal
    from schema.lessons import Lesson
    from schema.schools import School
    from schema.students import Student
    from schema.submissions import Submission

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.type(description="A school subject, e.g. Mathematics.")
class Subject(Node):
    model: strawberry.Private[models.Subject]

    @strawberry.field(description="The subject's name.")
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="When the school stopped teaching it (no new teaching assignments); else null.")
    def archived_at(self) -> dt.datetime | None:
        return self.model.archived_at


@strawberry.type(description="A class of one academic year, e.g. 5A.")
class SchoolClass(Node):
    model: strawberry.Private[models.SchoolClass]

    @strawberry.field(description='Grade level and letter, e.g. "5A".')
    def name(self) -> str:
        return self.model.name

    @strawberry.field(description="Grade level, e.g. 5.")
    def grade_level(self) -> int:
        return int(self.model.grade_level)

    @strawberry.field(description='Letter within the grade level, e.g. "A".')
    def letter(self) -> str:
        return self.model.letter

    @strawberry.field(description="The school the class belongs to.")
    async def school(self, info: Info) -> Annotated[School, strawberry.lazy("schema.schools")]:
        # Here, not at the top: schema.schools imports this module, a cycle.
        from schema.schools import School

        s = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=_must(s, "school")))

    @strawberry.field(description="The homeroom (class) teacher, if any.")
    async def homeroom_teacher(self, info: Info) -> User | None:
        if self.model.homeroom_teacher_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.model.homeroom_teacher_id)
        return User(model=user) if user else None

    @strawberry.field(
        description="Students in the class today, by name. Parents and students see only their own family."
    )
    async def students(self, info: Info) -> list[Annotated[Student, strawberry.lazy("schema.students")]]:
        # Here, not at the top: schema.students imports this module, a cycle.
        from schema.students import Student

        rows = await info.context.loaders.visible_students_by_class.load(self.model.id)
        return [Student(model=s) for s in rows]

    @strawberry.field(
        description="The class groups drawing from this class (its splits and the cross-class groups it is in), "
        "ended ones included, by name."
    )
    async def groups(self, info: Info) -> list[Annotated[ClassGroup, strawberry.lazy("schema.groups")]]:
        # Here, not at the top: schema.groups imports this module, a cycle.
        from schema.groups import ClassGroup

        rows = await info.context.loaders.visible_groups_by_class.load(self.model.id)
        return [ClassGroup(model=g) for g in rows]

    @strawberry.field(
        description="The class's lessons over the range that you see, by date and period: a group's lessons "
        "(`Lesson.audience` GROUP) only to its members' families, its teachers and the class's staff."
    )
    async def lessons(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[Lesson, strawberry.lazy("schema.lessons")]]:
        # Here, not at the top: schema.lessons imports this module, a cycle.
        from schema.lessons import Lesson

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.lessons_by_class.load(RangeKey(self.model.id, from_, to))
        return [Lesson(model=x) for x in rows]

    @strawberry.field(
        description="The work handed in for homework due at the class's lessons over the range, that you see (a "
        "teacher: of the subjects and groups they set homework for; a family: their own), by the due lesson."
    )
    async def submissions(
        self, info: Info, from_: FromArg, to: ToArg
    ) -> list[Annotated[Submission, strawberry.lazy("schema.submissions")]]:
        # Here, not at the top: schema.submissions imports this module (through grades), a cycle.
        from schema.submissions import Submission

        diary_resolvers.check_range(from_, to, info.context.settings.max_diary_days)
        rows = await info.context.loaders.submissions_by_class.load(RangeKey(self.model.id, from_, to))
        return [Submission(model=x) for x in rows]

    @strawberry.field(
        description="The journal of one subject over a term (default: the current one): every student at every"
        " lesson. For the teachers of that class + subject and the school's admins; null for everyone else."
    )
    async def journal(
        self,
        info: Info,
        subject_id: Annotated[strawberry.ID, strawberry.argument(description="A `Subject` id.")],
        term_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Term` id.")] = None,
    ) -> Annotated[ClassJournal, strawberry.lazy("schema.journal")] | None:
        # Here, not at the top: schema.journal imports this module, a cycle.
        from schema.journal import ClassJournal, asks_cells

        subject_pk = pk_of(subject_id, "Subject")
        term_pk = pk_of(term_id, "Term") if term_id is not None else None
        if subject_pk is None or (term_id is not None and term_pk is None):
            return None
        loaders = info.context.loaders
        data = await journal_resolvers.load_journal(
            loaders, self.model, subject_pk, term_pk, grade_objects=asks_cells(info)
        )
        return ClassJournal(data=data) if data else None


@strawberry.input(description="A new subject of a school.")
class SubjectCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    name: str = strawberry.field(description="Its name, unique in the school, 1-100 characters.")


@strawberry.input(description="A subject renamed.")
class SubjectUpdateInput:
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of a school you run.")
    name: str = strawberry.field(description="The new name, unique in the school, 1-100 characters.")


@strawberry.input(description="A subject the school no longer teaches.")
class SubjectArchiveInput:
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of a school you run.")


@strawberry.type(description="The subject as it is now.")
class SubjectSuccess:
    subject: Subject = strawberry.field(description="The subject.")


SUBJECT_CODES = "ValidationError codes: NAME_EMPTY, INVALID_CHARACTERS, NAME_TOO_LONG, NAME_TAKEN; NotFoundError "
SubjectCreateResult = Annotated[
    SubjectSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubjectCreateResult",
        description=f"The new subject, or why not (nothing written). {SUBJECT_CODES}SCHOOL_NOT_FOUND.",
    ),
]
SubjectUpdateResult = Annotated[
    SubjectSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "SubjectUpdateResult",
        description=f"The renamed subject, or why not (nothing written). {SUBJECT_CODES}SUBJECT_NOT_FOUND.",
    ),
]
SubjectArchiveResult = Annotated[
    SubjectSuccess | NotFoundError,
    strawberry.union(
        "SubjectArchiveResult",
        description="The archived subject, or NotFoundError SUBJECT_NOT_FOUND (not there, or not of a school you run).",
    ),
]


@strawberry.input(description="A new class of a school's academic year.")
class ClassCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    grade_level: int = strawberry.field(description="Grade level, 0-12.")
    letter: str = strawberry.field(description='Letter within the grade level, 1-8 characters, e.g. "A".')
    academic_year: str = strawberry.field(
        description='The name of one of the school\'s academic years, e.g. "2026/2027".'
    )
    homeroom_teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="A `User` holding the TEACHER role at the school, to lead the class."
    )


@strawberry.input(description="Changes to a class: fields left out stay as they are.")
class ClassUpdateInput:
    class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` of a school you run.")
    grade_level: int | None = strawberry.field(default=None, description="A new grade level, 0-12.")
    letter: str | None = strawberry.field(default=None, description="A new letter.")
    homeroom_teacher_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A teacher of the school to lead the class; null removes the homeroom teacher; left out keeps it.",
    )


@strawberry.type(description="The class as it is now.")
class ClassSuccess:
    school_class: SchoolClass = strawberry.field(description="The class.")


CLASS_CODES = "INVALID_GRADE_LEVEL, LETTER_EMPTY, LETTER_TOO_LONG, NOT_A_TEACHER, CLASS_EXISTS"
ClassCreateResult = Annotated[
    ClassSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassCreateResult",
        description=f"The new class, or why not (nothing written). ValidationError codes: {CLASS_CODES}, "
        "ACADEMIC_YEAR_NOT_FOUND; NotFoundError SCHOOL_NOT_FOUND.",
    ),
]
ClassUpdateResult = Annotated[
    ClassSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ClassUpdateResult",
        description=f"The changed class, or why not (nothing written). ValidationError codes: {CLASS_CODES}; "
        "NotFoundError CLASS_NOT_FOUND.",
    ),
]

ADMINS = "School admins of the school and district admins of its district; FORBIDDEN for everyone else."


SUBJECT_KEEPERS = IsAdmin(_("Only school admins manage subjects."))
CLASS_KEEPERS = IsAdmin(_("Only school admins manage classes."))


@strawberry.type
class OrgMutations:
    @strawberry.mutation(description=f"Add a subject to a school. {ADMINS}", permission_classes=[SUBJECT_KEEPERS])
    async def subject_create(self, info: Info, input: Annotated[SubjectCreateInput, INPUT]) -> SubjectCreateResult:
        row = await org.create_subject(info.context, input.school_id, input.name)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(description=f"Rename a subject. {ADMINS}", permission_classes=[SUBJECT_KEEPERS])
    async def subject_update(self, info: Info, input: Annotated[SubjectUpdateInput, INPUT]) -> SubjectUpdateResult:
        row = await org.update_subject(info.context, input.subject_id, input.name)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(
        description="Archive a subject: subjects are never deleted (lessons, grades and journals keep them); an "
        f"archived one takes no new teaching assignments. Archiving again changes nothing. {ADMINS}",
        permission_classes=[SUBJECT_KEEPERS],
    )
    async def subject_archive(self, info: Info, input: Annotated[SubjectArchiveInput, INPUT]) -> SubjectArchiveResult:
        row = await org.archive_subject(info.context, input.subject_id)
        return SubjectSuccess(subject=Subject(model=row))

    @strawberry.mutation(description=f"Create a class. {ADMINS}", permission_classes=[CLASS_KEEPERS])
    async def class_create(self, info: Info, input: Annotated[ClassCreateInput, INPUT]) -> ClassCreateResult:
        spec = org.ClassSpec(
            grade_level=input.grade_level,
            letter=input.letter,
            academic_year=input.academic_year,
            homeroom_teacher_id=input.homeroom_teacher_id,
        )
        row = await org.create_class(info.context, input.school_id, spec)
        return ClassSuccess(school_class=SchoolClass(model=row))

    @strawberry.mutation(
        description=f"Change a class's grade level, letter or homeroom teacher. {ADMINS}",
        permission_classes=[CLASS_KEEPERS],
    )
    async def class_update(self, info: Info, input: Annotated[ClassUpdateInput, INPUT]) -> ClassUpdateResult:
        homeroom = input.homeroom_teacher_id
        spec = org.ClassSpec(
            grade_level=input.grade_level,
            letter=input.letter,
            homeroom_teacher_id=None if homeroom is strawberry.UNSET else (homeroom or ""),
        )
        row = await org.update_class(info.context, input.class_id, spec)
        return ClassSuccess(school_class=SchoolClass(model=row))
