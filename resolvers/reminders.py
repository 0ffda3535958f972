"""The day-before reminders of announced assessments (``resolvers/assessments.py``): each member
of a child's family (``policy.families``: guardians and the child's own login) gets one
ASSESSMENT_REMINDER notification (category ASSESSMENTS) the day before the lesson, at their
``NotificationSettings.reminder_hour`` (18:00 when unset) in their time zone (the school's when
unset), moved to the end of their quiet hours when it falls within them.

Nothing is scheduled ahead: every notifier round (``resolvers/notifier.py``) looks at the
assessments of lessons that have not started within the next days and reminds whoever is due
and not yet reminded for the lesson's current date (``models.AssessmentReminder``). So a lesson
that moves is reminded of the day before its new date, and a lesson cancelled, or an assessment
called off, before its reminder is due is not reminded of at all; a reminder already written for
an assessment that is then called off or whose lesson is cancelled leaves the inbox and its
pending e-mail or SMS is skipped (``policy.visible_notifications``). A round writes its
reminders and their marks in one transaction; of two processes racing, the unique mark lets one
win and the other write nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from pubsub.broker import Broker
from resolvers import notifications, policy
from resolvers.core import now_utc
from resolvers.notifications import outside_quiet_hours, zone

KIND = "ASSESSMENT_REMINDER"
DEFAULT_HOUR = 18
AHEAD = timedelta(days=3)  # lessons looked at: a reminder is never due earlier than a day and a half ahead


def due_at(lesson: models.Lesson, settings: models.NotificationSettings | None, school_zone: str | None) -> datetime:
    """When the user is reminded of the lesson's assessment: the day before, at their hour,
    after their quiet hours."""
    tz = zone((settings.timezone if settings else None) or school_zone)
    hour = settings.reminder_hour if settings is not None and settings.reminder_hour is not None else DEFAULT_HOUR
    due = datetime.combine(lesson.date - timedelta(days=1), time(hour), tzinfo=tz)
    if settings is not None:
        due = outside_quiet_hours(due, settings.quiet_start, settings.quiet_end, tz)
    return due


async def remind_assessments(broker: Broker) -> int:
    """One round: the reminders due now, written and their recipients woken. Returns how many."""
    now = now_utc()
    rows = list(
        await models.PlannedAssessment.filter(
            cancelled_at__isnull=True,
            lesson__status=models.LessonStatus.SCHEDULED,
            lesson__starts_at__gt=now,
            lesson__starts_at__lte=now + AHEAD,
        )
        .select_related("lesson", "lesson__school_class")
        .order_by("id")
    )
    if not rows:
        return 0
    lessons = [r.lesson for r in rows]
    # assessment -> the students its lesson is for on its day (a group's lesson: its members)
    attending = await policy.students_of_lessons(lessons)
    pupils = {row.id: sorted(attending.get(row.lesson_id, {})) for row in rows}
    followers = await policy.families({s for ids in pupils.values() for s in ids})
    users = {u for found in followers.values() for u in found}
    if not users:
        return 0
    chosen = {s.user_id: s for s in await models.NotificationSettings.filter(user_id__in=users)}
    school_ids = {x.school_class.school_id for x in lessons}
    zones = dict(await models.School.filter(id__in=school_ids).values_list("id", "timezone"))
    done = set(
        await models.AssessmentReminder.filter(
            planned_assessment_id__in=[r.id for r in rows], user_id__in=users
        ).values_list("planned_assessment_id", "user_id", "lesson_date")
    )
    drafts: list[notifications.Draft] = []
    marks: list[models.AssessmentReminder] = []
    for row in rows:
        lesson = row.lesson
        school_id = lesson.school_class.school_id
        for student in pupils[row.id]:
            for uid in sorted(followers.get(student, ())):
                if (row.id, uid, lesson.date) in done or due_at(lesson, chosen.get(uid), zones.get(school_id)) > now:
                    continue
                done.add((row.id, uid, lesson.date))  # twins in one class: one reminder
                drafts.append(
                    notifications.Draft(
                        user_id=uid,
                        kind=KIND,
                        category=models.NotificationCategory.ASSESSMENTS,
                        school_id=school_id,
                        student_id=student,
                        planned_assessment_id=row.id,
                    )
                )
                marks.append(
                    models.AssessmentReminder(planned_assessment_id=row.id, user_id=uid, lesson_date=lesson.date)
                )
    if not marks:
        return 0
    try:
        async with in_transaction():
            await models.AssessmentReminder.bulk_create(marks)
            woken = await notifications.write(drafts)
    except IntegrityError:  # another process reminded them meanwhile
        return 0
    await notifications.publish(broker, woken)
    return len(marks)
