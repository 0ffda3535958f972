"""Attendance: a lesson's register and the history of marks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import attendance
from resolvers.core import _
from resolvers.loaders import RegisterRowData
from schema import types
from schema.absence import AbsenceNotice, load_user
from schema.enums import AttendanceStatus
from schema.errors import NotFoundError, ValidationError
from schema.faces import shown, visible_only
from schema.gates import HasRole
from schema.lessons import Lesson
from schema.students import Student
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


def _status(value: str | None) -> AttendanceStatus | None:
    return AttendanceStatus(value) if value is not None else None


def _int(value: int | None) -> int | None:
    return int(value) if value is not None else None


@strawberry.type(description="One change of a student's mark in a lesson (null status: unmarked).")
class AttendanceRevision:
    model: strawberry.Private[models.AttendanceRevision]

    @strawberry.field(description="When the mark changed.")
    def at(self) -> dt.datetime:
        return self.model.at

    @strawberry.field(description="Who changed it: the teacher, or the parent whose notice pre-marked it.")
    async def by(self, info: Info) -> User:
        return await load_user(info, self.model.actor_id)

    @strawberry.field(description="The mark before; null when the student was unmarked.")
    def old_status(self) -> AttendanceStatus | None:
        return _status(self.model.old_status)

    @strawberry.field(description="The mark after; null when the mark was removed.")
    def new_status(self) -> AttendanceStatus | None:
        return _status(self.model.new_status)

    @strawberry.field(description="Minutes late before (LATE only).")
    def old_late_minutes(self) -> int | None:
        return _int(self.model.old_late_minutes)

    @strawberry.field(description="Minutes late after (LATE only).")
    def new_late_minutes(self) -> int | None:
        return _int(self.model.new_late_minutes)

    @strawberry.field(description="The reason before.")
    def old_reason(self) -> str | None:
        return self.model.old_reason

    @strawberry.field(description="The reason after.")
    def new_reason(self) -> str | None:
        return self.model.new_reason


@strawberry.type(description="One student in a lesson's register.")
class RegisterRow:
    data: strawberry.Private[RegisterRowData]

    @strawberry.field(description="The student, enrolled in the class on the lesson's date.")
    async def student(self, info: Info) -> Student:
        return await shown(info, Student(model=self.data.student))

    @strawberry.field(description="The mark; null while unmarked.")
    def status(self) -> AttendanceStatus | None:
        a = self.data.attendance
        return AttendanceStatus(a.status.value) if a else None

    @strawberry.field(description="Minutes late (LATE only).")
    def late_minutes(self) -> int | None:
        a = self.data.attendance
        return a.late_minutes if a else None

    @strawberry.field(description="Why the student was absent or late, if given.")
    def reason(self) -> str | None:
        a = self.data.attendance
        return a.reason if a else None

    @strawberry.field(description="Who marked it: a teacher, or the parent whose notice pre-marked it.")
    async def marked_by(self, info: Info) -> User | None:
        a = self.data.attendance
        return await load_user(info, a.marked_by_id) if a else None

    @strawberry.field(description="When it was last marked.")
    def marked_at(self) -> dt.datetime | None:
        a = self.data.attendance
        return a.marked_at if a else None

    @strawberry.field(description="True while the mark is the pre-mark of a parent's notice (no teacher mark yet).")
    def from_notice(self) -> bool:
        a = self.data.attendance
        return a is not None and a.notice_id is not None

    @strawberry.field(
        description="The parent's absence notice covering this lesson, if any and if you read the child's notices "
        "(a substitute does not)."
    )
    async def absence_notice(self, info: Info) -> AbsenceNotice | None:
        if self.data.notice is None:
            return None
        return next(iter(await visible_only(info, [AbsenceNotice(model=self.data.notice)])), None)

    @strawberry.field(description="Every change of the mark, oldest first.")
    def history(self) -> list[AttendanceRevision]:
        return [AttendanceRevision(model=r) for r in self.data.history]


@strawberry.input(description="One student's mark.")
class AttendanceMarkRow:
    student_id: strawberry.ID = strawberry.field(description="A `Student` enrolled in the class on the lesson's date.")
    status: AttendanceStatus = strawberry.field(description="The mark.")
    late_minutes: int | None = strawberry.field(
        default=None, description="LATE only (required there): 1 to the lesson's length in minutes."
    )
    reason: str | None = strawberry.field(default=None, description="At most 500 characters.")


@strawberry.input(description="A lesson's register: the marks of the listed students replace their current marks.")
class AttendanceMarkInput:
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` you give or teach (class + subject), not cancelled, already started."
    )
    marks: list[AttendanceMarkRow] = strawberry.field(description="One row per student, each student at most once.")


@strawberry.type(description="The register was saved and the families of changed marks notified.")
class AttendanceMarkSuccess:
    lesson: Lesson = strawberry.field(description="The lesson; its `register` shows the saved marks.")

    @strawberry.field(description="The lesson's register after the change.")
    async def register(self, info: Info) -> list[RegisterRow]:
        rows = await info.context.loaders.register_by_lesson.load(self.lesson.model.id)
        return [RegisterRow(data=r) for r in rows]


AttendanceMarkResult = Annotated[
    AttendanceMarkSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "AttendanceMarkResult",
        description=(
            "The saved register, or why it was refused (nothing written). ValidationError codes: NOT_ASSIGNED, "
            "LESSON_CANCELLED, LESSON_IN_FUTURE, NO_MARKS, STUDENT_NOT_IN_CLASS, DUPLICATE_STUDENT, "
            "INVALID_LATE_MINUTES, LATE_MINUTES_NOT_LATE, REASON_TOO_LONG (fields like `marks[2].lateMinutes`), "
            "REGISTER_CHANGED (marked by someone else at the same moment: reload and retry). "
            "NotFoundError: LESSON_NOT_FOUND."
        ),
    ),
]


REGISTER_KEEPERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers can mark attendance."))


@strawberry.type
class AttendanceMutations:
    @strawberry.mutation(
        description=(
            "Mark a lesson's register in one call, all or nothing (the lesson's teacher, or a teacher of its "
            "class + subject). Changed marks keep their history and notify the families. FORBIDDEN for non-teachers."
        ),
        permission_classes=[REGISTER_KEEPERS],
    )
    async def attendance_mark(self, info: Info, input: Annotated[AttendanceMarkInput, INPUT]) -> AttendanceMarkResult:
        rows = [
            attendance.MarkInput(
                student_id=m.student_id,
                status=models.AttendanceStatus(m.status.name),
                late_minutes=m.late_minutes,
                reason=m.reason,
            )
            for m in input.marks
        ]
        lesson = await attendance.mark_register(info.context, input.lesson_id, rows)
        return AttendanceMarkSuccess(lesson=Lesson(model=lesson))
