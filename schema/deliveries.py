"""E-mail and SMS deliveries of notifications, for the school's admins: the failed ones
(or any state) and a retry."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry
from tortoise.expressions import Subquery

import models
from resolvers import inbox, pages, policy
from resolvers.core import pk_of
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.gates import IsAuthenticated
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
DELIVERY_CURSOR = "delivery"


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
        first: Annotated[int | None, first_argument(20)] = None,
        after: Annotated[str | None, strawberry.argument(description="Older than this cursor.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="Newer than this cursor.")] = None,
    ) -> NotificationDeliveryConnection:
        school_pk = pk_of(school_id, "School") or 0
        schools = policy.administered_schools(info.context.viewer).filter(id=school_pk).values("id")
        scope = policy.visible_deliveries(info.context.viewer).filter(
            status=models.DeliveryStatus(status.name),
            notification_id__in=Subquery(models.Notification.filter(school_id__in=Subquery(schools)).values("id")),
        )
        page = await pages.newest_first(scope, DELIVERY_CURSOR, first, after, last, before)
        return NotificationDeliveryConnection(
            edges=[
                NotificationDeliveryEdge(node=NotificationDelivery(model=r), cursor=pages.encode(DELIVERY_CURSOR, r.id))
                for r in page.rows
            ],
            page_info=keyset_page_info(page, DELIVERY_CURSOR),
        )


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
class DeliveryMutations:
    @strawberry.mutation(
        description="Send a failed e-mail or SMS delivery again (an admin of its school).",
        permission_classes=[IsAuthenticated],
    )
    async def notification_delivery_retry(
        self, info: Info, input: Annotated[NotificationDeliveryRetryInput, INPUT]
    ) -> NotificationDeliveryRetryResult:
        row = await inbox.retry_delivery(info.context, input.delivery_id)
        return NotificationDeliveryRetrySuccess(delivery=NotificationDelivery(model=row))
