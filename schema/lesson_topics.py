"""A lesson's topic and plan note (``resolvers.lesson_topics``) and the thematic plan import
(``resolvers.thematic_plan``): teachers of the class + subject."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import lesson_topics, thematic_plan
from resolvers.core import _
from schema import types
from schema.errors import FileRefusedError, NotFoundError, ValidationError
from schema.gates import HasRole
from schema.lessons import Lesson

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.input(description="A lesson's topic and plan note. Give at least one; an empty string clears it.")
class LessonTopicSetInput:
    lesson_id: strawberry.ID = strawberry.field(
        description="A `Lesson` of a class + subject you teach, or one you give as a substitute."
    )
    topic: str | None = strawberry.field(
        default=None, description="The topic, one line, at most 500 characters; shown to families."
    )
    plan_note: str | None = strawberry.field(
        default=None, description="Your note on the plan, at most 1000 characters; shown to staff only."
    )


@strawberry.type(description="The lesson with its topic and plan note as they are now.")
class LessonTopicSetSuccess:
    lesson: Lesson = strawberry.field(description="The lesson.")


LessonTopicSetResult = Annotated[
    LessonTopicSetSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "LessonTopicSetResult",
        description="The lesson, or why not (nothing written). ValidationError codes: NOTHING_TO_CHANGE, "
        "NOT_ASSIGNED (you do not teach that class + subject nor give the lesson), INVALID_CHARACTERS, "
        "TEXT_TOO_LONG; NotFoundError LESSON_NOT_FOUND.",
    ),
]

PLANNERS = HasRole(models.Role.TEACHER, refusal=_("Only teachers plan lessons."))


@strawberry.type
class LessonTopicMutations:
    @strawberry.mutation(
        description="Set a lesson's topic and plan note (teachers of the class + subject, or the lesson's own "
        "teacher); a changed topic reaches every student of the class as a LESSON_TOPIC_SET event. FORBIDDEN "
        "for non-teachers.",
        permission_classes=[PLANNERS],
    )
    async def lesson_topic_set(self, info: Info, input: Annotated[LessonTopicSetInput, INPUT]) -> LessonTopicSetResult:
        row = await lesson_topics.set_topic(
            info.context, lesson_topics.TopicInput(input.lesson_id, input.topic, input.plan_note)
        )
        return LessonTopicSetSuccess(lesson=Lesson(model=row))


@strawberry.enum(description="How a thematic plan file is encoded.")
class PlanFileFormat(Enum):
    CSV = strawberry.enum_value("CSV", description="CSV text (RFC 4180, UTF-8).")
    XLSX = strawberry.enum_value("XLSX", description="An XLSX workbook, base64-encoded; its first sheet is read.")


@strawberry.input(
    description=(
        "A thematic plan: the ordered topics of a class + subject for a term. The file has a header naming its "
        "columns (case-insensitive): `topic` (required; `тема` too) and `hours` (optional, 1-50, default 1: how "
        "many consecutive lessons the topic takes; `часы` too). The topics fill the term's scheduled lessons in "
        "date order, replacing their topics. A sample is `docs/thematic-plan-sample.csv` in the repository."
    )
)
class ThematicPlanImportInput:
    class_id: strawberry.ID = strawberry.field(description="A `SchoolClass` whose subject you teach.")
    subject_id: strawberry.ID = strawberry.field(description="The `Subject` (of the class's school) you teach there.")
    term_id: strawberry.ID = strawberry.field(description="A `Term` of the class's academic year.")
    file: str = strawberry.field(description="The file: CSV text, or a base64 XLSX workbook; at most 1 MB, 500 rows.")
    format: PlanFileFormat = strawberry.field(default=PlanFileFormat.CSV, description="How `file` is encoded.")
    dry_run: bool = strawberry.field(
        default=False, description="Check the file and show where its topics would go, writing nothing."
    )


@strawberry.type(description="A topic of the plan, or its last hours, that found no lesson in the term.")
class PlanTopicLeftOver:
    line: int = strawberry.field(description="Its line in the file (the header is line 1).")
    topic: str = strawberry.field(description="The topic.")
    hours: int = strawberry.field(description="How many of its hours found no lesson.")


@strawberry.type(description="The plan was written into the term's lessons (or, on a dry run, would be).")
class ThematicPlanImportSuccess:
    result: strawberry.Private[thematic_plan.PlanResult]

    @strawberry.field(description="True when nothing was written.")
    def dry_run(self) -> bool:
        return self.result.dry_run

    @strawberry.field(
        description="The term's scheduled lessons of the class + subject, in date order, with their topics."
    )
    def lessons(self) -> list[Lesson]:
        return [Lesson(model=x) for x in self.result.lessons]

    @strawberry.field(description="How many lessons got a topic of the plan.")
    def placed(self) -> int:
        return self.result.placed

    @strawberry.field(description="How many of them had another topic before.")
    def changed(self) -> int:
        return self.result.changed

    @strawberry.field(description="What did not fit: topics (or their last hours) beyond the term's last lesson.")
    def unplaced_topics(self) -> list[PlanTopicLeftOver]:
        return [PlanTopicLeftOver(line=t.line, topic=t.topic, hours=h) for t, h in self.result.unplaced]

    @strawberry.field(description="Lessons the plan did not reach (fewer topics than lessons); they keep their topic.")
    def lessons_without_topic(self) -> list[Lesson]:
        return [Lesson(model=x) for x in self.result.untopiced]


ThematicPlanImportResult = Annotated[
    ThematicPlanImportSuccess | FileRefusedError | ValidationError | NotFoundError,
    strawberry.union(
        "ThematicPlanImportResult",
        description=(
            "Where the plan's topics went, or why not; nothing is written unless every row is valid. "
            "FileRefusedError codes (by line and column): HEADER_MISSING, HEADER_UNKNOWN_COLUMN, "
            "HEADER_DUPLICATE_COLUMN, HEADER_MISSING_COLUMN, ROW_WIDTH, FORMULA_NOT_ALLOWED, TOPIC_REQUIRED, "
            "INVALID_CHARACTERS, CELL_TOO_LONG, HOURS_INVALID, PLAN_EMPTY. ValidationError NOT_ASSIGNED (you do not "
            "teach that subject in that class), CSV_EMPTY, CSV_TOO_LARGE, CSV_MALFORMED, XLSX_MALFORMED; "
            "NotFoundError CLASS_NOT_FOUND, SUBJECT_NOT_FOUND, TERM_NOT_FOUND."
        ),
    ),
]


@strawberry.type
class ThematicPlanMutations:
    @strawberry.mutation(
        description="Import a thematic plan for a class + subject + term from CSV or XLSX: its topics fill the "
        "term's lessons in date order, all or nothing, and every lesson whose topic changed reaches the class's "
        "families (LESSON_TOPIC_SET). Teachers of the class + subject; FORBIDDEN for non-teachers.",
        permission_classes=[PLANNERS],
    )
    async def thematic_plan_import(
        self, info: Info, input: Annotated[ThematicPlanImportInput, INPUT]
    ) -> ThematicPlanImportResult:
        result = await thematic_plan.import_plan(
            info.context,
            input.class_id,
            input.subject_id,
            input.term_id,
            input.file,
            input.format == PlanFileFormat.XLSX,
            input.dry_run,
        )
        return ThematicPlanImportSuccess(result=result)
