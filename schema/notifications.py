"""Notifications: the inbox, preferences, the admins' view of e-mail and SMS deliveries."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.relay import PageInfo
from tortoise.expressions import Subquery

import models
from resolvers import inbox, pages, policy
from resolvers.ids import pk_of, to_global_id
from schema import announcements, diary, meetings, progress, remarks, types
from schema.errors import NotFoundError, ValidationError
from schema.permissions import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
DELIVERY_CURSOR = "delivery"


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


@strawberry.enum(description="Kinds of notifications grouped for preferences.")
class NotificationCategory(Enum):
    GRADES = strawberry.enum_value("GRADES", description="Grades and final grades.")
    ABSENCES = strawberry.enum_value("ABSENCES", description="Absences and late arrivals.")
    HOMEWORK = strawberry.enum_value("HOMEWORK", description="New homework.")
    REMARKS = strawberry.enum_value("REMARKS", description="Teachers' remarks.")
    ANNOUNCEMENTS = strawberry.enum_value("ANNOUNCEMENTS", description="School and class news.")
    MEETINGS = strawberry.enum_value("MEETINGS", description="Parent-teacher meetings.")
    CHAT_MESSAGES = strawberry.enum_value("CHAT_MESSAGES", description="Chat messages.")


@strawberry.enum(description="Where a notification goes besides the inbox.")
class DeliveryChannel(Enum):
    EMAIL = strawberry.enum_value("EMAIL", description="E-mail to the account's address.")
    SMS = strawberry.enum_value("SMS", description="SMS to the phone number in the preferences.")


@strawberry.enum(description="How an e-mail or SMS delivery went.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting: not yet tried, retrying, or in quiet hours.")
    SENT = strawberry.enum_value("SENT", description="Handed to the mail server or SMS gateway.")
    FAILED = strawberry.enum_value("FAILED", description="Every attempt failed; an admin may retry it.")
    SKIPPED = strawberry.enum_value(
        "SKIPPED", description="Not sent: the recipient may no longer see the source, or has no address."
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
    async def student(self, info: Info) -> types.Student | None:
        if self.model.student_id is None:
            return None
        found = await info.context.loaders.student_by_id.load(self.model.student_id)
        return types.Student(model=found) if found else None

    async def _event(self, info: Info) -> models.OutboxEvent | None:
        if self.model.outbox_event_id is None:
            return None
        return await info.context.loaders.outbox_event_by_id.load(self.model.outbox_event_id)

    @strawberry.field(description="The grade, for GRADE_ADDED and GRADE_CHANGED (null once removed).")
    async def grade(self, info: Info) -> diary.Grade | None:
        event = await self._event(info)
        if event is None or event.grade_id is None:
            return None
        found = await info.context.loaders.grade_by_id.load(event.grade_id)
        return diary.Grade(model=found) if found and found.deleted_at is None else None

    @strawberry.field(description="The final grade, for TERM_GRADE_SET.")
    async def term_grade(self, info: Info) -> progress.TermGrade | None:
        event = await self._event(info)
        if event is None or event.term_grade_id is None:
            return None
        found = await info.context.loaders.term_grade_by_id.load(event.term_grade_id)
        return progress.TermGrade(model=found) if found else None

    @strawberry.field(description="The lesson, for ATTENDANCE_MARKED (see the diary for the mark).")
    async def lesson(self, info: Info) -> types.Lesson | None:
        event = await self._event(info)
        if event is None or event.lesson_id is None or event.kind != "ATTENDANCE_MARKED":
            return None
        found = await info.context.loaders.lesson_by_id.load(event.lesson_id)
        return types.Lesson(model=found) if found else None

    @strawberry.field(description="The homework, for HOMEWORK_ASSIGNED (null once removed).")
    async def homework(self, info: Info) -> types.Homework | None:
        event = await self._event(info)
        if event is None or event.homework_id is None:
            return None
        found = await info.context.loaders.homework_by_id.load(event.homework_id)
        return types.Homework(model=found) if found else None

    @strawberry.field(description="The remark, for REMARK_ADDED.")
    async def remark(self, info: Info) -> remarks.Remark | None:
        event = await self._event(info)
        if event is None or event.remark_id is None:
            return None
        found = await info.context.loaders.visible_remark_by_id.load(event.remark_id)
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

    @strawberry.field(description="The chat message's id, for CHAT_MESSAGE.")
    def chat_message_id(self) -> strawberry.ID | None:
        pk = self.model.chat_message_id
        return strawberry.ID(to_global_id("ChatMessage", pk)) if pk is not None else None


@strawberry.type(description="A notification in the inbox, with its cursor.")
class NotificationEdge:
    node: Notification = strawberry.field(description="The notification.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of the inbox, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge] = strawberry.field(description="The notifications of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


def _page_info(page: pages.Page[models.Notification] | pages.Page[models.NotificationDelivery], kind: str) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=page.has_previous_page,
        start_cursor=pages.encode(kind, page.rows[0].id) if page.rows else None,
        end_cursor=pages.encode(kind, page.rows[-1].id) if page.rows else None,
    )


@strawberry.type(description="Which channels one category of notifications goes to.")
class CategoryChannels:
    category: NotificationCategory = strawberry.field(description="The category.")
    in_app: bool = strawberry.field(description="Shown in the inbox (and `notificationEvents`).")
    email: bool = strawberry.field(description="Sent by e-mail (to the account's address, if it has one).")
    sms: bool = strawberry.field(description="Sent by SMS (to `phone`).")


@strawberry.type(description="Your notification preferences.")
class NotificationPreferences:
    model: strawberry.Private[models.NotificationSettings]

    @strawberry.field(description="Channels per category, every category (defaults: the inbox only).")
    def channels(self) -> list[CategoryChannels]:
        return [
            CategoryChannels(category=NotificationCategory(c.category.value), in_app=c.in_app, email=c.email, sms=c.sms)
            for c in inbox.choices(self.model)
        ]

    @strawberry.field(description="Quiet hours start (local time): no e-mail or SMS until they end. Null: none.")
    def quiet_hours_start(self) -> dt.time | None:
        m = self.model.quiet_start
        return dt.time(m // 60, m % 60) if m is not None else None

    @strawberry.field(description="Quiet hours end (local time); e-mail and SMS held back are sent then.")
    def quiet_hours_end(self) -> dt.time | None:
        m = self.model.quiet_end
        return dt.time(m // 60, m % 60) if m is not None else None

    @strawberry.field(description="The IANA time zone of the quiet hours; null: your school's.")
    def timezone(self) -> str | None:
        return self.model.timezone

    @strawberry.field(description="The phone number SMS go to.")
    def phone(self) -> str | None:
        return self.model.phone


@strawberry.type
class NotificationViewer:
    @strawberry.field(description="Your notification inbox, newest first.")
    async def notifications(
        self,
        info: Info,
        unread_only: Annotated[bool, strawberry.argument(description="Only unread ones.")] = False,
        first: Annotated[int | None, strawberry.argument(description="At most this many (max 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
        last: Annotated[int | None, strawberry.argument(description="The newest this many before `before`.")] = None,
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
        return NotificationConnection(edges=edges, page_info=_page_info(page, inbox.CURSOR_KIND))

    @strawberry.field(description="How many notifications of your inbox are unread.")
    async def unread_notification_count(self, info: Info) -> int:
        return await policy.inbox(info.context.viewer).filter(read_at__isnull=True).count()

    @strawberry.field(description="Your notification preferences.")
    async def notification_preferences(self, info: Info) -> NotificationPreferences:
        user_id = info.context.viewer.user_id
        assert user_id is not None  # the viewer object exists only for a logged-in user
        return NotificationPreferences(model=await inbox.preferences(user_id))


@strawberry.type(description="An e-mail or SMS delivery of a notification, for the school's admins.")
class NotificationDelivery(types.Node):
    model: strawberry.Private[models.NotificationDelivery]

    @strawberry.field(description="E-mail or SMS.")
    def channel(self) -> DeliveryChannel:
        return DeliveryChannel(self.model.channel.value)

    @strawberry.field(description="How it went.")
    def status(self) -> DeliveryStatus:
        return DeliveryStatus(self.model.status.value)

    @strawberry.field(description="Attempts made so far.")
    def attempts(self) -> int:
        return int(self.model.attempts)

    @strawberry.field(description="When it is (next) due, while PENDING.")
    def next_attempt_at(self) -> dt.datetime:
        return self.model.next_attempt_at

    @strawberry.field(description="Why the last attempt failed.")
    def last_error(self) -> str | None:
        return self.model.last_error

    @strawberry.field(description="When it was sent.")
    def sent_at(self) -> dt.datetime | None:
        return self.model.sent_at

    @strawberry.field(description="When it was queued.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at


@strawberry.type(description="A delivery in a list, with its cursor.")
class NotificationDeliveryEdge:
    node: NotificationDelivery = strawberry.field(description="The delivery.")
    cursor: str = strawberry.field(description="Pass as `after` to page from here.")


@strawberry.type(description="A page of deliveries, newest first.")
class NotificationDeliveryConnection:
    edges: list[NotificationDeliveryEdge] = strawberry.field(description="The deliveries of this page.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        description="E-mail and SMS deliveries of a school you administer (FAILED ones by default), newest first.",
        permission_classes=[IsAuthenticated],
    )
    async def notification_deliveries(
        self,
        info: Info,
        school_id: Annotated[strawberry.ID, strawberry.argument(description="A `School` you administer.")],
        status: Annotated[DeliveryStatus, strawberry.argument(description="Only deliveries in this state.")] = (
            DeliveryStatus.FAILED
        ),
        first: Annotated[int | None, strawberry.argument(description="At most this many (max 100).")] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
    ) -> NotificationDeliveryConnection:
        school_pk = pk_of(school_id, "School") or 0
        schools = policy.administered_schools(info.context.viewer).filter(id=school_pk).values("id")
        scope = policy.visible_deliveries(info.context.viewer).filter(
            status=models.DeliveryStatus(status.name),
            notification_id__in=Subquery(models.Notification.filter(school_id__in=Subquery(schools)).values("id")),
        )
        page = await pages.newest_first(scope, DELIVERY_CURSOR, first, after)
        return NotificationDeliveryConnection(
            edges=[
                NotificationDeliveryEdge(node=NotificationDelivery(model=r), cursor=pages.encode(DELIVERY_CURSOR, r.id))
                for r in page.rows
            ],
            page_info=_page_info(page, DELIVERY_CURSOR),
        )


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


@strawberry.input(description="The channels of one category.")
class CategoryChannelsInput:
    category: NotificationCategory = strawberry.field(description="The category.")
    in_app: bool = strawberry.field(default=True, description="Show it in the inbox.")
    email: bool = strawberry.field(default=False, description="Send it by e-mail.")
    sms: bool = strawberry.field(default=False, description="Send it by SMS (needs `phone`).")


@strawberry.input(description="Notification preferences. Categories not listed keep their channels.")
class NotificationPreferencesSetInput:
    channels: list[CategoryChannelsInput] = strawberry.field(
        default_factory=list, description="Channels per category, each category at most once."
    )
    quiet_hours_start: dt.time | None = strawberry.field(
        default=None, description="Quiet hours start, local time (with `quietHoursEnd`; both null: none)."
    )
    quiet_hours_end: dt.time | None = strawberry.field(default=None, description="Quiet hours end, local time.")
    timezone: str | None = strawberry.field(
        default=None, description="IANA time zone of the quiet hours; null: your school's."
    )
    phone: str | None = strawberry.field(default=None, description="Phone for SMS, international form (+7...).")


@strawberry.type(description="The preferences as saved.")
class NotificationPreferencesSetSuccess:
    preferences: NotificationPreferences = strawberry.field(description="Your preferences.")


NotificationPreferencesSetResult = Annotated[
    NotificationPreferencesSetSuccess | ValidationError,
    strawberry.union(
        "NotificationPreferencesSetResult",
        description="The saved preferences, or why not (nothing changed). ValidationError codes: "
        "DUPLICATE_CATEGORY, QUIET_HOURS_INCOMPLETE, UNKNOWN_TIMEZONE, INVALID_PHONE, PHONE_REQUIRED.",
    ),
]


@strawberry.input(description="A failed delivery to send again.")
class NotificationDeliveryRetryInput:
    delivery_id: strawberry.ID = strawberry.field(description="A FAILED or SKIPPED `NotificationDelivery`.")


@strawberry.type(description="The delivery is queued again.")
class NotificationDeliveryRetrySuccess:
    delivery: NotificationDelivery = strawberry.field(description="The delivery, PENDING.")


NotificationDeliveryRetryResult = Annotated[
    NotificationDeliveryRetrySuccess | ValidationError | NotFoundError,
    strawberry.union(
        "NotificationDeliveryRetryResult",
        description="The requeued delivery, or why not. ValidationError codes: ALREADY_PENDING, ALREADY_SENT; "
        "NotFoundError DELIVERY_NOT_FOUND (not there, or not of a school you administer).",
    ),
]


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark notifications read.", permission_classes=[IsAuthenticated])
    async def notifications_mark_read(
        self, info: Info, input: Annotated[NotificationsMarkReadInput, INPUT]
    ) -> NotificationsMarkReadResult:
        marked = await inbox.mark_read(info.context, [str(i) for i in input.ids or []], input.all)
        unread = await policy.inbox(info.context.viewer).filter(read_at__isnull=True).count()
        return NotificationsMarkReadSuccess(marked=marked, unread_count=unread)

    @strawberry.mutation(
        description="Choose channels per category, quiet hours and the SMS phone number.",
        permission_classes=[IsAuthenticated],
    )
    async def notification_preferences_set(
        self, info: Info, input: Annotated[NotificationPreferencesSetInput, INPUT]
    ) -> NotificationPreferencesSetResult:
        row = await inbox.set_preferences(
            info.context,
            inbox.PreferencesInput(
                channels=[
                    inbox.CategoryChoice(models.NotificationCategory(c.category.name), c.in_app, c.email, c.sms)
                    for c in input.channels
                ],
                quiet_start=input.quiet_hours_start,
                quiet_end=input.quiet_hours_end,
                timezone=input.timezone,
                phone=input.phone,
            ),
        )
        return NotificationPreferencesSetSuccess(preferences=NotificationPreferences(model=row))

    @strawberry.mutation(
        description="Send a failed e-mail or SMS delivery again (an admin of its school).",
        permission_classes=[IsAuthenticated],
    )
    async def notification_delivery_retry(
        self, info: Info, input: Annotated[NotificationDeliveryRetryInput, INPUT]
    ) -> NotificationDeliveryRetryResult:
        row = await inbox.retry_delivery(info.context, input.delivery_id)
        return NotificationDeliveryRetrySuccess(delivery=NotificationDelivery(model=row))


@strawberry.type(description="A new notification in your inbox.")
class NotificationEvent:
    model: strawberry.Private[models.Notification]

    @strawberry.field(description="Pass as `after` when resubscribing to get what you missed.")
    def cursor(self) -> str:
        return pages.encode(inbox.CURSOR_KIND, self.model.id)

    @strawberry.field(description="The notification.")
    def notification(self) -> Notification:
        return Notification(model=self.model)
