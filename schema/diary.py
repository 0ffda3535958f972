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
from schema.types import Info, _must, field_names


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
    """Its figures are attributes, found for all of a child's subjects at once by
    ``Student.progress`` (a whole class's progress is 30 x 5 of these: a resolver call for each
    field of each one, most of them awaiting a loader, was most of its time). The grades are
    loaded only when asked for."""

    data: strawberry.Private[diary_resolvers.SubjectProgressData]
    subject: Subject = strawberry.field(description="The subject.")
    average: float | None = strawberry.field(
        description="Plain mean of the numeric values, 2 decimals; null without grades."
    )
    weighted_average: float | None = strawberry.field(
        description="Mean weighted by each grade's weight, 2 decimals; null without grades."
    )
    absences: int = strawberry.field(description="Lessons missed, excused or not.")
    unexcused_absences: int = strawberry.field(description="Lessons missed without a valid reason.")
    late: int = strawberry.field(description="Lessons come to late.")
    term_grade: TermGrade | None = strawberry.field(
        description="The final grade set for this term, or null until a teacher sets it."
    )
    suggested_grade: GradeMark | None = strawberry.field(
        description="The final grade the weighted average suggests by the school's rounding rule; null without grades."
    )
    class_weighted_average: float | None = strawberry.field(
        description="All grades of every student of the child's class in the subject over the term, weighted,"
        " 2 decimals; null without grades."
    )

    @strawberry.field(description="The term's grades in date order.")
    async def grades(self, info: Info) -> list[Grade]:
        rows = await info.context.loaders.grades_by_student.load(self.data.grades_key)
        return [Grade(model=g) for g in rows if g.subject_id == self.data.subject_id]


# The fields of a line of progress that cost a load: found for all of a child's lines at once,
# and only when the query asks for them.
LOADED_FIELDS = frozenset({"termGrade", "suggestedGrade", "classWeightedAverage"})


def asked(info: Info) -> frozenset[str]:
    """The fields of ``LOADED_FIELDS`` the query selects under the field being resolved
    (through fragments, every place it is asked for)."""
    return LOADED_FIELDS.intersection(name for field in info.selected_fields for name in field_names(field.selections))


def subject_progress(
    rows: list[diary_resolvers.SubjectProgressData],
    subjects: dict[int, models.Subject],
    figures: progress_resolvers.SubjectFigures,
) -> list[SubjectProgress]:
    """A child's lines of progress, their figures as attributes."""
    lines = []
    for row in rows:
        final, mark = figures.term_grades.get(row.subject_id), figures.suggested.get(row.subject_id)
        lines.append(
            SubjectProgress(
                data=row,
                subject=Subject(model=_must(subjects.get(row.subject_id), "subject")),
                average=row.average,
                weighted_average=row.weighted_average,
                absences=row.absences,
                unexcused_absences=row.unexcused_absences,
                late=row.late,
                term_grade=TermGrade(model=final) if final else None,
                suggested_grade=GradeMark(value=mark.value, numeric_value=mark.numeric) if mark else None,
                class_weighted_average=figures.class_averages.get(row.subject_id),
            )
        )
    return lines
