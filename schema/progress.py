"""Progress types: the progress chart and the class rank (final grades: ``schema.term_grades``)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import progress
from schema.scales import GradeMark


@strawberry.type(description="One week or month of a child's progress chart in one subject.")
class ProgressPoint:
    data: strawberry.Private[progress.ProgressPointData]

    @strawberry.field(description="First day of the bucket: a Monday, or the 1st of a month (may precede `from`).")
    def bucket_start(self) -> dt.date:
        return self.data.bucket_start

    @strawberry.field(description="This child's grades in the bucket, weighted, 2 decimals; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.weighted_average

    @strawberry.field(description="This child's grades from `from` to the end of the bucket, weighted; null if none.")
    def running_weighted_average(self) -> float | None:
        return self.data.running_weighted_average

    @strawberry.field(description="All grades of the child's class in the bucket, weighted; null without grades.")
    def class_weighted_average(self) -> float | None:
        return self.data.class_weighted_average

    @strawberry.field(description="How many grades this child got in the bucket.")
    def grade_count(self) -> int:
        return self.data.grade_count


@strawberry.type(description="How many students of the class have an average that suggests this mark.")
class RankBucket:
    mark: GradeMark = strawberry.field(description="A mark of the school's scale.")
    students: int = strawberry.field(description="Students whose weighted average suggests it.")


@strawberry.type(
    description="A child's place in the class by the weighted average of all the term's grades. "
    "Anonymous: it names no other student."
)
class ClassRank:
    data: strawberry.Private[progress.RankData]

    @strawberry.field(
        description="1 for the best average; students with equal averages share a place (1, 2, 2, 4). "
        "Null when the child has no grades."
    )
    def position(self) -> int | None:
        return self.data.position

    @strawberry.field(description="Students of the class with at least one counted grade in the term.")
    def class_size(self) -> int:
        return self.data.class_size

    @strawberry.field(description="This child's weighted average over all subjects, 2 decimals; null without grades.")
    def weighted_average(self) -> float | None:
        return self.data.weighted_average

    @strawberry.field(description="All grades of the class in the term, weighted together; null without grades.")
    def class_weighted_average(self) -> float | None:
        return self.data.class_weighted_average

    @strawberry.field(description="For each mark of the scale, best first: how many students' averages suggest it.")
    def distribution(self) -> list[RankBucket]:
        return [
            RankBucket(mark=GradeMark(value=m.value, numeric_value=m.numeric), students=n)
            for m, n in self.data.distribution
        ]
