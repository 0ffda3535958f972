"""The one check of text that people write for other people: names, titles and messages.

Such text is valid Unicode (no lone UTF-16 surrogates), without control characters (NUL, the
C0 and C1 ranges, DEL; tabs and line breaks are whitespace: a single line collapses them),
without the bidirectional controls that reorder what a reader sees (U+202A..U+202E,
U+2066..U+2069, U+200E/U+200F, U+061C), without zero-width characters (U+200B..U+200D, U+2060,
U+FEFF, U+180E) and not empty once stripped. Messages (``multiline``) keep the zero-width
joiners U+200C/U+200D: emoji sequences and Persian script need them. A refusal is the problem
``INVALID_CHARACTERS`` on the field (or the field's own ``…_EMPTY`` code when nothing is left);
``clean`` never raises."""

from __future__ import annotations

import re

from resolvers.codes import ErrorCode
from resolvers.core import Text, _
from resolvers.errors import Problem

INVALID_CHARACTERS = ErrorCode.INVALID_CHARACTERS
MESSAGE = _("Remove control, zero-width and text-direction characters.")

_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_INVISIBLE = "\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_SURROGATES = "\ud800-\udfff"
_JOINERS = "\u200c\u200d"
_ONE_LINE = re.compile(f"[{_CONTROLS}{_INVISIBLE}{_SURROGATES}]")
_MULTILINE = re.compile(f"(?![{_JOINERS}])[{_CONTROLS}{_INVISIBLE}{_SURROGATES}]")


def has_bad_characters(text: str, *, multiline: bool = False) -> bool:
    """Whether ``text`` holds a character no person's text should (see the module)."""
    return (_MULTILINE if multiline else _ONE_LINE).search(text) is not None


def clean(
    raw: str,
    path: str,
    problems: list[Problem],
    *,
    multiline: bool = False,
    empty: tuple[ErrorCode, Text] | None = None,
) -> str:
    """``raw`` stripped (a single line also has its runs of spaces collapsed); the problem
    INVALID_CHARACTERS appended for a bad character, and ``empty`` (code, message) when
    nothing is left. The text returned is never used when a problem was added."""
    if has_bad_characters(raw, multiline=multiline):
        problems.append((path, INVALID_CHARACTERS, MESSAGE))
        return ""
    text = raw.strip() if multiline else " ".join(raw.split())
    if not text and empty is not None:
        problems.append((path, *empty))
    return text
