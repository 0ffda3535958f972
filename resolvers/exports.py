"""The one writer of every export a person downloads and opens in a spreadsheet (the journal's
CSV today; XLSX and PDF writers go here too): every cell passes ``cell`` first.

Formula injection (OWASP "CSV injection"): a spreadsheet runs a cell that starts with ``=``,
``+``, ``-`` or ``@`` (and some also after a leading tab or carriage return) as a formula, so a
name, a comment or a mark of a custom scale (``=1+1``, ``=HYPERLINK(...)``) could run in the
reader's spreadsheet. Such a cell is prefixed with an apostrophe, which spreadsheets show as
text. A plain negative number (``-1``, ``-0.5``) is left as it is: it computes nothing, and a
spreadsheet keeps it a number the reader can sum."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")


def cell(value: str) -> str:
    """``value`` as a spreadsheet shows it and never runs it."""
    if value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(rows: Iterable[Iterable[str]]) -> str:
    """``rows`` as CSV (RFC 4180: CRLF line ends, fields quoted when needed), every cell
    through ``cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()
