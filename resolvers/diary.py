"""A student's diary and progress: read side, assembled from batch loaders."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import models
from resolvers import grades as grading
from resolvers.averages import Counted, StudentRange, Totals
from resolvers.core import _, ngettext, today_utc
from resolvers.errors import BadUserInput
from resolvers.loaders import DiaryRow, Loaders, RangeKey
from resolvers.policy import windows
from resolvers.school_days import day_kind


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


def check_ahead(days: int, max_days: int) -> None:
    """A look ahead of ``days`` days (``Student.upcomingAssessments``): 0 to ``max_days``."""
    if not 0 <= days <= max_days:
        raise BadUserInput(_("`days` is from 0 to {n}.", n=max_days), argument="days")


def check_range(start: date, end: date, max_days: int) -> None:
    if end < start:
        raise BadUserInput(_("`to` must not be before `from`."), argument="to")
    days = (end - start).days + 1
    if days > max_days:
        raise BadUserInput(
            ngettext(
                "A range covers at most {n} day; this one covers {days}.",
                "A range covers at most {n} days; this one covers {days}.",
                max_days,
                days=days,
            ),
            argument="to",
            maxDays=max_days,
        )


async def load_diary(loaders: Loaders, student: models.Student, start: date, end: date) -> list[DiaryDayData]:
    """Every day of the range, with its kind and, for each lesson, this child's grades,
    attendance and the homework due."""
    rows = await loaders.diary_by_student.load(RangeKey(student.id, start, end))
    # The diary's statement brought the school's days off (``Loaders._prime_days_off``): no statement.
    days_off = await loaders.days_off_by_school.load(RangeKey(student.school_id, start, end))
    by_day: dict[date, list[DiaryEntryData]] = defaultdict(list)
    for row in rows:
        grades = [g for g in row.grades if start <= g.date <= end]  # the lesson's row brings the child's grades
        by_day[row.lesson.date].append(DiaryEntryData(row, grades, row.homework))
    days: list[DiaryDayData] = []
    day = start
    while day <= end:
        off = next((d for d in days_off if d.start_date <= day <= d.end_date), None)
        days.append(DiaryDayData(day, day_kind(day, days_off), off.name if off else None, by_day.get(day, [])))
        day += timedelta(days=1)
    return days


def average_of(grades: Sequence[Counted]) -> float | None:
    """Plain mean of the numeric values, 2 decimals; ``None`` without any."""
    values = [g.numeric_value for g in grades if g.numeric_value is not None]
    return grading.round_average(sum(values) / len(values)) if values else None


def weighted_average_of(grades: Sequence[Counted]) -> float | None:
    """Mean weighted by each grade's weight, 2 decimals; ``None`` without any."""
    counted = [(g.numeric_value, g.weight) for g in grades if g.numeric_value is not None]
    total = sum(w for _, w in counted)
    return grading.round_average(sum(v * w for v, w in counted) / total) if total else None


@dataclass
class SubjectProgressData:
    """A child's figures in one subject over ``start``..``end``, added up by the database;
    the grades themselves are loaded only when asked for (``grades_key``)."""

    subject_id: int
    student_id: int
    start: date
    end: date
    absences: int = 0
    unexcused_absences: int = 0
    late: int = 0
    # The class the child had the subject in (the latest, after a transfer), for class figures.
    school_class_id: int | None = None
    counted: int = 0
    plain_total: float = 0.0
    weighted: Totals = field(default_factory=Totals)

    @property
    def grades_key(self) -> RangeKey:
        return RangeKey(self.student_id, self.start, self.end)

    @property
    def average(self) -> float | None:
        return grading.round_average(self.plain_total / self.counted) if self.counted else None

    @property
    def weighted_average(self) -> float | None:
        w = self.weighted
        return grading.round_average(w.total / w.weight) if w.weight else None


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
    """Per subject taught to the child in the term (up to today): plain and weighted
    averages, absences, over the part of the term in the viewer's windows (a teacher counts
    only the grades given while the child was in their class). Subjects come from the
    lessons, so one without grades still shows. Both are added up by the database: a whole
    class's progress must not build every lesson and grade of the term as objects. In no set
    order: ``Student.progress`` orders the lines by their subjects' names, loaded in the round
    of the lines' other figures."""
    end = min(term.end_date, max(today_utc(), term.start_date))
    reached = windows.spans(await loaders.windows_by_student.load(student.id), term.start_date, end)
    if not reached:  # none of the term is in the viewer's windows (a teacher of the other class)
        return []
    # each part the windows reach (a group's teacher: the child's days in their group, not the
    # days between a leave and a return), added up; one statement each for any number of parts
    start, end = reached[0][0], reached[-1][1]
    keys = [StudentRange(student.id, first, last) for first, last in reached]
    parts_counts, parts_totals = await asyncio.gather(
        loaders.lesson_counts_by_student.load_many(keys), loaders.grade_totals_by_student.load_many(keys)
    )
    progress: dict[int, SubjectProgressData] = {}

    def entry(subject_id: int) -> SubjectProgressData:
        return progress.setdefault(subject_id, SubjectProgressData(subject_id, student.id, start, end))

    # by the last day of the subject in each class: the latest class wins
    for count in sorted((c for part in parts_counts for c in part), key=lambda c: c.last_day):
        item = entry(count.subject_id)
        item.school_class_id = count.class_id
        item.absences += count.absences
        item.unexcused_absences += count.unexcused
        item.late += count.late
    graded_in: dict[int, int] = {}
    for total in (t for part in parts_totals for t in part):
        graded = entry(total.subject_id)
        graded.counted += total.counted
        graded.plain_total += total.plain
        graded.weighted = graded.weighted + total.weighted
        graded_in[total.subject_id] = max(graded_in.get(total.subject_id, 0), total.class_id)
    for subject_id, class_id in graded_in.items():
        progress[subject_id].school_class_id = progress[subject_id].school_class_id or class_id
    return list(progress.values())
