"""The thematic plan import: a teacher's ordered topics for a class + subject + term, from CSV or
XLSX, written into the term's lessons in date order, all or nothing.

The file has a header naming its columns (case-insensitive; ``тема`` and ``часы`` too):
``topic`` (required) and ``hours`` (optional, 1-50, default 1: how many consecutive lessons the
topic takes). Every bad row is reported with its line (the header is line 1; in a workbook, the
row of the first sheet) and nothing is written. A plan that does not fit is not an error: the
result says which topics found no lesson (more topics than lessons) and which lessons got no
topic (fewer). The term's scheduled lessons are filled from the first, past ones included, each
one's topic replaced; a lesson whose topic changed reaches the class's families as a
LESSON_TOPIC_SET event. The audit entry counts; it never holds a topic."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from openpyxl import load_workbook
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import FileRefused, Problem, RowProblem, found_in, refuse
from resolvers.lesson_topics import MAX_TOPIC, check_topic, topic_events
from resolvers.sessions import Context

MAX_BYTES = 1_000_000
MAX_ROWS = 500
MAX_HOURS = 50
COLUMNS = ("topic", "hours")
ALIASES = {"topic": "topic", "тема": "topic", "hours": "hours", "часы": "hours", "часов": "hours"}
FORMULA_START = ("=", "+", "-", "@")
HOURS_RE = re.compile(r"^\d{1,3}$")


@dataclass(frozen=True)
class PlanTopic:
    """One row of the plan: its line, the topic and how many lessons it takes."""

    line: int
    topic: str
    hours: int


@dataclass
class PlanResult:
    dry_run: bool
    lessons: list[models.Lesson]  # the term's scheduled lessons, in date order, with their new topics
    placed: int  # lessons that got a topic
    changed: int  # of them, lessons whose topic changed
    # Topics (or their last hours) that found no lesson: (topic, hours not placed).
    unplaced: list[tuple[PlanTopic, int]] = field(default_factory=list)
    untopiced: list[models.Lesson] = field(default_factory=list)  # lessons left without a topic


def _column(name: str) -> str:
    cleaned = name.strip().lower()
    return ALIASES.get(cleaned, cleaned)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_rows(text: str) -> Iterable[tuple[int, list[str]]]:
    """The CSV's rows with their physical first line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    line = 0
    for cells in reader:
        start, line = line + 1, reader.line_num
        yield start, cells


def xlsx_rows(data: bytes) -> Iterable[tuple[int, list[str]]]:
    """The first sheet's rows with their row number."""
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)  # a formula is refused, as in CSV
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 1:
                break
            yield number, [_cell(v) for v in values]
    finally:
        book.close()


def _too_large() -> Problem:
    return (
        "file",
        ErrorCode.CSV_TOO_LARGE,
        ngettext("A plan has at most {n} row.", "A plan has at most {n} rows.", MAX_ROWS),
    )


def read_rows(content: str, xlsx: bool) -> list[tuple[int, list[str]]]:
    """The file's rows (header first), or a refusal of the whole file."""
    if not content.strip():
        raise refuse([("file", ErrorCode.CSV_EMPTY, _("The file is empty."))])
    if len(content) > MAX_BYTES * (4 / 3 if xlsx else 1):
        raise refuse([("file", ErrorCode.CSV_TOO_LARGE, _("A plan file has at most 1 MB."))])
    try:
        if xlsx:
            rows = list(xlsx_rows(base64.b64decode(content.strip(), validate=True)))
        else:
            rows = []
            for row in csv_rows(content):
                rows.append(row)
                if len(rows) > MAX_ROWS + 1:
                    break
    except csv.Error:
        raise refuse([("file", ErrorCode.CSV_MALFORMED, _("The file is not valid CSV."))]) from None
    except (binascii.Error, ValueError, KeyError, OSError, zipfile.BadZipFile, IndexError, TypeError):
        # openpyxl raises these (and InvalidFileException, a KeyError... or OSError) on what is not a workbook
        raise refuse(
            [("file", ErrorCode.XLSX_MALFORMED, _("The file is not an XLSX workbook (base64-encoded)."))]
        ) from None
    rows = [(n, cells) for n, cells in rows if any(c.strip() for c in cells)]
    if len(rows) > MAX_ROWS + 1:
        raise refuse([_too_large()])
    return rows


def parse_plan(rows: Sequence[tuple[int, list[str]]]) -> tuple[list[PlanTopic], list[RowProblem]]:
    """The plan's topics, or every problem by line and column."""
    if not rows:
        return [], [RowProblem(1, None, ErrorCode.HEADER_MISSING, _("The first line must name the columns."))]
    header_line, header = rows[0]
    names = [_column(h) for h in header]
    while names and not names[-1]:  # a workbook's empty trailing cells
        names.pop()
    problems: list[RowProblem] = []
    for i, name in enumerate(names):
        if name not in COLUMNS:
            problems.append(
                RowProblem(
                    header_line,
                    name,
                    ErrorCode.HEADER_UNKNOWN_COLUMN,
                    _("Unknown column {name!r}; the columns are {known}.", name=name, known=", ".join(COLUMNS)),
                )
            )
        elif name in names[:i]:
            problems.append(
                RowProblem(
                    header_line,
                    name,
                    ErrorCode.HEADER_DUPLICATE_COLUMN,
                    _("The column {name!r} appears twice.", name=name),
                )
            )
    if "topic" not in names:
        problems.append(
            RowProblem(
                header_line,
                "topic",
                ErrorCode.HEADER_MISSING_COLUMN,
                _("The column {name!r} is required.", name="topic"),
            )
        )
    if problems:
        return [], problems
    topics: list[PlanTopic] = []
    for line, cells in rows[1:]:
        extra = cells[len(names) :]
        if any(c.strip() for c in extra):  # missing trailing cells are empty ones
            problems.append(
                RowProblem(
                    line,
                    None,
                    ErrorCode.ROW_WIDTH,
                    _("{cells} cells where the header has {columns}.", cells=len(cells), columns=len(names)),
                )
            )
            continue
        row = dict(zip(names, [*cells, *[""] * len(names)], strict=False))
        before = len(problems)
        raw_topic = row.get("topic", "")
        if raw_topic.strip().startswith(FORMULA_START):
            problems.append(
                RowProblem(line, "topic", ErrorCode.FORMULA_NOT_ALLOWED, _("A cell may not start with = + - @."))
            )
        inline: list[Problem] = []
        topic = check_topic(raw_topic, "topic", inline) if len(raw_topic) <= 4 * MAX_TOPIC else "x" * (MAX_TOPIC + 1)
        if len(topic or "") > MAX_TOPIC:
            inline = [
                (
                    "topic",
                    ErrorCode.CELL_TOO_LONG,
                    ngettext("A topic has at most {n} character.", "A topic has at most {n} characters.", MAX_TOPIC),
                )
            ]
        problems.extend(RowProblem(line, path, code, message) for path, code, message in inline)
        if not topic and not inline:
            problems.append(RowProblem(line, "topic", ErrorCode.TOPIC_REQUIRED, _("Each row needs a topic.")))
        raw_hours = row.get("hours", "").strip()
        hours = 1
        if raw_hours:
            if HOURS_RE.match(raw_hours) and 1 <= int(raw_hours) <= MAX_HOURS:
                hours = int(raw_hours)
            else:
                problems.append(
                    RowProblem(
                        line,
                        "hours",
                        ErrorCode.HOURS_INVALID,
                        _("Hours are a whole number from 1 to {n}.", n=MAX_HOURS),
                    )
                )
        if len(problems) == before and topic:
            topics.append(PlanTopic(line, topic, hours))
    if not topics and not problems:
        problems.append(RowProblem(1, None, ErrorCode.PLAN_EMPTY, _("The plan has no topics.")))
    return topics, problems


def fit(
    topics: Sequence[PlanTopic], lessons: Sequence[models.Lesson]
) -> tuple[dict[int, str], list[tuple[PlanTopic, int]]]:
    """Each lesson's topic (by lesson id, in order) and the topics, with the hours, left over."""
    placed: dict[int, str] = {}
    unplaced: list[tuple[PlanTopic, int]] = []
    i = 0
    for topic in topics:
        fitted = min(topic.hours, max(len(lessons) - i, 0))
        for lesson in lessons[i : i + fitted]:
            placed[lesson.id] = topic.topic
        i += fitted
        if fitted < topic.hours:
            unplaced.append((topic, topic.hours - fitted))
    return placed, unplaced


async def _target(
    ctx: Context, class_id: str, subject_id: str, term_id: str
) -> tuple[models.SchoolClass, models.Subject, models.Term]:
    klass = await found_in(
        policy.visible_classes(ctx.viewer), class_id, "SchoolClass", _("No such class."), ErrorCode.CLASS_NOT_FOUND
    )
    subject = await found_in(
        models.Subject.filter(school_id=klass.school_id),
        subject_id,
        "Subject",
        _("No such subject."),
        ErrorCode.SUBJECT_NOT_FOUND,
    )
    term = await found_in(
        models.Term.filter(academic_year_id=klass.academic_year_id),
        term_id,
        "Term",
        _("No such term."),
        ErrorCode.TERM_NOT_FOUND,
    )
    return klass, subject, term


async def import_plan(
    ctx: Context, class_id: str, subject_id: str, term_id: str, content: str, xlsx: bool, dry_run: bool
) -> PlanResult:
    klass, subject, term = await _target(ctx, class_id, subject_id, term_id)
    if not await policy.can_plan_subject(ctx.viewer, klass.id, subject.id):
        raise refuse([("subjectId", ErrorCode.NOT_ASSIGNED, _("You do not teach this subject in this class."))])
    topics, problems = parse_plan(read_rows(content, xlsx))
    if problems:
        raise FileRefused.of(problems, COLUMNS)
    async with in_transaction():
        lessons = list(
            await models.Lesson.filter(
                school_class_id=klass.id,
                subject_id=subject.id,
                date__gte=term.start_date,
                date__lte=term.end_date,
                status=models.LessonStatus.SCHEDULED,
            )
            .order_by("starts_at", "period", "id")
            .select_for_update()
        )
        placed, unplaced = fit(topics, lessons)
        changed = [x for x in lessons if x.topic != placed.get(x.id, x.topic)]
        for lesson in lessons:
            lesson.topic = placed.get(lesson.id, lesson.topic)
        result = PlanResult(
            dry_run,
            lessons,
            placed=len(placed),
            changed=len(changed),
            unplaced=unplaced,
            untopiced=[x for x in lessons if x.id not in placed],
        )
        if dry_run:
            return result
        if changed:
            await models.Lesson.bulk_update(changed, fields=["topic"], batch_size=500)
        details = {
            "class": klass.id,
            "subject": subject.id,
            "term": term.id,
            "topics": len(topics),
            "lessons": len(changed),
            "unplaced": len(unplaced),
            "untopiced": len(result.untopiced),
        }
        await audit.record(
            ctx.viewer, "lesson.plan_import", "SchoolClass", klass.id, details, school_id=klass.school_id
        )
        rows = await topic_events(EventKind.LESSON_TOPIC_SET, changed)
    await outbox.publish(ctx.broker, rows)
    return result
