"""Set-up for the chat tests: people made for a test (with the demo password), chats made
over the API."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

import models
from tests.conftest import Client, login_as
from tests.helpers import gid


async def make_person(
    http: httpx.AsyncClient, full_name: str, role: models.Role = models.Role.TEACHER, school: str = "School No. 1"
) -> tuple[models.User, Client]:
    """A new user of ``school`` holding ``role`` (password ``demo``), logged in."""
    template = await models.User.get(login="teacher")
    user = await models.User.create(
        login=f"t-{secrets.token_hex(4)}", full_name=full_name, password_hash=template.password_hash
    )
    await models.RoleGrant.create(user=user, role=role, school=await models.School.get(name=school))
    return user, await login_as(http, user.login)


async def user(login: str) -> models.User:
    return await models.User.get(login=login)


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
