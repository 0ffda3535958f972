"""The grading vocabulary of a school: its scale, the marks on it, the weight of each kind."""

from __future__ import annotations

import strawberry

import models
from resolvers import scales
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
        return int(min(m.numeric for m in scales.marks(self.model)))

    @strawberry.field(description="Highest numeric value of the scale.")
    def max(self) -> int:
        return int(max(m.numeric for m in scales.marks(self.model)))

    @strawberry.field(description="Lowest passing numeric value.")
    def pass_mark(self) -> int:
        return int(self.model.pass_mark)

    @strawberry.field(description="Every value a grade can take, best first: what a grade picker offers.")
    def marks(self) -> list[GradeMark]:
        return [GradeMark(value=m.value, numeric_value=m.numeric) for m in scales.marks(self.model)]

    @strawberry.field(
        description="A final grade rounds up once the average is this far to the next mark (0.5: 4.5 gives 5)."
    )
    def rounding_threshold(self) -> float:
        return float(self.model.rounding_threshold)

    @strawberry.field(description="The weight each kind of grade carries unless the teacher sets another.")
    def kind_weights(self) -> list[GradeKindWeight]:
        return [
            GradeKindWeight(kind=GradeKind(k.value), weight=scales.default_weight(self.model, k))
            for k in models.GradeKind
        ]


@strawberry.type(description="The default weight of one kind of grade at a school.")
class GradeKindWeight:
    kind: GradeKind = strawberry.field(description="The kind of grade.")
    weight: int = strawberry.field(description="Its default weight, 1-10.")
