"""Chat and message mutations: `<noun><Verb>(input:)` returning result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from resolvers import chats, messages
from resolvers.core import to_global_id
from schema import types
from schema.chats import Chat, ChatMessage
from schema.errors import NotFoundError, ValidationError
from schema.files import ATTACHMENTS, FILE_CODES
from schema.gates import IsAuthenticated

Info = types.Info
INPUT = strawberry.argument(description="The mutation's input.")
CHAT_ID = "A `Chat` you are a member of."


@strawberry.input(description="A new chat.")
class ChatCreateInput:
    title: str = strawberry.field(description="Its title, 1-200 characters.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="The `User`s to chat with (you join as its admin): people you can reach (see `peopleSearch`), "
        "of the chat's school; at most 500."
    )
    school_id: strawberry.ID | None = strawberry.field(
        default=None, description="The `School` it belongs to; needed only when you belong to several."
    )


@strawberry.type(description="The chat was created; its members got MEMBER_ADDED.")
class ChatCreateSuccess:
    chat: Chat = strawberry.field(description="The new chat.")


ChatCreateResult = Annotated[
    ChatCreateSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatCreateResult",
        description="The new chat, or why it was refused (nothing written). ValidationError codes: TITLE_EMPTY, "
        "INVALID_CHARACTERS, "
        "TITLE_TOO_LONG, MEMBERS_EMPTY, TOO_MANY_MEMBERS, MEMBER_NOT_FOUND (at `memberIds[i]`: no such person among "
        "those you can reach in the school), SCHOOL_REQUIRED; NotFoundError SCHOOL_NOT_FOUND.",
    ),
]


@strawberry.input(description="A chat's new title.")
class ChatRenameInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID + " You must be its admin.")
    title: str = strawberry.field(description="The new title, 1-200 characters.")


@strawberry.type(description="The chat has its new title; its members got CHAT_RENAMED.")
class ChatRenameSuccess:
    chat: Chat = strawberry.field(description="The chat.")


ChatRenameResult = Annotated[
    ChatRenameSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatRenameResult",
        description="The renamed chat, or why not (nothing written). ValidationError codes: NOT_CHAT_ADMIN, "
        "TITLE_EMPTY, INVALID_CHARACTERS, TITLE_TOO_LONG; NotFoundError CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="People to add to a chat.")
class ChatMembersAddInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID + " You must be its admin.")
    member_ids: list[strawberry.ID] = strawberry.field(
        description="The `User`s to add: people you can reach, of the chat's school. Those already in it are "
        "skipped; former members come back. New members read on from now (older messages count as read)."
    )


@strawberry.type(description="The people are in the chat; everyone got MEMBER_ADDED.")
class ChatMembersAddSuccess:
    chat: Chat = strawberry.field(description="The chat with its members.")


ChatMembersAddResult = Annotated[
    ChatMembersAddSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatMembersAddResult",
        description="The chat, or why not (nothing written). ValidationError codes: NOT_CHAT_ADMIN, "
        "TOO_MANY_MEMBERS, MEMBER_NOT_FOUND (at `memberIds[i]`); NotFoundError CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="A member to remove from a chat.")
class ChatMemberRemoveInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID + " You must be its admin.")
    user_id: strawberry.ID = strawberry.field(
        description="The `User` to remove (not you: use `chatLeave`). From then on the chat, its history and its "
        "events are not there for them."
    )


@strawberry.type(description="The member is out; they and the others got MEMBER_REMOVED.")
class ChatMemberRemoveSuccess:
    chat: Chat = strawberry.field(description="The chat with its remaining members.")


ChatMemberRemoveResult = Annotated[
    ChatMemberRemoveSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatMemberRemoveResult",
        description="The chat, or why not (nothing written). ValidationError codes: NOT_CHAT_ADMIN, "
        "MEMBER_NOT_FOUND (not a current member), USE_CHAT_LEAVE (that is you); NotFoundError CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="Leaving a chat.")
class ChatLeaveInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID)
    new_admin_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="A member (`User`) who becomes an admin as you leave. Required when you are the last admin "
        "and others stay.",
    )


@strawberry.type(
    description="You left: the chat is no longer there for you. If you were the last member, it is deleted."
)
class ChatLeaveSuccess:
    chat_id: strawberry.ID = strawberry.field(description="The chat you left.")


ChatLeaveResult = Annotated[
    ChatLeaveSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatLeaveResult",
        description="Left, or why not (nothing written). ValidationError codes: LAST_ADMIN (name `newAdminId`), "
        "MEMBER_NOT_FOUND (`newAdminId` is not a member), NOT_CHAT_ADMIN (only an admin hands over); "
        "NotFoundError CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="Deleting a chat.")
class ChatDeleteInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID + " You must be its creator or an admin.")


@strawberry.type(description="The chat is deleted for everyone; its members got CHAT_DELETED.")
class ChatDeleteSuccess:
    chat_id: strawberry.ID = strawberry.field(description="The deleted chat.")


ChatDeleteResult = Annotated[
    ChatDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "ChatDeleteResult",
        description="Deleted, or why not (nothing written). ValidationError code NOT_CHAT_ADMIN; NotFoundError "
        "CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="A new message.")
class MessageSendInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID)
    text: str = strawberry.field(
        description="The text, 1-4000 characters after trimming; http(s) links in it are listed in `links`."
    )
    file_ids: list[strawberry.ID] | None = strawberry.field(default=None, description=ATTACHMENTS)


@strawberry.type(description="The message was sent; every member got MESSAGE_ADDED.")
class MessageSendSuccess:
    chat_message: ChatMessage = strawberry.field(description="The new message.")


MessageSendResult = Annotated[
    MessageSendSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MessageSendResult",
        description="The message, or why not (nothing written). ValidationError codes: "
        "TEXT_EMPTY, INVALID_CHARACTERS, TEXT_TOO_LONG, " + FILE_CODES + "; "
        "NotFoundError CHAT_NOT_FOUND.",
    ),
]


@strawberry.input(description="A message's new text.")
class MessageEditInput:
    message_id: strawberry.ID = strawberry.field(description="Your `ChatMessage`, sent less than 24 hours ago.")
    text: str = strawberry.field(description="The new text, 1-4000 characters after trimming.")


@strawberry.type(description="The message has its new text; every member got MESSAGE_EDITED.")
class MessageEditSuccess:
    chat_message: ChatMessage = strawberry.field(description="The message.")


MessageEditResult = Annotated[
    MessageEditSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MessageEditResult",
        description="The message, or why not (nothing written). ValidationError codes: NOT_AUTHOR, MESSAGE_DELETED, "
        "EDIT_WINDOW_CLOSED (24 hours), "
        "TEXT_EMPTY, INVALID_CHARACTERS, TEXT_TOO_LONG; NotFoundError MESSAGE_NOT_FOUND.",
    ),
]


@strawberry.input(description="A message to delete.")
class MessageDeleteInput:
    message_id: strawberry.ID = strawberry.field(
        description="A `ChatMessage`: yours, sent less than 24 hours ago; any message of a chat you administer."
    )


@strawberry.type(description="The message is a tombstone now (no text); every member got MESSAGE_DELETED.")
class MessageDeleteSuccess:
    chat_message: ChatMessage = strawberry.field(description="The tombstone.")


MessageDeleteResult = Annotated[
    MessageDeleteSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "MessageDeleteResult",
        description="The tombstone, or why not (nothing written). ValidationError codes: NOT_AUTHOR, "
        "DELETE_WINDOW_CLOSED (24 hours, unless you administer the chat); NotFoundError MESSAGE_NOT_FOUND.",
    ),
]


@strawberry.input(description="How far you have read a chat.")
class ChatMarkReadInput:
    chat_id: strawberry.ID = strawberry.field(description=CHAT_ID)
    message_id: strawberry.ID | None = strawberry.field(
        default=None, description="The newest `ChatMessage` you have read; omit for the chat's newest."
    )


@strawberry.type(description="Your read position moved forward (never back).")
class ChatMarkReadSuccess:
    chat: Chat = strawberry.field(description="The chat with your new `unreadCount`.")


ChatMarkReadResult = Annotated[
    ChatMarkReadSuccess | NotFoundError,
    strawberry.union(
        "ChatMarkReadResult",
        description="The chat, or NotFoundError CHAT_NOT_FOUND / MESSAGE_NOT_FOUND (not a message of this chat).",
    ),
]


@strawberry.type
class ChatMutations:
    @strawberry.mutation(description="Start a chat with people you can reach.", permission_classes=[IsAuthenticated])
    async def chat_create(self, info: Info, input: Annotated[ChatCreateInput, INPUT]) -> ChatCreateResult:
        row = await chats.create_chat(
            info.context, chats.CreateInput(title=input.title, member_ids=input.member_ids, school_id=input.school_id)
        )
        return ChatCreateSuccess(chat=Chat(model=row))

    @strawberry.mutation(description="Rename a chat you administer.", permission_classes=[IsAuthenticated])
    async def chat_rename(self, info: Info, input: Annotated[ChatRenameInput, INPUT]) -> ChatRenameResult:
        row = await chats.rename_chat(info.context, input.chat_id, input.title)
        return ChatRenameSuccess(chat=Chat(model=row))

    @strawberry.mutation(description="Add people to a chat you administer.", permission_classes=[IsAuthenticated])
    async def chat_members_add(self, info: Info, input: Annotated[ChatMembersAddInput, INPUT]) -> ChatMembersAddResult:
        row = await chats.add_members(info.context, input.chat_id, input.member_ids)
        return ChatMembersAddSuccess(chat=Chat(model=row))

    @strawberry.mutation(
        description="Remove a member from a chat you administer.", permission_classes=[IsAuthenticated]
    )
    async def chat_member_remove(
        self, info: Info, input: Annotated[ChatMemberRemoveInput, INPUT]
    ) -> ChatMemberRemoveResult:
        row = await chats.remove_member(info.context, input.chat_id, input.user_id)
        return ChatMemberRemoveSuccess(chat=Chat(model=row))

    @strawberry.mutation(
        description="Leave a chat (the last admin hands over with `newAdminId`).", permission_classes=[IsAuthenticated]
    )
    async def chat_leave(self, info: Info, input: Annotated[ChatLeaveInput, INPUT]) -> ChatLeaveResult:
        row = await chats.leave_chat(info.context, input.chat_id, input.new_admin_id)
        return ChatLeaveSuccess(chat_id=strawberry.ID(to_global_id("Chat", row.id)))

    @strawberry.mutation(
        description="Delete a chat for everyone (its creator or an admin).", permission_classes=[IsAuthenticated]
    )
    async def chat_delete(self, info: Info, input: Annotated[ChatDeleteInput, INPUT]) -> ChatDeleteResult:
        row = await chats.delete_chat(info.context, input.chat_id)
        return ChatDeleteSuccess(chat_id=strawberry.ID(to_global_id("Chat", row.id)))

    @strawberry.mutation(description="Send a message to a chat you are in.", permission_classes=[IsAuthenticated])
    async def message_send(self, info: Info, input: Annotated[MessageSendInput, INPUT]) -> MessageSendResult:
        row = await messages.send_message(info.context, input.chat_id, input.text, input.file_ids)
        return MessageSendSuccess(chat_message=ChatMessage(model=row))

    @strawberry.mutation(
        description="Edit your message within 24 hours of sending it.", permission_classes=[IsAuthenticated]
    )
    async def message_edit(self, info: Info, input: Annotated[MessageEditInput, INPUT]) -> MessageEditResult:
        row = await messages.edit_message(info.context, input.message_id, input.text)
        return MessageEditSuccess(chat_message=ChatMessage(model=row))

    @strawberry.mutation(
        description="Delete your message within 24 hours, or any message of a chat you administer. It stays as a "
        "tombstone. Deleting a deleted message changes nothing.",
        permission_classes=[IsAuthenticated],
    )
    async def message_delete(self, info: Info, input: Annotated[MessageDeleteInput, INPUT]) -> MessageDeleteResult:
        row = await messages.delete_message(info.context, input.message_id)
        return MessageDeleteSuccess(chat_message=ChatMessage(model=row))

    @strawberry.mutation(
        description="Mark a chat read up to a message (default: all of it).", permission_classes=[IsAuthenticated]
    )
    async def chat_mark_read(self, info: Info, input: Annotated[ChatMarkReadInput, INPUT]) -> ChatMarkReadResult:
        row = await messages.mark_read(info.context, input.chat_id, input.message_id)
        return ChatMarkReadSuccess(chat=Chat(model=row))
