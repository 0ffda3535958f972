"""Reading a roster CSV into rows, with the problems of its header and cells by line.

The columns (header names are case-insensitive and ignore ``-``, ``_`` and spaces, so
``birthDate`` and ``Birth date`` are ``birth_date``):

======================  ==========================================================
``type``                ``student``, ``guardian`` or ``teacher`` (required)
``full_name``           the person's full name (required)
``external_id``         student: the school's id of the child (required, unique)
``birth_date``          student: ``YYYY-MM-DD`` (required)
``class``               student: the class of the current academic year, ``5A``
``login``               guardian / teacher: the login (else the e-mail is the login)
``email``               guardian / teacher: e-mail address (optional)
``relation``            guardian: ``mother``, ``father``, ``guardian``... (default ``parent``)
``student_external_id`` guardian: the child's external id (one row per child)
``subjects``            teacher: ``Subject@Class`` pairs separated by ``;`` (optional)
``identity``            guardian / teacher: ``provider:subject``, the person's id at an identity
                        provider of ``OIDC_PROVIDERS`` (``esia:1000123456``), linked ahead of
                        their first login through it (optional; ``;`` between several)
``group``               student: the class groups the child is in, ``;`` between several
                        (``5A English 1;5A computing 2``; optional; ``resolvers/roster_groups.py``)
======================  ==========================================================

Only ``type`` and ``full_name`` must be present in the header; unknown columns are refused,
so that a misspelt column is not silently ignored."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from resolvers.accounts import normalize_login
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext
from resolvers.errors import RowProblem

COLUMNS = (
    "type",
    "full_name",
    "external_id",
    "birth_date",
    "class",
    "login",
    "email",
    "relation",
    "student_external_id",
    "subjects",
    "identity",
    "group",
)
REQUIRED = ("type", "full_name")
TYPES = ("student", "guardian", "teacher")
# A cell starting like a spreadsheet formula is refused: it would run when someone opens a
# later export of these names (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_CELL = 200
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Row:
    line: int
    type: str
    full_name: str
    external_id: str
    raw_birth_date: str
    birth_date: date | None
    class_name: str
    login: str
    email: str
    relation: str
    student_external_id: str
    subjects: str
    identity: str
    groups: str = ""


_BY_KEY = {c.replace("_", ""): c for c in COLUMNS}


def _column(name: str) -> str:
    """``Birth date``, ``birth-date``, ``birthDate`` and ``birth_date`` name the same column."""
    cleaned = name.strip().lower()
    return _BY_KEY.get(re.sub(r"[\s\-_]+", "", cleaned), cleaned)


def _date(text: str) -> date | None:
    if not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_rows(stream: TextIO) -> tuple[list[Row], list[RowProblem]]:
    """Rows with their physical line (the header is line 1); header problems are line 1 and
    come alone, since the rows cannot be read without a header."""
    reader = csv.reader(stream, strict=False)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [], [RowProblem(1, None, ErrorCode.HEADER_MISSING, _("The first line must name the columns."))]
    names = [_column(h) for h in header]
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for name in names:
        if name not in COLUMNS:
            known = ", ".join(COLUMNS)
            problems.append(
                RowProblem(
                    1,
                    name,
                    ErrorCode.HEADER_UNKNOWN_COLUMN,
                    _("Unknown column {name!r}; the columns are {known}.", name=name, known=known),
                )
            )
        elif name in seen:
            problems.append(
                RowProblem(
                    1, name, ErrorCode.HEADER_DUPLICATE_COLUMN, _("The column {name!r} appears twice.", name=name)
                )
            )
        seen.add(name)
    for name in REQUIRED:
        if name not in names:
            problems.append(
                RowProblem(1, name, ErrorCode.HEADER_MISSING_COLUMN, _("The column {name!r} is required.", name=name))
            )
    if problems:
        return [], _dedupe(problems)
    rows: list[Row] = []
    line = reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                problems.append(
                    RowProblem(
                        start,
                        None,
                        ErrorCode.ROW_WIDTH,
                        _("{cells} cells where the header has {columns}.", cells=len(cells), columns=len(names)),
                    )
                )
                continue
            row = _row(start, dict(zip(names, cells, strict=True)), problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        problems.append(RowProblem(line + 1, None, ErrorCode.CSV_MALFORMED, _("Not valid CSV: {exc}.", exc=exc)))
    return rows, problems


def _row(line: int, cells: dict[str, str], problems: list[RowProblem]) -> Row | None:
    values = {name: " ".join(cells.get(name, "").split()) for name in COLUMNS}
    ok = True
    for name, value in values.items():
        if value.startswith(FORMULA_START):
            problems.append(
                RowProblem(line, name, ErrorCode.FORMULA_NOT_ALLOWED, _("A cell may not start with = + - @."))
            )
            ok = False
        elif len(value) > MAX_CELL:
            problems.append(
                RowProblem(
                    line,
                    name,
                    ErrorCode.CELL_TOO_LONG,
                    ngettext("At most {n} character.", "At most {n} characters.", MAX_CELL),
                )
            )
            ok = False
    kind = values["type"].lower()
    if kind not in TYPES:
        problems.append(
            RowProblem(line, "type", ErrorCode.TYPE_INVALID, _("The type is student, guardian or teacher."))
        )
        return None
    if not ok:
        return None
    email = values["email"].lower()
    return Row(
        line=line,
        type=kind,
        full_name=values["full_name"],
        external_id=values["external_id"],
        raw_birth_date=values["birth_date"],
        birth_date=_date(values["birth_date"]),
        class_name=values["class"].replace(" ", ""),
        login=normalize_login(values["login"] or email),
        email=email,
        relation=values["relation"].lower()[:50],
        student_external_id=values["student_external_id"],
        subjects=values["subjects"],
        identity=values["identity"],
        groups=values["group"],
    )


def _dedupe(problems: list[RowProblem]) -> list[RowProblem]:
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for p in problems:
        if (p.column, p.code) not in seen:
            seen.add((p.column, p.code))
            unique.append(p)
    return unique
