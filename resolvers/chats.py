"""Chats: create, rename, add and remove members, leave, delete. Every change writes its
chat events and audit entry in the same transaction, and publishes after commit.

Rules: a chat belongs to one school; everyone in it must be reachable by whoever adds them
(``policy.reachable_users``) and of the chat's school. Its creator is its first admin; admins
rename, add, remove and delete; any member leaves, except the last admin while others stay
(they hand over with ``newAdminId``). The last member to leave deletes the chat."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, core, outbox, pages, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import NotFound, Problem, refuse
from resolvers.sessions import Context
from resolvers.text import clean

MAX_TITLE = 200
MAX_MEMBERS = 500
CHAT_NOT_FOUND = _("No such chat.")


async def visible_chat(ctx: Context, chat_id: str) -> tuple[models.Chat, models.ChatMember]:
    """The chat and the viewer's membership, or NotFound exactly like a chat that does not exist."""
    pk = pk_of(chat_id, "Chat")
    return await _membership(ctx, pk)


async def _locked_chat(ctx: Context, chat_id: str) -> tuple[models.Chat, models.ChatMember]:
    """``visible_chat`` for a change of the chat's members, admins or existence: inside the
    change's transaction, the chat's row locked first (``core.lock_chat``), so changes of one chat
    check and write one at a time (two admins leaving at once cannot both see the other stay)."""
    pk = pk_of(chat_id, "Chat")
    if pk is not None:
        await core.lock_chat(pk)
    return await _membership(ctx, pk)


async def _membership(ctx: Context, pk: int | None) -> tuple[models.Chat, models.ChatMember]:
    membership = await policy.chat_membership(ctx.viewer, pk) if pk else None
    if membership is None or pk is None:
        raise NotFound(CHAT_NOT_FOUND, ErrorCode.CHAT_NOT_FOUND)
    chat = await models.Chat.get(id=pk)
    return chat, membership


def _check_title(title: str, problems: list[Problem]) -> str:
    cleaned = clean(title, "title", problems, empty=(ErrorCode.TITLE_EMPTY, _("Give the chat a title.")))
    if len(cleaned) > MAX_TITLE:
        problems.append(
            (
                "title",
                ErrorCode.TITLE_TOO_LONG,
                ngettext("A title has at most {n} character.", "A title has at most {n} characters.", MAX_TITLE),
            )
        )
    return cleaned


async def _check_people(
    ctx: Context, school_id: int, ids: Sequence[str], field: str, problems: list[Problem]
) -> list[int]:
    """The user pks of ``ids`` (deduplicated, without the viewer), each reachable by the viewer
    and of the school; every other id is a MEMBER_NOT_FOUND problem at its position."""
    if len(ids) > MAX_MEMBERS:
        problems.append(
            (
                field,
                ErrorCode.TOO_MANY_MEMBERS,
                ngettext("At most {n} person at once.", "At most {n} people at once.", MAX_MEMBERS),
            )
        )
        return []
    wanted = [pk_of(i, "User") for i in ids]
    candidates = {pk for pk in wanted if pk is not None}
    found = (
        await policy.reachable_users(ctx.viewer)
        .filter(id__in=candidates)
        .filter(id__in=Subquery(policy.school_people(school_id).values("id")))
        .values_list("id", flat=True)
    )
    allowed = {int(str(i)) for i in found}
    result: list[int] = []
    for index, pk in enumerate(wanted):
        if pk is None or pk not in allowed:
            if pk != ctx.viewer.user_id:
                problems.append(
                    (f"{field}[{index}]", ErrorCode.MEMBER_NOT_FOUND, _("No such person among those you can reach."))
                )
        elif pk not in result:
            result.append(pk)
    return result


async def _chat_school(ctx: Context, school_id: str | None, problems: list[Problem]) -> int | None:
    found = await policy.visible_schools(ctx.viewer).order_by("id").values_list("id", flat=True)
    schools = [int(str(i)) for i in found]
    if school_id is not None:
        pk = pk_of(school_id, "School")
        if pk is None or pk not in schools:
            raise NotFound(_("No such school."), ErrorCode.SCHOOL_NOT_FOUND)
        return pk
    if len(schools) == 1:
        return schools[0]
    problems.append(
        (
            "schoolId",
            ErrorCode.SCHOOL_REQUIRED,
            _("You belong to several schools (or none): say which school the chat is in."),
        )
    )
    return None


async def write_events(
    kind: str,
    chat: models.Chat,
    actor_id: int,
    *,
    members: Sequence[int] = (),
    message: models.Message | None = None,
) -> list[models.ChatEvent]:
    """Inside the change's transaction: one event, or one per member added or removed."""
    if members:
        return await outbox.record(
            [models.ChatEvent(kind=kind, chat_id=chat.id, member_id=m, actor_id=actor_id) for m in members]
        )
    message_id = message.id if message else None
    return await outbox.record([models.ChatEvent(kind=kind, chat_id=chat.id, actor_id=actor_id, message_id=message_id)])


@dataclass(frozen=True)
class CreateInput:
    title: str
    member_ids: Sequence[str]
    school_id: str | None


async def create_chat(ctx: Context, data: CreateInput) -> models.Chat:
    uid = ctx.viewer.id
    problems: list[Problem] = []
    title = _check_title(data.title, problems)
    school_id = await _chat_school(ctx, data.school_id, problems)
    members = await _check_people(ctx, school_id, data.member_ids, "memberIds", problems) if school_id else []
    if school_id and not members and not problems:
        problems.append(("memberIds", ErrorCode.MEMBERS_EMPTY, _("Add at least one person besides you.")))
    if problems or school_id is None:
        raise refuse(problems)
    now = now_utc()
    async with in_transaction():
        chat = await models.Chat.create(school_id=school_id, title=title, created_by_id=uid, last_activity_at=now)
        await models.ChatMember.bulk_create(
            [models.ChatMember(chat_id=chat.id, user_id=uid, is_admin=True, joined_at=now)]
            + [models.ChatMember(chat_id=chat.id, user_id=m, joined_at=now) for m in members]
        )
        await audit.record(
            ctx.viewer, "chat.create", "Chat", chat.id, {"memberCount": len(members)}, school_id=school_id
        )
        rows = await write_events(models.ChatEventKind.MEMBER_ADDED, chat, uid, members=members)
    await outbox.publish(ctx.broker, rows)
    return chat


def _require_admin(membership: models.ChatMember) -> None:
    if not membership.is_admin:
        raise refuse([("chatId", ErrorCode.NOT_CHAT_ADMIN, _("Only the chat's admins can do that."))])


async def rename_chat(ctx: Context, chat_id: str, title: str) -> models.Chat:
    async with in_transaction():
        chat, membership = await _locked_chat(ctx, chat_id)
        problems: list[Problem] = []
        if not membership.is_admin:
            problems.append(("chatId", ErrorCode.NOT_CHAT_ADMIN, _("Only the chat's admins can rename it.")))
        cleaned = _check_title(title, problems)
        if problems:
            raise refuse(problems)
        if cleaned == chat.title:
            return chat
        chat.title = cleaned
        await chat.save(update_fields=["title"])
        await audit.record(ctx.viewer, "chat.rename", "Chat", chat.id, school_id=chat.school_id)
        rows = await write_events(models.ChatEventKind.CHAT_RENAMED, chat, membership.user_id)
    await outbox.publish(ctx.broker, rows)
    return chat


async def add_members(ctx: Context, chat_id: str, member_ids: Sequence[str]) -> models.Chat:
    """New members (or former ones, again) start reading from now: what was said before counts
    as read, though they can scroll back through it."""
    async with in_transaction():
        chat, membership = await _locked_chat(ctx, chat_id)
        _require_admin(membership)
        problems: list[Problem] = []
        wanted = await _check_people(ctx, chat.school_id, member_ids, "memberIds", problems)
        if problems:
            raise refuse(problems)
        present = await models.ChatMember.filter(chat_id=chat.id, removed_at__isnull=True).values_list(
            "user_id", flat=True
        )
        current = {int(str(i)) for i in present}
        new = [m for m in wanted if m not in current]
        if not new:
            return chat
        now = now_utc()
        newest = await models.Message.filter(chat_id=chat.id).order_by("-id").first()
        former = {
            m.user_id: m for m in await models.ChatMember.filter(chat_id=chat.id, user_id__in=new).select_for_update()
        }
        for user_id in new:
            row = former.get(user_id) or models.ChatMember(chat_id=chat.id, user_id=user_id)
            row.removed_at, row.joined_at, row.is_admin = None, now, False
            row.last_read_message_id = newest.id if newest else None
            await row.save()
        await audit.record(
            ctx.viewer, "chat.members_add", "Chat", chat.id, {"memberCount": len(new)}, school_id=chat.school_id
        )
        rows = await write_events(models.ChatEventKind.MEMBER_ADDED, chat, membership.user_id, members=new)
    await outbox.publish(ctx.broker, rows)
    return chat


async def remove_member(ctx: Context, chat_id: str, user_id: str) -> models.Chat:
    async with in_transaction():
        chat, membership = await _locked_chat(ctx, chat_id)
        _require_admin(membership)
        pk = pk_of(user_id, "User")
        target = (
            await models.ChatMember.filter(chat_id=chat.id, user_id=pk, removed_at__isnull=True).first() if pk else None
        )
        if target is None:
            raise refuse([("userId", ErrorCode.MEMBER_NOT_FOUND, _("No such member of the chat."))])
        if target.user_id == membership.user_id:
            raise refuse([("userId", ErrorCode.USE_CHAT_LEAVE, _("To leave the chat yourself, use chatLeave."))])
        changed = await models.ChatMember.filter(id=target.id, removed_at__isnull=True).update(removed_at=now_utc())
        if not changed:
            return chat
        await audit.record(ctx.viewer, "chat.member_remove", "Chat", chat.id, school_id=chat.school_id)
        rows = await write_events(
            models.ChatEventKind.MEMBER_REMOVED, chat, membership.user_id, members=[target.user_id]
        )
    await outbox.publish(ctx.broker, rows)
    return chat


async def leave_chat(ctx: Context, chat_id: str, new_admin_id: str | None) -> models.Chat:
    """The last admin hands over to ``new_admin_id`` (a current member) when others stay; the
    last member leaving deletes the chat."""
    async with in_transaction():
        chat, membership = await _locked_chat(ctx, chat_id)
        others = await models.ChatMember.filter(chat_id=chat.id, removed_at__isnull=True).exclude(id=membership.id)
        heir: models.ChatMember | None = None
        if new_admin_id is not None:
            if not membership.is_admin:
                raise refuse([("newAdminId", ErrorCode.NOT_CHAT_ADMIN, _("Only an admin can hand the chat over."))])
            pk = pk_of(new_admin_id, "User")
            heir = next((m for m in others if m.user_id == pk), None)
            if heir is None:
                raise refuse([("newAdminId", ErrorCode.MEMBER_NOT_FOUND, _("No such member of the chat."))])
        elif membership.is_admin and others and not any(m.is_admin for m in others):
            raise refuse(
                [
                    (
                        "newAdminId",
                        ErrorCode.LAST_ADMIN,
                        _("You are the chat's last admin: name a member to hand it over to."),
                    )
                ]
            )
        now = now_utc()
        await models.ChatMember.filter(id=membership.id).update(removed_at=now, is_admin=False)
        details: dict[str, Any] = {}
        if heir is not None:
            await models.ChatMember.filter(id=heir.id).update(is_admin=True)
            details["handedOver"] = True
        me = membership.user_id
        rows = await write_events(models.ChatEventKind.MEMBER_REMOVED, chat, me, members=[me])
        if not others:
            chat.deleted_at = now
            await chat.save(update_fields=["deleted_at"])
            details["deleted"] = True
            rows += await write_events(models.ChatEventKind.CHAT_DELETED, chat, membership.user_id)
        await audit.record(ctx.viewer, "chat.leave", "Chat", chat.id, details, school_id=chat.school_id)
    await outbox.publish(ctx.broker, rows)
    return chat


async def delete_chat(ctx: Context, chat_id: str) -> models.Chat:
    """By its creator or one of its admins; gone for every member, who get CHAT_DELETED."""
    async with in_transaction():
        chat, membership = await _locked_chat(ctx, chat_id)
        if not membership.is_admin and chat.created_by_id != membership.user_id:
            raise refuse([("chatId", ErrorCode.NOT_CHAT_ADMIN, _("Only the chat's creator or admins can delete it."))])
        chat.deleted_at = now_utc()
        await chat.save(update_fields=["deleted_at"])
        await audit.record(ctx.viewer, "chat.delete", "Chat", chat.id, school_id=chat.school_id)
        rows = await write_events(models.ChatEventKind.CHAT_DELETED, chat, membership.user_id)
    await outbox.publish(ctx.broker, rows)
    return chat


# A chat's members as a connection (``Chat.participants``): its current members
# (``policy.visible_chat_members``: only a member of the chat sees any), by name then membership.
MEMBERS: pages.OwnedList[models.ChatMember] = pages.OwnedList(
    "chat members",
    "user__full_name",
    50,
    lambda viewer, chat_id: policy.visible_chat_members(viewer).filter(chat_id=chat_id),
)
