"""Grades: the school's grading scale, giving grades, and the roll-ups that sum them.

The scale (``marks``, ``parse``, ``suggest``): which values a grade may take, what each counts
for, which weight a kind of grade carries, and which final grade an average suggests. Three
kinds of scale (``models.ScaleKind``):
- NUMERIC: whole numbers from ``scale_min`` to ``scale_max`` (1-5, 1-10, 1-12, 0-100 points);
- LETTER: the marks listed in ``scale_marks`` (e.g. A-F, with "A-" and "B+" if the school uses
  them), each counted as its ``numeric`` value;
- PASS_FAIL: "pass" and "fail", counted as 1 and 0 unless ``scale_marks`` says otherwise.

Giving grades (``create_grade``, ``create_grades``): one, or a whole class's for one lesson, all
or nothing. Validation first (every problem reported, with the row it belongs to), then one
transaction with the grades, their first revisions, the roll-ups, the audit entries and the
outbox events; the events are published after commit.

The roll-ups (``models.rollup``), kept in step with grades and attendance. Every writer calls
``grades_changing`` (grades) or ``attendance`` and its kin (marks) inside its own transaction,
so a roll-up changes exactly when the rows it sums change, and a refused or failed write
(rolled back) changes neither. Each call is one set-based statement per roll-up table for the
whole batch: the counted rows of the batch are grouped by the roll-up's key and added (``sign``
+1) or taken out (-1) with ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` (SQLite 3.24+ and
PostgreSQL):

- a new grade or mark: ``+1`` after it is written;
- a change: ``-1`` before (the row as it was), ``+1`` after (as it is now);
- a (soft) removal: ``-1`` before it.

Which grades count is what the diary's averages count (``resolvers.averages``): not removed,
with a numeric value (every mark of every scale has one: letters their listed value, "pass"
and "fail" 1 and 0). A grade counts in the term of its class's school that contains its
date; grades and marks outside every term count nowhere. A grade is filed under the class the
child was enrolled in that day, and a mark counted there (``attendance_rows``): a cross-class
group's member from a parallel class counts in their own class, not the group's home class.

The same SELECTs, without the batch filter, are the full recomputation that ``check``
compares the roll-ups with and ``rebuild`` writes them from (after a bulk load, or when
terms are redrawn: a term's new dates re-file old grades, which only a rebuild does)."""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, core, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc, pk_of
from resolvers.errors import FieldProblem, NotFound, refuse
from resolvers.sessions import Context

# --- the scale ---------------------------------------------------------------------------

MIN_WEIGHT, MAX_WEIGHT = 1, 10

PASS_FAIL_MARKS: list[dict[str, Any]] = [{"value": "pass", "numeric": 1.0}, {"value": "fail", "numeric": 0.0}]
LETTER_MARKS: list[dict[str, Any]] = [
    {"value": "A", "numeric": 5.0},
    {"value": "B", "numeric": 4.0},
    {"value": "C", "numeric": 3.0},
    {"value": "D", "numeric": 2.0},
    {"value": "F", "numeric": 1.0},
]


@dataclass(frozen=True)
class Mark:
    """A value a grade can take: as shown, and as counted in averages."""

    value: str
    numeric: float


def marks(school: models.School) -> list[Mark]:
    """Every value of the scale, best first."""
    if school.scale_kind == models.ScaleKind.NUMERIC:
        return [Mark(str(n), float(n)) for n in range(school.scale_max, school.scale_min - 1, -1)]
    listed = school.scale_marks or (PASS_FAIL_MARKS if school.scale_kind == models.ScaleKind.PASS_FAIL else [])
    found = [Mark(str(m["value"]), float(m["numeric"])) for m in listed]
    return sorted(found, key=lambda m: -m.numeric)


def parse(school: models.School, raw: str) -> Mark | None:
    """The mark ``raw`` names on the school's scale (letters and pass/fail case-insensitively),
    or ``None`` if it is not on the scale."""
    text = raw.strip()
    if school.scale_kind == models.ScaleKind.NUMERIC:
        if not text.isascii() or not text.isdigit():
            return None
        number = int(text)
        return Mark(str(number), float(number)) if school.scale_min <= number <= school.scale_max else None
    folded = text.casefold()
    return next((m for m in marks(school) if m.value.casefold() == folded), None)


def describe(school: models.School) -> Text:
    """What a valid value looks like, for error messages: "A grade is {describe}." """
    if school.scale_kind == models.ScaleKind.NUMERIC:
        return _("a whole number from {low} to {high}", low=school.scale_min, high=school.scale_max)
    return _("one of {marks}", marks=", ".join(m.value for m in marks(school)))


def passes(school: models.School, numeric: float) -> bool:
    return numeric >= school.pass_mark


def default_weight(school: models.School, kind: models.GradeKind) -> int:
    """The weight a grade of ``kind`` carries unless the teacher overrides it."""
    return int((school.kind_weights or {}).get(kind.value, school.default_grade_weight))


def suggest(school: models.School, average: float | None) -> Mark | None:
    """The final grade an average suggests: between the two marks around it, the upper one
    once the average has gone ``rounding_threshold`` of the way (0.5: 4.5 gives 5; 0.6: 4.5
    gives 4, 4.6 gives 5). Averages outside the scale give its end marks."""
    if average is None:
        return None
    scale = _ascending(school)
    if not scale:
        return None
    if average <= scale[0].numeric:
        return scale[0]
    for lower, upper in itertools.pairwise(scale):
        if lower.numeric <= average <= upper.numeric:
            fraction = (average - lower.numeric) / (upper.numeric - lower.numeric)
            # Averages are rounded to 2 decimals for display; compare with a tolerance so
            # that 4.6 (stored as 4.59999...) counts as 4.6.
            return upper if fraction >= school.rounding_threshold - 1e-9 else lower
    return scale[-1]


def _ascending(school: models.School) -> tuple[Mark, ...]:
    """The scale's marks, lowest first: a numeric scale's made once per range (a class's progress
    suggests a mark for every child and subject)."""
    if school.scale_kind == models.ScaleKind.NUMERIC:
        return _numeric_scale(school.scale_min, school.scale_max)
    return tuple(sorted(marks(school), key=lambda m: m.numeric))


@functools.lru_cache(maxsize=64)
def _numeric_scale(low: int, high: int) -> tuple[Mark, ...]:
    return tuple(Mark(str(n), float(n)) for n in range(low, high + 1))


def share(part: int, whole: int, places: int = 4) -> float:
    """``part / whole`` rounded half up to ``places`` decimals, computed exactly (a float
    ``round`` would take 1/32 = 0.03125 to 0.0312)."""
    exact = Decimal(part) / Decimal(whole)
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def round_average(value: float) -> float:
    """Averages are shown with 2 decimals, rounded half up (not banker's rounding)."""
    return math.floor(value * 100 + 0.5 + 1e-9) / 100


# --- giving grades -----------------------------------------------------------------------

MAX_COMMENT = 1000
MAX_REASON = 500
REASON_AFTER = timedelta(hours=24)
MAX_ROWS = 100


@dataclass(frozen=True)
class GradeRow:
    """One grade to give: the student and what they get."""

    student_id: str
    value: str
    weight: int | None = None
    comment: str | None = None
    kind: models.GradeKind | None = None


@dataclass
class ValidGrade:
    """A grade row that passed its checks (``check_rows``), ready to write."""

    student_id: int
    mark: Mark
    weight: int
    kind: models.GradeKind
    comment: str | None
    # the child's own class on the lesson's day: a cross-class group's lesson is filed under its
    # home class, its grades count in each member's class
    school_class_id: int


def clean_comment(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def check_comment(field: str, comment: str | None) -> list[FieldProblem]:
    if comment is not None and len(comment) > MAX_COMMENT:
        return [
            FieldProblem(
                f"{field}comment",
                ngettext("A comment has at most {n} character.", "A comment has at most {n} characters.", MAX_COMMENT),
                ErrorCode.COMMENT_TOO_LONG,
            )
        ]
    return []


def check_weight_and_comment(field: str, weight: int, comment: str | None) -> list[FieldProblem]:
    problems = []
    if not MIN_WEIGHT <= weight <= MAX_WEIGHT:
        problems.append(
            FieldProblem(
                f"{field}weight",
                _(
                    "The weight is from {min_weight} to {max_weight}.",
                    min_weight=MIN_WEIGHT,
                    max_weight=MAX_WEIGHT,
                ),
                ErrorCode.INVALID_WEIGHT,
            )
        )
    return problems + check_comment(field, comment)


def check_reason(reason: str | None, created_at: datetime | None, what: Text) -> list[FieldProblem]:
    """A change to something a family has already seen (created at ``created_at``; None: not
    yet created): a reason of at most ``MAX_REASON`` characters, required once it is over
    ``REASON_AFTER`` old."""
    if reason is not None and len(reason) > MAX_REASON:
        return [
            FieldProblem(
                "reason",
                ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
                ErrorCode.REASON_TOO_LONG,
            )
        ]
    if reason is None and created_at is not None and now_utc() - created_at > REASON_AFTER:
        return [FieldProblem("reason", what, ErrorCode.REASON_REQUIRED)]
    return []


async def school_of_class(class_id: int) -> models.School:
    return await models.School.get(classes__id=class_id)


async def _grading(ctx: Context, lesson_id: str, student_id: str | None, lock: list[int]) -> policy.Grading:
    """The lesson as the viewer finds it (``policy.grading``: one statement, the same whether it
    is theirs, another's or none), locking the students of ``lock`` it lets the viewer grade."""
    pk = pk_of(student_id, "Student") if student_id is not None else None
    return await policy.grading(ctx.viewer, pk_of(lesson_id, "Lesson"), pk, lock=lock)


def _visible(found: policy.Grading) -> models.Lesson:
    if found.lesson is None or not found.visible:
        raise NotFound(_("No such lesson."), ErrorCode.LESSON_NOT_FOUND)
    return found.lesson


def _lesson_problems(lesson: models.Lesson, found: policy.Grading) -> list[FieldProblem]:
    problems = []
    if not found.may_grade:
        problems.append(
            FieldProblem("lessonId", _("You do not teach this subject in this class."), ErrorCode.NOT_ASSIGNED)
        )
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(FieldProblem("lessonId", _("The lesson was cancelled."), ErrorCode.LESSON_CANCELLED))
    if lesson.starts_at > now_utc():
        problems.append(FieldProblem("lessonId", _("The lesson has not started yet."), ErrorCode.LESSON_IN_FUTURE))
    return problems


# gradeCreate and gradesCreate begin their transaction before they ask the policy: its statement
# also locks the students (``policy.grading``'s ``lock``), so the write that follows needs no
# statement of its own for the lock. A refusal rolls back, having written nothing.


async def create_grade(ctx: Context, lesson_id: str, row: GradeRow) -> models.Grade:
    """One grade. A student the teacher cannot see is STUDENT_NOT_FOUND, like a missing one."""
    teacher_id = ctx.viewer.id
    pk = pk_of(row.student_id, "Student")
    async with in_transaction():
        found = await _grading(ctx, lesson_id, row.student_id, [pk] if pk is not None else [])
        # A substitute reaches the students of the lesson they give, and no others.
        if pk is None or not (found.student_visible or (found.gives and found.gradable({pk}))):
            raise NotFound(_("No such student."), ErrorCode.STUDENT_NOT_FOUND)
        lesson = _visible(found)
        (grade,), recorded = await _create(ctx, teacher_id, lesson, [row], many=False, found=found)
    await outbox.publish(ctx.broker, recorded)
    return grade


async def create_grades(ctx: Context, lesson_id: str, rows: list[GradeRow]) -> list[models.Grade]:
    """A class's grades for one lesson: all are written, or none (each refused row is
    reported as ``grades[i].<field>``)."""
    teacher_id = ctx.viewer.id
    # at most MAX_ROWS (more is refused below, after the lesson: a lesson not found comes first)
    lock = [pk for pk in (pk_of(r.student_id, "Student") for r in rows[:MAX_ROWS]) if pk is not None]
    async with in_transaction():
        found = await _grading(ctx, lesson_id, None, lock)
        lesson = _visible(found)
        if not rows:
            raise refuse([FieldProblem("grades", _("Give at least one grade."), ErrorCode.NO_GRADES)])
        if len(rows) > MAX_ROWS:
            raise refuse(
                [
                    FieldProblem(
                        "grades",
                        ngettext("At most {n} grade in one call.", "At most {n} grades in one call.", MAX_ROWS),
                        ErrorCode.TOO_MANY_GRADES,
                    )
                ]
            )
        created, recorded = await _create(ctx, teacher_id, lesson, rows, many=True, found=found)
    await outbox.publish(ctx.broker, recorded)
    return created


async def _create(
    ctx: Context, teacher_id: int, lesson: models.Lesson, rows: list[GradeRow], *, many: bool, found: policy.Grading
) -> tuple[list[models.Grade], list[models.OutboxEvent]]:
    """Inside the caller's transaction, after ``policy.grading`` locked the students."""
    valid, problems = await check_rows(ctx, lesson, rows, many=many, found=found)
    if problems:
        raise refuse(problems)
    return await write_grades(ctx, teacher_id, lesson, valid, locked=True)


async def check_rows(
    ctx: Context, lesson: models.Lesson, rows: list[GradeRow], *, many: bool, found: policy.Grading | None = None
) -> tuple[list[ValidGrade], list[FieldProblem]]:
    """The grades to give in the lesson, checked whole: those that passed, and every problem
    (``grades[i].<field>`` when ``many``). Nothing is written. ``found``: the lesson as the
    viewer found it (``policy.grading``), when the caller has read it already."""
    if found is None:
        found = await policy.grading(ctx.viewer, lesson.id)
    school = found.school
    if school is None:  # the caller's lesson is gone
        raise NotFound(_("No such lesson."), ErrorCode.LESSON_NOT_FOUND)
    problems = _lesson_problems(lesson, found)
    pks = [pk_of(r.student_id, "Student") for r in rows]
    enrolled = found.gradable({pk for pk in pks if pk is not None})
    valid: list[ValidGrade] = []
    for i, (row, pk) in enumerate(zip(rows, pks, strict=True)):
        field = f"grades[{i}]." if many else ""
        if pk is None or pk not in enrolled:
            problems.append(
                FieldProblem(
                    f"{field}studentId",
                    _("The student was not in this class on the lesson's date."),
                    ErrorCode.STUDENT_NOT_IN_CLASS,
                )
            )
        mark = parse(school, row.value)
        if mark is None:
            problems.append(
                FieldProblem(
                    f"{field}value",
                    _("A grade is {describe}.", describe=describe(school)),
                    ErrorCode.INVALID_VALUE,
                )
            )
        kind = row.kind or models.GradeKind.CLASSWORK
        weight = default_weight(school, kind) if row.weight is None else row.weight
        comment = clean_comment(row.comment)
        problems += check_weight_and_comment(field, weight, comment)
        if pk is not None and pk in enrolled and mark is not None:
            valid.append(ValidGrade(pk, mark, weight, kind, comment, enrolled[pk]))
    return valid, problems


def _details(student_id: int, lesson_id: int, value: str, weight: int) -> dict[str, int | str]:
    """What a grade's audit entry holds."""
    return {"student": student_id, "lesson": lesson_id, "value": value, "weight": weight}


async def write_grades(
    ctx: Context, teacher_id: int, lesson: models.Lesson, valid: list[ValidGrade], *, locked: bool = False
) -> tuple[list[models.Grade], list[models.OutboxEvent]]:
    """Inside the caller's transaction: the checked grades (``check_rows``), their first
    revisions, roll-ups, audit entries and GRADE_ADDED events; the caller publishes the events
    after commit (``gradeCreate``, ``gradesCreate``, ``submissionGrade``). On PostgreSQL two
    statements whatever the number of grades (``_write_at_once``), one when the caller has
    ``locked`` the students already (``policy.grading``'s ``lock``, in this transaction)."""
    if not valid:
        return [], []
    if core.dialect() == "postgres":
        return await _write_at_once(ctx, teacher_id, lesson, valid, locked=locked)
    async with grades_changing(v.student_id for v in valid) as tally:
        created = await core.insert(
            [
                models.Grade(
                    student_id=item.student_id,
                    subject_id=lesson.subject_id,
                    school_class_id=item.school_class_id,
                    lesson_id=lesson.id,
                    teacher_id=teacher_id,
                    date=lesson.date,
                    value=item.mark.value,
                    numeric_value=item.mark.numeric,
                    weight=item.weight,
                    kind=item.kind,
                    comment=item.comment,
                )
                for item in valid
            ]
        )
        await tally.add([g.id for g in created])
        await models.GradeRevision.bulk_create(
            [
                models.GradeRevision(
                    grade_id=g.id,
                    action=models.RevisionAction.CREATED,
                    actor_id=teacher_id,
                    new_value=g.value,
                    new_weight=g.weight,
                    new_kind=g.kind.value,
                    new_comment=g.comment,
                )
                for g in created
            ]
        )
        await audit.record_many(
            [
                audit.entry(
                    ctx.viewer, "grade.create", "Grade", g.id, _details(g.student_id, lesson.id, g.value, g.weight)
                )
                for g in created
            ]
        )
        recorded = await outbox.record(
            [
                models.OutboxEvent(
                    kind=EventKind.GRADE_ADDED,
                    student_id=g.student_id,
                    school_class_id=g.school_class_id,
                    grade_id=g.id,
                    lesson_id=lesson.id,
                )
                for g in created
            ]
        )
    return created, recorded


async def _write_at_once(
    ctx: Context, teacher_id: int, lesson: models.Lesson, valid: list[ValidGrade], *, locked: bool
) -> tuple[list[models.Grade], list[models.OutboxEvent]]:
    """PostgreSQL: ``write_grades`` in two statements: lock the students unless ``locked`` (their
    lowest marks are read after the lock: ``added_grades``), then one statement that writes the
    grades, their revisions, audit entries and events, and the roll-ups, answering the grades
    with their events."""
    for item in valid:
        audit.check("grade.create", _details(item.student_id, lesson.id, item.mark.value, item.weight))
    if not locked:
        await lock_students(v.student_id for v in valid)
    viewer = ctx.viewer
    params: list[object] = [lesson.subject_id, lesson.id, teacher_id, lesson.date, now_utc()]
    params += [viewer.address or None, viewer.user_id]
    for item in valid:
        mark = item.mark
        params += [item.student_id, item.school_class_id, mark.value, mark.numeric, item.weight, item.kind.value]
        params.append(item.comment)
    rows = await core.fetch(_write_statement(len(valid)), params)
    created = [core.hydrate(models.Grade, row, "g_") for row in rows]
    return created, outbox.recorded(rows, "e_")


# the parameters every row shares, then those of each row (``_write_at_once``)
_SHARED = ("subject_id", "lesson_id", "teacher_id", "date", "created_at")
_ROW = ("student_id", "school_class_id", "value", "numeric_value", "weight", "kind", "comment")


@functools.lru_cache(maxsize=MAX_ROWS)
def _write_statement(count: int) -> str:
    """The statement of ``_write_at_once`` for ``count`` grades: $1..$5 the values every grade
    shares, $6 and $7 the viewer's address and id (the audit entries'), then 7 values per grade."""
    shared = ", ".join(f"${n}" for n in range(1, len(_SHARED) + 1))
    first = len(_SHARED) + 3
    rows = ", ".join(
        "(" + ", ".join(f"${first + i * len(_ROW) + n}" for n in range(len(_ROW))) + f", {shared}, $5)"
        for i in range(count)
    )
    revision = (
        "INSERT INTO grade_revision (grade_id, action, actor_id, at, new_value, new_weight, new_kind, new_comment)"
        f" SELECT id, '{models.RevisionAction.CREATED.value}', teacher_id, created_at, value, weight, kind, comment"
        " FROM graded"
    )
    entries = audit.insert_from(
        "grade.create",
        "Grade",
        "graded",
        "id",
        _details_sql(),
        actor="$7",
        address="$6",
        at="created_at",
    )
    event_columns = {c: c for c in ("student_id", "school_class_id", "lesson_id")} | {"grade_id": "id"}
    events = outbox.insert_from(EventKind.GRADE_ADDED, "graded", event_columns, "created_at")
    return (
        f"WITH graded AS (INSERT INTO grade ({', '.join(_ROW)}, {', '.join(_SHARED)}, updated_at) VALUES {rows}"
        f" RETURNING *), revisions AS ({revision}), entries AS ({entries}), events AS ({events}),"
        f" {added_grades('graded')}"
        f" SELECT {core.columns(models.Grade, 'g')}, {core.columns(models.OutboxEvent, 'e')}"
        " FROM graded g JOIN events e ON e.grade_id = g.id ORDER BY g.id"
    )


def _details_sql() -> dict[str, str]:
    """``_details`` as SQL over the grade rows written."""
    return {"student": "student_id", "lesson": "lesson_id", "value": "value", "weight": "weight"}


# --- the roll-ups: what they sum ---------------------------------------------------------

LowestKey = tuple[int, int, int, int]  # school, term, class, student


def week_start(column: str) -> str:
    """SQL for the Monday of the week of the date ``column``."""
    if core.dialect() == "postgres":
        return f"CAST(date_trunc('week', {column}) AS DATE)"
    return f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')"


def grade_rows(where: str = "", source: str = "grade") -> str:
    """Every counted grade with its roll-up keys (``where``: an extra filter on ``g``; ``source``:
    the table, or a CTE of grade rows such as an INSERT's ``RETURNING *``)."""
    return f"""
SELECT t.school_id AS school_id, t.id AS term_id, g.school_class_id AS school_class_id,
       g.subject_id AS subject_id, g.teacher_id AS teacher_id, g.student_id AS student_id,
       {week_start("g.date")} AS week_start, CAST(ROUND(g.numeric_value * 100) AS INTEGER) AS mark,
       g.weight AS weight
FROM {source} g
JOIN school_class c ON c.id = g.school_class_id
JOIN term t ON t.school_id = c.school_id AND g.date >= t.start_date AND g.date <= t.end_date
WHERE g.deleted_at IS NULL AND g.numeric_value IS NOT NULL {where}"""


_PRESENT, _LATE, _EXCUSED, _UNEXCUSED = (
    models.AttendanceStatus.PRESENT.value,
    models.AttendanceStatus.LATE.value,
    models.AttendanceStatus.ABSENT_EXCUSED.value,
    models.AttendanceStatus.ABSENT_UNEXCUSED.value,
)


def attendance_rows(where: str = "") -> str:
    """Every attendance mark with its roll-up keys (``where``: an extra filter on ``a``). A mark
    counts in the lesson's class, or, in a group's lesson, in the class the child was enrolled in
    that day among the group's classes (a cross-class group's lesson is filed under its home
    class; its member from a parallel class is counted in their own)."""
    return f"""
SELECT t.school_id AS school_id, t.id AS term_id, c.id AS school_class_id,
       a.student_id AS student_id, {week_start("a.date")} AS week_start,
       CASE WHEN a.status = '{_PRESENT}' THEN 1 ELSE 0 END AS present,
       CASE WHEN a.status = '{_LATE}' THEN 1 ELSE 0 END AS late,
       CASE WHEN a.status = '{_EXCUSED}' THEN 1 ELSE 0 END AS excused,
       CASE WHEN a.status = '{_UNEXCUSED}' THEN 1 ELSE 0 END AS unexcused
FROM attendance a
JOIN lesson l ON l.id = a.lesson_id
LEFT JOIN enrollment e ON l.group_id IS NOT NULL AND e.student_id = a.student_id
     AND e.start_date <= a.date AND (e.end_date IS NULL OR a.date <= e.end_date)
     AND e.school_class_id IN (SELECT gc.school_class_id FROM class_group_class gc WHERE gc.group_id = l.group_id)
JOIN school_class c ON c.id = COALESCE(e.school_class_id, l.school_class_id)
JOIN term t ON t.school_id = c.school_id AND a.date >= t.start_date AND a.date <= t.end_date
WHERE 1 = 1 {where}"""


@dataclass(frozen=True)
class Table:
    """A roll-up table: its key columns and its measures (SQL over the source rows ``s``)."""

    name: str
    keys: tuple[str, ...]
    measures: tuple[tuple[str, str], ...]
    grades: bool  # summed from grade rows (else from attendance rows)

    def recompute(self, where: str = "", sign: int = 1, rows: str | None = None) -> str:
        """The table's rows from the source rows (those matching ``where``; or the rows of
        ``rows``, a table expression such as a CTE's name), times ``sign``."""
        if rows is None:
            rows = f"({grade_rows(where) if self.grades else attendance_rows(where)})"
        keys = ", ".join(self.keys)
        measures = ", ".join(f"{sign} * {expr} AS {name}" for name, expr in self.measures)
        return f"SELECT {keys}, {measures} FROM {rows} s GROUP BY {keys}"

    def stored(self) -> str:
        """The table's rows that are not all zero (a row summed back to zero is no row)."""
        columns = ", ".join((*self.keys, *(m for m, _ in self.measures)))
        nonzero = " OR ".join(f"{m} <> 0" for m, _ in self.measures)
        return f"SELECT {columns} FROM {self.name} WHERE {nonzero}"

    def upsert(self, select: str) -> str:
        columns = ", ".join((*self.keys, *(m for m, _ in self.measures)))
        added = ", ".join(f"{m} = {self.name}.{m} + excluded.{m}" for m, _ in self.measures)
        return (
            f"INSERT INTO {self.name} ({columns}) {select} ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {added}"
        )


GRADE = Table(
    "rollup_grade",
    ("school_id", "term_id", "school_class_id", "subject_id", "teacher_id"),
    (
        ("grades", "COUNT(*)"),
        ("weight", "SUM(weight)"),
        ("mark_sum", "SUM(mark)"),
        ("weighted_sum", "SUM(mark * weight)"),
    ),
    grades=True,
)
GRADE_WEEK = Table(
    "rollup_grade_week",
    ("school_id", "term_id", "week_start", "mark"),
    (("grades", "COUNT(*)"), ("weight", "SUM(weight)")),
    grades=True,
)
STUDENT_MARK = Table(
    "rollup_student_mark",
    ("school_id", "term_id", "school_class_id", "student_id", "mark"),
    (("grades", "COUNT(*)"), ("weight", "SUM(weight)")),
    grades=True,
)
ATTENDANCE = Table(
    "rollup_attendance",
    ("school_id", "term_id", "school_class_id", "week_start"),
    (
        ("marked", "COUNT(*)"),
        ("present", "SUM(present)"),
        ("late", "SUM(late)"),
        ("excused", "SUM(excused)"),
        ("unexcused", "SUM(unexcused)"),
    ),
    grades=False,
)
STUDENT_ATTENDANCE = Table(
    "rollup_student_attendance",
    ("school_id", "term_id", "school_class_id", "student_id"),
    (("marked", "COUNT(*)"), ("unexcused", "SUM(unexcused)")),
    grades=False,
)
GRADE_TABLES = (GRADE, GRADE_WEEK, STUDENT_MARK)
ATTENDANCE_TABLES = (ATTENDANCE, STUDENT_ATTENDANCE)
LOWEST_KEYS = ("school_id", "term_id", "school_class_id", "lowest")


def lowest_recompute() -> str:
    """Rows of ``rollup_lowest_mark`` from the grades: students per class by lowest mark."""
    per_student = (
        "SELECT school_id, term_id, school_class_id, student_id, MIN(mark) AS lowest "
        f"FROM ({grade_rows()}) s GROUP BY school_id, term_id, school_class_id, student_id"
    )
    return (
        "SELECT school_id, term_id, school_class_id, lowest, COUNT(*) AS students "
        f"FROM ({per_student}) p GROUP BY school_id, term_id, school_class_id, lowest"
    )


LOWEST_STORED = (
    "SELECT school_id, term_id, school_class_id, lowest, students FROM rollup_lowest_mark WHERE students <> 0"
)


# --- the roll-ups: keeping them in step --------------------------------------------------


async def lock_students(student_ids: Iterable[int]) -> None:
    """Serialize roll-up changes per student (PostgreSQL): a student's lowest mark is read
    before and after the change, and a concurrent change of the same student in between
    would make both transactions file the same move. SQLite serializes writers anyway."""
    ids = sorted(set(student_ids))
    if ids and core.dialect() == "postgres":
        await core.fetch(
            f"SELECT id FROM student WHERE id IN ({core.placeholders(len(ids))}) ORDER BY id FOR NO KEY UPDATE", ids
        )


def _lowest_sql(students: str) -> str:
    """The lowest marks of the students of ``students`` (a list of ids or a subquery), per class and term."""
    return (
        "SELECT school_id, term_id, school_class_id, student_id, MIN(mark) AS lowest FROM rollup_student_mark "
        f"WHERE student_id IN ({students}) AND grades > 0 "
        "GROUP BY school_id, term_id, school_class_id, student_id"
    )


async def _lowest(student_ids: list[int]) -> dict[LowestKey, int]:
    return _lowest_of(await core.fetch(_lowest_sql(core.placeholders(len(student_ids))), student_ids))


def _lowest_of(rows: list[dict[str, Any]]) -> dict[LowestKey, int]:
    return {(r["school_id"], r["term_id"], r["school_class_id"], r["student_id"]): int(r["lowest"]) for r in rows}


async def _move_lowest(before: dict[LowestKey, int], after: dict[LowestKey, int]) -> None:
    """File each student whose lowest mark changed under the new one (one statement)."""
    moves: Counter[tuple[int, int, int, int]] = Counter()
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if old is not None:
            moves[(*key[:3], old)] -= 1
        if new is not None:
            moves[(*key[:3], new)] += 1
    rows = [(*key, n) for key, n in moves.items() if n]
    if not rows:
        return
    values = ", ".join("(?, ?, ?, ?, ?)" for _ in rows)
    await core.fetch(
        f"INSERT INTO rollup_lowest_mark ({', '.join(LOWEST_KEYS)}, students) VALUES {values} "
        "ON CONFLICT (school_id, term_id, school_class_id, lowest) "
        "DO UPDATE SET students = rollup_lowest_mark.students + excluded.students",
        [v for row in rows for v in row],
    )


class GradeChanges:
    """Roll-up changes of one write of grades, opened by ``grades_changing`` for ``student_ids``."""

    def __init__(self, student_ids: list[int]) -> None:
        self.student_ids = student_ids
        # the students' lowest marks as the last change left them, when its statement read them
        self.lowest: dict[LowestKey, int] | None = None

    async def add(self, grade_ids: list[int]) -> None:
        """Count the grades as they are now."""
        await self._change(grade_ids, 1)

    async def remove(self, grade_ids: list[int]) -> None:
        """Stop counting the grades as they are now (before they change or go)."""
        await self._change(grade_ids, -1)

    async def _change(self, grade_ids: list[int], sign: int) -> None:
        self.lowest = None
        if not grade_ids:
            return
        where = f"AND g.id IN ({core.placeholders(len(grade_ids))})"
        if core.dialect() != "postgres":  # no data-modifying CTEs: a statement per table, then ``_lowest``
            for table in GRADE_TABLES:
                await core.fetch(table.upsert(table.recompute(where, sign)), grade_ids)
            return
        rows = await core.fetch(_grades_statement(where, sign, len(self.student_ids)), [*grade_ids, *self.student_ids])
        self.lowest = _lowest_of(rows)


def _grades_statement(where: str, sign: int, students: int) -> str:
    """PostgreSQL: every grade roll-up changed in one statement (one data-modifying CTE per
    table, all from the changed grades' rows), answering the students' lowest marks as the
    change leaves them (``_lowest_after``)."""
    return (
        f"WITH changed AS ({grade_rows(where)}), {_upserts('changed', sign)}"
        f" {_lowest_after(core.placeholders(students))}"
    )


def _upserts(rows: str, sign: int) -> str:
    """CTEs ``u0``, ``u1`` and ``touched``: the grade roll-ups changed by the grade rows of CTE
    ``rows`` (times ``sign``), ``touched`` answering the rows of ``rollup_student_mark`` as its upsert
    left them."""
    upserts = [t.upsert(t.recompute(rows=rows, sign=sign)) for t in GRADE_TABLES]
    marks = upserts[-1] + " RETURNING school_id, term_id, school_class_id, student_id, mark, grades"
    return "".join(f" u{i} AS ({u})," for i, u in enumerate(upserts[:-1])) + f" touched AS ({marks})"


def _lowest_after(students: str) -> str:
    """The lowest marks of ``students`` as a statement with ``_upserts`` leaves them: its own
    snapshot does not see its changes, so the rows of ``rollup_student_mark`` it did not touch
    are read as they were and those it touched as its upsert returns them."""
    same = " AND ".join(f"t.{c} = r.{c}" for c in ("school_id", "term_id", "school_class_id", "student_id", "mark"))
    return (
        "SELECT school_id, term_id, school_class_id, student_id, MIN(mark) AS lowest FROM ("
        " SELECT r.school_id, r.term_id, r.school_class_id, r.student_id, r.mark FROM rollup_student_mark r"
        f" WHERE r.student_id IN ({students}) AND r.grades > 0"
        f" AND NOT EXISTS (SELECT 1 FROM touched t WHERE {same})"
        " UNION ALL SELECT school_id, term_id, school_class_id, student_id, mark FROM touched WHERE grades > 0"
        ") x GROUP BY school_id, term_id, school_class_id, student_id"
    )


def added_grades(source: str) -> str:
    """PostgreSQL: CTEs, to follow others in one statement's WITH, that count the new grades of
    ``source`` (a CTE of the same statement: an ``INSERT INTO grade ... RETURNING *``) in every
    grade roll-up and file the students whose lowest mark moved under the new one, as
    ``grades_changing`` does in several statements. The caller locked the students
    (``lock_students``) in an earlier statement of its transaction: this statement's snapshot,
    taken after the lock, holds their lowest marks before (``lowest_before``) and, with the rows
    its upserts return, after (``lowest_after``)."""
    students = f"SELECT student_id FROM {source}"
    keys = ", ".join(LOWEST_KEYS)
    return (
        f"added AS ({grade_rows(source=source)}), {_upserts('added', 1)},"
        f" lowest_before AS ({_lowest_sql(students)}), lowest_after AS ({_lowest_after(students)}),"
        f" moves AS (SELECT {keys}, SUM(n) AS students FROM ("
        f" SELECT {keys}, -1 AS n FROM lowest_before UNION ALL SELECT {keys}, 1 AS n FROM lowest_after"
        f") m GROUP BY {keys} HAVING SUM(n) <> 0),"
        f" moved AS (INSERT INTO rollup_lowest_mark ({keys}, students) SELECT {keys}, students FROM moves"
        f" ON CONFLICT ({keys}) DO UPDATE SET students = rollup_lowest_mark.students + excluded.students)"
    )


@asynccontextmanager
async def grades_changing(student_ids: Iterable[int]) -> AsyncIterator[GradeChanges]:
    """Inside a transaction, around a write of the grades of ``student_ids``: lock them,
    note their lowest marks, let the writer ``add``/``remove`` grades, then file the
    students whose lowest mark moved."""
    ids = sorted(set(student_ids))
    await lock_students(ids)
    before = await _lowest(ids) if ids else {}
    changes = GradeChanges(ids)
    yield changes
    if ids:
        after = changes.lowest if changes.lowest is not None else await _lowest(ids)
        await _move_lowest(before, after)


async def attendance(lesson_id: int, student_ids: list[int], sign: int) -> None:
    """Count (+1) or stop counting (-1) the marks of ``student_ids`` in the lesson as they are now."""
    if not student_ids:
        return
    where = f"AND a.lesson_id = ? AND a.student_id IN ({core.placeholders(len(student_ids))})"
    for table in ATTENDANCE_TABLES:
        await core.fetch(table.upsert(table.recompute(where, sign)), [lesson_id, *student_ids])


async def attendance_of_notice(notice_id: int, sign: int) -> None:
    """Like ``attendance``, for the marks pre-filled from an absence notice."""
    for table in ATTENDANCE_TABLES:
        await core.fetch(table.upsert(table.recompute("AND a.notice_id = ?", sign)), [notice_id])


async def attendance_by_id(mark_ids: list[int], sign: int) -> None:
    """Like ``attendance``, for marks named by id (a notice's pre-marks over many lessons)."""
    if not mark_ids:
        return
    where = f"AND a.id IN ({core.placeholders(len(mark_ids))})"
    for table in ATTENDANCE_TABLES:
        await core.fetch(table.upsert(table.recompute(where, sign)), mark_ids)


# --- the roll-ups: checking and rebuilding -----------------------------------------------

ALL_TABLES = (*GRADE_TABLES, *ATTENDANCE_TABLES)


def _pairs() -> list[tuple[str, str, str]]:
    """(table, stored rows, recomputed rows) for every roll-up table."""
    pairs = [(t.name, t.stored(), t.recompute()) for t in ALL_TABLES]
    return [*pairs, ("rollup_lowest_mark", LOWEST_STORED, lowest_recompute())]


async def check() -> dict[str, tuple[int, int]]:
    """Per table: (stored rows the recomputation lacks, recomputed rows the table lacks).
    All zeros: the roll-ups are exactly the full recomputation."""
    found = {}
    for name, stored, recomputed in _pairs():
        extra = await core.fetch(f"SELECT COUNT(*) AS n FROM ({stored} EXCEPT {recomputed}) x", [])
        missing = await core.fetch(f"SELECT COUNT(*) AS n FROM ({recomputed} EXCEPT {stored}) x", [])
        found[name] = (int(extra[0]["n"]), int(missing[0]["n"]))
    return found


async def clear() -> None:
    for name, _stored, _recomputed in _pairs():
        await core.fetch(f"DELETE FROM {name}", [])


async def rebuild() -> None:
    """Every roll-up from a full scan (call inside a transaction): one INSERT ... SELECT each,
    in key order, so that the rows of one school's term are neighbours on disk and a
    dashboard reads a few pages instead of one page per row."""
    await clear()
    for table in ALL_TABLES:
        columns = ", ".join((*table.keys, *(m for m, _ in table.measures)))
        ordered = f"SELECT * FROM ({table.recompute()}) r ORDER BY {', '.join(table.keys)}"
        await core.fetch(f"INSERT INTO {table.name} ({columns}) {ordered}", [])
    lowest = f"SELECT * FROM ({lowest_recompute()}) r ORDER BY {', '.join(LOWEST_KEYS)}"
    await core.fetch(f"INSERT INTO rollup_lowest_mark ({', '.join(LOWEST_KEYS)}, students) {lowest}", [])
