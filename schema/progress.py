"""Progress types: final (term / year) grades, the progress chart and the class rank."""

from __future__ import annotations

import datetime as dt

import strawberry

import models
from resolvers import progress
from schema.calendar import Term
from schema.enums import RevisionAction
from schema.grades import GradeBase
from schema.grading import GradeMark
from schema.types import Info, Node, _must
from schema.users import User


@strawberry.type(description="A final grade of a student in a subject for a term, or for the whole year.")
class TermGrade(Node, GradeBase):
    model: strawberry.Private[models.TermGrade]

    @strawberry.field(description="The term it is the final grade of; null for a year grade.")
    async def term(self, info: Info) -> Term | None:
        if self.model.term_id is None:
            return None
        found = await info.context.loaders.term_by_id.load(self.model.term_id)
        return Term(model=found) if found else None

    @strawberry.field(description='As shown, e.g. "5" or "B".')
    def value(self) -> str:
        return self.model.value

    @strawberry.field(description="What it counts for on the school's scale.")
    def numeric_value(self) -> float | None:
        return self.model.numeric_value

    @strawberry.field(description="The teacher's comment.")
    def comment(self) -> str | None:
        return self.model.comment

    @strawberry.field(description="Who set it.")
    async def teacher(self, info: Info) -> User:
        return User(model=_must(await info.context.loaders.user_by_id.load(self.model.teacher_id), "teacher"))

    @strawberry.field(description="When it was first set.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When it was last changed.")
    def updated_at(self) -> dt.datetime:
        return self.model.updated_at

    @strawberry.field(description="Every time it was set, oldest first: who, when, from what to what, and why.")
    async def history(self, info: Info) -> list[TermGradeRevision]:
        rows = await info.context.loaders.revisions_by_term_grade.load(self.model.id)
        return [TermGradeRevision(model=r) for r in rows]


@strawberry.type(description="One change of a final grade.")
class TermGradeRevision:
    model: strawberry.Private[models.TermGradeRevision]

    @strawberry.field(description="Set for the first time, or changed.")
    def action(self) -> RevisionAction:
        return RevisionAction(self.model.action.value)

    @strawberry.field(description="When.")
    def at(self) -> dt.datetime:
        return self.model.at

    @strawberry.field(description="Who set it.")
    async def by(self, info: Info) -> User | None:
        user = await info.context.loaders.user_by_id.load(self.model.actor_id)
        return User(model=user) if user else None

    @strawberry.field(description="The value before (null the first time).")
    def old_value(self) -> str | None:
        return self.model.old_value

    @strawberry.field(description="The value after.")
    def new_value(self) -> str | None:
        return self.model.new_value

    @strawberry.field(description="Why, as the teacher wrote it (required once the grade was over a day old).")
    def reason(self) -> str | None:
        return self.model.reason


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
