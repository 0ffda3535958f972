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
import functools
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet, ValuesListQuery

import models
from resolvers import core, policy
from resolvers import grades as grading
from resolvers.sessions import Viewer

M = TypeVar("M", bound=Model)
AT_RISK_UNEXCUSED = 8
ALL, SCHOOL, CLASS, SUBJECT, TEACHER, WEEK, MARK = "all", "school", "class", "subject", "teacher", "week", "mark"


def top_mark(school: models.School) -> float:
    """The lowest "top" mark: halfway from the pass mark to the best mark, rounded up to a mark
    of the scale. 1-5 with pass mark 3: 4 (4 and 5 are top); 1-10 with 4: 7; 1-12 with 4: 8;
    A-F (5..1) with 3: B; pass/fail (pass mark 1): pass. Worked out once per scale (a district's
    dashboard asks it for each of its hundred schools, mostly of the same scale)."""
    listed = tuple((str(m["value"]), float(m["numeric"])) for m in school.scale_marks or ())
    return _top_mark(school.scale_kind, school.scale_min, school.scale_max, listed, school.pass_mark)


Listed = tuple[tuple[str, float], ...]  # a scale's marks as (value, numeric), hashable


@functools.lru_cache(maxsize=256)
def _top_mark(kind: models.ScaleKind, low: int, high: int, listed: Listed, passing: int) -> float:
    scale = [{"value": value, "numeric": numeric} for value, numeric in listed]
    school = models.School(scale_kind=kind, scale_min=low, scale_max=high, scale_marks=scale, pass_mark=passing)
    values = sorted(m.numeric for m in grading.marks(school))
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
        return grading.round_average(self.mark_sum / self.grades / 100) if self.grades else None

    @property
    def weighted_average(self) -> float | None:
        return grading.round_average(self.weighted_sum / self.weight / 100) if self.weight else None


@dataclass(frozen=True)
class Attendance:
    marked: int = 0
    present: int = 0
    late: int = 0
    excused: int = 0
    unexcused: int = 0

    @property
    def rate(self) -> float | None:
        return grading.share(self.present + self.late, self.marked) if self.marked else None


@dataclass(frozen=True)
class Shares:
    """Graded students, those with no grade below the pass mark, those with only top grades."""

    students: int = 0
    successful: int = 0
    top: int = 0

    @property
    def success(self) -> float | None:
        return grading.share(self.successful, self.students) if self.students else None

    @property
    def quality(self) -> float | None:
        return grading.share(self.top, self.students) if self.students else None


@dataclass
class Group:
    """One row of a breakdown (``key``: an id, a Monday, a subject's name, or None for all)."""

    key: Any
    figures: Figures = field(default_factory=Figures)
    attendance: Attendance | None = None
    shares: Shares | None = None


@dataclass(frozen=True)
class AtRisk:
    student: models.Student
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
    found = {t.name: f"({t.recompute()})" if full_scan else t.name for t in grading.ALL_TABLES}
    found["rollup_lowest_mark"] = f"({grading.lowest_recompute()})" if full_scan else "rollup_lowest_mark"
    return found


@dataclass(frozen=True)
class Scope:
    """The terms and schools a dashboard covers (one of each for a school's). Every term is a
    term of one of the schools (the callers read them from those schools), and a roll-up row's
    school is its term's: the rows are chosen by term alone (a test of the school too would cost
    the district's dashboard a comparison with each of its hundred schools per row)."""

    term_ids: list[int]
    schools: list[models.School]

    def where(self, alias: str) -> tuple[str, list[int]]:
        return f"{alias}.term_id IN ({core.placeholders(len(self.term_ids))})", list(self.term_ids)


_NO_DAY, _NO_NAME = "CAST(NULL AS DATE)", "CAST(NULL AS TEXT)"
_NUMBERS = ("a", "b", "c", "d", "e")  # the numbers of a row of the dashboard's statement, by source:
_GRADE_SUMS = ("SUM(grades)", "SUM(weight)", "SUM(mark_sum)", "SUM(weighted_sum)", "0")  # Figures
_WEEK_SUMS = ("SUM(grades)", "SUM(weight)", "SUM(mark * grades)", "SUM(mark * weight)", "0")  # Figures
_LOWEST_SUMS = ("SUM(students)", "SUM(successful)", "SUM(top)", "0", "0")  # Shares
_ATTENDANCE_SUMS = ("SUM(marked)", "SUM(present)", "SUM(late)", "SUM(excused)", "SUM(unexcused)")  # Attendance


def _numbers(sums: tuple[str, ...]) -> str:
    return ", ".join(f"{value} AS {name}" for value, name in zip(sums, _NUMBERS, strict=True))


def _branch(source: str, dim: str, table: str, sums: tuple[str, ...], by: str | None = None, day: bool = False) -> str:
    """One breakdown as rows of the dashboard's statement: (source, dim, id, day, name, a..e)."""
    key = "0" if by is None else ("0" if day else by)
    grouping = f" GROUP BY {by}" if by else ""
    return (
        f"SELECT '{source}' AS src, '{dim}' AS dim, {key} AS id, {by if day else _NO_DAY} AS day, "
        f"{_NO_NAME} AS name, {_numbers(sums)} FROM {table}{grouping}"
    )


def _statements(scope: Scope, src: dict[str, str], district: bool) -> list[tuple[str, list[Any]]]:
    """The dashboard's figures: each roll-up's rows of the scope added up once to the finest
    grain a breakdown needs (a district's: per school, not per class), then grouped by each
    breakdown. One statement for a school's; a district's grades by subject (40,000 roll-up rows
    at 100 schools) apart from the rest (as many): on PostgreSQL the two run side by side."""
    where, terms = scope.where("x")
    unit = "school_id" if district else "school_class_id"  # what success and attendance break down by
    thresholds = ", ".join("(CAST(? AS INTEGER), CAST(? AS INTEGER), CAST(? AS INTEGER))" for _ in scope.schools)
    limits = [v for s in scope.schools for v in (s.id, _centi(s.pass_mark), _centi(min(top_mark(s), 1e6)))]
    if district:  # subjects by name (each school has its own "Mathematics"), added up per id first
        grade = (
            f"SELECT s.name AS name, SUM(r.grades) AS grades, SUM(r.weight) AS weight, SUM(r.mark_sum) AS mark_sum,"
            " SUM(r.weighted_sum) AS weighted_sum FROM (SELECT x.subject_id AS subject_id, SUM(x.grades) AS grades,"
            " SUM(x.weight) AS weight, SUM(x.mark_sum) AS mark_sum, SUM(x.weighted_sum) AS weighted_sum"
            f" FROM {src['rollup_grade']} x WHERE {where} GROUP BY x.subject_id) r"
            " JOIN subject s ON s.id = r.subject_id GROUP BY s.name"
        )
        sums = ("grades", "weight", "mark_sum", "weighted_sum", "0")
        by_grade = [
            f"SELECT 'grade' AS src, '{SUBJECT}' AS dim, 0 AS id, {_NO_DAY} AS day, name, {_numbers(sums)} FROM g"
        ]
        by_week = [(WEEK, "week_start"), (MARK, "mark"), (SCHOOL, "school_id"), (ALL, None)]
    else:
        grade = (
            "SELECT x.school_class_id AS school_class_id, x.subject_id AS subject_id, x.teacher_id AS teacher_id,"
            " x.grades AS grades, x.weight AS weight, x.mark_sum AS mark_sum, x.weighted_sum AS weighted_sum"
            f" FROM {src['rollup_grade']} x WHERE {where}"
        )
        by_grade = [
            _branch("grade", dim, "g", _GRADE_SUMS, column)
            for dim, column in ((CLASS, "school_class_id"), (SUBJECT, "subject_id"), (TEACHER, "teacher_id"))
        ]
        by_week = [(WEEK, "week_start"), (MARK, "mark"), (ALL, None)]
    week = (
        "SELECT x.school_id AS school_id, x.week_start AS week_start, x.mark AS mark, x.grades AS grades,"
        f" x.weight AS weight FROM {src['rollup_grade_week']} x WHERE {where}"
    )
    lowest = (
        f"SELECT x.{unit} AS unit, SUM(x.students) AS students,"
        " SUM(CASE WHEN x.lowest >= th.pass THEN x.students ELSE 0 END) AS successful,"
        " SUM(CASE WHEN x.lowest >= th.top THEN x.students ELSE 0 END) AS top"
        f" FROM {src['rollup_lowest_mark']} x JOIN th ON th.school_id = x.school_id WHERE {where} GROUP BY x.{unit}"
    )
    attendance = (
        f"SELECT x.{unit} AS unit, x.week_start AS week_start, SUM(x.marked) AS marked, SUM(x.present) AS present,"
        " SUM(x.late) AS late, SUM(x.excused) AS excused, SUM(x.unexcused) AS unexcused"
        f" FROM {src['rollup_attendance']} x WHERE {where} GROUP BY x.{unit}, x.week_start"
    )
    unit_dim = SCHOOL if district else CLASS
    grades = _Part([("g", grade, terms)], by_grade)
    rest = _Part(
        [
            ("th(school_id, pass, top)", f"VALUES {thresholds}", limits),
            ("w", week, terms),
            ("l", lowest, terms),
            ("a", attendance, terms),
        ],
        [
            *(_branch("week", dim, "w", _WEEK_SUMS, column, day=dim == WEEK) for dim, column in by_week),
            _branch("lowest", unit_dim, "l", _LOWEST_SUMS, "unit"),
            _branch("lowest", ALL, "l", _LOWEST_SUMS),
            _branch("attendance", WEEK, "a", _ATTENDANCE_SUMS, "week_start", day=True),
            _branch("attendance", unit_dim, "a", _ATTENDANCE_SUMS, "unit"),
            _branch("attendance", ALL, "a", _ATTENDANCE_SUMS),
        ],
    )
    parts = [grades, rest] if district else [_Part(grades.tables + rest.tables, grades.rows + rest.rows)]
    return [part.statement() for part in parts]


@dataclass(frozen=True)
class _Part:
    """A statement of the dashboard: named subqueries (name, SQL, values), then its rows."""

    tables: list[tuple[str, str, list[Any]]]
    rows: list[str]

    def statement(self) -> tuple[str, list[Any]]:
        named = ", ".join(f"{name} AS ({text})" for name, text, _values in self.tables)
        return f"WITH {named} " + " UNION ALL ".join(self.rows), [v for _n, _t, values in self.tables for v in values]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def load(scope: Scope, *, district: bool, at_risk: bool, full_scan: bool = False) -> Stats:
    """The dashboard of ``scope``: one statement (a district's: two), and one for the at-risk list."""
    src = _sources(full_scan)
    groups: dict[str, dict[Any, Group]] = {d: {} for d in (ALL, SCHOOL, CLASS, SUBJECT, TEACHER, WEEK)}

    def group(dim: str, key: Any) -> Group:
        return groups[dim].setdefault(key, Group(key))

    found, risky = await asyncio.gather(
        asyncio.gather(*(core.fetch(text, values) for text, values in _statements(scope, src, district))),
        _at_risk(src, scope) if at_risk else _nothing(),
    )
    distribution: list[tuple[float, int]] = []
    for row in (row for rows in found for row in rows):
        source, dim = row["src"], row["dim"]
        values = [int(row[k] or 0) for k in _NUMBERS]
        if source == "week" and dim == MARK:
            if values[0]:
                distribution.append((int(row["id"]) / 100, values[0]))
            continue
        key = row["name"] if dim == SUBJECT and district else (_day(row["day"]) if dim == WEEK else row["id"])
        if source in ("grade", "week"):
            group(dim, key).figures = Figures(*values[:4])
        elif source == "lowest":
            group(dim, key).shares = Shares(*values[:3])
        else:
            group(dim, key).attendance = Attendance(*values)

    total = groups[ALL].get(0, Group(None))
    ordered = {dim: [g for _k, g in sorted(groups[dim].items(), key=lambda kv: kv[0])] for dim in groups}
    return Stats(total, sorted(distribution, reverse=True), ordered, risky)


async def _nothing() -> None:
    return None


async def _at_risk(src: dict[str, str], scope: Scope) -> list[AtRisk]:
    """The students at risk, with the rows of the students themselves (the list names them)."""
    where, terms = scope.where("x")
    pass_mark = _centi(scope.schools[0].pass_mark)
    statement = (
        "SELECT y.school_class_id AS y_class_id, y.weight AS y_weight, y.weighted AS y_weighted,"
        " y.unexcused AS y_unexcused, n.* FROM ("
        "SELECT student_id, school_class_id, SUM(w) AS weight, SUM(ws) AS weighted, SUM(u) AS unexcused FROM ("
        f"SELECT x.student_id AS student_id, x.school_class_id AS school_class_id, x.weight AS w,"
        f" x.mark * x.weight AS ws, 0 AS u FROM {src['rollup_student_mark']} x WHERE {where} "
        f"UNION ALL SELECT x.student_id, x.school_class_id, 0, 0, x.unexcused FROM {src['rollup_student_attendance']} x"
        f" WHERE {where}) z GROUP BY student_id, school_class_id "
        "HAVING (SUM(w) > 0 AND SUM(ws) < CAST(? AS INTEGER) * SUM(w)) OR SUM(u) >= CAST(? AS INTEGER)"
        ") y JOIN student n ON n.id = y.student_id ORDER BY y.student_id, y.school_class_id"
    )
    rows = await core.fetch(statement, [*terms, *terms, pass_mark, AT_RISK_UNEXCUSED])
    return [
        AtRisk(
            core.hydrate(models.Student, r),
            int(r["y_class_id"]),
            grading.round_average(int(r["y_weighted"]) / int(r["y_weight"]) / 100) if r["y_weight"] else None,
            int(r["y_unexcused"] or 0),
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Named:
    """What a school's dashboard names, by id: its classes, subjects and teachers (users)."""

    classes: dict[int, models.SchoolClass]
    subjects: dict[int, models.Subject]
    teachers: dict[int, models.User]


async def names(scope: Scope) -> Named:
    """The classes, subjects and teachers the roll-ups of ``scope`` name: read beside the
    figures (not after them), one statement each. Every class the figures name is in
    ``rollup_grade`` or ``rollup_attendance``: the roll-ups of grades by student and by lowest
    mark are written with ``rollup_grade``'s row, those of attendance with its own."""
    where, terms = scope.where("x")
    classes = (
        f"SELECT x.school_class_id FROM rollup_grade x WHERE {where}"
        f" UNION SELECT x.school_class_id FROM rollup_attendance x WHERE {where}"
    )
    classes_rows, subjects_rows, teachers_rows = await asyncio.gather(
        _named(models.SchoolClass, classes, [*terms, *terms]),
        _named(models.Subject, f"SELECT x.subject_id FROM rollup_grade x WHERE {where}", terms),
        _named(models.User, f"SELECT x.teacher_id FROM rollup_grade x WHERE {where}", terms),
    )
    return Named(classes_rows, subjects_rows, teachers_rows)


async def _named(model: type[M], ids: str, params: list[Any]) -> dict[int, M]:
    rows = await core.fetch(f"SELECT n.* FROM {model._meta.db_table} n WHERE n.id IN ({ids})", params)
    found = (core.hydrate(model, row) for row in rows)
    return {m.pk: m for m in found}


async def school_terms(viewer: Viewer, school_id: int) -> tuple[list[models.Term], bool]:
    """The school's terms, by start, if the viewer reads its dashboard (else none), and whether
    they read its at-risk list: both rules of the policy and the terms in one statement (the
    rules compiled once per viewer: ``core.embedded_once``)."""
    uid = viewer.user_id
    readers, readers_params = core.embedded_once(("stats_schools", uid), lambda: _ids(policy.stats_schools(viewer)))
    named, named_params = core.embedded_once(("at_risk_schools", uid), lambda: _ids(policy.at_risk_schools(viewer)))
    statement = (
        f"SELECT n.*, CASE WHEN n.school_id IN ({named}) THEN 1 ELSE 0 END AS at_risk FROM term n"
        f" WHERE n.school_id = ? AND n.school_id IN ({readers}) ORDER BY n.start_date, n.id"
    )
    rows = await core.fetch(statement, [*named_params, school_id, *readers_params])
    return [core.hydrate(models.Term, r) for r in rows], any(r["at_risk"] for r in rows)


def _ids(schools: QuerySet[models.School]) -> ValuesListQuery[Any]:
    return schools.values_list("id", flat=True)


async def district_terms(term_id: int, district_id: int) -> list[int]:
    """The terms of every school of the district that stand for term ``term_id`` (if it is a
    term of one of them): the same number in an academic year of the same name (schools draw
    their own term dates)."""
    statement = (
        "SELECT t.id AS id FROM term t0"
        " JOIN school s0 ON s0.id = t0.school_id JOIN academic_year y0 ON y0.id = t0.academic_year_id"
        " JOIN term t ON t.number = t0.number"
        " JOIN school s ON s.id = t.school_id JOIN academic_year y ON y.id = t.academic_year_id"
        " WHERE t0.id = ? AND s0.district_id = ? AND s.district_id = ? AND y.name = y0.name ORDER BY t.id"
    )
    return [int(r["id"]) for r in await core.fetch(statement, [term_id, district_id, district_id])]


async def district_schools(district_id: int) -> list[models.School]:
    """The district's schools, by id: one statement the ORM does not compile anew per request."""
    rows = await core.fetch("SELECT n.* FROM school n WHERE n.district_id = ? ORDER BY n.id", [district_id])
    return [core.hydrate(models.School, r) for r in rows]


async def visible_districts(viewer: Viewer) -> list[models.District]:
    """The districts the viewer administers (``policy.visible_districts``), by name: the rule
    compiled once per viewer (``core.embedded_once``), read anew by every request."""
    ids, params = core.embedded_once(
        ("visible_districts", viewer.user_id), lambda: policy.visible_districts(viewer).values_list("id", flat=True)
    )
    rows = await core.fetch(f"SELECT n.* FROM district n WHERE n.id IN ({ids}) ORDER BY n.name, n.id", params)
    return [core.hydrate(models.District, r) for r in rows]
