"""The class journal: one subject of one class over a term, as its teachers keep it."""

from __future__ import annotations

import strawberry

from resolvers import journal
from schema.calendar import Term
from schema.enums import AttendanceStatus
from schema.grades import Grade
from schema.lessons import Lesson
from schema.org import Subject
from schema.scales import GradeMark
from schema.students import Student
from schema.term_grades import TermGrade


@strawberry.type(description="One student at one lesson of the journal.")
class JournalCell:
    data: strawberry.Private[journal.JournalCellData]

    @strawberry.field(description="The lesson (the column).")
    def lesson(self) -> Lesson:
        return Lesson(model=self.data.lesson)

    @strawberry.field(description="The student's grades in the lesson, in the order given.")
    def grades(self) -> list[Grade]:
        return [Grade(model=g) for g in self.data.grades]

    @strawberry.field(description="The student's attendance, null until marked.")
    def attendance(self) -> AttendanceStatus | None:
        a = self.data.attendance
        return AttendanceStatus(a.status) if a else None

    @strawberry.field(description="Minutes late, when attendance is LATE.")
    def late_minutes(self) -> int | None:
        a = self.data.attendance
        return a.late_minutes if a else None


@strawberry.type(description="One student's line of the journal.")
class JournalRow:
    data: strawberry.Private[journal.JournalRowData]

    @strawberry.field(description="The student.")
    def student(self) -> Student:
        return Student(model=self.data.student)

    @strawberry.field(description="One cell per lesson, in the order of the journal's `lessons`.")
    def cells(self) -> list[JournalCell]:
        return [JournalCell(data=c) for c in self.data.cells]

    @strawberry.field(description="Plain mean of the term's grades in the subject, 2 decimals; null without grades.")
    def average(self) -> float | None:
        return self.data.average

    @strawberry.field(description="Mean weighted by each grade's weight, 2 decimals; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.weighted_average

    @strawberry.field(description="The final grade the weighted average suggests by the school's rounding rule.")
    def suggested_grade(self) -> GradeMark | None:
        m = self.data.suggested
        return GradeMark(value=m.value, numeric_value=m.numeric) if m else None

    @strawberry.field(description="The final grade set for the term, if any.")
    def term_grade(self) -> TermGrade | None:
        t = self.data.term_grade
        return TermGrade(model=t) if t else None


@strawberry.type(description="A class's journal of one subject over a term: students x lessons.")
class ClassJournal:
    data: strawberry.Private[journal.JournalData]

    @strawberry.field(description="The subject.")
    def subject(self) -> Subject:
        return Subject(model=self.data.subject)

    @strawberry.field(description="The term.")
    def term(self) -> Term:
        return Term(model=self.data.term)

    @strawberry.field(
        description="The columns: the subject's lessons in the term (to its end), by date and period. "
        "Each lesson's `homework` is there too."
    )
    def lessons(self) -> list[Lesson]:
        return [Lesson(model=x) for x in self.data.lessons]

    @strawberry.field(description="Students enrolled in the class at any time in the term, by name.")
    def rows(self) -> list[JournalRow]:
        return [JournalRow(data=r) for r in self.data.rows]

    @strawberry.field(
        description='The same grid as CSV (RFC 4180, UTF-8): Student, one column per lesson ("YYYY-MM-DD #period"),'
        ' Weighted average, Suggested, Term grade. A cell lists the grades separated by spaces, then "abs"'
        ' (unexcused), "exc" (excused) or "late N" (minutes).'
    )
    def csv(self) -> str:
        return journal.journal_csv(self.data)
