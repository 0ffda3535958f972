"""Chats: the read side (Chat, ChatMember, ChatMessage, history connection), people search, the
viewer's chats with unread counts, and the chat event of `chatEvents`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from enum import Enum
from typing import Annotated

import strawberry

import models
from resolvers import chat_events, chats, messages, people, policy
from resolvers.clock import now_utc
from resolvers.errors import BadUserInput
from resolvers.ids import to_global_id
from schema import types
from schema.permissions import IsAuthenticated

Info = types.Info
_CURSOR_PREFIX = "message:"


def message_cursor(message_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{message_id}".encode()).decode().rstrip("=")


def _decode_message_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    rest = raw[len(_CURSOR_PREFIX) :]
    if not raw.startswith(_CURSOR_PREFIX) or not rest.isdigit():
        raise BadUserInput("Unknown cursor: pass a `cursor` of this history.", argument="before")
    return int(rest)


CHATS_DEFAULT = 50
_CHAT_CURSOR_PREFIX = "chat:"


def _chat_cursor(chat: models.Chat) -> str:
    raw = f"{_CHAT_CURSOR_PREFIX}{chat.last_activity_at.isoformat()}|{chat.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_chat_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode("ascii")).decode()
        at, _, pk = raw.removeprefix(_CHAT_CURSOR_PREFIX).partition("|")
        if not raw.startswith(_CHAT_CURSOR_PREFIX):
            raise ValueError(raw)
        return dt.datetime.fromisoformat(at), int(pk)
    except (binascii.Error, UnicodeError, ValueError):
        raise BadUserInput("Unknown cursor: pass a `cursor` of your chat list.", argument="after") from None


@strawberry.type(description="A message of a chat. A deleted message stays in the history as a tombstone without text.")
class ChatMessage(types.Node):
    model: strawberry.Private[models.Message]

    @strawberry.field(description="The chat it was sent in.")
    async def chat(self, info: Info) -> Chat:
        chat = await info.context.loaders.chat_by_id.load(self.model.chat_id)
        return Chat(model=types._must(chat, "chat"))

    @strawberry.field(description="Who sent it.")
    async def author(self, info: Info) -> types.User:
        user = await info.context.loaders.user_by_id.load(self.model.author_id)
        return types.User(model=types._must(user, "author"))

    @strawberry.field(description="The text (up to 4,000 characters); null once deleted.")
    def text(self) -> str | None:
        return None if self.model.deleted_at is not None else self.model.text

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
class ChatMember:
    model: strawberry.Private[models.ChatMember]

    @strawberry.field(description="The person.")
    async def user(self, info: Info) -> types.User:
        user = await info.context.loaders.user_by_id.load(self.model.user_id)
        return types.User(model=types._must(user, "member"))

    @strawberry.field(description="Whether they administer the chat (rename, add, remove, delete).")
    def is_admin(self) -> bool:
        return bool(self.model.is_admin)

    @strawberry.field(description="When they joined (or were last added again).")
    def joined_at(self) -> dt.datetime:
        return self.model.joined_at


@strawberry.type(description="One message of a history page, with its cursor.")
class MessageEdge:
    node: ChatMessage = strawberry.field(description="The message.")
    cursor: str = strawberry.field(description="Pass as `before` to get the messages older than this one.")


@strawberry.type(description="Where a history page stands.")
class MessagePageInfo:
    has_previous_page: bool = strawberry.field(description="Older messages exist before this page.")
    has_next_page: bool = strawberry.field(description="Always false: pages go back in time from the newest.")
    start_cursor: str | None = strawberry.field(description="The cursor of the newest message of the page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the oldest message of the page: pass it as `before` for the next page."
    )


@strawberry.type(description="A page of a chat's history, newest message first.")
class MessageConnection:
    edges: list[MessageEdge] = strawberry.field(description="The messages, newest first.")
    page_info: MessagePageInfo = strawberry.field(description="Whether older messages exist, and the cursors.")


@strawberry.type(description="A conversation between people of one school. Visible only to its current members.")
class Chat(types.Node):
    model: strawberry.Private[models.Chat]

    @strawberry.field(description="Its title.")
    def title(self) -> str:
        return self.model.title

    @strawberry.field(description="The school it belongs to: everyone in it is of this school.")
    async def school(self, info: Info) -> types.School:
        school = await info.context.loaders.school_by_id.load(self.model.school_id)
        return types.School(model=types._must(school, "school"))

    @strawberry.field(description="Who created it.")
    async def created_by(self, info: Info) -> types.User:
        user = await info.context.loaders.user_by_id.load(self.model.created_by_id)
        return types.User(model=types._must(user, "creator"))

    @strawberry.field(description="When it was created.")
    def created_at(self) -> dt.datetime:
        return self.model.created_at

    @strawberry.field(description="When the last message was sent (or the chat created): chat lists order by it.")
    def last_activity_at(self) -> dt.datetime:
        return self.model.last_activity_at

    @strawberry.field(description="Its current members, by name (you included).")
    async def members(self, info: Info) -> list[ChatMember]:
        return [ChatMember(model=m) for m in await info.context.loaders.members_by_chat.load(self.model.id)]

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

    @strawberry.field(description="The history, newest first: `last` messages before the message `before`.")
    async def messages(
        self,
        info: Info,
        last: Annotated[int | None, strawberry.argument(description="How many, 1-100 (default 30).")] = None,
        before: Annotated[
            str | None, strawberry.argument(description="A `cursor`: older messages than that one. Omit: the newest.")
        ] = None,
    ) -> MessageConnection:
        if last is not None and not 1 <= last <= messages.PAGE_MAX:
            raise BadUserInput(f"`last` is 1-{messages.PAGE_MAX}.", argument="last")
        page = await messages.history(self.model, last, _decode_message_cursor(before) if before else None)
        info.context.loaders.prime_many(info.context.loaders.message_by_id, page.messages)
        edges = [MessageEdge(node=ChatMessage(model=m), cursor=message_cursor(m.id)) for m in page.messages]
        return MessageConnection(
            edges=edges,
            page_info=MessagePageInfo(
                has_previous_page=page.has_older,
                has_next_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.enum(description="Whom to list in `peopleSearch`.")
class PeopleCategory(Enum):
    PARENTS_OF_CLASS = strawberry.enum_value("PARENTS_OF_CLASS", description="The guardians of a class's students.")
    TEACHERS_OF_CLASS = strawberry.enum_value(
        "TEACHERS_OF_CLASS", description="The teachers of a class (any subject) and its homeroom teacher."
    )
    STUDENTS_OF_CLASS = strawberry.enum_value("STUDENTS_OF_CLASS", description="A class's students who have a login.")
    ADMINISTRATION = strawberry.enum_value("ADMINISTRATION", description="The school's administrators.")


@strawberry.type
class ChatQueries:
    @strawberry.field(
        description="A chat you are a member of; null when it does not exist, was deleted, or you are not (or no "
        "longer) in it.",
        permission_classes=[IsAuthenticated],
    )
    async def chat(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A `Chat` id.")]
    ) -> Chat | None:
        from resolvers.ids import pk_of

        pk = pk_of(id, "Chat")
        row = await policy.visible_chats(info.context.viewer).filter(id=pk).first() if pk else None
        return Chat(model=row) if row else None

    @strawberry.field(
        description="People you can add to a chat, by name then id: the first letters of any word of their name "
        '(case-insensitive, any script; "ив" finds "Иван Петров" and "Пётр Иванов"), and/or a category. Only '
        "people you may reach: your school; a parent reaches their children's teachers, their classes' parents and "
        "the administration; a student their class's teachers and classmates. BAD_USER_INPUT without `classId` for "
        "a class category.",
        permission_classes=[IsAuthenticated],
    )
    async def people_search(
        self,
        info: Info,
        query: Annotated[
            str | None, strawberry.argument(description="The first letters of one or more words of the name.")
        ] = None,
        category: Annotated[PeopleCategory | None, strawberry.argument(description="Only this group.")] = None,
        class_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The `SchoolClass` of a class category.")
        ] = None,
        limit: Annotated[int | None, strawberry.argument(description="At most this many, 1-100 (default 20).")] = None,
    ) -> list[types.User]:
        rows = await people.search(
            info.context, query, people.PeopleCategory(category.name) if category else None, class_id, limit
        )
        info.context.loaders.prime_many(info.context.loaders.user_by_id, rows)
        return [types.User(model=u) for u in rows]


@strawberry.type(description="A chat of your list, with its cursor.")
class ChatEdge:
    node: Chat = strawberry.field(description="The chat.")
    cursor: str = strawberry.field(description="Pass as `after` to get the chats after this one.")


@strawberry.type(description="Where a page of your chats stands.")
class ChatPageInfo:
    has_next_page: bool = strawberry.field(description="More chats (with older activity) follow this page.")
    has_previous_page: bool = strawberry.field(description="Always false: pages go from the most recent activity.")
    start_cursor: str | None = strawberry.field(description="The cursor of the first chat of the page.")
    end_cursor: str | None = strawberry.field(description="The cursor of the last chat: pass it as `after`.")


@strawberry.type(description="A page of your chats, most recent activity first.")
class ChatConnection:
    edges: list[ChatEdge] = strawberry.field(description="The chats, most recent activity first.")
    page_info: ChatPageInfo = strawberry.field(description="Whether more follow, and the cursors.")


@strawberry.type
class ChatViewer:
    @strawberry.field(
        description="The chats you are in, most recent activity first (a new message moves a chat to the top), "
        "with unread counts. A chat that moves while you page may show up again on a later page or be skipped: "
        "refetch from the top after a `chatEvents` event instead."
    )
    async def chats(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="How many, 1-100 (default 50).")] = None,
        after: Annotated[str | None, strawberry.argument(description="A `cursor`: the chats after that one.")] = None,
    ) -> ChatConnection:
        size = CHATS_DEFAULT if first is None else first
        if not 1 <= size <= messages.PAGE_MAX:
            raise BadUserInput(f"`first` is 1-{messages.PAGE_MAX}.", argument="first")
        page, more = await chats.chat_page(
            info.context.viewer, size, _decode_chat_cursor(after) if after is not None else None
        )
        info.context.loaders.prime_many(info.context.loaders.chat_by_id, page)
        edges = [ChatEdge(node=Chat(model=c), cursor=_chat_cursor(c)) for c in page]
        return ChatConnection(
            edges=edges,
            page_info=ChatPageInfo(
                has_next_page=more,
                has_previous_page=False,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(description="Unread messages over all your chats (the sum of their `unreadCount`).")
    async def unread_chat_messages(self, info: Info) -> int:
        return await messages.unread_total(info.context.viewer)


@strawberry.enum(description="What happened in a chat.")
class ChatEventKind(Enum):
    MESSAGE_ADDED = strawberry.enum_value("MESSAGE_ADDED", description="A message was sent (`chatMessage`).")
    MESSAGE_EDITED = strawberry.enum_value("MESSAGE_EDITED", description="A message's text was edited.")
    MESSAGE_DELETED = strawberry.enum_value("MESSAGE_DELETED", description="A message was deleted (a tombstone).")
    MEMBER_ADDED = strawberry.enum_value(
        "MEMBER_ADDED", description="`member` was added (when it is you: a new chat for your list)."
    )
    MEMBER_REMOVED = strawberry.enum_value(
        "MEMBER_REMOVED",
        description="`member` left or was removed. When it is you, `chat` is null: drop the chat (`chatId`).",
    )
    CHAT_RENAMED = strawberry.enum_value("CHAT_RENAMED", description="The chat got a new title.")
    CHAT_DELETED = strawberry.enum_value("CHAT_DELETED", description="The chat was deleted: drop it (`chatId`).")


@strawberry.type(description="Something new in one of your chats.")
class ChatEvent:
    row: strawberry.Private[models.ChatEvent]
    share_key: strawberry.Private[object] = None

    @strawberry.field(description="Pass as `after` when resubscribing to get what you missed.")
    def cursor(self) -> str:
        return chat_events.encode_cursor(self.row.id)

    @strawberry.field(description="What happened.")
    def kind(self) -> ChatEventKind:
        return ChatEventKind(self.row.kind)

    @strawberry.field(description="When it happened.")
    def occurred_at(self) -> dt.datetime:
        return self.row.occurred_at

    @strawberry.field(description="The chat's id, also when the chat is no longer there for you.")
    def chat_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Chat", self.row.chat_id))

    @strawberry.field(description="The chat as it is now; null once deleted or once you are no longer in it.")
    async def chat(self, info: Info) -> Chat | None:
        membership = await info.context.loaders.membership_by_chat.load(self.row.chat_id)
        chat = await info.context.loaders.chat_by_id.load(self.row.chat_id) if membership else None
        return Chat(model=chat) if chat is not None and chat.deleted_at is None else None

    @strawberry.field(description="The message, for message events (as it is now: a tombstone once deleted).")
    async def chat_message(self, info: Info) -> ChatMessage | None:
        if self.row.message_id is None or not await info.context.loaders.membership_by_chat.load(self.row.chat_id):
            return None
        message = await info.context.loaders.message_by_id.load(self.row.message_id)
        return ChatMessage(model=message) if message else None

    @strawberry.field(description="The person added or removed, for member events.")
    async def member(self, info: Info) -> types.User | None:
        if self.row.member_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.row.member_id)
        return types.User(model=user) if user else None

    @strawberry.field(description="Who did it.")
    async def actor(self, info: Info) -> types.User | None:
        if self.row.actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.row.actor_id)
        return types.User(model=user) if user else None
