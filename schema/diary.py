"""A child's diary and progress as clients read them: days, entries, per-subject standing."""

from __future__ import annotations

import datetime as dt

import strawberry

import models
from resolvers import diary as diary_resolvers
from resolvers import progress as progress_resolvers
from resolvers.loaders import RangeKey
from schema.attendance import AttendanceRevision
from schema.enums import AttendanceStatus, DayKind
from schema.grades import Grade
from schema.homework import Homework
from schema.lessons import Lesson
from schema.org import Subject
from schema.scales import GradeMark
from schema.term_grades import TermGrade
from schema.types import Info, _must


@strawberry.type(description="One lesson in a child's diary with this child's grades, attendance and homework.")
class DiaryEntry:
    data: strawberry.Private[diary_resolvers.DiaryEntryData]

    @strawberry.field(description="The lesson.")
    def lesson(self) -> Lesson:
        return Lesson(model=self.data.row.lesson)

    @strawberry.field(description="This child's grades in the lesson.")
    def grades(self) -> list[Grade]:
        return [Grade(model=g) for g in self.data.grades]

    @strawberry.field(description="This child's grades in the lesson that were removed, with who removed them and why.")
    async def removed_grades(self, info: Info) -> list[Grade]:
        lesson = self.data.row.lesson
        key = RangeKey(self.data.row.student_id, lesson.date, lesson.date)
        rows = await info.context.loaders.removed_grades_by_student.load(key)
        return [Grade(model=g) for g in rows if g.lesson_id == lesson.id]

    @strawberry.field(description="This child's attendance, null until marked.")
    def attendance(self) -> AttendanceStatus | None:
        a = self.data.row.attendance
        return AttendanceStatus(a.status) if a else None

    @strawberry.field(description="Minutes late, when attendance is LATE.")
    def late_minutes(self) -> int | None:
        a = self.data.row.attendance
        return a.late_minutes if a else None

    @strawberry.field(description="Homework due for this lesson.")
    def homework(self) -> list[Homework]:
        return [Homework(model=h) for h in self.data.homework]

    @strawberry.field(description="Every change of this child's mark in the lesson, oldest first.")
    async def attendance_history(self, info: Info) -> list[AttendanceRevision]:
        key = (self.data.row.student_id, self.data.row.lesson.id)
        return [AttendanceRevision(model=r) for r in await info.context.loaders.attendance_revisions_by_mark.load(key)]


@strawberry.type(description="One calendar day of a child's diary.")
class DiaryDay:
    data: strawberry.Private[diary_resolvers.DiaryDayData]

    @strawberry.field(description="The day.")
    def date(self) -> dt.date:
        return self.data.date

    @strawberry.field(description="School day, weekend, holiday or vacation.")
    def kind(self) -> DayKind:
        return DayKind(self.data.kind)

    @strawberry.field(description="The holiday's or vacation's name on days off.")
    def day_off_name(self) -> str | None:
        return self.data.day_off_name

    @strawberry.field(description="The day's lessons by period (empty on days without lessons).")
    def entries(self) -> list[DiaryEntry]:
        return [DiaryEntry(data=e) for e in self.data.entries]


@strawberry.type(description="A child's standing in one subject over a term.")
class SubjectProgress:
    data: strawberry.Private[diary_resolvers.SubjectProgressData]
    student: strawberry.Private[models.Student | None] = None
    term: strawberry.Private[models.Term | None] = None

    @strawberry.field(description="The subject.")
    async def subject(self, info: Info) -> Subject:
        s = await info.context.loaders.subject_by_id.load(self.data.subject_id)
        return Subject(model=_must(s, "subject"))

    @strawberry.field(description="The term's grades in date order.")
    async def grades(self, info: Info) -> list[Grade]:
        rows = await info.context.loaders.grades_by_student.load(self.data.grades_key)
        return [Grade(model=g) for g in rows if g.subject_id == self.data.subject_id]

    @strawberry.field(description="Plain mean of the numeric values, 2 decimals; null without grades.")
    def average(self) -> float | None:
        return self.data.average

    @strawberry.field(description="Mean weighted by each grade's weight, 2 decimals; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.weighted_average

    @strawberry.field(description="Lessons missed, excused or not.")
    def absences(self) -> int:
        return self.data.absences

    @strawberry.field(description="Lessons missed without a valid reason.")
    def unexcused_absences(self) -> int:
        return self.data.unexcused_absences

    @strawberry.field(description="Lessons come to late.")
    def late(self) -> int:
        return self.data.late

    @strawberry.field(description="The final grade set for this term, or null until a teacher sets it.")
    async def term_grade(self, info: Info) -> TermGrade | None:
        if self.student is None or self.term is None:
            return None
        found = await progress_resolvers.term_grade(
            info.context.loaders, self.student.id, self.data.subject_id, self.term
        )
        return TermGrade(model=found) if found else None

    @strawberry.field(
        description="The final grade the weighted average suggests by the school's rounding rule; null without grades."
    )
    async def suggested_grade(self, info: Info) -> GradeMark | None:
        if self.student is None:
            return None
        mark = await progress_resolvers.suggested(
            info.context.loaders, self.student.school_id, self.data.weighted_average
        )
        return GradeMark(value=mark.value, numeric_value=mark.numeric) if mark else None

    @strawberry.field(
        description="All grades of every student of the child's class in the subject over the term, weighted,"
        " 2 decimals; null without grades."
    )
    async def class_weighted_average(self, info: Info) -> float | None:
        if self.term is None:
            return None
        return await progress_resolvers.class_weighted_average(
            info.context.loaders, self.data.school_class_id, self.data.subject_id, self.term
        )
