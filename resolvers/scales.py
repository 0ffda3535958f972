"""A school's grading scale: which values a grade may take, what each counts for, which
weight a kind of grade carries, and which final grade an average suggests.

Three kinds of scale (``models.ScaleKind``):
- NUMERIC: whole numbers from ``scale_min`` to ``scale_max`` (1-5, 1-10, 1-12, 0-100 points);
- LETTER: the marks listed in ``scale_marks`` (e.g. A-F, with "A-" and "B+" if the school uses
  them), each counted as its ``numeric`` value;
- PASS_FAIL: "pass" and "fail", counted as 1 and 0 unless ``scale_marks`` says otherwise.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import models
from resolvers.core import Text, _

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
