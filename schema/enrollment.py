"""The roll of a school: students, enrolments, transfers, leaving, teaching assignments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import enrollment
from resolvers.core import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown
from schema.gates import IsAdmin
from schema.groups import ClassGroup
from schema.org import SchoolClass, Subject
from schema.students import Student
from schema.types import Node, _must
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
ADMINS = "School admins of the school and district admins of its district; FORBIDDEN for everyone else."


@strawberry.type(description="A student's membership of a class over a span of days.")
class Enrollment(types.Node):
    model: strawberry.Private[models.Enrollment]

    @strawberry.field(description="The class.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return await shown(info, SchoolClass(model=types._must(c, "class")))

    @strawberry.field(description="First day in the class, inclusive.")
    def start_date(self) -> dt.date:
        return self.model.start_date

    @strawberry.field(description="Last day in the class, inclusive; null while the student is still in it.")
    def end_date(self) -> dt.date | None:
        return self.model.end_date


@strawberry.input(description="A child put on a school's roll (then enrolled in a class with `enrollmentCreate`).")
class StudentCreateInput:
    school_id: strawberry.ID = strawberry.field(description="A `School` you run.")
    full_name: str = strawberry.field(description="Full name as the school writes it, 1-200 characters.")
    birth_date: dt.date | None = strawberry.field(default=None, description="Birth date, in the past.")


@strawberry.type(description="The student is on the roll.")
class StudentCreateSuccess:
    student: Student = strawberry.field(description="The new student (in no class yet).")


StudentCreateResult = Annotated[
    StudentCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "StudentCreateResult",
        description="The new student, or why not (nothing written). ValidationError codes: NAME_EMPTY, "
        "INVALID_CHARACTERS, "
        "NAME_TOO_LONG, INVALID_BIRTH_DATE; NotFoundError SCHOOL_NOT_FOUND.",
    ),
]


@strawberry.input(description="A student enrolled in a class from a day on.")
class EnrollmentCreateInput:
    student_id: strawberry.ID = strawberry.field(description="A `Student` of a school you run.")
    class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` of the student's school.")
    start_date: dt.date = strawberry.field(description="First day in the class.")


@strawberry.input(description="A student moved to another class of their school.")
class StudentTransferInput:
    student_id: strawberry.ID = strawberry.field(description="A `Student` of a school you run.")
    to_class_id: strawberry.ID = strawberry.field(description="The `SchoolClass` they move to.")
    date: dt.date = strawberry.field(
        description="First day in the new class; the current enrolment ends the day before."
    )


@strawberry.input(description="A student leaves school.")
class EnrollmentEndInput:
    student_id: strawberry.ID = strawberry.field(description="A `Student` of a school you run.")
    last_day: dt.date = strawberry.field(description="Their last day in their class.")


@strawberry.type(description="The student's enrolments changed.")
class EnrollmentSuccess:
    model: strawberry.Private[models.Enrollment]

    @strawberry.field(description="The enrolment created (or, for `enrollmentEnd`, ended).")
    def enrollment(self) -> Enrollment:
        return Enrollment(model=self.model)

    @strawberry.field(description="The student, with `enrollments` and `schoolClass` as they are now.")
    async def student(self, info: Info) -> Student:
        s = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=types._must(s, "student"))


EnrollmentCreateResult = Annotated[
    EnrollmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "EnrollmentCreateResult",
        description="The new enrolment, or why not (nothing written). ValidationError codes: "
        "CLASS_OF_OTHER_SCHOOL, ALREADY_ENROLLED (in a class on or after that day: use `studentTransfer`); "
        "NotFoundError STUDENT_NOT_FOUND, CLASS_NOT_FOUND.",
    ),
]
StudentTransferResult = Annotated[
    EnrollmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "StudentTransferResult",
        description="The new enrolment, or why not (nothing written). ValidationError codes: "
        "CLASS_OF_OTHER_SCHOOL, NOT_ENROLLED (in no class on that day), LATER_ENROLLMENT, SAME_CLASS, "
        "DATE_BEFORE_ENROLLMENT; NotFoundError STUDENT_NOT_FOUND, CLASS_NOT_FOUND.",
    ),
]
EnrollmentEndResult = Annotated[
    EnrollmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "EnrollmentEndResult",
        description="The ended enrolment, or why not (nothing written). ValidationError codes: NOT_ENROLLED, "
        "LATER_ENROLLMENT; NotFoundError STUDENT_NOT_FOUND.",
    ),
]


@strawberry.input(description="A teacher, a class and a subject: who teaches what where.")
class TeachingAssignmentInput:
    teacher_id: strawberry.ID = strawberry.field(description="A `User` holding the TEACHER role at the school.")
    class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` of a school you run.")
    subject_id: strawberry.ID = strawberry.field(description="A `Subject` of the class's school.")
    group_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A `ClassGroup` drawing from the class: the teacher teaches the subject to that group only "
        "(grades, marks, sets homework and reads the register of its lessons, for its members on the days they "
        "were members). Omitted: the whole class. A teacher may hold several groups of one class + subject "
        '("5A English 1" and "5A English 2"), one assignment each.',
    )


@strawberry.type(description="The teaching assignment as it is (or was, when deleted).")
class TeachingAssignmentSuccess:
    teaching_assignment: TeachingAssignment = strawberry.field(description="The class + subject pair.")
    teacher: User = strawberry.field(description="The teacher.")


ASSIGNMENT_CODES = "SUBJECT_OF_OTHER_SCHOOL, NOT_A_TEACHER"
TeachingAssignmentCreateResult = Annotated[
    TeachingAssignmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TeachingAssignmentCreateResult",
        description=f"The new assignment, or why not (nothing written). ValidationError codes: {ASSIGNMENT_CODES}, "
        "SUBJECT_ARCHIVED, ASSIGNMENT_EXISTS (the same assignment, or a group of a class + subject the teacher "
        "already teaches as a whole); NotFoundError CLASS_NOT_FOUND, SUBJECT_NOT_FOUND, GROUP_NOT_FOUND.",
    ),
]
TeachingAssignmentDeleteResult = Annotated[
    TeachingAssignmentSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "TeachingAssignmentDeleteResult",
        description=f"The removed assignment, or why not (nothing written). ValidationError codes: {ASSIGNMENT_CODES}, "
        "ASSIGNMENT_IN_TIMETABLE (timetable slots from today on still have the teacher give that subject to "
        "that class: change them first); NotFoundError CLASS_NOT_FOUND, SUBJECT_NOT_FOUND, ASSIGNMENT_NOT_FOUND, "
        "GROUP_NOT_FOUND.",
    ),
]


async def _assignment_success(info: Info, row: models.TeachingAssignment) -> TeachingAssignmentSuccess:
    user = await info.context.loaders.user_by_id.load(row.teacher_id)
    return TeachingAssignmentSuccess(
        teaching_assignment=TeachingAssignment(model=row), teacher=User(model=types._must(user, "teacher"))
    )


ROLL_KEEPERS = IsAdmin(_("Only school admins manage the roll."))
ASSIGNERS = IsAdmin(_("Only school admins assign teachers."))


@strawberry.type
class EnrollmentMutations:
    @strawberry.mutation(description=f"Put a child on a school's roll. {ADMINS}", permission_classes=[ROLL_KEEPERS])
    async def student_create(self, info: Info, input: Annotated[StudentCreateInput, INPUT]) -> StudentCreateResult:
        row = await enrollment.create_student(info.context, input.school_id, input.full_name, input.birth_date)
        return StudentCreateSuccess(student=Student(model=row))

    @strawberry.mutation(
        description=f"Enrol a student in a class from a day on; a student is in one class at a time. {ADMINS}",
        permission_classes=[ROLL_KEEPERS],
    )
    async def enrollment_create(
        self, info: Info, input: Annotated[EnrollmentCreateInput, INPUT]
    ) -> EnrollmentCreateResult:
        row = await enrollment.create_enrollment(info.context, input.student_id, input.class_id, input.start_date)
        return EnrollmentSuccess(model=row)

    @strawberry.mutation(
        description="Move a student to another class from `date`: the old class's teachers keep the diary up to the "
        f"day before, the new class's teachers see the student from `date`. {ADMINS}",
        permission_classes=[ROLL_KEEPERS],
    )
    async def student_transfer(
        self, info: Info, input: Annotated[StudentTransferInput, INPUT]
    ) -> StudentTransferResult:
        row = await enrollment.transfer_student(info.context, input.student_id, input.to_class_id, input.date)
        return EnrollmentSuccess(model=row)

    @strawberry.mutation(
        description=f"A student leaves school: their class enrolment ends on `lastDay`. {ADMINS}",
        permission_classes=[ROLL_KEEPERS],
    )
    async def enrollment_end(self, info: Info, input: Annotated[EnrollmentEndInput, INPUT]) -> EnrollmentEndResult:
        row = await enrollment.end_enrollment(info.context, input.student_id, input.last_day)
        return EnrollmentSuccess(model=row)

    @strawberry.mutation(
        description=f"Let a teacher teach (and grade) a subject in a class. {ADMINS}",
        permission_classes=[ASSIGNERS],
    )
    async def teaching_assignment_create(
        self, info: Info, input: Annotated[TeachingAssignmentInput, INPUT]
    ) -> TeachingAssignmentCreateResult:
        key = enrollment.AssignmentKey(input.teacher_id, input.class_id, input.subject_id, input.group_id)
        return await _assignment_success(info, await enrollment.create_assignment(info.context, key))

    @strawberry.mutation(
        description="Stop a teacher teaching a subject in a class. Refused (ASSIGNMENT_IN_TIMETABLE) while the "
        f"timetable still has them give it from today on; past lessons and grades stay. {ADMINS}",
        permission_classes=[ASSIGNERS],
    )
    async def teaching_assignment_delete(
        self, info: Info, input: Annotated[TeachingAssignmentInput, INPUT]
    ) -> TeachingAssignmentDeleteResult:
        key = enrollment.AssignmentKey(input.teacher_id, input.class_id, input.subject_id, input.group_id)
        return await _assignment_success(info, await enrollment.delete_assignment(info.context, key))


@strawberry.type(description="A teacher's class + subject pair: what they teach and may grade.")
class TeachingAssignment(Node):
    model: strawberry.Private[models.TeachingAssignment]

    @strawberry.field(description="The class taught.")
    async def school_class(self, info: Info) -> SchoolClass:
        c = await info.context.loaders.class_by_id.load(self.model.school_class_id)
        return SchoolClass(model=_must(c, "class"))

    @strawberry.field(description="The subject taught in that class.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.model.subject_id)
        return Subject(model=_must(s, "subject"))

    @strawberry.field(description="The teacher.")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(
        description="The class group taught, when the teacher teaches the subject to one group of the class only; "
        "null for the whole class (or a group the viewer does not see)."
    )
    async def group(self, info: Info) -> ClassGroup | None:
        if self.model.group_id is None:
            return None
        g = await info.context.loaders.visible_group_by_id.load(self.model.group_id)
        return ClassGroup(model=g) if g else None
