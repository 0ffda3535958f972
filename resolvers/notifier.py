"""The notifier: turns diary events (the outbox) into notifications for each child's family,
without touching the diary's writers.

It reads outbox rows past a stored cursor (``models.NotifierCursor``, one row) and writes
the notifications and the advanced cursor in ONE transaction, so each event notifies
exactly once: on PostgreSQL the cursor row is locked (``SELECT ... FOR UPDATE``), so two
server processes take turns; SQLite has a single writer anyway. Outbox ids are taken before
their transaction commits, so a lower id may commit after a higher one: the notifier only
reads events older than ``SETTLE`` (a write commits within it), and does not miss them.
The cursor starts at the newest event when it is first created: a new installation is not
flooded with notifications about the past."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from pubsub.broker import Broker, EventKind
from resolvers import notifications, policy, reminders
from resolvers.core import now_utc

log = logging.getLogger(__name__)

SETTLE = timedelta(seconds=3)
BATCH = 500

# What each diary event tells its student's family: a notification in this category, or nothing
# (declared with the kind, ``pubsub.broker.EventKind.notify``).
CATEGORIES: dict[str, models.NotificationCategory | None] = {
    kind: models.NotificationCategory[kind.notify] if kind.notify else None for kind in EventKind
}
ABSENT = [
    models.AttendanceStatus.ABSENT_EXCUSED,
    models.AttendanceStatus.ABSENT_UNEXCUSED,
    models.AttendanceStatus.LATE,
]


async def _ensure_cursor() -> None:
    if await models.NotifierCursor.exists(id=1):
        return
    newest = await models.OutboxEvent.all().order_by("-id").first()
    with contextlib.suppress(IntegrityError):  # another process created it first
        await models.NotifierCursor.create(id=1, last_event_id=newest.id if newest else 0)


async def _absences(rows: list[models.OutboxEvent]) -> set[tuple[int, int]]:
    """(student, lesson) pairs of the attendance events that are an absence or a late arrival
    as marked now: a child marked present is not news."""
    marked = [r for r in rows if r.kind == EventKind.ATTENDANCE_MARKED and r.lesson_id is not None]
    if not marked:
        return set()
    found = await models.Attendance.filter(
        lesson_id__in={r.lesson_id for r in marked}, student_id__in={r.student_id for r in marked}, status__in=ABSENT
    ).values_list("student_id", "lesson_id")
    return {(int(s), int(lesson)) for s, lesson in found}


async def notify_pending(broker: Broker, settle: timedelta = SETTLE, batch: int = BATCH) -> int:
    """One round: the events since the cursor (up to ``batch``), notified and the cursor moved,
    in one transaction; the families are woken after commit. Returns how many events were read."""
    await _ensure_cursor()
    async with in_transaction():
        cursor = await models.NotifierCursor.filter(id=1).select_for_update().first()
        if cursor is None:
            return 0
        rows = list(
            await models.OutboxEvent.filter(id__gt=cursor.last_event_id, occurred_at__lt=now_utc() - settle)
            .order_by("id")
            .limit(batch)
        )
        if not rows:
            return 0
        notified = [(r, category) for r in rows if (category := CATEGORIES.get(r.kind)) is not None]
        wanted = [r for r, _category in notified]
        absences = await _absences(wanted)
        followers = await policy.families({r.student_id for r in wanted})
        schools = dict(
            await models.Student.filter(id__in={r.student_id for r in wanted}).values_list("id", "school_id")
        )
        drafts = [
            notifications.Draft(
                user_id=uid,
                kind=row.kind,
                category=category,
                school_id=schools.get(row.student_id),
                student_id=row.student_id,
                outbox_event_id=row.id,
            )
            for row, category in notified
            if row.kind != EventKind.ATTENDANCE_MARKED or (row.student_id, row.lesson_id) in absences
            for uid in sorted(followers.get(row.student_id, ()))
        ]
        woken = await notifications.write(drafts)
        await models.NotifierCursor.filter(id=1).update(last_event_id=rows[-1].id)
    await notifications.publish(broker, woken)
    return len(rows)


async def run_notifier(
    broker: Broker, deliver: Callable[[], Awaitable[object]] | None = None, interval: float = 1.0
) -> None:
    """Forever, in the background of every server process: diary events to notifications,
    then the due e-mail and SMS deliveries (``deliver``: an awaitable factory)."""
    while True:
        try:
            while await notify_pending(broker) == BATCH:
                pass
            await reminders.remind_assessments(broker)
            if deliver is not None:
                await deliver()
        except Exception:  # the database may be briefly unreachable: try again next round
            log.exception("notifier round failed")
        await asyncio.sleep(interval)
