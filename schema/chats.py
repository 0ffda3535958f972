"""Chats, the read side: Chat, ChatMember, ChatMessage and a chat's history as a connection.
The viewer's chat list and people search are in ``schema/chat_list.py``, the event of
`chatEvents` in ``schema/chat_events.py``, the mutations in ``schema/chat_mutations.py``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

import models
from resolvers import messages, pages
from resolvers.chats import MEMBERS
from resolvers.core import now_utc
from schema import types
from schema.faces import shown
from schema.files import File
from schema.pages import PageInfo, first_argument, keyset_page_info, last_argument
from schema.schools import School
from schema.users import User

Info = types.Info


MESSAGE_CURSOR = "message"


def message_cursor(message_id: int) -> str:
    return pages.encode(MESSAGE_CURSOR, message_id)


@strawberry.type(description="A message of a chat. A deleted message stays in the history as a tombstone without text.")
class ChatMessage(types.Node):
    model: strawberry.Private[models.Message]

    @strawberry.field(description="The chat it was sent in.")
    async def chat(self, info: Info) -> Chat:
        chat = await info.context.loaders.chat_by_id.load(self.model.chat_id)
        return Chat(model=types._must(chat, "chat"))

    @strawberry.field(description="Who sent it.")
    async def author(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.author_id)
        return User(model=types._must(user, "author"))

    @strawberry.field(description="The text (up to 4,000 characters); null once deleted.")
    def text(self) -> str | None:
        return None if self.model.deleted_at is not None else self.model.text

    @strawberry.field(
        description="Files sent with it, in the order given (empty once deleted). Only members read them."
    )
    async def attachments(self, info: Info) -> list[File]:
        if self.model.deleted_at is not None:
            return []
        rows = await info.context.loaders.grouped(models.StoredFile, "message_id", "id").load(self.model.id)
        return [File(model=row) for row in rows]

    @strawberry.field(description="The http(s) links in the text, in order (empty once deleted).")
    def links(self) -> list[str]:
        return [] if self.model.deleted_at is not None else messages.links(self.model.text)

    @strawberry.field(description="When it was sent.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When its text was last edited; null if never.")
    def edited_at(self) -> dt.datetime | None:
        return self.model.edited_at

    @strawberry.field(description="When it was deleted; null while it is not.")
    def deleted_at(self) -> dt.datetime | None:
        return self.model.deleted_at

    @strawberry.field(description='True once deleted: show a tombstone ("message deleted").')
    def deleted(self) -> bool:
        return self.model.deleted_at is not None

    @strawberry.field(description="Whether you can still edit it: your own, not deleted, sent less than 24 hours ago.")
    def editable(self, info: Info) -> bool:
        return (
            self.model.author_id == info.context.viewer.user_id
            and self.model.deleted_at is None
            and now_utc() - self.model.created_at <= messages.EDIT_WINDOW
        )


@strawberry.type(description="A person in a chat.")
class ChatMember(types.Node):
    model: strawberry.Private[models.ChatMember]

    @strawberry.field(description="The person.")
    async def user(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.user_id)
        return User(model=types._must(user, "member"))

    @strawberry.field(description="Whether they administer the chat (rename, add, remove, delete).")
    def is_admin(self) -> bool:
        return bool(self.model.is_admin)

    @strawberry.field(description="When they joined (or were last added again).")
    def joined_at(self) -> dt.datetime:
        return self.model.joined_at


@strawberry.type(description="A member of a chat, with the cursor.")
class ChatMemberEdge:
    node: ChatMember = strawberry.field(description="The member.")
    cursor: str = strawberry.field(description="Pass as `after` (or `before`) to page from here.")


@strawberry.type(description="A page of a chat's members, by name.")
class ChatMemberConnection:
    edges: list[ChatMemberEdge] = strawberry.field(description="The members of this page, by name.")
    page_info: PageInfo = strawberry.field(description="Whether there is more, and where to continue.")


@strawberry.type(description="One message of a history page, with its cursor.")
class MessageEdge:
    node: ChatMessage = strawberry.field(description="The message.")
    cursor: str = strawberry.field(
        description="Pass as `before` for the messages older than this one, as `after` for the newer ones."
    )


@strawberry.type(description="A page of a chat's history, oldest to newest.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="The messages, oldest to newest.")
    page_info: PageInfo = strawberry.field(description="Whether older or newer messages exist, and the cursors.")


@strawberry.type(description="A conversation between people of one school. Visible only to its current members.")
class Chat(types.Node):
    model: strawberry.Private[models.Chat]

    @strawberry.field(description="Its title.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="The school it belongs to: everyone in it is of this school.")
    async def school(self, info: Info) -> School:
        school = await info.context.loaders.school_by_id.load(self.model.school_id)
        return await shown(info, School(model=types._must(school, "school")))

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: Info) -> User:
        user = await info.context.loaders.user_by_id.load(self.model.created_by_id)
        return User(model=types._must(user, "creator"))

    @strawberry.field(description="When it was created.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When the last message was sent (or the chat created): chat lists order by it.")
    def last_activity_at(self) -> dt.datetime:
        return self.model.last_activity_at

    @strawberry.field(
        description="Its current members, by name (you included).",
        deprecation_reason="Use `participants`, a connection; removed after 2027-03-31.",
    )
    async def members(self, info: Info) -> list[ChatMember]:
        return [ChatMember(model=m) for m in await info.context.loaders.members_by_chat.load(self.model.id)]

    @strawberry.field(
        description="Its current members (you included), by name (namesakes in the order they first joined), as "
        "a Relay connection: `first`/`after` from the start, `last`/`before` from the end, at most 100 a page "
        "(default 50). A chat holds up to 500."
    )
    async def participants(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(MEMBERS.default_first)] = None,
        after: Annotated[str | None, strawberry.argument(description="An `endCursor`: the members after.")] = None,
        last: Annotated[int | None, last_argument()] = None,
        before: Annotated[str | None, strawberry.argument(description="A `startCursor`: the members before.")] = None,
    ) -> ChatMemberConnection:
        wanted = pages.PageArgs.of(first, after, last, before)
        page = await info.context.loaders.member_page_by_chat.load((self.model.id, wanted))
        edges = [ChatMemberEdge(node=ChatMember(model=m), cursor=pages.encode(MEMBERS.kind, m.id)) for m in page.rows]
        return ChatMemberConnection(edges=edges, page_info=keyset_page_info(page, MEMBERS.kind))

    @strawberry.field(description="Whether you administer it.")
    async def viewer_is_admin(self, info: Info) -> bool:
        membership = await info.context.loaders.membership_by_chat.load(self.model.id)
        return bool(membership and membership.is_admin)

    @strawberry.field(description="The newest message (possibly a deleted one's tombstone); null in a new chat.")
    async def last_message(self, info: Info) -> ChatMessage | None:
        message = await info.context.loaders.last_message_by_chat.load(self.model.id)
        return ChatMessage(model=message) if message else None

    @strawberry.field(
        description="Messages newer than your read position, not yours and not deleted (`chatMarkRead` resets it)."
    )
    async def unread_count(self, info: Info) -> int:
        return await info.context.loaders.unread_by_chat.load(self.model.id)

    @strawberry.field(
        description="The history, oldest to newest in `edges` (Relay's order): `last: n` is the n newest "
        "messages (the default, 30), `before: pageInfo.startCursor` the page of older ones before them; "
        "`first`/`after` read on towards the newest."
    )
    async def messages(
        self,
        info: Info,
        first: Annotated[int | None, first_argument(None)] = None,
        after: Annotated[
            str | None, strawberry.argument(description="A `cursor`: newer messages than that one.")
        ] = None,
        last: Annotated[int | None, last_argument(30)] = None,
        before: Annotated[
            str | None, strawberry.argument(description="A `cursor`: older messages than that one. Omit: the newest.")
        ] = None,
    ) -> MessageConnection:
        page = await pages.keyset(
            models.Message.filter(chat_id=self.model.id),
            MESSAGE_CURSOR,
            first,
            after,
            last,
            before,
            descending=False,
            default_last=messages.PAGE_DEFAULT,
        )
        info.context.loaders.prime_many(info.context.loaders.message_by_id, page.rows)
        edges = [MessageEdge(node=ChatMessage(model=m), cursor=message_cursor(m.id)) for m in page.rows]
        return MessageConnection(edges=edges, page_info=keyset_page_info(page, MESSAGE_CURSOR))
