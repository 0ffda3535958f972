"""Delivering notifications by e-mail and SMS, with retries.

Several server processes may run the worker: each claims due deliveries by moving their
``next_attempt_at`` a lease ahead in one transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL), then sends outside it; a process that dies mid-send leaves the row to be
retried when the lease ends. A failed attempt is retried after 30 s, 1 min, 2 min, ...
(``BASE_DELAY`` doubling); after ``MAX_ATTEMPTS`` the delivery stays FAILED, visible to the
school's admins (``notificationDeliveries``), who may retry it. The text is rendered when
sent, through the policy, as the recipient: a source they may no longer see is SKIPPED.
Nothing is sent in the recipient's quiet hours: a delivery due then waits for their end.
Texts are written in the recipient's language: the deployment's (``EDIARY_DEFAULT_LOCALE``),
as no one chooses their own yet."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from tortoise.transactions import in_transaction

import models
from edge.channels import DeliveryError, Mailer, SmsGateway
from resolvers import core, policy
from resolvers.core import _, now_utc
from resolvers.notifications import held_until, zone
from resolvers.sessions import Viewer

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=30)
LEASE = timedelta(minutes=5)
BATCH = 50
SMS_LENGTH = 300


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return BASE_DELAY * (1 << max(attempts - 1, 0))


# What ``claim`` leases: e-mail/SMS deliveries, and pushes (``resolvers/push.py``).
Claimed = TypeVar("Claimed", models.NotificationDelivery, models.PushDelivery)


async def claim(model: type[Claimed], now: datetime, limit: int = BATCH) -> list[Claimed]:
    """Due pending deliveries of ``model`` (e-mail/SMS, or ``models.PushDelivery``), leased to
    this process: rows another process holds are skipped, and a lease that lapses (a process
    that died mid-round) makes them due again."""
    async with in_transaction():
        rows = list(
            await model.filter(status=models.DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .limit(limit)
            .select_for_update(skip_locked=True)
        )
        if rows:
            await model.filter(id__in=[r.pk for r in rows]).update(next_attempt_at=now + LEASE)
    return rows


async def deliver_due(mailer: Mailer, sms: SmsGateway, now: datetime | None = None, locale: str = core.FALLBACK) -> int:
    """One round of the worker: every claimed delivery attempted once, its texts (and the
    reasons an admin reads) in ``locale``. Returns how many."""
    rows = await claim(models.NotificationDelivery, now or now_utc())
    with core.using(locale):
        for row in rows:
            await attempt(row, mailer, sms)
    return len(rows)


async def attempt(row: models.NotificationDelivery, mailer: Mailer, sms: SmsGateway) -> None:
    notification = await models.Notification.get(id=row.notification_id)
    user = await models.User.get(id=notification.user_id)
    settings = await models.NotificationSettings.filter(user_id=user.id).first()
    due = await held_until(notification, settings)
    if due is not None:
        await models.NotificationDelivery.filter(id=row.id).update(next_attempt_at=due)
        return
    message = await render(notification)
    address = user.email if row.channel == models.Channel.EMAIL else settings.phone if settings else None
    if message is None or not address or not user.is_active:
        reason = _("The recipient may no longer see this.") if message is None else _("No address to send to.")
        await finish(row, models.DeliveryStatus.SKIPPED, error=str(reason))
        return
    try:
        if row.channel == models.Channel.EMAIL:
            await mailer.send(address, message.subject, message.text)
        else:
            text = _("{subject}: {text}", subject=message.subject, text=message.text)
            await sms.send(address, str(text)[:SMS_LENGTH])
    except DeliveryError as exc:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.warning("delivery %d failed for good after %d attempts: %s", row.id, attempts, exc)
            await finish(row, models.DeliveryStatus.FAILED, error=str(exc))
        else:
            await models.NotificationDelivery.filter(id=row.id).update(
                attempts=attempts, last_error=str(exc)[:500], next_attempt_at=now_utc() + backoff(attempts)
            )
        return
    await finish(row, models.DeliveryStatus.SENT)


async def finish(row: Claimed, status: models.DeliveryStatus, error: str | None = None) -> None:
    """A claimed delivery's (or push's) end: sent, failed for good or skipped (a skip is no attempt)."""
    attempts = row.attempts + (0 if status == models.DeliveryStatus.SKIPPED else 1)
    await (
        type(row)
        .filter(id=row.id)
        .update(
            status=status,
            attempts=attempts,
            last_error=error[:500] if error else None,
            sent_at=now_utc() if status == models.DeliveryStatus.SENT else None,
        )
    )


# How an attendance mark reads in a message.
ATTENDANCE = {
    models.AttendanceStatus.PRESENT: _("present"),
    models.AttendanceStatus.ABSENT_EXCUSED: _("absent, excused"),
    models.AttendanceStatus.ABSENT_UNEXCUSED: _("absent, unexcused"),
    models.AttendanceStatus.LATE: _("late"),
}
KINDS = {
    models.GradeKind.QUIZ: _("A quiz"),
    models.GradeKind.TEST: _("A test"),
    models.GradeKind.DICTATION: _("A dictation"),
    models.GradeKind.LAB_WORK: _("Lab work"),
    models.GradeKind.PROJECT: _("A project"),
    models.GradeKind.CONTROL_WORK: _("A control work"),
    models.GradeKind.EXAM: _("An exam"),
}
TITLES = {"TERM_GRADE_SET": _("A final grade was set"), "CHAT_MESSAGE": _("A new chat message")}


def _about(title: core.Text, child: models.Student | None) -> str:
    """A subject line, naming the child it is about."""
    return str(_("{title} ({child})", title=title, child=child.full_name) if child else title)


async def render(n: models.Notification) -> Message | None:
    """The e-mail / SMS text of a notification, read as its recipient sees it now, in the
    current locale (``deliver_due``'s); None when they may no longer see its source."""
    if not await policy.visible_notifications(Viewer(n.user_id)).filter(id=n.id).exists():
        return None
    child = await models.Student.get_or_none(id=n.student_id) if n.student_id else None
    event = await models.OutboxEvent.get_or_none(id=n.outbox_event_id) if n.outbox_event_id else None
    if n.planned_assessment_id is not None:
        planned = await models.PlannedAssessment.get(id=n.planned_assessment_id).prefetch_related("lesson__subject")
        text = _(
            "{kind} in {subject} tomorrow: {description}",
            kind=KINDS.get(planned.kind, planned.kind.value),
            subject=planned.lesson.subject.name,
            description=planned.description,
        )
        return Message(_about(_("An assessment tomorrow"), child), str(text))
    if n.announcement_id is not None:
        a = await models.Announcement.get(id=n.announcement_id)
        return Message(str(_("Announcement: {title}", title=a.title)), a.body)
    if n.meeting_id is not None:
        m = await models.Meeting.get(id=n.meeting_id)
        school = await models.School.get(id=m.school_id)
        when = m.starts_at.astimezone(zone(school.timezone)).strftime("%Y-%m-%d %H:%M")
        where = m.place or m.link or ""
        if n.kind == "MEETING_CANCELLED":
            subject = _("Meeting cancelled: {title}", title=m.title)
        elif n.kind == "MEETING_CHANGED":
            subject = _("Meeting changed: {title}", title=m.title)
        else:
            subject = _("Meeting scheduled: {title}", title=m.title)
        return Message(str(subject), f"{when}, {where}\n\n{m.agenda}".strip())
    if event is not None and event.grade_id is not None:
        grade = await models.Grade.get_or_none(id=event.grade_id).prefetch_related("subject")
        if grade is not None:
            text = _("{value} in {subject}", value=grade.value, subject=grade.subject.name)
            return Message(_about(_("New grade"), child), str(text))
    if event is not None and event.remark_id is not None:
        remark = await models.Remark.get(id=event.remark_id)
        return Message(_about(_("A teacher's remark"), child), remark.text)
    if event is not None and event.homework_id is not None:
        homework = await models.Homework.get(id=event.homework_id)
        return Message(_about(_("New homework"), child), homework.text)
    if event is not None and event.lesson_id is not None and n.kind == "ATTENDANCE_MARKED":
        mark = await models.Attendance.get_or_none(lesson_id=event.lesson_id, student_id=event.student_id)
        lesson = await models.Lesson.get(id=event.lesson_id).prefetch_related("subject")
        status = ATTENDANCE[mark.status] if mark else _("marked")
        text = _(
            "{subject}, {date}: {status}", subject=lesson.subject.name, date=lesson.date.isoformat(), status=status
        )
        return Message(_about(_("Attendance"), child), str(text))
    return Message(_about(TITLES.get(n.kind, _("Something new")), child), str(_("Open ediary to see it.")))
