"""The root Subscription (graphql-transport-ws and legacy graphql-ws on `/graphql`)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Hashable
from typing import Annotated, Any, TypeVar

import strawberry

import models
from pubsub.broker import EventKind
from resolvers import chat_events, inbox, outbox, policy
from schema import chat_events as chat_event_types
from schema import grades, notifications, remarks, submissions, term_grades, types
from schema.enums import AttendanceStatus, describe
from schema.gates import IsAuthenticated
from schema.homework import Homework
from schema.lessons import Lesson
from schema.students import Student

Info = types.Info
T = TypeVar("T")


class ResumedInfo:
    """The ``info`` a resumed stream's resolver is called with (``resumable``): the socket's
    context, nothing else of the first run."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


def resumable(resolver: Callable[..., AsyncIterator[T]]) -> Callable[..., AsyncGenerator[T, None]]:
    """A subscription resolver whose later runs go straight in (issue 15). Its first run leaves in
    the operation's Subscriber (``resolvers/outbox.py``) how to call it again: its arguments as
    Strawberry converted them, and its context. A resumed run (``schema.DiarySchema.resume``)
    then calls it at once, without graphql-core resolving the root field again (its arguments,
    its permission classes, which let a stream that goes on in): the stream continues from its
    saved place (``resolvers/outbox.py``), every event still checked as it is delivered, and
    a socket whose session ended is closed (``schema/websocket.py``). Such a resolver
    reads only ``info.context``: a resumed call gets nothing else (``ResumedInfo``), so that an
    idle subscription does not keep its first run alive."""

    @functools.wraps(resolver)
    async def first_run(*args: Any, **kwargs: Any) -> AsyncGenerator[T, None]:
        subscriber = outbox.current()
        if subscriber is not None:
            again = {**kwargs, "info": ResumedInfo(kwargs["info"].context)}
            subscriber.source = functools.partial(resolver, *args, **again)
        async for item in resolver(*args, **kwargs):
            yield item

    return first_run


DiaryEventKind = EventKind
describe(
    DiaryEventKind,
    name="DiaryEventKind",
    description="What happened in a diary.",
    values={kind: kind.description for kind in EventKind},  # declared with the kind (pubsub/broker.py)
)


@strawberry.type(description="Something new in a child's diary.")
class DiaryEvent:
    row: strawberry.Private[models.OutboxEvent]
    # Subscribers with equal keys see the same data: the payload is computed once for them
    # (``schema.SharedEventExecution``). Includes the event id.
    share_key: strawberry.Private[Hashable] = None

    @strawberry.field(description="Pass as `after` when resubscribing to get what you missed.")
    def cursor(self) -> str:
        return outbox.encode_cursor(self.row.id)

    @strawberry.field(description="What happened.")
    def kind(self) -> DiaryEventKind:
        return DiaryEventKind.__members__[self.row.kind]  # a kind's value is its name

    @strawberry.field(description="When it happened.")
    def occurred_at(self) -> dt.datetime:
        return self.row.occurred_at

    @strawberry.field(description="Whose diary.")
    async def student(self, info: Info) -> Student:
        student = await info.context.loaders.student_by_id.load(self.row.student_id)
        if student is None:
            raise LookupError("missing student")
        return Student(model=student)

    @strawberry.field(
        description=(
            "The lesson, for lesson events (cancelled, restored, substituted, its topic set), assessment events "
            "(`lesson.assessment`) and ATTENDANCE_MARKED (for a family's absence notice, the first lesson it covers)."
        )
    )
    async def lesson(self, info: Info) -> Lesson | None:
        if self.row.lesson_id is None or not self.row.kind.startswith(("LESSON_", "ASSESSMENT_", "ATTENDANCE_")):
            return None
        lesson = await info.context.loaders.lesson_by_id.load(self.row.lesson_id)
        return Lesson(model=lesson) if lesson else None

    @strawberry.field(
        description=(
            "For ATTENDANCE_MARKED: the student's mark at `lesson` as it stands now (a later change comes as "
            "its own event); null if it has been cleared."
        )
    )
    async def attendance(self, info: Info) -> AttendanceStatus | None:
        if self.row.lesson_id is None or self.row.kind != "ATTENDANCE_MARKED":
            return None
        mark = await info.context.loaders.attendance_by_mark.load((self.row.student_id, self.row.lesson_id))
        return AttendanceStatus(mark.status) if mark else None

    @strawberry.field(description="The grade, for grade events.")
    async def grade(self, info: Info) -> grades.Grade | None:
        if self.row.grade_id is None:
            return None
        grade = await info.context.loaders.grade_by_id.load(self.row.grade_id)
        return grades.Grade(model=grade) if grade else None

    @strawberry.field(
        description="The homework, for homework events; for HOMEWORK_REMOVED the removed one (`removed` true)."
    )
    async def homework(self, info: Info) -> Homework | None:
        if self.row.homework_id is None:
            return None
        homework = await info.context.loaders.any_homework_by_id.load(self.row.homework_id)
        return Homework(model=homework) if homework else None

    @strawberry.field(description="The remark, for REMARK_ADDED (null if you may not read it).")
    async def remark(self, info: Info) -> remarks.Remark | None:
        if self.row.remark_id is None:
            return None
        remark = await info.context.loaders.one(policy.visible_remarks).load(self.row.remark_id)
        return remarks.Remark(model=remark) if remark else None

    @strawberry.field(description="The handed-in work, for SUBMISSION_ events (null if you may not read it).")
    async def submission(self, info: Info) -> submissions.Submission | None:
        if self.row.submission_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_submissions).load(self.row.submission_id)
        return submissions.Submission(model=found) if found else None

    @strawberry.field(description="The final grade, for TERM_GRADE_SET (null if you may not read it).")
    async def term_grade(self, info: Info) -> term_grades.TermGrade | None:
        if self.row.term_grade_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_term_grades).load(self.row.term_grade_id)
        return term_grades.TermGrade(model=found) if found else None


@strawberry.type(description="Live updates over WebSocket.")
class Subscription:
    @strawberry.subscription(
        description=(
            "Grades, final grades, attendance, homework and remarks of one student, or of all your children "
            "when `studentId` is omitted. `after` resumes: events newer than that cursor are replayed first, "
            "then live events follow, none twice. An unknown cursor is BAD_USER_INPUT (refetch, then "
            "subscribe without it)."
        ),
        permission_classes=[IsAuthenticated],
    )
    @resumable
    async def diary_events(
        self,
        info: Info,
        student_id: Annotated[strawberry.ID | None, strawberry.argument(description="A `Student` id.")] = None,
        after: Annotated[str | None, strawberry.argument(description="A `cursor` from an earlier event.")] = None,
    ) -> AsyncGenerator[DiaryEvent, None]:
        async for delivery in outbox.diary_events(info.context, student_id, after):
            yield DiaryEvent(row=delivery.row, share_key=delivery.share)

    @strawberry.subscription(
        description=(
            "Every diary event of a class you teach (or whose school you administer): grades, attendance, "
            "homework, remarks, resumable with `after` like `diaryEvents`. BAD_USER_INPUT for any other class."
        ),
        permission_classes=[IsAuthenticated],
    )
    @resumable
    async def class_events(
        self,
        info: Info,
        class_id: Annotated[strawberry.ID, strawberry.argument(description="A `SchoolClass` id.")],
        after: Annotated[str | None, strawberry.argument(description="A `cursor` from an earlier event.")] = None,
    ) -> AsyncGenerator[DiaryEvent, None]:
        async for delivery in outbox.class_events(info.context, class_id, after):
            yield DiaryEvent(row=delivery.row, share_key=delivery.share)

    @strawberry.subscription(
        description=(
            "Your inbox live: each new notification as it arrives. `after` (a `cursor` from an earlier event) "
            "replays what you missed first, none twice. Each is re-checked when delivered: one whose source you "
            "may no longer see is not sent. An unknown cursor is BAD_USER_INPUT."
        ),
        permission_classes=[IsAuthenticated],
    )
    @resumable
    async def notification_events(
        self,
        info: Info,
        after: Annotated[str | None, strawberry.argument(description="A `cursor` from an earlier event.")] = None,
    ) -> AsyncGenerator[notifications.NotificationEvent, None]:
        async for delivery in inbox.notification_events(info.context, after):
            yield notifications.NotificationEvent(model=delivery.row)

    @strawberry.subscription(
        description=(
            "Every event of every chat you are in: messages added, edited, deleted; members added, removed; chats "
            "renamed, deleted. Checked as each event is delivered: once you leave or are removed you get that "
            "MEMBER_REMOVED and nothing more of the chat. `after` resumes like `diaryEvents` (unknown cursor: "
            "BAD_USER_INPUT)."
        ),
        permission_classes=[IsAuthenticated],
    )
    @resumable
    async def chat_events(
        self,
        info: Info,
        after: Annotated[str | None, strawberry.argument(description="A `cursor` from an earlier event.")] = None,
    ) -> AsyncGenerator[chat_event_types.ChatEvent, None]:
        async for delivery in chat_events.chat_events(info.context, after):
            yield chat_event_types.ChatEvent(row=delivery.row, share_key=delivery.share)
