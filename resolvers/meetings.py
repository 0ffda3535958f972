"""Parent-teacher meetings: organised by a school's admins or the invited classes' homeroom
teacher, answered by the invited parents; the parents are notified when one is scheduled,
changed or cancelled (in the same transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

import models
from resolvers import audit, notifications, pages, policy, text
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import NotFound, Problem, comment_length, found_in, refuse
from resolvers.sessions import Context

MAX_TITLE = 200
MAX_AGENDA = 5000
MAX_COMMENT = 1000
MAX_LENGTH = timedelta(hours=12)
INVITED, CHANGED, CANCELLED = "MEETING_INVITED", "MEETING_CHANGED", "MEETING_CANCELLED"


@dataclass(frozen=True)
class MeetingInput:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    link: str | None
    agenda: str
    class_ids: list[str]


@dataclass(frozen=True)
class MeetingChanges:
    meeting_id: str
    title: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    link: str | None = None
    agenda: str | None = None


def _clean(value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    return value or None


def _problems(
    title: str | None, starts: datetime, ends: datetime, place: str | None, link: str | None, agenda: str | None
) -> list[Problem]:
    problems: list[Problem] = []
    if title is not None and text.has_bad_characters(title):
        problems.append(("title", text.INVALID_CHARACTERS, text.MESSAGE))
    elif title is not None and not title:
        problems.append(("title", ErrorCode.TITLE_EMPTY, _("Give the meeting a title.")))
    elif title is not None and len(title) > MAX_TITLE:
        problems.append(
            (
                "title",
                ErrorCode.TITLE_TOO_LONG,
                ngettext("A title has at most {n} character.", "A title has at most {n} characters.", MAX_TITLE),
            )
        )
    if ends <= starts:
        problems.append(("endsAt", ErrorCode.ENDS_BEFORE_START, _("The meeting must end after it starts.")))
    elif ends - starts > MAX_LENGTH:
        problems.append(("endsAt", ErrorCode.TOO_LONG, _("A meeting lasts at most 12 hours.")))
    if place is None and link is None:
        problems.append(("place", ErrorCode.PLACE_OR_LINK_REQUIRED, _("Say where the meeting is: a place or a link.")))
    if place is not None and len(place) > 200:
        problems.append(("place", ErrorCode.PLACE_TOO_LONG, _("A place has at most 200 characters.")))
    if link is not None and (len(link) > 500 or not link.startswith(("https://", "http://"))):
        problems.append(("link", ErrorCode.INVALID_LINK, _("A link is an http(s) address of at most 500 characters.")))
    if agenda is not None and len(agenda) > MAX_AGENDA:
        problems.append(
            (
                "agenda",
                ErrorCode.AGENDA_TOO_LONG,
                ngettext("An agenda has at most {n} character.", "An agenda has at most {n} characters.", MAX_AGENDA),
            )
        )
    return problems


def _drafts(meeting: models.Meeting, kind: str, recipients: set[int]) -> list[notifications.Draft]:
    return [
        notifications.Draft(
            user_id=uid,
            kind=kind,
            category=models.NotificationCategory.MEETINGS,
            school_id=meeting.school_id,
            meeting_id=meeting.id,
        )
        for uid in sorted(recipients)
    ]


async def create_meeting(ctx: Context, data: MeetingInput) -> models.Meeting:
    organiser_id = ctx.viewer.id
    class_pks = [pk_of(c, "SchoolClass") for c in data.class_ids]
    wanted = {pk for pk in class_pks if pk is not None}
    classes = await policy.visible_classes(ctx.viewer).filter(id__in=wanted) if wanted else []
    if None in class_pks or len(classes) != len(wanted):
        raise NotFound(_("No such class."), ErrorCode.CLASS_NOT_FOUND)
    title, place, link, agenda = (data.title or "").strip(), _clean(data.place), _clean(data.link), data.agenda.strip()
    problems = _problems(title, data.starts_at, data.ends_at, place, link, agenda)
    schools = {c.school_id for c in classes}
    if not classes:
        problems.append(("classIds", ErrorCode.NO_CLASSES, _("Invite at least one class.")))
    elif len(schools) > 1:
        problems.append(("classIds", ErrorCode.CLASSES_OF_SEVERAL_SCHOOLS, _("Invite classes of one school.")))
    elif not await policy.can_post_for(ctx.viewer, classes[0].school_id, [c.id for c in classes]):
        problems.append(
            ("classIds", ErrorCode.NOT_ALLOWED, _("Only the school's admins or the classes' homeroom teacher."))
        )
    elif data.starts_at <= now_utc():
        problems.append(("startsAt", ErrorCode.IN_THE_PAST, _("A meeting is scheduled ahead.")))
    if problems:
        raise refuse(problems)

    async with in_transaction():
        meeting = await models.Meeting.create(
            school_id=classes[0].school_id,
            title=title,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            place=place,
            link=link,
            agenda=agenda,
            organiser_id=organiser_id,
        )
        await models.MeetingClass.bulk_create(
            [models.MeetingClass(meeting_id=meeting.id, school_class_id=c.id) for c in classes]
        )
        await audit.record(
            ctx.viewer,
            "meeting.create",
            "Meeting",
            meeting.id,
            {"classes": sorted(wanted), "startsAt": data.starts_at.isoformat()},
            school_id=meeting.school_id,
        )
        woken = await notifications.write(_drafts(meeting, INVITED, await policy.meeting_recipients(meeting)))
    await notifications.publish(ctx.broker, woken)
    return meeting


async def _organised(ctx: Context, meeting_id: str) -> models.Meeting:
    return await found_in(
        policy.organised_meetings(ctx.viewer), meeting_id, "Meeting", _("No such meeting."), ErrorCode.MEETING_NOT_FOUND
    )


async def update_meeting(ctx: Context, data: MeetingChanges) -> models.Meeting:
    """The organiser or the school's admins change a meeting not cancelled; the invited
    parents are told (MEETING_CHANGED) when its time or place changes."""
    meeting = await _organised(ctx, data.meeting_id)
    title = data.title.strip() if data.title is not None else None
    place = _clean(data.place) if data.place is not None else meeting.place
    link = _clean(data.link) if data.link is not None else meeting.link
    agenda = data.agenda.strip() if data.agenda is not None else None
    starts, ends = data.starts_at or meeting.starts_at, data.ends_at or meeting.ends_at
    problems = _problems(title, starts, ends, place, link, agenda)
    if meeting.cancelled_at is not None:
        problems.insert(0, ("meetingId", ErrorCode.CANCELLED, _("The meeting is cancelled.")))
    if problems:
        raise refuse(problems)
    proposed = {"title": title, "starts_at": starts, "ends_at": ends, "place": place, "link": link, "agenda": agenda}
    changes = {k: v for k, v in proposed.items() if v is not None or k in ("place", "link")}
    changes = {k: v for k, v in changes.items() if v != getattr(meeting, k)}
    if not changes:
        return meeting
    async with in_transaction():
        await models.Meeting.filter(id=meeting.id).update(**changes, updated_at=now_utc())
        await audit.record(
            ctx.viewer,
            "meeting.update",
            "Meeting",
            meeting.id,
            # which fields changed, and the new times; never the texts
            {"fields": list(changes), **{k: v.isoformat() for k, v in changes.items() if isinstance(v, datetime)}},
            school_id=meeting.school_id,
        )
        woken: set[int] = set()
        if changes.keys() & {"starts_at", "ends_at", "place", "link"}:
            woken = await notifications.write(_drafts(meeting, CHANGED, await policy.meeting_recipients(meeting)))
    await notifications.publish(ctx.broker, woken)
    await meeting.refresh_from_db()
    return meeting


async def cancel_meeting(ctx: Context, meeting_id: str) -> models.Meeting:
    """Cancelling again changes nothing; the parents are told once."""
    meeting = await _organised(ctx, meeting_id)
    if meeting.cancelled_at is not None:
        return meeting
    async with in_transaction():
        changed = await models.Meeting.filter(id=meeting.id, cancelled_at__isnull=True).update(cancelled_at=now_utc())
        woken: set[int] = set()
        if changed:
            await audit.record(ctx.viewer, "meeting.cancel", "Meeting", meeting.id, school_id=meeting.school_id)
            woken = await notifications.write(_drafts(meeting, CANCELLED, await policy.meeting_recipients(meeting)))
    await notifications.publish(ctx.broker, woken)
    await meeting.refresh_from_db()
    return meeting


async def respond(ctx: Context, meeting_id: str, answer: models.MeetingAnswer, comment: str | None) -> models.Meeting:
    """An invited parent answers; answering again replaces the answer."""
    user_id = ctx.viewer.id
    meeting = await found_in(
        policy.respondable_meetings(ctx.viewer),
        meeting_id,
        "Meeting",
        _("No such meeting."),
        ErrorCode.MEETING_NOT_FOUND,
    )
    text = _clean(comment)
    problems: list[Problem] = []
    if meeting.cancelled_at is not None:
        problems.append(("meetingId", ErrorCode.CANCELLED, _("The meeting is cancelled.")))
    elif meeting.ends_at <= now_utc():
        problems.append(("meetingId", ErrorCode.OVER, _("The meeting is over.")))
    comment_length(text, MAX_COMMENT, problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        # One answer per parent: the meeting row is locked so two answers at once take turns.
        await models.Meeting.filter(id=meeting.id).select_for_update().first()
        updated = await models.MeetingResponse.filter(meeting_id=meeting.id, user_id=user_id).update(
            answer=answer, comment=text, answered_at=now_utc()
        )
        if not updated:
            await models.MeetingResponse.create(
                meeting_id=meeting.id, user_id=user_id, answer=answer, comment=text, answered_at=now_utc()
            )
        await audit.record(
            ctx.viewer,
            "meeting.respond",
            "Meeting",
            meeting.id,
            {"answer": answer.value},
            school_id=meeting.school_id,
        )
    return meeting


# A meeting's answers as a connection (``Meeting.answers``): every parent's answer to the meetings
# the viewer staffs, and the viewer's own to the others they see (``policy.visible_meeting_responses``),
# oldest answer first.
ANSWERS: pages.OwnedList[models.MeetingResponse] = pages.OwnedList(
    "meeting responses",
    "answered_at",
    50,
    lambda viewer, meeting_id: policy.visible_meeting_responses(viewer).filter(meeting_id=meeting_id),
)
