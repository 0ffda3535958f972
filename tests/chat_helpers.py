"""Set-up for the chat tests: chats made and messages sent over the API."""

from __future__ import annotations

from typing import Any

import models
from tests.client import Client
from tests.helpers import gid

CREATE = """
mutation C($input: ChatCreateInput!) { chatCreate(input: $input) { __typename
  ... on ChatCreateSuccess { chat { id title viewerIsAdmin members { user { id fullName } isAdmin } } }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }
"""


async def create_chat(client: Client, title: str, *members: models.User, **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = (
        await client.data(CREATE, input={"title": title, "memberIds": [gid(m, "User") for m in members], **extra})
    )["chatCreate"]
    return result


async def new_chat(client: Client, title: str, *members: models.User) -> str:
    result = await create_chat(client, title, *members)
    assert result["__typename"] == "ChatCreateSuccess", result
    return str(result["chat"]["id"])


SEND = """
mutation S($input: MessageSendInput!) { messageSend(input: $input) { __typename
  ... on MessageSendSuccess { chatMessage { id text links author { fullName } createdAt editedAt deleted editable } }
  ... on ValidationError { fields { field code } } ... on Error { code message } } }
"""


async def send(client: Client, chat_id: str, text: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.data(SEND, input={"chatId": chat_id, "text": text}))["messageSend"]
    return result


async def sent(client: Client, chat_id: str, text: str) -> str:
    result = await send(client, chat_id, text)
    assert result["__typename"] == "MessageSendSuccess", result
    return str(result["chatMessage"]["id"])


def mutation(name: str, input_type: str, success: str) -> str:
    return (
        f"mutation M($input: {input_type}!) {{ {name}(input: $input) {{ __typename "
        f"... on {success} ... on ValidationError {{ fields {{ field code }} }} ... on Error {{ code message }} }} }}"
    )


RENAME = mutation("chatRename", "ChatRenameInput", "ChatRenameSuccess { chat { title } }")
ADD = mutation("chatMembersAdd", "ChatMembersAddInput", "ChatMembersAddSuccess { chat { members { user { id } } } }")
REMOVE = mutation(
    "chatMemberRemove", "ChatMemberRemoveInput", "ChatMemberRemoveSuccess { chat { members { user { id } } } }"
)
LEAVE = mutation("chatLeave", "ChatLeaveInput", "ChatLeaveSuccess { chatId }")
DELETE = mutation("chatDelete", "ChatDeleteInput", "ChatDeleteSuccess { chatId }")
EDIT = mutation("messageEdit", "MessageEditInput", "MessageEditSuccess { chatMessage { text editedAt editable } }")
REMOVE_MESSAGE = mutation(
    "messageDelete", "MessageDeleteInput", "MessageDeleteSuccess { chatMessage { text deleted deletedAt links } }"
)


async def run(client: Client, document: str, **fields: Any) -> dict[str, Any]:
    """Send one mutation with ``fields`` as its input; its result union member."""
    data = await client.data(document, input=fields)
    result: dict[str, Any] = next(iter(data.values()))
    return result
