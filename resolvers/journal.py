"""The class journal: one subject of one class over a term, every student x every lesson,
as a teacher keeps it, and its CSV export.

Costs a fixed number of statements whatever the size of the class and the term: one each
for the subject with its school and the visibility check, the school's terms (through the
request's loader), the lessons, the roster, the grades, the attendance and the final grades, and
for a teacher of groups of the class only, one for those groups (``policy.journal_groups``: the
journal then holds the groups' lessons and members only)."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from urllib.parse import quote

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet

import models
from resolvers import exports, policy
from resolvers import grades as grading
from resolvers.core import _, pk_of
from resolvers.diary import average_of, weighted_average_of
from resolvers.loaders import Loaders
from resolvers.policy.admin import count_of
from resolvers.progress import period_key, resolve_school_term
from resolvers.sessions import Viewer

# A student's attendance at one lesson: its status and the minutes late (LATE only).
Mark = tuple[models.AttendanceStatus, int | None]


class GradeFigures(Protocol):
    """What the grid, its averages and the CSV read of a grade: a ``CellGrade``, or the whole
    ``models.Grade`` when the client asks for grade objects (a row's ``cells``)."""

    @property
    def id(self) -> int: ...
    @property
    def student_id(self) -> int: ...
    @property
    def lesson_id(self) -> int | None: ...
    @property
    def value(self) -> str: ...
    @property
    def numeric_value(self) -> float | None: ...
    @property
    def weight(self) -> int: ...


class CellGrade(NamedTuple):
    """A grade of the grid as the database gives it: a tuple, where a model each was the largest
    part of the journal's CPU (a whole term is about 1,200 grades)."""

    id: int
    student_id: int
    lesson_id: int | None
    value: str
    numeric_value: float | None
    weight: int


@dataclass
class JournalRowData:
    """One student's line. The cells are not objects: the grid is read by lesson id from
    ``cell_grades`` and ``marks`` (a whole term is rows x lessons cells, most of them empty)."""

    student: models.Student
    cell_grades: dict[int, list[GradeFigures]]  # by lesson id, in the journal's grade order
    marks: dict[int, Mark]  # by lesson id; a lesson not there is not marked
    term_grade: models.TermGrade | None
    suggested: grading.Mark | None
    average: float | None
    weighted_average: float | None


@dataclass
class JournalData:
    school_class: models.SchoolClass
    subject: models.Subject
    term: models.Term
    lessons: list[models.Lesson]
    rows: list[JournalRowData]


async def load_journal(
    loaders: Loaders,
    school_class: models.SchoolClass,
    subject_id: int,
    term_id: int | None,
    *,
    grade_objects: bool = False,
) -> JournalData | None:
    """The journal, or ``None`` when the viewer may not read it (see
    ``policy.journal_classes``), the subject is another school's, or the term is unknown.
    Its grades are ``CellGrade`` tuples, or models with ``grade_objects`` (a row's ``cells``
    gives each as a ``Grade``)."""
    # The subject, only if it is the class's school's and the viewer may read this journal: the
    # policy's check and the subject in one statement.
    readable = policy.journal_classes(loaders.viewer, subject_id).filter(id=school_class.id)
    # ...and whether it reads the whole class's (``policy.journal_whole_classes``), in the same statement.
    whole = policy.journal_whole_classes(loaders.viewer, subject_id).filter(id=school_class.id)
    # ...and its school (the rounding rule of the suggestions), joined.
    subject_q = (
        models.Subject.filter(
            id=subject_id, school_id=school_class.school_id, school_id__in=Subquery(readable.values("school_id"))
        )
        .annotate(whole_journal=count_of(whole))
        .select_related("school")
        .first()
    )
    subject, term = await asyncio.gather(subject_q, resolve_school_term(loaders, school_class.school_id, term_id))
    if subject is None or term is None:
        return None
    school = subject.school
    loaders.subject_by_id.prime(subject.id, subject)
    loaders.school_by_id.prime(school.id, school)
    start, end = term.start_date, term.end_date
    lessons_q = models.Lesson.filter(school_class_id=school_class.id, subject_id=subject_id, date__gte=start)
    lessons_q = lessons_q.filter(date__lte=end)
    enrolled = models.Enrollment.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start), school_class_id=school_class.id, start_date__lte=end
    )
    # a group's teacher: its members' grades of their days in the group, their final grades of a
    # term they were in it (``policy.visible_grades``, ``policy.visible_term_grades``)
    grades_q, finals_q = models.Grade.all(), models.TermGrade.all()
    if not getattr(subject, "whole_journal", 0):  # a group's teacher: the groups' lessons and members
        uid = loaders.viewer.user_id if loaders.viewer.user_id is not None else policy.NOBODY
        grades_q = models.Grade.filter(id__in=policy.group_days_ids(uid, "grade"))
        finals_q = models.TermGrade.filter(id__in=policy.group_term_ids(uid))
        groups = await policy.journal_groups(loaders.viewer, school_class.id, subject_id)
        lessons_q = lessons_q.filter(group_id__in=groups)
        members = models.GroupMembership.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start), group_id__in=groups, start_date__lte=end
        ).values("student_id")
        drawn = models.ClassGroupClass.filter(group_id__in=groups).values("school_class_id")
        enrolled = models.Enrollment.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start),
            school_class_id__in=Subquery(drawn),
            student_id__in=Subquery(members),
            start_date__lte=end,
        )
    grades_q = grades_q.filter(  # a cross-class group's member's grades are filed under their own class
        Q(school_class_id=school_class.id) | Q(lesson_id__in=Subquery(lessons_q.values("id"))),
        student_id__in=Subquery(enrolled.values("student_id")),
        subject_id=subject_id,
        date__gte=start,
        date__lte=end,
        deleted_at__isnull=True,
    ).order_by("date", "created_at", "id")
    lessons, enrollments, grades, marks, final = await asyncio.gather(
        lessons_q.order_by("date", "period", "id"),
        enrolled.select_related("student").order_by("student__full_name", "student_id", "start_date"),
        _grades(grades_q, grade_objects),
        # Plain tuples: one per cell of the grid, where a model each was most of the journal's cost.
        models.Attendance.filter(lesson_id__in=Subquery(lessons_q.values("id"))).values_list(
            "student_id", "lesson_id", "status", "late_minutes"
        ),
        finals_q.filter(  # set in this class: a transferred child's other class's final grade is not its
            school_class_id=school_class.id,
            student_id__in=Subquery(enrolled.values("student_id")),
            subject_id=subject_id,
            period_key=period_key(term),
        ),
    )
    loaders.prime_many(loaders.lesson_by_id, lessons)
    by_cell: dict[int, dict[int, list[GradeFigures]]] = defaultdict(dict)
    by_student: dict[int, list[GradeFigures]] = defaultdict(list)
    for grade in grades:
        if grade.lesson_id is not None:
            by_cell[grade.student_id].setdefault(grade.lesson_id, []).append(grade)
        by_student[grade.student_id].append(grade)
    by_mark: dict[int, dict[int, Mark]] = defaultdict(dict)
    for student_id, lesson_id, status, late in marks:
        by_mark[student_id][lesson_id] = (status, late)
    finals = {t.student_id: t for t in final}
    rows: list[JournalRowData] = []
    seen: set[int] = set()
    for enrollment in enrollments:
        student = enrollment.student
        if student.id in seen:  # left and came back: one row
            continue
        seen.add(student.id)
        loaders.student_by_id.prime(student.id, student)
        own = by_student.get(student.id, [])
        weighted = weighted_average_of(own)
        rows.append(
            JournalRowData(
                student,
                by_cell.get(student.id, {}),
                by_mark.get(student.id, {}),
                finals.get(student.id),
                grading.suggest(school, weighted),
                average_of(own),
                weighted,
            )
        )
    return JournalData(school_class, subject, term, lessons, rows)


async def _grades(query: QuerySet[models.Grade], objects: bool) -> list[GradeFigures]:
    if objects:
        return list(await query)
    return list(map(CellGrade._make, await query.values_list(*CellGrade._fields)))


# --- CSV ----------------------------------------------------------------------------

# Attendance in a cell, short: the columns are narrow.
_ATTENDANCE = {
    models.AttendanceStatus.ABSENT_UNEXCUSED: _("abs"),
    models.AttendanceStatus.ABSENT_EXCUSED: _("exc"),
}


def _cell(grades: list[GradeFigures], mark: Mark | None) -> str:
    parts = [g.value for g in grades]
    if mark is not None and mark[0] in _ATTENDANCE:
        parts.append(str(_ATTENDANCE[mark[0]]))
    elif mark is not None and mark[0] == models.AttendanceStatus.LATE:
        late = _("late {minutes}", minutes=mark[1]) if mark[1] is not None else _("late")
        parts.append(str(late))
    return " ".join(parts)


def journal_csv(journal: JournalData) -> str:
    """The journal grid as CSV, written by the one export writer (``exports.csv_text``):
    names, marks of any scale and every other cell that looks like a formula are
    neutralised. Headers and marks are in the current locale (``resolvers/core.py``)."""
    columns = [f"{lesson.date.isoformat()} #{lesson.period}" for lesson in journal.lessons]
    header = [_("Student"), *columns, _("Weighted average"), _("Suggested"), _("Term grade")]
    rows: list[list[str]] = [[str(cell) for cell in header]]
    for row in journal.rows:
        rows.append(
            [
                row.student.full_name,
                *(_cell(row.cell_grades.get(lesson.id, []), row.marks.get(lesson.id)) for lesson in journal.lessons),
                f"{row.weighted_average:.2f}" if row.weighted_average is not None else "",
                row.suggested.value if row.suggested else "",
                row.term_grade.value if row.term_grade else "",
            ]
        )
    return exports.csv_text(rows)


@dataclass(frozen=True)
class JournalExport:
    filename: str  # as named, UTF-8
    text: str

    @property
    def content_disposition(self) -> str:
        """An attachment with an ASCII fallback name and the real one (RFC 6266 / 5987)."""
        fallback = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]", "-", self.filename)).strip("-")
        return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(self.filename, safe='')}"


def _slug(text: str) -> str:
    return re.sub(r"[\W_]+", "-", text).strip("-") or "x"


async def export_journal(viewer: Viewer, class_id: str, subject_id: str, term_id: str | None) -> JournalExport | None:
    """The CSV download of a journal by global ids, or ``None`` when any id is malformed or
    unknown, or the journal is not the viewer's to read (not yours = not there)."""
    class_pk, subject_pk = pk_of(class_id, "SchoolClass"), pk_of(subject_id, "Subject")
    term_pk = pk_of(term_id, "Term") if term_id else None
    if class_pk is None or subject_pk is None or (term_id and term_pk is None):
        return None
    school_class = await policy.journal_classes(viewer, subject_pk).filter(id=class_pk).first()
    if school_class is None:
        return None
    journal = await load_journal(Loaders(viewer), school_class, subject_pk, term_pk)
    if journal is None:
        return None
    name = f"journal-{school_class.name}-{_slug(journal.subject.name)}-{_slug(journal.term.name)}.csv"
    return JournalExport(name, journal_csv(journal))
