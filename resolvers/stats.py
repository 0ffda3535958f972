"""Dashboards: a school's or a district's figures for a term, read from the roll-ups.

Each dashboard is a fixed handful of statements whatever the size of the school (a few
hundred roll-up rows each), grouped in SQL; Python only divides sums by counts. The same
statements run over the full recomputation of the roll-ups from grades and attendance
(``full_scan=True``): the benchmark's baseline, and the tests' proof that both agree.

Definitions (in hundredths of a mark, as the roll-ups count):
- average: the plain mean of the counted grades; weighted average: sum(mark x weight) /
  sum(weight), from sums and counts, never an average of averages;
- success: the share of the graded students (per class they were graded in) with no grade
  below the school's pass mark; quality: with only top grades (``top_mark``);
- attendance rate: (present + late) / marked; unexcused absences: ABSENT_UNEXCUSED marks;
- at risk: a student whose weighted average of the term is below the pass mark, or with at
  least ``AT_RISK_UNEXCUSED`` unexcused absences."""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import models
from resolvers import rollups, scales, sql

AT_RISK_UNEXCUSED = 8
ALL, SCHOOL, CLASS, SUBJECT, TEACHER, WEEK, MARK = "all", "school", "class", "subject", "teacher", "week", "mark"


def top_mark(school: models.School) -> float:
    """The lowest "top" mark: halfway from the pass mark to the best mark, rounded up to a mark
    of the scale. 1-5 with pass mark 3: 4 (4 and 5 are top); 1-10 with 4: 7; 1-12 with 4: 8;
    A-F (5..1) with 3: B; pass/fail (pass mark 1): pass."""
    values = sorted(m.numeric for m in scales.marks(school))
    if not values:
        return math.inf
    halfway = (school.pass_mark + values[-1]) / 2
    return next((v for v in values if v >= halfway - 1e-9), values[-1])


def _centi(value: float) -> int:
    return round(value * 100)


@dataclass(frozen=True)
class Figures:
    """Grades added up: counts and sums in hundredths."""

    grades: int = 0
    weight: int = 0
    mark_sum: int = 0
    weighted_sum: int = 0

    @property
    def average(self) -> float | None:
        return scales.round_average(self.mark_sum / self.grades / 100) if self.grades else None

    @property
    def weighted_average(self) -> float | None:
        return scales.round_average(self.weighted_sum / self.weight / 100) if self.weight else None


@dataclass(frozen=True)
class Attendance:
    marked: int = 0
    present: int = 0
    late: int = 0
    excused: int = 0
    unexcused: int = 0

    @property
    def rate(self) -> float | None:
        return scales.share(self.present + self.late, self.marked) if self.marked else None


@dataclass(frozen=True)
class Shares:
    """Graded students, those with no grade below the pass mark, those with only top grades."""

    students: int = 0
    successful: int = 0
    top: int = 0

    @property
    def success(self) -> float | None:
        return scales.share(self.successful, self.students) if self.students else None

    @property
    def quality(self) -> float | None:
        return scales.share(self.top, self.students) if self.students else None


@dataclass
class Group:
    """One row of a breakdown (``key``: an id, a Monday, a subject's name, or None for all)."""

    key: Any
    figures: Figures = field(default_factory=Figures)
    attendance: Attendance | None = None
    shares: Shares | None = None


@dataclass(frozen=True)
class AtRisk:
    student_id: int
    class_id: int
    weighted_average: float | None
    unexcused: int


@dataclass
class Stats:
    total: Group
    distribution: list[tuple[float, int]]
    groups: dict[str, list[Group]]
    at_risk: list[AtRisk] | None


def _sources(full_scan: bool) -> dict[str, str]:
    """Each roll-up table's name, or (full scan) its recomputation from the base rows."""
    found = {t.name: f"({t.recompute()})" if full_scan else t.name for t in rollups.ALL_TABLES}
    found["rollup_lowest_mark"] = f"({rollups.lowest_recompute()})" if full_scan else "rollup_lowest_mark"
    return found


@dataclass(frozen=True)
class Scope:
    """The terms and schools a dashboard covers (one of each for a school's)."""

    term_ids: list[int]
    schools: list[models.School]

    def where(self, alias: str) -> tuple[str, list[int]]:
        terms, schools = sql.placeholders(len(self.term_ids)), sql.placeholders(len(self.schools))
        return f"{alias}.term_id IN ({terms}) AND {alias}.school_id IN ({schools})", [
            *self.term_ids,
            *(s.id for s in self.schools),
        ]


_SUMS = "SUM(grades) AS grades, SUM(weight) AS weight, SUM(mark_sum) AS mark_sum, SUM(weighted_sum) AS weighted_sum"
_WEEK_SUMS = (
    "SUM(grades) AS grades, SUM(weight) AS weight, SUM(mark * grades) AS mark_sum, SUM(mark * weight) AS weighted_sum"
)
_ATTENDANCE_SUMS = (
    "SUM(marked) AS marked, SUM(present) AS present, SUM(late) AS late, SUM(excused) AS excused,"
    " SUM(unexcused) AS unexcused"
)


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(*(int(row[k] or 0) for k in ("grades", "weight", "mark_sum", "weighted_sum")))


def _attendance(row: dict[str, Any]) -> Attendance:
    return Attendance(*(int(row[k] or 0) for k in ("marked", "present", "late", "excused", "unexcused")))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def load(scope: Scope, *, district: bool, at_risk: bool, full_scan: bool = False) -> Stats:
    """The dashboard of ``scope``: five statements (four without the at-risk list)."""
    src = _sources(full_scan)
    where, params = scope.where("x")
    groups: dict[str, dict[Any, Group]] = {d: {} for d in (ALL, SCHOOL, CLASS, SUBJECT, TEACHER, WEEK)}

    def group(dim: str, key: Any) -> Group:
        return groups[dim].setdefault(key, Group(key))

    if district:  # subjects by name (each school has its own "Mathematics"), added up per id first
        per_subject = (
            f"SELECT x.subject_id AS subject_id, {_SUMS} FROM {src['rollup_grade']} x"
            f" WHERE {where} GROUP BY x.subject_id"
        )
        by_grade = (
            f"SELECT '{SUBJECT}' AS dim, s.name AS name, 0 AS id, SUM(r.grades) AS grades, SUM(r.weight) AS weight,"
            " SUM(r.mark_sum) AS mark_sum, SUM(r.weighted_sum) AS weighted_sum"
            f" FROM ({per_subject}) r JOIN subject s ON s.id = r.subject_id GROUP BY s.name"
        )
    else:
        by_grade = f"WITH r AS (SELECT * FROM {src['rollup_grade']} x WHERE {where}) " + " UNION ALL ".join(
            f"SELECT '{dim}' AS dim, '' AS name, {column} AS id, {_SUMS} FROM r GROUP BY {column}"
            for dim, column in ((CLASS, "school_class_id"), (SUBJECT, "subject_id"), (TEACHER, "teacher_id"))
        )
    by_week = (
        f"WITH r AS (SELECT * FROM {src['rollup_grade_week']} x WHERE {where}) "
        f"SELECT '{WEEK}' AS dim, week_start AS day, 0 AS id, {_WEEK_SUMS} FROM r GROUP BY week_start "
        f"UNION ALL SELECT '{MARK}', NULL, mark, {_WEEK_SUMS} FROM r GROUP BY mark "
        f"UNION ALL SELECT '{SCHOOL}', NULL, school_id, {_WEEK_SUMS} FROM r GROUP BY school_id "
        f"UNION ALL SELECT '{ALL}', NULL, 0, {_WEEK_SUMS} FROM r"
    )
    distribution: list[tuple[float, int]] = []
    thresholds = ", ".join("(CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER))" for _ in scope.schools)
    limits = [v for s in scope.schools for v in (s.id, _centi(s.pass_mark), _centi(min(top_mark(s), 1e6)))]
    by_lowest = (
        f"WITH th(school_id, pass, top) AS (VALUES {thresholds}), "
        f"r AS (SELECT x.school_id AS school_id, x.school_class_id AS school_class_id, x.lowest AS lowest,"
        f" x.students AS students, th.pass AS pass, th.top AS top FROM {src['rollup_lowest_mark']} x"
        f" JOIN th ON th.school_id = x.school_id WHERE {where}) "
        + " UNION ALL ".join(
            f"SELECT '{dim}' AS dim, {column} AS id, SUM(students) AS students,"
            " SUM(CASE WHEN lowest >= pass THEN students ELSE 0 END) AS successful,"
            f" SUM(CASE WHEN lowest >= top THEN students ELSE 0 END) AS top FROM r {grouping}"
            for dim, column, grouping in (
                *(() if district else ((CLASS, "school_class_id", "GROUP BY school_class_id"),)),
                (SCHOOL, "school_id", "GROUP BY school_id"),
                (ALL, "0", ""),
            )
        )
    )
    by_attendance = f"WITH r AS (SELECT * FROM {src['rollup_attendance']} x WHERE {where}) " + " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, {day} AS day, {column} AS id, {_ATTENDANCE_SUMS} FROM r {grouping}"
        for dim, day, column, grouping in (
            (WEEK, "week_start", "0", "GROUP BY week_start"),
            *(() if district else ((CLASS, "NULL", "school_class_id", "GROUP BY school_class_id"),)),
            (SCHOOL, "NULL", "school_id", "GROUP BY school_id"),
            (ALL, "NULL", "0", ""),
        )
    )
    # Independent statements: on PostgreSQL each takes its own pooled connection, so the
    # dashboard waits for the slowest, not for their sum.
    grade_rows, week_rows, lowest_rows, attendance_rows, risky = await asyncio.gather(
        sql.fetch(by_grade, params),
        sql.fetch(by_week, params),
        sql.fetch(by_lowest, [*limits, *params]),
        sql.fetch(by_attendance, params),
        _at_risk(src, scope, params) if at_risk else _nothing(),
    )
    for row in grade_rows:
        group(row["dim"], row["name"] if district else row["id"]).figures = _figures(row)

    for row in week_rows:
        if row["dim"] == MARK:
            if row["grades"]:
                distribution.append((int(row["id"]) / 100, int(row["grades"])))
            continue
        key = _day(row["day"]) if row["dim"] == WEEK else row["id"]
        group(row["dim"], key).figures = _figures(row)

    for row in lowest_rows:
        shares = Shares(int(row["students"] or 0), int(row["successful"] or 0), int(row["top"] or 0))
        group(row["dim"], row["id"] if row["dim"] != ALL else 0).shares = shares

    for row in attendance_rows:
        key = _day(row["day"]) if row["dim"] == WEEK else row["id"]
        group(row["dim"], key).attendance = _attendance(row)

    total = groups[ALL].get(0, Group(None))
    ordered = {dim: [g for _k, g in sorted(groups[dim].items(), key=lambda kv: kv[0])] for dim in groups}
    return Stats(total, sorted(distribution, reverse=True), ordered, risky)


async def _nothing() -> None:
    return None


async def _at_risk(src: dict[str, str], scope: Scope, params: list[int]) -> list[AtRisk]:
    where, _ = scope.where("x")
    pass_mark = _centi(scope.schools[0].pass_mark)
    statement = (
        "SELECT student_id, school_class_id, SUM(w) AS weight, SUM(ws) AS weighted, SUM(u) AS unexcused FROM ("
        f"SELECT x.student_id AS student_id, x.school_class_id AS school_class_id, x.weight AS w,"
        f" x.mark * x.weight AS ws, 0 AS u FROM {src['rollup_student_mark']} x WHERE {where} "
        f"UNION ALL SELECT x.student_id, x.school_class_id, 0, 0, x.unexcused FROM {src['rollup_student_attendance']} x"
        f" WHERE {where}) y GROUP BY student_id, school_class_id "
        "HAVING (SUM(w) > 0 AND SUM(ws) < CAST(? AS INTEGER) * SUM(w)) OR SUM(u) >= CAST(? AS INTEGER) "
        "ORDER BY student_id, school_class_id"
    )
    rows = await sql.fetch(statement, [*params, *params, pass_mark, AT_RISK_UNEXCUSED])
    return [
        AtRisk(
            int(r["student_id"]),
            int(r["school_class_id"]),
            scales.round_average(int(r["weighted"]) / int(r["weight"]) / 100) if r["weight"] else None,
            int(r["unexcused"] or 0),
        )
        for r in rows
    ]


async def district_terms(term: models.Term, district_id: int) -> list[int]:
    """The terms of every school of the district that stand for ``term``: the same number in
    an academic year of the same name (schools draw their own term dates)."""
    year = await models.AcademicYear.get(id=term.academic_year_id)
    rows = await models.Term.filter(
        school__district_id=district_id, number=term.number, academic_year__name=year.name
    ).values_list("id", flat=True)
    return sorted(int(str(i)) for i in rows)
