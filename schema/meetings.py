"""Parent-teacher meetings: scheduled for the parents of one or more classes, who answer."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import meetings, pages, policy
from resolvers.core import _, now_utc
from resolvers.errors import BadUserInput
from resolvers.meetings import ANSWERS
from schema import types
from schema.errors import NotFoundError, ValidationError
from schema.faces import visible_only
from schema.gates import IsAuthenticated
from schema.org import SchoolClass
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.users import User

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
MAX_RANGE = dt.timedelta(days=366)


@strawberry.enum(description="A parent's answer to a meeting invitation.")
class MeetingAnswer(Enum):
    ATTENDING = strawberry.enum_value("ATTENDING", description="Will come.")
    NOT_ATTENDING = strawberry.enum_value("NOT_ATTENDING", description="Will not come.")


@strawberry.type(description="A parent's answer to a meeting invitation.")
class MeetingResponse(types.Node):
    model: strawberry.Private[models.MeetingResponse]

    @strawberry.field(description="The parent who answered.")
    async def user(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.user_id)
        return User(model=types._must(user, "user"))

    @strawberry.field(description="The answer.")
    def answer(self) -> MeetingAnswer:
        return MeetingAnswer(self.model.answer.value)

    @strawberry.field(description="An optional note from the parent.")
    def comment(self) -> str | None:
        return self.model.comment

    @strawberry.field(description="When they last answered.")
    def answered_at(self) -> dt.datetime:
        return self.model.answered_at


@strawberry.type(description="An answer to a meeting, with the cursor.")
class MeetingResponseEdge:
    node: MeetingResponse = strawberry.field(description="The answer.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of a meeting's answers, oldest answer first.")
class MeetingResponseConnection:
    edges: list[MeetingResponseEdge] = strawberry.field(description="The answers of this page, oldest first.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type(description="A parent-teacher meeting for the parents of the invited classes.")
class Meeting(types.Node):
    model: strawberry.Private[models.Meeting]

    @strawberry.field(description="What it is about.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="When it starts.")
    def starts_at(self) -> dt.datetime:
        return self.model.starts_at

    @strawberry.field(description="When it ends.")
    def ends_at(self) -> dt.datetime:
        return self.model.ends_at

    @strawberry.field(description="Where it is held (a room, an address); null for an online-only meeting.")
    def place(self) -> str | None:
        return self.model.place

    @strawberry.field(description="The link of an online meeting; null if none.")
    def link(self) -> str | None:
        return self.model.link

    @strawberry.field(description="The agenda, plain text.")
    def agenda(self) -> str:
        return self.model.agenda

    @strawberry.field(description="When it was cancelled; null while it is on.")
    def cancelled_at(self) -> dt.datetime | None:
        return self.model.cancelled_at

    @strawberry.field(description="Who organised it.")
    async def organiser(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.organiser_id)
        return User(model=types._must(user, "organiser"))

    @strawberry.field(description="The classes whose parents are invited.")
    async def classes(self, info: Info) -> list[SchoolClass]:
        classes = await info.context.loaders.classes_by_meeting.load(self.model.id)
        return await visible_only(info, [SchoolClass(model=c) for c in classes])

    @strawberry.field(
        description="The answers: every parent's for the organiser, the school's admins and the invited classes' "
        "teachers; a parent sees only their own.",
        deprecation_reason="Use `answers`, a connection; removed after 2027-03-31.",
    )
    async def responses(self, info: Info) -> list[MeetingResponse]:
        loaders = info.context.loaders
        rows = await loaders.responses_by_meeting.load(self.model.id)
        if not await loaders.meeting_staffed.load(self.model.id):
            rows = [r for r in rows if r.user_id == info.context.viewer.user_id]
        return [MeetingResponse(model=r) for r in rows]

    @strawberry.field(
        description="The answers as a Relay connection, oldest answer first (an answer given again moves to the "
        "end): every parent's for the organiser, the school's admins and the invited classes' teachers; a parent "
        "sees only their own. `first`/`after` from the start, `last`/`before` from the end, at most 100 a page "
        "(default 50)."
    )
    async def answers(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(ANSWERS.default_first)] = None,
        after: Annotated[str | None, strawberry.argument(description="An `endCursor`: the answers after.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `startCursor`: the answers before.")] = None,
    ) -> MeetingResponseConnection:
        wanted = pages.PageArgs.of(first, after, last, before)
        page = await info.context.loaders.response_page_by_meeting.load((self.model.id, wanted))
        edges = [
            MeetingResponseEdge(node=MeetingResponse(model=r), cursor=pages.encode(ANSWERS.kind, r.id))
            for r in page.rows
        ]
        return MeetingResponseConnection(edges=edges, page_info=keyset_page_info(page, ANSWERS.kind))

    @strawberry.field(description="Your own answer, if you have given one.")
    async def my_response(self, info: Info) -> MeetingResponse | None:
        rows = await info.context.loaders.responses_by_meeting.load(self.model.id)
        mine = next((r for r in rows if r.user_id == info.context.viewer.user_id), None)
        return MeetingResponse(model=mine) if mine else None


@strawberry.type
class MeetingViewer:
    @strawberry.field(
        description="Meetings you organise, teach an invited class of, administer, or are invited to as a parent, "
        "starting between `from` and `to` (default: from now on, for 92 days; at most 366 days), by start time."
    )
    async def meetings(
        self,
        info: Info,
        from_: Annotated[
            dt.datetime | None, strawberry.argument(name="from", description="Earliest start; default now.")
        ] = None,
        to: Annotated[dt.datetime | None, strawberry.argument(description="Latest start; default 92 days on.")] = None,
        include_cancelled: Annotated[bool, strawberry.argument(description="Also list cancelled meetings.")] = True,
    ) -> list[Meeting]:
        start = from_ or now_utc()
        end = to or start + dt.timedelta(days=92)
        if end < start or end - start > MAX_RANGE:
            raise BadUserInput(_("`to` must be after `from`, at most 366 days."), argument="to")
        scope = policy.visible_meetings(info.context.viewer).filter(starts_at__gte=start, starts_at__lte=end)
        if not include_cancelled:
            scope = scope.filter(cancelled_at__isnull=True)
        rows = await scope.order_by("starts_at", "id")
        return [Meeting(model=m) for m in rows]


@strawberry.input(description="A new meeting.")
class MeetingCreateInput:
    title: str = strawberry.field(description="What it is about, 1-200 characters.")
    starts_at: dt.datetime = strawberry.field(description="When it starts (in the future).")
    ends_at: dt.datetime = strawberry.field(description="When it ends (after the start, at most 12 hours later).")
    place: str | None = strawberry.field(default=None, description="Where: a room or address. Place or link needed.")
    link: str | None = strawberry.field(default=None, description="An http(s) link for an online meeting.")
    agenda: str = strawberry.field(default="", description="The agenda, up to 5000 characters.")
    class_ids: list[strawberry.ID] = strawberry.field(
        description="The `SchoolClass` ids whose parents are invited, of one school: classes you lead as homeroom "
        "teacher, or any of a school you administer."
    )


@strawberry.input(description="Changes to a meeting; omitted fields stay. An empty `place` or `link` removes it.")
class MeetingUpdateInput:
    meeting_id: strawberry.ID = strawberry.field(description="The `Meeting` to change.")
    title: str | None = strawberry.field(default=None, description="A new title.")
    starts_at: dt.datetime | None = strawberry.field(default=None, description="A new start.")
    ends_at: dt.datetime | None = strawberry.field(default=None, description="A new end.")
    place: str | None = strawberry.field(default=None, description="A new place.")
    link: str | None = strawberry.field(default=None, description="A new link.")
    agenda: str | None = strawberry.field(default=None, description="A new agenda.")


@strawberry.input(description="A meeting to cancel.")
class MeetingCancelInput:
    meeting_id: strawberry.ID = strawberry.field(description="The `Meeting` to cancel.")


@strawberry.input(description="A parent's answer to a meeting invitation.")
class MeetingRespondInput:
    meeting_id: strawberry.ID = strawberry.field(description="A `Meeting` you are invited to.")
    answer: MeetingAnswer = strawberry.field(description="Whether you will come.")
    comment: str | None = strawberry.field(default=None, description="A note for the organiser, up to 1000 chars.")


@strawberry.type(description="The meeting as it now is.")
class MeetingSuccess:
    meeting: Meeting = strawberry.field(description="The meeting.")


TIME_CODES = (
    "TITLE_EMPTY, "
    "INVALID_CHARACTERS, TITLE_TOO_LONG, "
    "ENDS_BEFORE_START, TOO_LONG, PLACE_OR_LINK_REQUIRED, PLACE_TOO_LONG, INVALID_LINK, "
    "AGENDA_TOO_LONG"
)
MeetingCreateResult = Annotated[
    MeetingSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MeetingCreateResult",
        description="The scheduled meeting (the invited parents are notified: MEETING_INVITED), or why not (nothing "
        f"written). ValidationError codes: NO_CLASSES, CLASSES_OF_SEVERAL_SCHOOLS, NOT_ALLOWED, IN_THE_PAST, "
        f"{TIME_CODES}; NotFoundError CLASS_NOT_FOUND.",
    ),
]
MeetingUpdateResult = Annotated[
    MeetingSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MeetingUpdateResult",
        description="The changed meeting (a new time or place notifies the parents: MEETING_CHANGED), or why not "
        f"(nothing written). ValidationError codes: CANCELLED, {TIME_CODES}; NotFoundError MEETING_NOT_FOUND.",
    ),
]
MeetingCancelResult = Annotated[
    MeetingSuccess | NotFoundError,
    strawberry.union(
        "MeetingCancelResult",
        description="The cancelled meeting (the parents are notified once: MEETING_CANCELLED), or NotFoundError "
        "MEETING_NOT_FOUND (not there, or not yours to cancel).",
    ),
]
MeetingRespondResult = Annotated[
    MeetingSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MeetingRespondResult",
        description="The meeting with your answer (`myResponse`), or why not (nothing written). ValidationError "
        "codes: CANCELLED, OVER, COMMENT_TOO_LONG; NotFoundError MEETING_NOT_FOUND (not there, or not invited).",
    ),
]


@strawberry.type
class MeetingMutations:
    @strawberry.mutation(
        description="Schedule a parent-teacher meeting for the parents of one or more classes.",
        permission_classes=[IsAuthenticated],
    )
    async def meeting_create(self, info: Info, input: Annotated[MeetingCreateInput, INPUT]) -> MeetingCreateResult:
        row = await meetings.create_meeting(
            info.context,
            meetings.MeetingInput(
                title=input.title,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                place=input.place,
                link=input.link,
                agenda=input.agenda,
                class_ids=list(input.class_ids),
            ),
        )
        return MeetingSuccess(meeting=Meeting(model=row))

    @strawberry.mutation(
        description="Change a meeting: its organiser or the school's admins.", permission_classes=[IsAuthenticated]
    )
    async def meeting_update(self, info: Info, input: Annotated[MeetingUpdateInput, INPUT]) -> MeetingUpdateResult:
        row = await meetings.update_meeting(
            info.context,
            meetings.MeetingChanges(
                meeting_id=input.meeting_id,
                title=input.title,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                place=input.place,
                link=input.link,
                agenda=input.agenda,
            ),
        )
        return MeetingSuccess(meeting=Meeting(model=row))

    @strawberry.mutation(
        description="Cancel a meeting: its organiser or the school's admins.", permission_classes=[IsAuthenticated]
    )
    async def meeting_cancel(self, info: Info, input: Annotated[MeetingCancelInput, INPUT]) -> MeetingCancelResult:
        row = await meetings.cancel_meeting(info.context, input.meeting_id)
        return MeetingSuccess(meeting=Meeting(model=row))

    @strawberry.mutation(
        description="Answer a meeting invitation (a parent of a child in an invited class); answering again "
        "replaces the answer.",
        permission_classes=[IsAuthenticated],
    )
    async def meeting_respond(self, info: Info, input: Annotated[MeetingRespondInput, INPUT]) -> MeetingRespondResult:
        row = await meetings.respond(
            info.context, input.meeting_id, models.MeetingAnswer(input.answer.name), input.comment
        )
        return MeetingSuccess(meeting=Meeting(model=row))
