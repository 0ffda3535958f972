"""Grading scales: what a teacher may type, what it counts for, which final grade an average suggests."""

from __future__ import annotations

import pytest

import models
from resolvers import grades, stats


def _school(**fields: object) -> models.School:
    return models.School(name="S", district_id=1, **fields)


def test_numeric_scale_accepts_whole_numbers_in_range_only() -> None:
    five = _school(scale_min=1, scale_max=5)
    assert grades.parse(five, " 5 ") == grades.Mark("5", 5.0)
    assert [grades.parse(five, v) for v in ("0", "6", "4.5", "-1", "five", "", "\uff15")] == [None] * 7
    points = _school(scale_min=0, scale_max=100, pass_mark=50)
    assert grades.parse(points, "100") == grades.Mark("100", 100.0)
    assert grades.parse(points, "0") == grades.Mark("0", 0.0)
    assert grades.describe(points).render("en") == "a whole number from 0 to 100"


def test_letter_scale_maps_letters_case_insensitively() -> None:
    letters = _school(scale_kind=models.ScaleKind.LETTER, scale_marks=grades.LETTER_MARKS, pass_mark=3)
    assert grades.parse(letters, "b") == grades.Mark("B", 4.0)
    assert grades.parse(letters, "E") is None
    assert grades.parse(letters, "5") is None
    assert [m.value for m in grades.marks(letters)] == ["A", "B", "C", "D", "F"]
    assert grades.describe(letters).render("en") == "one of A, B, C, D, F"


def test_pass_fail_scale() -> None:
    school = _school(scale_kind=models.ScaleKind.PASS_FAIL, pass_mark=1)
    assert grades.parse(school, "PASS") == grades.Mark("pass", 1.0)
    assert grades.parse(school, "fail") == grades.Mark("fail", 0.0)
    assert grades.parse(school, "1") is None
    assert grades.suggest(school, 0.75) == grades.Mark("pass", 1.0)
    assert grades.suggest(school, 0.25) == grades.Mark("fail", 0.0)


@pytest.mark.parametrize(
    ("threshold", "average", "expected"),
    [(0.5, 4.5, "5"), (0.5, 4.49, "4"), (0.6, 4.5, "4"), (0.6, 4.6, "5"), (0.6, 4.59, "4"), (0.5, 0.3, "1")],
)
def test_suggestion_follows_the_schools_rounding_rule(threshold: float, average: float, expected: str) -> None:
    school = _school(scale_min=1, scale_max=5, rounding_threshold=threshold)
    mark = grades.suggest(school, average)
    assert mark is not None
    assert mark.value == expected


def test_suggestion_on_a_letter_scale_and_without_grades() -> None:
    letters = _school(scale_kind=models.ScaleKind.LETTER, scale_marks=grades.LETTER_MARKS, rounding_threshold=0.5)
    assert grades.suggest(letters, 3.5) == grades.Mark("B", 4.0)
    assert grades.suggest(letters, 3.4) == grades.Mark("C", 3.0)
    assert grades.suggest(letters, None) is None


def test_kind_weights_default_to_the_schools_default_weight() -> None:
    school = _school(default_grade_weight=1, kind_weights={"TEST": 2, "EXAM": 4})
    assert grades.default_weight(school, models.GradeKind.EXAM) == 4
    assert grades.default_weight(school, models.GradeKind.ORAL) == 1


def test_averages_round_half_up() -> None:
    assert grades.round_average(4.125) == 4.13
    assert grades.round_average(4.375) == 4.38
    assert grades.round_average(3.3333) == 3.33


def test_shares_round_half_up_exactly() -> None:
    """Success, quality and attendance rates: 1 of 32 is 0.03125, shown as 0.0313 (half up)."""
    assert grades.share(1, 32) == 0.0313
    assert stats.Shares(students=32, successful=1, top=3).success == 0.0313
    assert stats.Shares(students=32, successful=1, top=3).quality == 0.0938  # 0.09375
    assert stats.Attendance(marked=160, present=4, late=1).rate == 0.0313
    assert grades.share(2, 3) == 0.6667
    assert grades.share(1, 3, places=2) == 0.33
