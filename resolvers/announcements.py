"""Announcements: school or class news for an audience; the audience is notified when one is
published (in the same transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from resolvers import audit, files, notifications, policy, text
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context

MAX_TITLE = 200
MAX_BODY = 10_000
PUBLISHED = "ANNOUNCEMENT_PUBLISHED"


@dataclass(frozen=True)
class AnnouncementInput:
    school_id: str
    class_id: str | None
    audience: models.Audience
    title: str
    body: str
    pinned: bool
    file_ids: Sequence[str] | None = None


@dataclass(frozen=True)
class AnnouncementChanges:
    announcement_id: str
    title: str | None = None
    body: str | None = None
    audience: models.Audience | None = None
    pinned: bool | None = None
    file_ids: Sequence[str] | None = None


def _text_problems(title: str | None, body: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if title is not None:
        if text.has_bad_characters(title):
            problems.append(("title", text.INVALID_CHARACTERS, text.MESSAGE))
        elif not title:
            problems.append(("title", ErrorCode.TITLE_EMPTY, _("Give the announcement a title.")))
        elif len(title) > MAX_TITLE:
            problems.append(
                (
                    "title",
                    ErrorCode.TITLE_TOO_LONG,
                    ngettext("A title has at most {n} character.", "A title has at most {n} characters.", MAX_TITLE),
                )
            )
    if body is not None:
        if text.has_bad_characters(body, multiline=True):
            problems.append(("body", text.INVALID_CHARACTERS, text.MESSAGE))
        elif not body:
            problems.append(("body", ErrorCode.BODY_EMPTY, _("Write the announcement.")))
        elif len(body) > MAX_BODY:
            problems.append(
                (
                    "body",
                    ErrorCode.BODY_TOO_LONG,
                    ngettext(
                        "An announcement has at most {n} character.",
                        "An announcement has at most {n} characters.",
                        MAX_BODY,
                    ),
                )
            )
    return problems


async def create_announcement(ctx: Context, data: AnnouncementInput) -> models.Announcement:
    """School admins post for their school or any class of it; a homeroom teacher for their class."""
    author_id = ctx.viewer.id
    school = await found_in(
        policy.visible_schools(ctx.viewer), data.school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )
    klass = None
    if data.class_id is not None:
        klass = await found_in(
            policy.visible_classes(ctx.viewer),
            data.class_id,
            "SchoolClass",
            _("No such class."),
            ErrorCode.CLASS_NOT_FOUND,
        )
    problems: list[Problem] = []
    if klass is not None and klass.school_id != school.id:
        problems.append(("classId", ErrorCode.CLASS_NOT_IN_SCHOOL, _("The class is not one of the school's.")))
    elif not await policy.can_post_for(ctx.viewer, school.id, [klass.id] if klass else []):
        field = "classId" if klass else "schoolId"
        problems.append(
            (field, ErrorCode.NOT_ALLOWED, _("Only the school's admins, or a class's homeroom teacher, post here."))
        )
    title, body = data.title.strip(), data.body.strip()
    problems += _text_problems(title, body)
    uploads = await files.check_uploads(ctx, data.file_ids or [], problems)
    if problems:
        raise refuse(problems)

    async with in_transaction():
        row = await models.Announcement.create(
            school_id=school.id,
            school_class_id=klass.id if klass else None,
            audience=data.audience,
            title=title,
            body=body,
            pinned=data.pinned,
            author_id=author_id,
        )
        await files.attach(ctx, uploads, announcement_id=row.id)
        await audit.record(
            ctx.viewer,
            "announcement.create",
            "Announcement",
            row.id,
            {"class": row.school_class_id, "audience": row.audience.value, "files": len(uploads)},
            school_id=school.id,
        )
        recipients = await policy.announcement_recipients(row)
        woken = await notifications.write(
            [
                notifications.Draft(
                    user_id=uid,
                    kind=PUBLISHED,
                    category=models.NotificationCategory.ANNOUNCEMENTS,
                    school_id=school.id,
                    announcement_id=row.id,
                )
                for uid in sorted(recipients)
            ]
        )
    await notifications.publish(ctx.broker, woken)
    return row


async def _manageable(ctx: Context, announcement_id: str) -> models.Announcement:
    return await found_in(
        policy.manageable_announcements(ctx.viewer),
        announcement_id,
        "Announcement",
        _("No such announcement."),
        ErrorCode.ANNOUNCEMENT_NOT_FOUND,
    )


async def update_announcement(ctx: Context, data: AnnouncementChanges) -> models.Announcement:
    """Its author, the school's admins or the class's homeroom teacher change it. The audience
    is not notified again."""
    row = await _manageable(ctx, data.announcement_id)
    title = data.title.strip() if data.title is not None else None
    body = data.body.strip() if data.body is not None else None
    problems = _text_problems(title, body)
    current = await files.attached_to(announcement_id=row.id)
    kept = current
    if data.file_ids is not None:
        kept = await files.check_uploads(ctx, data.file_ids, problems, kept=current)
    if problems:
        raise refuse(problems)
    changes: dict[str, object] = {}
    for name, value in (("title", title), ("body", body), ("audience", data.audience), ("pinned", data.pinned)):
        if value is not None and value != getattr(row, name):
            changes[name] = value
    files_changed = [f.id for f in kept] != [f.id for f in current]
    if not changes and not files_changed:
        return row
    async with in_transaction():
        await models.Announcement.filter(id=row.id).update(**changes, updated_at=now_utc())
        await files.attach(ctx, kept, announcement_id=row.id)
        keep = {f.id for f in kept}
        dropped = await files.detach([f for f in current if f.id not in keep])
        await audit.record(
            ctx.viewer,
            "announcement.update",
            "Announcement",
            row.id,
            # which fields changed (its files: only their number), and the new audience and
            # pinning; never the texts or the files' names
            {
                "fields": [*changes, *(["files"] if files_changed else [])],
                **{k: getattr(v, "value", v) for k, v in changes.items() if k in ("audience", "pinned")},
                **({"files": len(kept)} if files_changed else {}),
            },
            school_id=row.school_id,
        )
    await files.discard(ctx.settings, dropped)
    await row.refresh_from_db()
    return row


async def delete_announcement(ctx: Context, announcement_id: str) -> models.Announcement:
    """Removed for everyone, and its notifications with it (they are shown only while it is)."""
    row = await _manageable(ctx, announcement_id)
    async with in_transaction():
        await models.Announcement.filter(id=row.id).update(deleted_at=now_utc())
        await audit.record(ctx.viewer, "announcement.delete", "Announcement", row.id, school_id=row.school_id)
    await row.refresh_from_db()
    return row
