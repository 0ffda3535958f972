"""Schools and their settings: district admins create schools and set each one's name, time
zone and grading scale (validated by the scale's rules in ``resolvers.grades``). A scale
already used by grades keeps its marks: grades on it would no longer mean what they meant."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.transactions import in_transaction

import models
from resolvers import audit, grades, pages, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, zone_named
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.sessions import Context
from resolvers.text import clean

MAX_SCHOOL_NAME, MAX_MARK = 200, 16
MAX_NUMERIC_SCALE = 100


@dataclass(frozen=True)
class MarkSpec:
    value: str
    numeric: float


@dataclass(frozen=True)
class ScaleSpec:
    """Changes to a school's grading settings; ``None`` keeps the current value."""

    kind: models.ScaleKind | None = None
    min: int | None = None
    max: int | None = None
    marks: list[MarkSpec] | None = None
    pass_mark: int | None = None
    rounding_threshold: float | None = None
    default_grade_weight: int | None = None
    kind_weights: dict[models.GradeKind, int] | None = None


@dataclass(frozen=True)
class SchoolSpec:
    name: str | None = None
    timezone: str | None = None
    scale: ScaleSpec = field(default_factory=ScaleSpec)


SCALE_COLUMNS = ("scale_kind", "scale_min", "scale_max", "scale_marks")
SETTING_COLUMNS = (*SCALE_COLUMNS, "pass_mark", "rounding_threshold", "default_grade_weight", "kind_weights")


def name_of(raw: str, path: str, limit: int, problems: list[Problem]) -> str:
    text = clean(raw, path, problems, empty=(ErrorCode.NAME_EMPTY, _("Give it a name.")))
    if len(text) > limit:
        problems.append(
            (path, ErrorCode.NAME_TOO_LONG, ngettext("At most {n} character.", "At most {n} characters.", limit))
        )
    return text


def _timezone(raw: str, problems: list[Problem]) -> str:
    key = raw.strip()
    if zone_named(key) is None:
        problems.append(("timezone", ErrorCode.INVALID_TIMEZONE, _("Use an IANA time zone, e.g. Europe/Moscow.")))
    return key


def _apply_scale(school: models.School, spec: ScaleSpec, problems: list[Problem]) -> None:
    """Overlay ``spec`` on ``school`` (unsaved) and check the result as a whole."""
    if spec.kind is not None and spec.kind != school.scale_kind:
        school.scale_kind = spec.kind
        school.scale_marks = []
    if spec.min is not None:
        school.scale_min = spec.min
    if spec.max is not None:
        school.scale_max = spec.max
    if spec.marks is not None:
        school.scale_marks = [{"value": m.value.strip(), "numeric": float(m.numeric)} for m in spec.marks]
    kind = school.scale_kind
    if kind == models.ScaleKind.NUMERIC:
        school.scale_marks = []
        if not 0 <= school.scale_min < school.scale_max <= MAX_NUMERIC_SCALE:
            problems.append(
                (
                    "gradeScale.max",
                    ErrorCode.INVALID_SCALE_RANGE,
                    _("Need 0 <= min < max <= {max_numeric_scale}.", max_numeric_scale=MAX_NUMERIC_SCALE),
                )
            )
            return
    else:
        if not school.scale_marks:
            defaults = grades.LETTER_MARKS if kind == models.ScaleKind.LETTER else grades.PASS_FAIL_MARKS
            school.scale_marks = list(defaults)
        listed = school.scale_marks or []
        values = [str(m["value"]).casefold() for m in listed]
        numerics = [float(m["numeric"]) for m in listed]
        if (
            len(listed) < 2
            or (kind == models.ScaleKind.PASS_FAIL and len(listed) != 2)
            or any(not v or len(v) > MAX_MARK for v in values)
            or len(set(values)) != len(values)
            or len(set(numerics)) != len(numerics)
        ):
            problems.append(
                (
                    "gradeScale.marks",
                    ErrorCode.INVALID_MARKS,
                    ngettext(
                        "List at least two marks (exactly two for pass/fail), each 1-{n} character, "
                        "with distinct values and distinct numeric values.",
                        "List at least two marks (exactly two for pass/fail), each 1-{n} characters, "
                        "with distinct values and distinct numeric values.",
                        MAX_MARK,
                    ),
                )
            )
            return
    numeric = [m.numeric for m in grades.marks(school)]
    low, high = min(numeric), max(numeric)
    if spec.pass_mark is not None:
        school.pass_mark = spec.pass_mark
    elif not low <= school.pass_mark <= high and kind == models.ScaleKind.PASS_FAIL:
        school.pass_mark = int(high)
    if not low <= school.pass_mark <= high:
        problems.append(
            (
                "gradeScale.passMark",
                ErrorCode.INVALID_PASS_MARK,
                _("Pick a pass mark from {low:g} to {high:g}.", low=low, high=high),
            )
        )
    if spec.rounding_threshold is not None:
        school.rounding_threshold = spec.rounding_threshold
        if not 0 < spec.rounding_threshold <= 1:
            problems.append(
                (
                    "gradeScale.roundingThreshold",
                    ErrorCode.INVALID_ROUNDING_THRESHOLD,
                    _("Pick a fraction above 0, at most 1."),
                )
            )
    if spec.default_grade_weight is not None:
        school.default_grade_weight = spec.default_grade_weight
    if spec.kind_weights is not None:
        school.kind_weights = {k.value: w for k, w in spec.kind_weights.items()}
    weights = [school.default_grade_weight, *(school.kind_weights or {}).values()]
    if any(not grades.MIN_WEIGHT <= w <= grades.MAX_WEIGHT for w in weights):
        problems.append(
            (
                "gradeScale.kindWeights",
                ErrorCode.INVALID_WEIGHT,
                _(
                    "Weights are whole numbers from {min_weight} to {max_weight}.",
                    min_weight=grades.MIN_WEIGHT,
                    max_weight=grades.MAX_WEIGHT,
                ),
            )
        )


def _settings(school: models.School) -> dict[str, Any]:
    return {column: getattr(school, column) for column in SETTING_COLUMNS}


# --- schools ------------------------------------------------------------------------


async def create_school(ctx: Context, spec: SchoolSpec) -> models.School:
    district = await policy.administered_districts(ctx.viewer).order_by("id").first()
    if district is None:  # a grant without a district: nothing to create it in
        raise NotFound(_("No such district."), ErrorCode.DISTRICT_NOT_FOUND)
    problems: list[Problem] = []
    name = name_of(spec.name or "", "name", MAX_SCHOOL_NAME, problems)
    school = models.School(district_id=district.id, name=name, kind_weights={}, scale_marks=[])
    school.timezone = _timezone(spec.timezone or "UTC", problems)
    _apply_scale(school, spec.scale, problems)
    if name and await models.School.exists(district_id=district.id, name=name):
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The district already has a school of that name.")))
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await school.save()
        await audit.record(
            ctx.viewer,
            "school.create",
            "School",
            school.id,
            {"name": name, "timezone": school.timezone, **_settings(school)},
            school_id=school.id,
        )
    return school


async def update_school(ctx: Context, school_id: str, spec: SchoolSpec) -> models.School:
    school = await found_in(
        policy.district_schools(ctx.viewer), school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )
    before = {"name": school.name, "timezone": school.timezone, **_settings(school)}
    problems: list[Problem] = []
    if spec.name is not None:
        school.name = name_of(spec.name, "name", MAX_SCHOOL_NAME, problems)
        taken = models.School.filter(district_id=school.district_id, name=school.name).exclude(id=school.id)
        if school.name and await taken.exists():
            problems.append(("name", ErrorCode.NAME_TAKEN, _("The district already has a school of that name.")))
    if spec.timezone is not None:
        school.timezone = _timezone(spec.timezone, problems)
    _apply_scale(school, spec.scale, problems)
    after = {"name": school.name, "timezone": school.timezone, **_settings(school)}
    scale_changed = any(before[c] != after[c] for c in SCALE_COLUMNS)
    if scale_changed and await models.Grade.filter(student__school_id=school.id).exists():
        problems.append(
            (
                "gradeScale.kind",
                ErrorCode.SCALE_IN_USE,
                _(
                    "The school already has grades on its scale: the marks can no longer change "
                    "(the pass mark, rounding and weights still can)."
                ),
            )
        )
    if problems:
        raise refuse(problems)
    changed = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if changed:
        async with in_transaction():
            await school.save()
            await audit.record(ctx.viewer, "school.update", "School", school.id, changed, school_id=school.id)
    return school


# A district's schools as a connection (``District.schoolsConnection``), by name then id: what
# ``policy.visible_schools`` shows of the district (all of them, to its admins, the only ones who
# reach a district).
DISTRICT_SCHOOLS: pages.OwnedList[models.School] = pages.OwnedList(
    "district schools",
    "name",
    50,
    lambda viewer, district_id: policy.visible_schools(viewer).filter(district_id=district_id),
)
