"""Aggregate statements over grades: a class's weighted sums per subject, per student, per day.

Each batch function answers every key of a batch with ONE statement: one ``UNION ALL`` branch
per key, tagged with the key's position (an integer literal, never user input), so that keys
with different classes, subjects and date ranges still cost a single round trip. Removed
grades (``deleted_at``) and grades without a numeric value never count."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import models
from resolvers import core, policy

_COUNTED = "g.deleted_at IS NULL AND g.numeric_value IS NOT NULL"


class Counted(Protocol):
    """What an average reads of a grade: a ``models.Grade``, or the journal's ``CellGrade`` tuple."""

    @property
    def numeric_value(self) -> float | None: ...
    @property
    def weight(self) -> int: ...


@dataclass(frozen=True)
class Totals:
    """A weighted sum of numeric values and the sum of the weights."""

    total: float = 0.0
    weight: float = 0.0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.total + other.total, self.weight + other.weight)


@dataclass(frozen=True)
class ClassRange:
    """A class and an inclusive date range (a term's dates)."""

    class_id: int
    start: date
    end: date


@dataclass(frozen=True)
class StudentRange:
    """A student and an inclusive date range."""

    student_id: int
    start: date
    end: date


@dataclass(frozen=True)
class LessonCounts:
    """A student's lessons of one subject in one class over a range, with their attendance."""

    subject_id: int
    class_id: int
    last_day: date
    absences: int
    unexcused: int
    late: int


@dataclass(frozen=True)
class ChartKey:
    """A student's chart of one subject over an inclusive date range."""

    student_id: int
    subject_id: int
    start: date
    end: date


@dataclass(frozen=True)
class DayTotals:
    """One day of a chart: the child's grades and the grades of the child's class that day."""

    day: date
    own: Totals
    own_count: int
    in_class: Totals


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def _union(branch: str, params: Sequence[list[Any]]) -> list[dict[str, Any]]:
    statement = "\nUNION ALL\n".join(branch.format(k=i) for i in range(len(params)))
    return await core.fetch(statement, [p for branch_params in params for p in branch_params])


_BY_SUBJECT = f"""
SELECT {{k}} AS k, g.subject_id AS subject_id, SUM(g.numeric_value * g.weight) AS total, SUM(g.weight) AS weight
FROM grade g
WHERE g.school_class_id = ? AND g.date >= ? AND g.date <= ? AND {_COUNTED}
GROUP BY g.subject_id
"""


async def totals_by_subject(keys: list[ClassRange]) -> list[dict[int, Totals]]:
    """Per key: the weighted sums of all grades of the class in the range, per subject."""
    rows = await _union(_BY_SUBJECT, [[k.class_id, k.start, k.end] for k in keys])
    found: dict[int, dict[int, Totals]] = defaultdict(dict)
    for row in rows:
        found[row["k"]][row["subject_id"]] = Totals(float(row["total"]), float(row["weight"]))
    return [found.get(i, {}) for i in range(len(keys))]


_BY_STUDENT = f"""
SELECT {{k}} AS k, g.student_id AS student_id, SUM(g.numeric_value * g.weight) AS total, SUM(g.weight) AS weight
FROM grade g
WHERE g.school_class_id = ? AND g.date >= ? AND g.date <= ? AND {_COUNTED}
GROUP BY g.student_id
"""


async def totals_by_student(keys: list[ClassRange]) -> list[dict[int, Totals]]:
    """Per key: the weighted sums of each student's grades in the class over the range, all
    subjects together."""
    rows = await _union(_BY_STUDENT, [[k.class_id, k.start, k.end] for k in keys])
    found: dict[int, dict[int, Totals]] = defaultdict(dict)
    for row in rows:
        found[row["k"]][row["student_id"]] = Totals(float(row["total"]), float(row["weight"]))
    return [found.get(i, {}) for i in range(len(keys))]


# The class of each grade's day is the class the child was enrolled in on that day, so a
# transferred child is compared with the class they were in at the time.
_BY_DAY = """
SELECT {k} AS k, g.date AS day,
       SUM(CASE WHEN g.student_id = e.student_id AND g.numeric_value IS NOT NULL
                THEN g.numeric_value * g.weight ELSE 0 END) AS own_total,
       SUM(CASE WHEN g.student_id = e.student_id AND g.numeric_value IS NOT NULL
                THEN g.weight ELSE 0 END) AS own_weight,
       SUM(CASE WHEN g.student_id = e.student_id THEN 1 ELSE 0 END) AS own_count,
       SUM(CASE WHEN g.numeric_value IS NOT NULL THEN g.numeric_value * g.weight ELSE 0 END) AS class_total,
       SUM(CASE WHEN g.numeric_value IS NOT NULL THEN g.weight ELSE 0 END) AS class_weight
FROM grade g
JOIN enrollment e ON e.school_class_id = g.school_class_id AND e.student_id = ?
     AND g.date >= e.start_date AND (e.end_date IS NULL OR g.date <= e.end_date)
WHERE g.subject_id = ? AND g.date >= ? AND g.date <= ? AND g.deleted_at IS NULL
GROUP BY g.date
"""


async def totals_by_day(keys: list[ChartKey]) -> list[list[DayTotals]]:
    """Per key: each day with grades, in date order."""
    rows = await _union(_BY_DAY, [[k.student_id, k.subject_id, k.start, k.end] for k in keys])
    found: dict[int, list[DayTotals]] = defaultdict(list)
    for row in rows:
        found[row["k"]].append(
            DayTotals(
                _day(row["day"]),
                Totals(float(row["own_total"]), float(row["own_weight"])),
                int(row["own_count"]),
                Totals(float(row["class_total"]), float(row["class_weight"])),
            )
        )
    return [sorted(found.get(i, []), key=lambda d: d.day) for i in range(len(keys))]


_EXCUSED, _UNEXCUSED, _LATE = (
    models.AttendanceStatus.ABSENT_EXCUSED.value,
    models.AttendanceStatus.ABSENT_UNEXCUSED.value,
    models.AttendanceStatus.LATE.value,
)
# The child's lessons (``policy.LESSONS_OF_STUDENTS``, as the diary: a group's only for its
# members that day), by the class the child was enrolled in that day. Only the marks the counts
# count are joined (a lesson's mark is unique per child, so a lesson without one still counts
# once for its day): most marks are "present", and joining every one of them was about a tenth
# of the statement (a class's progress: 6,000 lessons x children, 600 marks counted). The
# lesson's subject and day come with the rule's rows (reading the lesson again by id for them
# was about a fifth of the statement).
_LESSON_COUNTS = f"""
SELECT {{k}} AS k, e.student_id AS student_id, e.subject_id AS subject_id, e.class_id AS class_id,
       MAX(e.lesson_date) AS last_day,
       SUM(CASE WHEN a.status IN ('{_EXCUSED}', '{_UNEXCUSED}') THEN 1 ELSE 0 END) AS absences,
       SUM(CASE WHEN a.status = '{_UNEXCUSED}' THEN 1 ELSE 0 END) AS unexcused,
       SUM(CASE WHEN a.status = '{_LATE}' THEN 1 ELSE 0 END) AS late
FROM ({policy.LESSONS_OF_STUDENTS}) e
LEFT JOIN attendance a ON a.lesson_id = e.lesson_id AND a.student_id = e.student_id
     AND a.status IN ('{_EXCUSED}', '{_UNEXCUSED}', '{_LATE}')
WHERE e.student_id IN ({{ids}}) AND e.lesson_date >= ? AND e.lesson_date <= ?
GROUP BY e.student_id, e.subject_id, e.class_id
"""


async def _per_range(template: str, keys: list[StudentRange]) -> tuple[list[dict[str, Any]], list[int]]:
    """Rows of ``template`` for every key, one branch per distinct date range (a class's
    progress: one term, one branch) with all its students in ``{ids}``; and, per key, the
    branch number its rows carry in ``k``."""
    ranges = list(dict.fromkeys((k.start, k.end) for k in keys))
    students = {r: sorted({k.student_id for k in keys if (k.start, k.end) == r}) for r in ranges}
    branches = [template.format(k=i, ids=core.placeholders(len(students[r]))) for i, r in enumerate(ranges)]
    params = [p for r in ranges for p in (*students[r], r[0], r[1])]
    rows = await core.fetch("\nUNION ALL\n".join(branches), params)
    return rows, [ranges.index((k.start, k.end)) for k in keys]


async def lesson_counts(keys: list[StudentRange]) -> list[list[LessonCounts]]:
    """Per key: per subject and class, the child's lessons' last day and attendance counts."""
    rows, branch = await _per_range(_LESSON_COUNTS, keys)
    found: dict[tuple[int, int], list[LessonCounts]] = defaultdict(list)
    for row in rows:
        found[row["k"], row["student_id"]].append(
            LessonCounts(
                row["subject_id"],
                row["class_id"],
                _day(row["last_day"]),
                int(row["absences"]),
                int(row["unexcused"]),
                int(row["late"]),
            )
        )
    return [
        sorted(found.get((b, k.student_id), []), key=lambda c: c.last_day) for b, k in zip(branch, keys, strict=True)
    ]


@dataclass(frozen=True)
class GradeTotals:
    """A student's grades in one subject over a range, added up."""

    subject_id: int
    class_id: int  # the (highest) class the grades were given in
    grades: int  # every grade, with or without a numeric value
    counted: int  # those with a numeric value
    plain: float  # the sum of their numeric values
    weighted: Totals


_GRADE_TOTALS = """
SELECT {k} AS k, g.student_id AS student_id, g.subject_id AS subject_id, MAX(g.school_class_id) AS class_id,
       COUNT(*) AS grades, COUNT(g.numeric_value) AS counted, SUM(g.numeric_value) AS plain,
       SUM(g.numeric_value * g.weight) AS total,
       SUM(CASE WHEN g.numeric_value IS NOT NULL THEN g.weight ELSE 0 END) AS weight
FROM grade g
WHERE g.student_id IN ({ids}) AND g.date >= ? AND g.date <= ? AND g.deleted_at IS NULL
GROUP BY g.student_id, g.subject_id
"""


async def grade_totals(keys: list[StudentRange]) -> list[list[GradeTotals]]:
    """Per key: per subject, the child's grades added up (removed ones never count)."""
    rows, branch = await _per_range(_GRADE_TOTALS, keys)
    found: dict[tuple[int, int], list[GradeTotals]] = defaultdict(list)
    for row in rows:
        found[row["k"], row["student_id"]].append(
            GradeTotals(
                row["subject_id"],
                row["class_id"],
                int(row["grades"]),
                int(row["counted"]),
                float(row["plain"] or 0),
                Totals(float(row["total"] or 0), float(row["weight"] or 0)),
            )
        )
    return [found.get((b, k.student_id), []) for b, k in zip(branch, keys, strict=True)]
