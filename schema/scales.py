"""The grading vocabulary of a school: its scale, the marks on it, the weight of each kind, and the
settings district admins send to change them (the rules: the scale of ``resolvers.grades``)."""

from __future__ import annotations

import strawberry

import models
from resolvers import grades, schools
from schema.enums import GradeKind, ScaleKind


@strawberry.type(description="A value a grade can take: as shown and as counted.")
class GradeMark:
    value: str = strawberry.field(description='As shown and as typed by teachers, e.g. "A" or "5".')
    numeric_value: float = strawberry.field(description="What it counts for in averages.")


@strawberry.type(
    description="The grading scale of a school: whole numbers from `min` to `max` (NUMERIC), or the listed `marks`."
)
class GradeScale:
    model: strawberry.Private[models.School]

    @strawberry.field(description="NUMERIC, LETTER or PASS_FAIL.")
    def kind(self) -> ScaleKind:
        return ScaleKind(self.model.scale_kind)

    @strawberry.field(description="Lowest numeric value of the scale.")
    def min(self) -> int:
        return int(min(m.numeric for m in grades.marks(self.model)))

    @strawberry.field(description="Highest numeric value of the scale.")
    def max(self) -> int:
        return int(max(m.numeric for m in grades.marks(self.model)))

    @strawberry.field(description="Lowest passing numeric value.")
    def pass_mark(self) -> int:
        return int(self.model.pass_mark)

    @strawberry.field(description="Every value a grade can take, best first: what a grade picker offers.")
    def marks(self) -> list[GradeMark]:
        return [GradeMark(value=m.value, numeric_value=m.numeric) for m in grades.marks(self.model)]

    @strawberry.field(
        description="A final grade rounds up once the average is this far to the next mark (0.5: 4.5 gives 5)."
    )
    def rounding_threshold(self) -> float:
        return float(self.model.rounding_threshold)

    @strawberry.field(description="The weight each kind of grade carries unless the teacher sets another.")
    def kind_weights(self) -> list[GradeKindWeight]:
        return [
            GradeKindWeight(kind=GradeKind(k.value), weight=grades.default_weight(self.model, k))
            for k in models.GradeKind
        ]


@strawberry.type(description="The default weight of one kind of grade at a school.")
class GradeKindWeight:
    kind: GradeKind = strawberry.field(description="The kind of grade.")
    weight: int = strawberry.field(description="Its default weight, 1-10.")


@strawberry.input(description="A mark of a LETTER or PASS_FAIL scale.")
class GradeMarkInput:
    value: str = strawberry.field(description='As shown and typed, 1-16 characters, e.g. "A" or "pass".')
    numeric_value: float = strawberry.field(description="What it counts for in averages; distinct per mark.")


@strawberry.input(description="The default weight of one kind of grade.")
class GradeKindWeightInput:
    kind: GradeKind = strawberry.field(description="The kind of grade.")
    weight: int = strawberry.field(description="Its default weight, 1-10.")


@strawberry.input(description="Grading settings of a school; every field left out keeps its current value.")
class GradeScaleInput:
    kind: ScaleKind | None = strawberry.field(
        default=None,
        description="NUMERIC, LETTER or PASS_FAIL. Switching to LETTER or PASS_FAIL without `marks` uses A-F "
        "(5 to 1) or pass/fail (1/0).",
    )
    min: int | None = strawberry.field(default=None, description="NUMERIC: the lowest mark, 0 or more.")
    max: int | None = strawberry.field(default=None, description="NUMERIC: the highest mark, above min, at most 100.")
    marks: list[GradeMarkInput] | None = strawberry.field(
        default=None, description="LETTER / PASS_FAIL: the marks (at least two; exactly two for PASS_FAIL)."
    )
    pass_mark: int | None = strawberry.field(
        default=None, description="Lowest passing numeric value, within the scale."
    )
    rounding_threshold: float | None = strawberry.field(
        default=None, description="How far to the next mark an average rounds up: above 0, at most 1."
    )
    default_grade_weight: int | None = strawberry.field(
        default=None, description="Weight of kinds not listed in `kindWeights`, 1-10."
    )
    kind_weights: list[GradeKindWeightInput] | None = strawberry.field(
        default=None, description="Default weight per kind of grade (replaces the whole list)."
    )


def scale_spec(value: GradeScaleInput | None) -> schools.ScaleSpec:
    """The settings as ``resolvers.schools`` takes them; nothing given: nothing changes."""
    if value is None:
        return schools.ScaleSpec()
    return schools.ScaleSpec(
        kind=models.ScaleKind(value.kind.name) if value.kind else None,
        min=value.min,
        max=value.max,
        marks=[schools.MarkSpec(m.value, m.numeric_value) for m in value.marks] if value.marks is not None else None,
        pass_mark=value.pass_mark,
        rounding_threshold=value.rounding_threshold,
        default_grade_weight=value.default_grade_weight,
        kind_weights={models.GradeKind(w.kind.name): w.weight for w in value.kind_weights}
        if value.kind_weights is not None
        else None,
    )
