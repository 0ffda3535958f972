"""A child's progress compared with the class: final grades, suggested grades, class
averages, the progress chart and the class rank. Read side only; every figure comes from
batched loaders, so a request costs the same statements for one child or several.

Class figures are anonymous aggregates: nothing here returns another child's name or id."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

import models
from resolvers import grades
from resolvers.averages import ChartKey, ClassRange, Totals
from resolvers.core import today_utc
from resolvers.loaders import Loaders
from resolvers.policy import windows

if TYPE_CHECKING:
    from resolvers.diary import SubjectProgressData

MAX_CHART_DAYS = 366


class Bucket(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"


def weighted(totals: Totals | None) -> float | None:
    """The weighted average of some totals, 2 decimals; ``None`` without counted grades."""
    if totals is None or not totals.weight:
        return None
    return grades.round_average(totals.total / totals.weight)


def period_key(term: models.Term) -> str:
    return f"term:{term.id}"


async def resolve_school_term(loaders: Loaders, school_id: int, term_id: int | None) -> models.Term | None:
    """The requested term of the school (None if it is another school's), or the one
    containing today, else the last one that started, else the first."""
    terms = await loaders.terms_by_school.load(school_id)
    loaders.prime_many(loaders.term_by_id, terms)
    if term_id is not None:
        return next((t for t in terms if t.id == term_id), None)
    started = [t for t in terms if t.start_date <= today_utc()]
    return started[-1] if started else (terms[0] if terms else None)


@dataclass
class SubjectFigures:
    """What a child's line of progress shows beside the child's own figures, for all of the
    child's subjects at once (each only when asked for: ``subject_figures``)."""

    term_grades: dict[int, models.TermGrade] = field(default_factory=dict)  # by subject id
    suggested: dict[int, grades.Mark] = field(default_factory=dict)
    class_averages: dict[int, float] = field(default_factory=dict)


async def subject_figures(
    loaders: Loaders,
    student: models.Student,
    term: models.Term,
    rows: list[SubjectProgressData],
    *,
    term_grades: bool,
    suggestions: bool,
    class_averages: bool,
) -> SubjectFigures:
    """For the child's ``rows`` over ``term``: the final grades set (in a class the viewer's
    windows reach: after a transfer, the new class's is not the old side's; a group's teacher's,
    only for a term the child was in their group: ``windows.reaches_term``), the marks the
    school's rounding rule makes of the weighted averages, and the class's weighted averages of
    each subject (all grades of every student of the class the child had it in). Through the
    request's loaders, so a whole class's students cost the statements of one."""
    figures = SubjectFigures()
    # The loaders' futures first, awaited after: one batch each for the whole class, and no task
    # per child and figure (a class's progress is 30 children; gathering coroutines made a task
    # for each of them).
    averages = {r.subject_id: a for r in rows if (a := r.weighted_average) is not None} if suggestions else {}
    classes = sorted({r.school_class_id for r in rows if r.school_class_id is not None}) if class_averages else []
    found = loaders.term_grades_by_student.load((student.id, period_key(term))) if term_grades else None
    seen = loaders.windows_by_student.load(student.id) if term_grades else None
    school = loaders.school_by_id.load(student.school_id) if averages else None
    keys = [ClassRange(c, term.start_date, term.end_date) for c in classes]
    totals = loaders.subject_totals_by_class.load_many(keys) if keys else None
    if found is not None and seen is not None:
        reached = await seen
        for t in await found:  # by subject, then id: the first one reached is the subject's
            if windows.reaches_term(reached, t.school_class_id, term.start_date, term.end_date):
                figures.term_grades.setdefault(t.subject_id, t)
    if school is not None and (rules := await school) is not None:
        for subject_id, average in averages.items():
            if (mark := grades.suggest(rules, average)) is not None:
                figures.suggested[subject_id] = mark
    if totals is not None:
        by_class = dict(zip(classes, await totals, strict=True))
        for row in rows:
            mean = weighted(by_class[row.school_class_id].get(row.subject_id)) if row.school_class_id else None
            if mean is not None:
                figures.class_averages[row.subject_id] = mean
    return figures


# --- the progress chart ---------------------------------------------------------------


@dataclass
class ProgressPointData:
    bucket_start: date
    weighted_average: float | None
    running_weighted_average: float | None
    class_weighted_average: float | None
    grade_count: int


def bucket_start(day: date, bucket: Bucket) -> date:
    """Monday of the day's week, or the 1st of its month."""
    return day - timedelta(days=day.weekday()) if bucket == Bucket.WEEK else day.replace(day=1)


def next_bucket(start: date, bucket: Bucket) -> date:
    if bucket == Bucket.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


async def load_chart(
    loaders: Loaders, student: models.Student, subject_id: int, start: date, end: date, bucket: Bucket
) -> list[ProgressPointData]:
    """Every bucket from the one containing ``start`` to the one containing ``end``; only
    grades from ``start`` to ``end`` count. The running average runs from ``start``."""
    days, seen = await asyncio.gather(
        loaders.day_totals_by_chart.load(ChartKey(student.id, subject_id, start, end)),
        loaders.windows_by_student.load(student.id),
    )
    days = [d for d in days if windows.in_windows(seen, d.day)]  # a teacher: the days the child was in their class
    points: list[ProgressPointData] = []
    running = Totals()
    position = 0
    first = bucket_start(start, bucket)
    while first <= end:
        after = next_bucket(first, bucket)
        own, in_class, count = Totals(), Totals(), 0
        while position < len(days) and days[position].day < after:
            own, in_class = own + days[position].own, in_class + days[position].in_class
            count += days[position].own_count
            position += 1
        running = running + own
        points.append(ProgressPointData(first, weighted(own), weighted(running), weighted(in_class), count))
        first = after
    return points


# --- the class rank ---------------------------------------------------------------------


@dataclass
class RankData:
    position: int | None
    class_size: int
    weighted_average: float | None
    class_weighted_average: float | None
    distribution: list[tuple[grades.Mark, int]]


def competition_position(averages: list[float], own: float) -> int:
    """Standard competition ranking (1, 2, 2, 4): one more than the number of better averages."""
    return 1 + sum(1 for a in averages if a > own)


async def load_rank(loaders: Loaders, student: models.Student, term: models.Term) -> RankData | None:
    """The child's position in their current class by the weighted average of all the
    term's grades, with the class's anonymous distribution of suggested marks. A group's
    teacher reads it only for a term the child was in their group (``windows.reaches_term``)."""
    school_class, school, seen = await asyncio.gather(
        loaders.class_by_student.load(student.id),
        loaders.school_by_id.load(student.school_id),
        loaders.windows_by_student.load(student.id),
    )
    if (
        school_class is None
        or school is None
        or not windows.reaches_term(seen, school_class.id, term.start_date, term.end_date)
    ):
        return None  # the old class's side after a transfer: the child's place in the new class is not theirs
    totals = await loaders.student_totals_by_class.load(ClassRange(school_class.id, term.start_date, term.end_date))
    averages = {sid: avg for sid, t in totals.items() if (avg := weighted(t)) is not None}
    own = averages.get(student.id)
    counts = Counter(mark.value for avg in averages.values() if (mark := grades.suggest(school, avg)) is not None)
    overall = Totals()
    for t in totals.values():
        overall = overall + t
    return RankData(
        position=competition_position(list(averages.values()), own) if own is not None else None,
        class_size=len(averages),
        weighted_average=own,
        class_weighted_average=weighted(overall),
        distribution=[(mark, counts.get(mark.value, 0)) for mark in grades.marks(school)],
    )
