"""The event of `chatEvents`: what happened in one of the viewer's chats."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry

import models
from resolvers import chat_events
from resolvers.core import to_global_id
from schema import types
from schema.chats import Chat, ChatMessage
from schema.users import User

Info = types.Info


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
    async def member(self, info: Info) -> User | None:
        if self.row.member_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.row.member_id)
        return User(model=user) if user else None

    @strawberry.field(description="Who did it.")
    async def actor(self, info: Info) -> User | None:
        if self.row.actor_id is None:
            return None
        user = await info.context.loaders.user_by_id.load(self.row.actor_id)
        return User(model=user) if user else None
