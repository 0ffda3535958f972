"""The class journal: one subject of one class over a term, as its teachers keep it."""

from __future__ import annotations

import strawberry

import models
from resolvers import journal
from resolvers.core import to_global_id
from schema.calendar import Term
from schema.enums import AttendanceStatus
from schema.grades import Grade
from schema.lessons import Lesson
from schema.org import Subject
from schema.scales import GradeMark
from schema.students import Student
from schema.term_grades import TermGrade
from schema.types import selected

# A whole term is 30 x 40 cells, and a resolver call for each field of each cell was most of the
# journal's time: a cell's values are attributes (Strawberry reads them without a resolver call),
# made for a whole row at once when `cells` is asked for, and `JournalRow.line` has the same values
# without an object per cell (a few lists of scalars per row).


@strawberry.type(description="One student at one lesson of the journal.")
class JournalCell:
    column: strawberry.Private[models.Lesson]
    grades: list[Grade] = strawberry.field(description="The student's grades in the lesson, in the order given.")
    attendance: AttendanceStatus | None = strawberry.field(description="The student's attendance, null until marked.")
    late_minutes: int | None = strawberry.field(description="Minutes late, when attendance is LATE.")

    @strawberry.field(description="The lesson (the column).")
    def lesson(self) -> Lesson:
        return Lesson(model=self.column)


@strawberry.type(
    description="A student's line of the journal in columns, for a client that shows the whole grid: what the "
    "row's `cells` hold, without an object per cell. `attendance` and `lateMinutes` have one entry per lesson of "
    "the journal's `lessons`, in its order; the grades are two lists of the same length, in the order of "
    "`lessons` and then the order given."
)
class JournalLine:
    data: strawberry.Private[journal.JournalRowData]
    lessons: strawberry.Private[list[models.Lesson]]

    @strawberry.field(description="Per lesson: the student's attendance, null until marked.")
    def attendance(self) -> list[AttendanceStatus | None]:
        marks = self.data.marks
        return [_STATUS[m[0]] if (m := marks.get(lesson.id)) else None for lesson in self.lessons]

    @strawberry.field(description="Per lesson: minutes late when attendance is LATE, else null.")
    def late_minutes(self) -> list[int | None]:
        marks = self.data.marks
        return [m[1] if (m := marks.get(lesson.id)) else None for lesson in self.lessons]

    @strawberry.field(
        description="For each of the student's grades in the lessons: the position of its lesson in `lessons` (from 0)."
    )
    def grade_lessons(self) -> list[int]:
        given = self.data.cell_grades
        return [n for n, lesson in enumerate(self.lessons) for _ in given.get(lesson.id, ())]

    @strawberry.field(description="The values of those grades, in the same order as `gradeLessons`.")
    def grade_values(self) -> list[str]:
        return [g.value for g in self._grades()]

    @strawberry.field(description="Their weights, in the same order as `gradeLessons`.")
    def grade_weights(self) -> list[int]:
        return [g.weight for g in self._grades()]

    @strawberry.field(description="Their ids (`Grade`), in the same order as `gradeLessons`.")
    def grade_ids(self) -> list[strawberry.ID]:
        return [strawberry.ID(to_global_id("Grade", g.id)) for g in self._grades()]

    def _grades(self) -> list[journal.GradeFigures]:
        given = self.data.cell_grades
        return [g for lesson in self.lessons for g in given.get(lesson.id, ())]


@strawberry.type(description="One student's line of the journal.")
class JournalRow:
    model: strawberry.Private[models.Student]
    data: strawberry.Private[journal.JournalRowData]
    lessons: strawberry.Private[list[models.Lesson]]
    average: float | None = strawberry.field(
        description="Plain mean of the term's grades in the subject, 2 decimals; null without grades."
    )
    weighted_average: float | None = strawberry.field(
        description="Mean weighted by each grade's weight, 2 decimals; null without grades."
    )
    suggested_grade: GradeMark | None = strawberry.field(
        description="The final grade the weighted average suggests by the school's rounding rule."
    )
    term_grade: TermGrade | None = strawberry.field(description="The final grade set for the term, if any.")

    line: JournalLine = strawberry.field(
        description="The same cells in columns, without an object per cell: for a client that shows the whole grid."
    )

    @strawberry.field(description="The student.")
    def student(self) -> Student:
        return Student(model=self.model)

    @strawberry.field(description="One cell per lesson, in the order of the journal's `lessons`.")
    def cells(self) -> list[JournalCell]:
        grades, marks = self.data.cell_grades, self.data.marks
        cells: list[JournalCell] = []
        for lesson in self.lessons:
            mark, given = marks.get(lesson.id), grades.get(lesson.id)
            cells.append(
                JournalCell(
                    column=lesson,
                    grades=[_grade(g) for g in given] if given else [],
                    attendance=_STATUS[mark[0]] if mark else None,
                    late_minutes=mark[1] if mark else None,
                )
            )
        return cells


_STATUS = {models.AttendanceStatus(status.name): status for status in AttendanceStatus}


def _grade(given: journal.GradeFigures) -> Grade:
    if not isinstance(given, models.Grade):  # read as models whenever `cells` is asked for (`asks_cells`)
        raise TypeError("the journal's grades were read as tuples")
    return Grade(model=given)


def asks_cells(info: strawberry.Info) -> bool:
    """Whether the query asks for a row's ``cells`` under the field being resolved (the journal),
    through fragments: their grades are ``Grade`` objects, read as models; ``line`` and the CSV
    need only tuples."""
    rows = (row for field in info.selected_fields for row in selected(field.selections) if row.name == "rows")
    return any(cell.name == "cells" for row in rows for cell in selected(row.selections))


def _row(data: journal.JournalRowData, lessons: list[models.Lesson]) -> JournalRow:
    suggested, final = data.suggested, data.term_grade
    return JournalRow(
        model=data.student,
        data=data,
        lessons=lessons,
        line=JournalLine(data=data, lessons=lessons),
        average=data.average,
        weighted_average=data.weighted_average,
        suggested_grade=GradeMark(value=suggested.value, numeric_value=suggested.numeric) if suggested else None,
        term_grade=TermGrade(model=final) if final else None,
    )


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
        return [_row(r, self.data.lessons) for r in self.data.rows]

    @strawberry.field(
        description='The same grid as CSV (RFC 4180, UTF-8): Student, one column per lesson ("YYYY-MM-DD #period"),'
        ' Weighted average, Suggested, Term grade. A cell lists the grades separated by spaces, then "abs"'
        ' (unexcused), "exc" (excused) or "late N" (minutes).'
    )
    def csv(self) -> str:
        return journal.journal_csv(self.data)
