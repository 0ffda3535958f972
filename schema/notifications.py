"""Notifications: the inbox (with its live stream's payload). Preferences and the admins'
view of deliveries are in ``schema.notification_preferences`` and ``schema.deliveries``."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from pubsub.broker import EventKind
from resolvers import inbox, pages, policy
from resolvers.core import to_global_id
from schema import announcements, grades, meetings, remarks, term_grades, types
from schema.assessments import PlannedAssessment
from schema.chats import ChatMessage
from schema.deliveries import DeliveryMutations
from schema.errors import NotFoundError, ValidationError
from schema.gates import IsAuthenticated
from schema.homework import Homework
from schema.lessons import Lesson
from schema.notification_preferences import NotificationCategory, PreferenceMutations, PreferencesViewer
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.students import Student
from schema.submissions import Submission

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")


@strawberry.enum(description="What a notification is about.")
class NotificationKind(Enum):
    GRADE_ADDED = strawberry.enum_value("GRADE_ADDED", description="A child got a grade.")
    GRADE_CHANGED = strawberry.enum_value("GRADE_CHANGED", description="A child's grade was corrected.")
    TERM_GRADE_SET = strawberry.enum_value("TERM_GRADE_SET", description="A final grade was set.")
    ATTENDANCE_MARKED = strawberry.enum_value(
        "ATTENDANCE_MARKED", description="A child was marked absent or late (presence is not notified)."
    )
    HOMEWORK_ASSIGNED = strawberry.enum_value("HOMEWORK_ASSIGNED", description="Homework was set.")
    REMARK_ADDED = strawberry.enum_value("REMARK_ADDED", description="A teacher wrote a remark.")
    ANNOUNCEMENT_PUBLISHED = strawberry.enum_value("ANNOUNCEMENT_PUBLISHED", description="News for you.")
    MEETING_INVITED = strawberry.enum_value("MEETING_INVITED", description="You are invited to a meeting.")
    MEETING_CHANGED = strawberry.enum_value("MEETING_CHANGED", description="A meeting's time or place changed.")
    MEETING_CANCELLED = strawberry.enum_value("MEETING_CANCELLED", description="A meeting was cancelled.")
    CHAT_MESSAGE = strawberry.enum_value("CHAT_MESSAGE", description="A new message in one of your chats.")
    SUBMISSION_RETURNED = strawberry.enum_value(
        "SUBMISSION_RETURNED", description="A teacher returned a child's handed-in work with a comment (`submission`)."
    )
    ASSESSMENT_REMINDER = strawberry.enum_value(
        "ASSESSMENT_REMINDER", description="A child has an announced assessment tomorrow (`assessment`)."
    )


@strawberry.type(description="Something new for you. It refers to its source; it is shown while you may see it.")
class Notification(types.Node):
    model: strawberry.Private[models.Notification]

    @strawberry.field(description="What happened.")
    def kind(self) -> NotificationKind:
        return NotificationKind(self.model.kind)

    @strawberry.field(description="Its preference category.")
    def category(self) -> NotificationCategory:
        return NotificationCategory(self.model.category.value)

    @strawberry.field(description="When it was created.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When you marked it read; null while unread.")
    def read_at(self) -> dt.datetime | None:
        return self.model.read_at

    @strawberry.field(description="The child (or you, a student) it is about, for diary notifications.")
    async def student(self, info: Info) -> Student | None:
        if self.model.student_id is None:
            return None
        found = await info.context.loaders.student_by_id.load(self.model.student_id)
        return Student(model=found) if found else None

    async def _event(self, info: Info) -> models.OutboxEvent | None:
        if self.model.outbox_event_id is None:
            return None
        return await info.context.loaders.outbox_event_by_id.load(self.model.outbox_event_id)

    @strawberry.field(description="The grade, for GRADE_ADDED and GRADE_CHANGED (null once removed).")
    async def grade(self, info: Info) -> grades.Grade | None:
        event = await self._event(info)
        if event is None or event.grade_id is None:
            return None
        found = await info.context.loaders.grade_by_id.load(event.grade_id)
        return grades.Grade(model=found) if found and found.deleted_at is None else None

    @strawberry.field(description="The final grade, for TERM_GRADE_SET.")
    async def term_grade(self, info: Info) -> term_grades.TermGrade | None:
        event = await self._event(info)
        if event is None or event.term_grade_id is None:
            return None
        found = await info.context.loaders.term_grade_by_id.load(event.term_grade_id)
        return term_grades.TermGrade(model=found) if found else None

    @strawberry.field(description="The lesson, for ATTENDANCE_MARKED (see the diary for the mark).")
    async def lesson(self, info: Info) -> Lesson | None:
        event = await self._event(info)
        if event is None or event.lesson_id is None or event.kind != EventKind.ATTENDANCE_MARKED:
            return None
        found = await info.context.loaders.lesson_by_id.load(event.lesson_id)
        return Lesson(model=found) if found else None

    @strawberry.field(description="The homework, for HOMEWORK_ASSIGNED (null once removed).")
    async def homework(self, info: Info) -> Homework | None:
        event = await self._event(info)
        if event is None or event.homework_id is None:
            return None
        found = await info.context.loaders.homework_by_id.load(event.homework_id)
        return Homework(model=found) if found else None

    @strawberry.field(description="The handed-in work, for SUBMISSION_RETURNED.")
    async def submission(self, info: Info) -> Submission | None:
        event = await self._event(info)
        if event is None or event.submission_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_submissions).load(event.submission_id)
        return Submission(model=found) if found else None

    @strawberry.field(description="The remark, for REMARK_ADDED.")
    async def remark(self, info: Info) -> remarks.Remark | None:
        event = await self._event(info)
        if event is None or event.remark_id is None:
            return None
        found = await info.context.loaders.one(policy.visible_remarks).load(event.remark_id)
        return remarks.Remark(model=found) if found else None

    @strawberry.field(description="The announcement, for ANNOUNCEMENT_PUBLISHED.")
    async def announcement(self, info: Info) -> announcements.Announcement | None:
        if self.model.announcement_id is None:
            return None
        found = await info.context.loaders.announcement_by_id.load(self.model.announcement_id)
        return announcements.Announcement(model=found) if found else None

    @strawberry.field(description="The meeting, for MEETING_INVITED, MEETING_CHANGED and MEETING_CANCELLED.")
    async def meeting(self, info: Info) -> meetings.Meeting | None:
        if self.model.meeting_id is None:
            return None
        found = await info.context.loaders.meeting_by_id.load(self.model.meeting_id)
        return meetings.Meeting(model=found) if found else None

    @strawberry.field(
        description="The announced assessment, for ASSESSMENT_REMINDER (the reminder is only shown while it "
        "stands and its lesson takes place)."
    )
    async def assessment(self, info: Info) -> PlannedAssessment | None:
        if self.model.planned_assessment_id is None:
            return None
        found = await info.context.loaders.assessment_by_id.load(self.model.planned_assessment_id)
        return PlannedAssessment(model=found) if found else None

    @strawberry.field(description="The chat message's id, for CHAT_MESSAGE.")
    def chat_message_id(self) -> strawberry.ID | None:
        pk = self.model.chat_message_id
        return strawberry.ID(to_global_id("ChatMessage", pk)) if pk is not None else None

    @strawberry.field(
        description="The chat message, for CHAT_MESSAGE (the notification is only shown while you are a member)."
    )
    async def chat_message(self, info: Info) -> ChatMessage | None:
        if self.model.chat_message_id is None:
            return None
        found = await info.context.loaders.message_by_id.load(self.model.chat_message_id)
        return ChatMessage(model=found) if found else None


@strawberry.type(description="A notification in the inbox, with its cursor.")
class NotificationEdge:
    node: Notification = strawberry.field(description="The notification.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of the inbox, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type
class NotificationViewer(PreferencesViewer):
    @strawberry.field(description="Your notification inbox, newest first.")
    async def notifications(
        self,
        info: Info,
        unread_only: Annotated[bool, strawberry.argument(description="Only unread ones.")] = False,
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="Newer than this cursor.")] = None,
    ) -> NotificationConnection:
        scope = policy.inbox(info.context.viewer)
        if unread_only:
            scope = scope.filter(read_at__isnull=True)
        page = await pages.newest_first(scope, inbox.CURSOR_KIND, first, after, last, before)
        edges = [
            NotificationEdge(node=Notification(model=r), cursor=pages.encode(inbox.CURSOR_KIND, r.id))
            for r in page.rows
        ]
        return NotificationConnection(edges=edges, page_info=keyset_page_info(page, inbox.CURSOR_KIND))

    @strawberry.field(description="How many notifications of your inbox are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        return await policy.inbox(info.context.viewer).filter(read_at__isnull=True).count()


@strawberry.input(description="Notifications to mark read: some by id, or all.")
class NotificationsMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="`Notification` ids (at most 100).")
    all: bool = strawberry.field(default=False, description="Mark the whole inbox read instead.")


@strawberry.type(description="The notifications are read.")
class NotificationsMarkReadSuccess:
    marked: int = strawberry.field(description="How many were unread and are now read.")
    unread_count: int = strawberry.field(description="How many are still unread.")


NotificationsMarkReadResult = Annotated[
    NotificationsMarkReadSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "NotificationsMarkReadResult",
        description="How many were marked, or why not (nothing changed). ValidationError codes: IDS_OR_ALL, "
        "TOO_MANY; NotFoundError NOTIFICATION_NOT_FOUND (an id not in your inbox).",
    ),
]


@strawberry.type
class NotificationMutations(PreferenceMutations, DeliveryMutations):
    @strawberry.mutation(description="Mark notifications read.", permission_classes=[IsAuthenticated])
    async def notifications_mark_read(
        self, info: Info, input: Annotated[NotificationsMarkReadInput, INPUT]
    ) -> NotificationsMarkReadResult:
        marked = await inbox.mark_read(info.context, [str(i) for i in input.ids or []], input.all)
        unread = await policy.inbox(info.context.viewer).filter(read_at__isnull=True).count()
        return NotificationsMarkReadSuccess(marked=marked, unread_count=unread)


@strawberry.type(description="A new notification in your inbox.")
class NotificationEvent:
    model: strawberry.Private[models.Notification]

    @strawberry.field(description="Pass as `after` when resubscribing to get what you missed.")
    def cursor(self) -> str:
        return pages.encode(inbox.CURSOR_KIND, self.model.id)

    @strawberry.field(description="The notification.")
    def notification(self) -> Notification:
        return Notification(model=self.model)
