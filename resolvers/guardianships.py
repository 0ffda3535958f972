"""Guardianships revoked and restored by a school's admins (and its district's): a court
order, a custody change, a link made by mistake. Audited; another school's guardianship is not
found, exactly like one that does not exist.

Revoking sets ``Guardianship.revoked_at``, which every scope reads: from that statement on,
the guardian sees nothing of the child, however they ask (a request, a socket operation, the
next event of any stream: ``resolvers/outbox.py`` checks each one). In the same transaction
it takes what the guardian held only through the child:
- the chats in which it cut one of their ties (``policy.chat_ties``): the child's class's
  parents and teachers, the child's own login, a school they no longer belong to. Each
  chat gets its MEMBER_REMOVED event, so its members (and the guardian) hear of it live;
- their answers to meetings not over yet that they are no longer invited to (the child's
  class's meetings, ``policy.respondable_meetings``).
Their notifications about the child stay in the database but are no longer shown
(``policy.visible_notifications`` needs the child visible), and no new ones are written
(``policy.families`` reads unrevoked guardianships only). Their other children, and the
chats and meetings they keep through them, are untouched.

Restoring clears ``revoked_at`` and gives back the chat memberships the revocation closed,
unless someone changed them since (added them again, deleted the chat); meeting answers are
given again by the parent, who is invited again.

The reason is the admin's words about a family: it is kept on the revocation and read only
by the school's admins; the audit trail records its category, not its words."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, outbox, policy
from resolvers.chats import write_events
from resolvers.codes import ErrorCode
from resolvers.core import _, now_utc
from resolvers.errors import Problem, found_in, refuse, stated_reason
from resolvers.sessions import Context, Viewer

NOT_FOUND = _("No such guardianship.")


@dataclass(frozen=True)
class Revoked:
    guardianship: models.Guardianship
    chats: list[int]  # the chats the guardian was taken out of
    meeting_answers: int  # their answers to meetings they are no longer invited to, removed


@dataclass(frozen=True)
class Restored:
    guardianship: models.Guardianship
    chats: list[int]  # the chats given back


async def _administered(viewer: Viewer, guardianship_id: str) -> models.Guardianship:
    return await found_in(
        policy.administered_guardianships(viewer),
        guardianship_id,
        "Guardianship",
        NOT_FOUND,
        ErrorCode.GUARDIANSHIP_NOT_FOUND,
    )


async def _school_of(row: models.Guardianship) -> int:
    student = await models.Student.get(id=row.student_id).only("id", "school_id")
    return student.school_id


async def _member_events(kind: str, chats: list[int], actor_id: int, member_id: int) -> list[models.ChatEvent]:
    """Inside the transaction: each chat's event about the guardian leaving or coming back."""
    events: list[models.ChatEvent] = []
    for chat in await models.Chat.filter(id__in=chats).order_by("id"):
        events += await write_events(kind, chat, actor_id, members=[member_id])
    return events


async def revoke(ctx: Context, guardianship_id: str, reason: str, category: models.RevocationCategory) -> Revoked:
    row = await _administered(ctx.viewer, guardianship_id)
    problems: list[Problem] = []
    if row.revoked_at is not None:
        problems.append(("guardianshipId", ErrorCode.ALREADY_REVOKED, _("The guardianship is already revoked.")))
    text = stated_reason(reason, _("Say why the guardianship is revoked."), problems)
    if problems:
        raise refuse(problems)
    guardian = Viewer(row.guardian_id)
    school_id = await _school_of(row)
    now = now_utc()
    async with in_transaction():
        ties = await policy.chat_ties(guardian)
        changed = await models.Guardianship.filter(id=row.id, revoked_at__isnull=True).update(revoked_at=now)
        if not changed:  # revoked meanwhile by another admin
            raise refuse([("guardianshipId", ErrorCode.ALREADY_REVOKED, _("The guardianship is already revoked."))])
        cut = ties - await policy.chat_ties(guardian)
        chats = sorted({chat for chat, _user in cut})
        members = await models.ChatMember.filter(chat_id__in=chats, user_id=row.guardian_id, removed_at__isnull=True)
        await models.ChatMember.filter(id__in=[m.id for m in members]).update(removed_at=now)
        answers = models.MeetingResponse.filter(
            user_id=row.guardian_id,
            meeting__ends_at__gt=now,
            meeting_id__in=Subquery(models.Meeting.filter(school_id=school_id).values("id")),
        ).exclude(meeting_id__in=Subquery(policy.respondable_meetings(guardian).values("id")))
        withdrawn = sorted({int(str(m)) for m in await answers.values_list("meeting_id", flat=True)})
        await models.MeetingResponse.filter(user_id=row.guardian_id, meeting_id__in=withdrawn).delete()
        await models.GuardianshipRevocation.create(
            guardianship_id=row.id,
            category=category,
            reason=text,
            revoked_at=now,
            revoked_by_id=ctx.viewer.id,
            chat_members=[m.id for m in members],
        )
        events = await _member_events(models.ChatEventKind.MEMBER_REMOVED, chats, ctx.viewer.id, row.guardian_id)
        await audit.record(
            ctx.viewer,
            "guardianship.revoke",
            "Guardianship",
            row.id,
            {
                "guardian": row.guardian_id,
                "student": row.student_id,
                "category": category.value,
                "chats": chats,
                "meetings": withdrawn,
            },
            school_id=school_id,
        )
    await outbox.publish(ctx.broker, events)
    await row.refresh_from_db()
    return Revoked(row, chats, len(withdrawn))


async def restore(ctx: Context, guardianship_id: str) -> Restored:
    row = await _administered(ctx.viewer, guardianship_id)
    if row.revoked_at is None:
        raise refuse(
            [("guardianshipId", ErrorCode.NOT_REVOKED, _("The guardianship stands: there is nothing to restore."))]
        )
    if await models.Guardianship.exists(
        guardian_id=row.guardian_id, student_id=row.student_id, revoked_at__isnull=True
    ):
        raise refuse(
            [("guardianshipId", ErrorCode.ALREADY_GUARDIAN, _("The guardian was linked to the child again meanwhile."))]
        )
    school_id = await _school_of(row)
    now = now_utc()
    async with in_transaction():
        changed = await models.Guardianship.filter(id=row.id, revoked_at__isnull=False).update(revoked_at=None)
        if not changed:  # restored (or revoked again) meanwhile
            raise refuse(
                [("guardianshipId", ErrorCode.NOT_REVOKED, _("The guardianship stands: there is nothing to restore."))]
            )
        revocation = (
            await models.GuardianshipRevocation.filter(guardianship_id=row.id, restored_at__isnull=True)
            .order_by("-revoked_at", "-id")
            .first()
        )
        given_back: list[models.ChatMember] = []
        if revocation is not None:
            # Only memberships nobody changed since: still closed at the revocation's moment.
            given_back = list(
                await models.ChatMember.filter(
                    id__in=list(revocation.chat_members),
                    removed_at=revocation.revoked_at,
                    chat__deleted_at__isnull=True,
                )
            )
            await models.ChatMember.filter(id__in=[m.id for m in given_back]).update(removed_at=None)
            await models.GuardianshipRevocation.filter(id=revocation.id).update(
                restored_at=now, restored_by_id=ctx.viewer.id
            )
        chats = sorted({m.chat_id for m in given_back})
        events = await _member_events(models.ChatEventKind.MEMBER_ADDED, chats, ctx.viewer.id, row.guardian_id)
        await audit.record(
            ctx.viewer,
            "guardianship.restore",
            "Guardianship",
            row.id,
            {
                "guardian": row.guardian_id,
                "student": row.student_id,
                "revokedAt": row.revoked_at.isoformat(),
                "chats": chats,
            },
            school_id=school_id,
        )
    await outbox.publish(ctx.broker, events)
    await row.refresh_from_db()
    return Restored(row, chats)
