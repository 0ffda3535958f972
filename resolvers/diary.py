"""A student's diary and progress: read side, assembled from batch loaders."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import models
from resolvers import scales
from resolvers.averages import StudentRange
from resolvers.clock import today_utc
from resolvers.errors import BadUserInput
from resolvers.loaders import DiaryRow, Loaders, RangeKey
from resolvers.timetable import day_kind


@dataclass
class DiaryEntryData:
    row: DiaryRow
    grades: list[models.Grade]
    homework: list[models.Homework]


@dataclass
class DiaryDayData:
    date: date
    kind: str
    day_off_name: str | None
    entries: list[DiaryEntryData] = field(default_factory=list)


def check_range(start: date, end: date, max_days: int) -> None:
    if end < start:
        raise BadUserInput("`to` must not be before `from`.", argument="to")
    days = (end - start).days + 1
    if days > max_days:
        raise BadUserInput(
            f"A range covers at most {max_days} days; this one covers {days}.", argument="to", maxDays=max_days
        )


async def load_diary(loaders: Loaders, student: models.Student, start: date, end: date) -> list[DiaryDayData]:
    """Every day of the range, with its kind and, for each lesson, this child's grades,
    attendance and the homework due."""
    key = RangeKey(student.id, start, end)
    rows, grades, days_off = await asyncio.gather(
        loaders.diary_by_student.load(key),
        loaders.grades_by_student.load(key),
        loaders.days_off_by_school.load(RangeKey(student.school_id, start, end)),
    )
    homework = await loaders.homework_by_lesson.load_many([r.lesson.id for r in rows])
    grades_by_lesson: dict[int | None, list[models.Grade]] = defaultdict(list)
    for grade in grades:
        grades_by_lesson[grade.lesson_id].append(grade)
    by_day: dict[date, list[DiaryEntryData]] = defaultdict(list)
    for row, lesson_homework in zip(rows, homework, strict=True):
        by_day[row.lesson.date].append(DiaryEntryData(row, grades_by_lesson.get(row.lesson.id, []), lesson_homework))
    days: list[DiaryDayData] = []
    day = start
    while day <= end:
        off = next((d for d in days_off if d.start_date <= day <= d.end_date), None)
        days.append(DiaryDayData(day, day_kind(day, days_off), off.name if off else None, by_day.get(day, [])))
        day += timedelta(days=1)
    return days


@dataclass
class SubjectProgressData:
    subject_id: int
    grades: list[models.Grade]
    absences: int
    unexcused_absences: int
    late: int
    # The class the child had the subject in (the latest, after a transfer), for class figures.
    school_class_id: int | None = None

    @property
    def average(self) -> float | None:
        values = [g.numeric_value for g in self.grades if g.numeric_value is not None]
        return scales.round_average(sum(values) / len(values)) if values else None

    @property
    def weighted_average(self) -> float | None:
        counted = [(g.numeric_value, g.weight) for g in self.grades if g.numeric_value is not None]
        total = sum(w for _, w in counted)
        return scales.round_average(sum(v * w for v, w in counted) / total) if total else None


async def resolve_term(loaders: Loaders, student: models.Student, term_id: int | None) -> models.Term | None:
    """The requested term of the student's school (None if it is another school's), or the
    one containing today, else the last one that started, else the first."""
    terms = await loaders.terms_by_school.load(student.school_id)
    if term_id is not None:
        return next((t for t in terms if t.id == term_id), None)
    today = today_utc()
    started = [t for t in terms if t.start_date <= today]
    return started[-1] if started else (terms[0] if terms else None)


async def load_progress(loaders: Loaders, student: models.Student, term: models.Term) -> list[SubjectProgressData]:
    """Per subject taught to the child in the term (up to today): grades, plain and weighted
    averages, absences. Subjects come from the lessons, so one without grades still shows.
    Attendance is counted by the database: a whole class's progress must not build every
    lesson of the term as objects."""
    end = min(term.end_date, max(today_utc(), term.start_date))
    counts, grades = await asyncio.gather(
        loaders.lesson_counts_by_student.load(StudentRange(student.id, term.start_date, end)),
        loaders.grades_by_student.load(RangeKey(student.id, term.start_date, end)),
    )
    progress: dict[int, SubjectProgressData] = {}

    def entry(subject_id: int) -> SubjectProgressData:
        return progress.setdefault(subject_id, SubjectProgressData(subject_id, [], 0, 0, 0))

    for count in counts:  # by the last day of the subject in each class: the latest class wins
        item = entry(count.subject_id)
        item.school_class_id = count.class_id
        item.absences += count.absences
        item.unexcused_absences += count.unexcused
        item.late += count.late
    for grade in grades:
        graded = entry(grade.subject_id)
        graded.grades.append(grade)
        graded.school_class_id = graded.school_class_id or grade.school_class_id
    subjects = await loaders.subject_by_id.load_many(list(progress))
    names = {s.id: s.name for s in subjects if s is not None}
    return sorted(progress.values(), key=lambda p: (names.get(p.subject_id, ""), p.subject_id))
