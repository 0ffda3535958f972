"""Messages: send, edit and delete (by the author within a window; admins delete any time),
the history page, and each member's read position.

A new message, its chat events and its members' notifications are one transaction; the
wake-ups are published after the commit (the relays cover a lost publish)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

import models
from resolvers import audit, core, files, notifications, outbox, policy
from resolvers.chats import visible_chat, write_events
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, to_global_id
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.sessions import Context, Viewer
from resolvers.text import clean

MAX_TEXT = 4000
EDIT_WINDOW = timedelta(hours=24)
DELETE_WINDOW = timedelta(hours=24)
PAGE_DEFAULT = 30
MESSAGE_NOT_FOUND = _("No such message.")

_LINK = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)


def links(text: str) -> list[str]:
    """The http(s) addresses in a message, in order, without trailing punctuation."""
    return [m.group(0).rstrip(".,;:!?)]}") for m in _LINK.finditer(text)]


def _check_text(text: str, problems: list[Problem]) -> str:
    cleaned = clean(text, "text", problems, multiline=True, empty=(ErrorCode.TEXT_EMPTY, _("Write something.")))
    if len(cleaned) > MAX_TEXT:
        problems.append(
            (
                "text",
                ErrorCode.TEXT_TOO_LONG,
                ngettext("A message has at most {n} character.", "A message has at most {n} characters.", MAX_TEXT),
            )
        )
    return cleaned


async def _notify_members(
    message: models.Message, chat: models.Chat, rows: list[models.ChatEvent]
) -> tuple[dict[int, set[int]], set[int]]:
    """Inside the message's transaction: the members each event wakes, and a CHAT_MESSAGE
    notification for every member but the author (in their inbox and on the channels they
    chose). Written with the message, so a process dying after the commit loses neither."""
    woken = await outbox.chat_recipients(rows) if rows else {}
    members: set[int] = set().union(*woken.values())
    drafts = notifications.chat_message_drafts(message.id, members - {message.author_id}, chat.school_id)
    return woken, await notifications.write(drafts)


async def send_message(ctx: Context, chat_id: str, text: str, file_ids: Sequence[str] | None = None) -> models.Message:
    chat, membership = await visible_chat(ctx, chat_id)
    problems: list[Problem] = []
    cleaned = _check_text(text, problems)
    uploads = await files.check_uploads(ctx, file_ids or [], problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        message = await models.Message.create(chat_id=chat.id, author_id=membership.user_id, text=cleaned)
        await files.attach(ctx, uploads, message_id=message.id)
        await models.Chat.filter(id=chat.id).update(last_activity_at=message.created_at)
        await audit.record(
            ctx.viewer,
            "message.send",
            "Message",
            message.id,
            {"chat": chat.id, "length": len(cleaned), "files": len(uploads)},
            school_id=chat.school_id,
        )
        rows = await write_events(models.ChatEventKind.MESSAGE_ADDED, chat, membership.user_id, message=message)
        woken, notified = await _notify_members(message, chat, rows)
    await outbox.publish(ctx.broker, rows, woken)
    await notifications.publish(ctx.broker, notified)
    return message


async def _own_message(ctx: Context, message_id: str) -> tuple[models.Message, models.Chat, models.ChatMember]:
    message = await found_in(
        models.Message.all(), message_id, "ChatMessage", MESSAGE_NOT_FOUND, ErrorCode.MESSAGE_NOT_FOUND
    )
    try:
        chat, membership = await visible_chat(ctx, _chat_gid(message.chat_id))
    except NotFound:
        raise NotFound(MESSAGE_NOT_FOUND, ErrorCode.MESSAGE_NOT_FOUND) from None
    return message, chat, membership


def _chat_gid(chat_id: int) -> str:
    return to_global_id("Chat", chat_id)


async def edit_message(ctx: Context, message_id: str, text: str) -> models.Message:
    message, chat, membership = await _own_message(ctx, message_id)
    problems: list[Problem] = []
    if message.author_id != membership.user_id:
        problems.append(("messageId", ErrorCode.NOT_AUTHOR, _("Only its author can edit a message.")))
    elif message.deleted_at is not None:
        problems.append(("messageId", ErrorCode.MESSAGE_DELETED, _("The message was deleted.")))
    elif now_utc() - message.created_at > EDIT_WINDOW:
        problems.append(
            ("messageId", ErrorCode.EDIT_WINDOW_CLOSED, _("Messages can be edited for 24 hours after sending."))
        )
    cleaned = _check_text(text, problems)
    if problems:
        raise refuse(problems)
    if cleaned == message.text:
        return message
    async with in_transaction():
        message.text, message.edited_at = cleaned, now_utc()
        await message.save(update_fields=["text", "edited_at"])
        await audit.record(
            ctx.viewer,
            "message.edit",
            "Message",
            message.id,
            {"chat": chat.id},
            school_id=chat.school_id,
        )
        rows = await write_events(models.ChatEventKind.MESSAGE_EDITED, chat, membership.user_id, message=message)
    await outbox.publish(ctx.broker, rows)
    return message


async def delete_message(ctx: Context, message_id: str) -> models.Message:
    """The tombstone stays (who and when, without the text); the text is gone (the audit trail
    records that it was deleted, never what it said)."""
    message, chat, membership = await _own_message(ctx, message_id)
    if message.deleted_at is not None:
        return message
    own_in_window = message.author_id == membership.user_id and now_utc() - message.created_at <= DELETE_WINDOW
    if not (own_in_window or membership.is_admin):
        code, text = (
            (ErrorCode.DELETE_WINDOW_CLOSED, _("Your messages can be deleted for 24 hours after sending."))
            if message.author_id == membership.user_id
            else (ErrorCode.NOT_AUTHOR, _("Only its author (or a chat admin) can delete a message."))
        )
        raise refuse([("messageId", code, text)])
    async with in_transaction():
        message.text, message.deleted_at = "", now_utc()
        await message.save(update_fields=["text", "deleted_at"])
        dropped = await files.detach(await files.attached_to(message_id=message.id))
        await audit.record(
            ctx.viewer,
            "message.delete",
            "Message",
            message.id,
            {"chat": chat.id, "ownMessage": message.author_id == membership.user_id},
            school_id=chat.school_id,
        )
        rows = await write_events(models.ChatEventKind.MESSAGE_DELETED, chat, membership.user_id, message=message)
    await outbox.publish(ctx.broker, rows)
    await files.discard(ctx.settings, dropped)
    return message


async def mark_read(ctx: Context, chat_id: str, message_id: str | None) -> models.Chat:
    """Move the viewer's read position to ``message_id`` (default: the newest message). It only
    moves forward: marking an older message read changes nothing. Not audited (it changes
    nobody's data but the viewer's own counter)."""
    chat, membership = await visible_chat(ctx, chat_id)
    target: models.Message | None
    if message_id is not None:
        target = await found_in(
            models.Message.filter(chat_id=chat.id),
            message_id,
            "ChatMessage",
            MESSAGE_NOT_FOUND,
            ErrorCode.MESSAGE_NOT_FOUND,
        )
    else:
        target = await models.Message.filter(chat_id=chat.id).order_by("-id").first()
    if target is not None:
        # Conditional: of two devices marking at once, the further position stays.
        await models.ChatMember.filter(
            Q(last_read_message_id__isnull=True) | Q(last_read_message_id__lt=target.id), id=membership.id
        ).update(last_read_message_id=target.id)
    return chat


_UNREAD_TOTAL_SQL = """
SELECT COUNT(*) AS unread
FROM chat_message m
JOIN chat_member cm ON cm.chat_id = m.chat_id AND cm.user_id = ? AND cm.removed_at IS NULL
JOIN chat c ON c.id = m.chat_id AND c.deleted_at IS NULL
WHERE m.id > COALESCE(cm.last_read_message_id, 0) AND m.author_id <> ? AND m.deleted_at IS NULL
"""


async def unread_total(viewer: Viewer) -> int:
    """Unread messages over all the viewer's chats: one statement."""
    uid = viewer.user_id if viewer.user_id is not None else policy.NOBODY
    rows = await core.fetch(_UNREAD_TOTAL_SQL, [uid, uid])
    return int(rows[0]["unread"]) if rows else 0
