"""A lesson's topic and plan note (``resolvers.lesson_topics``) and the thematic plan import
(``resolvers.thematic_plan``): teachers of the class + subject."""

from __future__ import annotations

from typing import Annotated

import strawberry

import models
from resolvers import lesson_topics
from resolvers.i18n import _
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.lessons import Lesson
from schema.permissions import HasRole

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
