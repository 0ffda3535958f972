"""School chats: a chat of a school's people, its members, their messages, and the chat outbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

if TYPE_CHECKING:
    from models.school import School
    from models.user import User


class ChatEventKind:
    """Kinds of ``ChatEvent`` (stored as text; the GraphQL enum lists the same names)."""

    MESSAGE_ADDED = "MESSAGE_ADDED"
    MESSAGE_EDITED = "MESSAGE_EDITED"
    MESSAGE_DELETED = "MESSAGE_DELETED"
    MEMBER_ADDED = "MEMBER_ADDED"
    MEMBER_REMOVED = "MEMBER_REMOVED"
    CHAT_RENAMED = "CHAT_RENAMED"
    CHAT_DELETED = "CHAT_DELETED"


class Chat(Model):
    """A conversation between people of one school. ``last_activity_at`` moves with every
    message, so a chat list orders by it without looking at messages. Deleting keeps the row
    (``deleted_at``) for the audit trail; a deleted chat is not there for anyone."""

    id = fields.IntField(primary_key=True)
    school: fields.ForeignKeyRelation[School] = fields.ForeignKeyField(
        "models.School", related_name="chats", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=200)
    created_by: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chats_created", on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_activity_at = fields.DatetimeField()
    deleted_at = fields.DatetimeField(null=True)

    school_id: int
    created_by_id: int

    class Meta:
        table = "chat"


class ChatMember(Model):
    """A person in a chat. Leaving or being removed sets ``removed_at``, kept for history:
    adding them again reopens the same row. ``last_read_message_id`` is the newest message
    they have read: later messages by others are unread."""

    id = fields.IntField(primary_key=True)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="members", on_delete=fields.CASCADE
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_memberships", on_delete=fields.CASCADE
    )
    is_admin = fields.BooleanField(default=False)
    joined_at = fields.DatetimeField()
    removed_at = fields.DatetimeField(null=True)
    last_read_message_id = fields.IntField(null=True)

    chat_id: int
    user_id: int

    class Meta:
        table = "chat_member"
        unique_together = (("chat", "user"),)
        indexes = (Index(fields=("user_id", "removed_at")),)


class Message(Model):
    """A message. Deleting keeps a tombstone: the row stays with ``deleted_at`` and no text."""

    id = fields.IntField(primary_key=True)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="messages", on_delete=fields.CASCADE
    )
    author: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_messages", on_delete=fields.RESTRICT
    )
    text = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)
    edited_at = fields.DatetimeField(null=True)
    deleted_at = fields.DatetimeField(null=True)

    chat_id: int
    author_id: int

    class Meta:
        table = "chat_message"
        indexes = (Index(fields=("chat_id", "id")),)


class ChatEvent(Model):
    """The chat outbox: written in the same transaction as the change it reports. The id is
    the cursor of ``chatEvents``; ``published_at`` is set once the broker has it (the relay
    publishes rows a crash left behind). ``member`` is the person added or removed."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    chat: fields.ForeignKeyRelation[Chat] = fields.ForeignKeyField(
        "models.Chat", related_name="events", on_delete=fields.CASCADE
    )
    message: fields.ForeignKeyNullableRelation[Message] = fields.ForeignKeyField(
        "models.Message", related_name="events", null=True, on_delete=fields.SET_NULL
    )
    member: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_member_events", null=True, on_delete=fields.SET_NULL
    )
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="chat_events", null=True, on_delete=fields.SET_NULL
    )
    occurred_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)

    chat_id: int
    message_id: int | None
    member_id: int | None
    actor_id: int | None

    class Meta:
        table = "chat_event"
        indexes = (Index(fields=("chat_id", "id")), Index(fields=("published_at", "id")))
