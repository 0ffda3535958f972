"""The day-before reminder of an announced assessment: at the family's chosen hour in their zone,
after their quiet hours, once per member; a lesson that moves is reminded of the day before its
new date, a cancelled lesson or assessment is not (and a reminder already written leaves the
inbox). The injectable clock (``resolvers.core.freeze``) stands in for the hours passing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import models
from resolvers import reminders
from resolvers.core import freeze, today_utc
from tests.classwork.test_homework import MATHS, _school, _user
from tests.factories import Factory, school_days_from
from tests.helpers import gid

MOSCOW = ZoneInfo("Europe/Moscow")
PLAN = (
    "mutation P($input: AssessmentPlanInput!) { assessmentPlan(input: $input) { __typename "
    "... on AssessmentSuccess { assessment { id } } ... on Error { code message } } }"
)
CANCEL = "mutation C($input: AssessmentCancelInput!) { assessmentCancel(input: $input) { __typename } }"
PREFERENCES = (
    "mutation S($input: NotificationPreferencesSetInput!) { notificationPreferencesSet(input: $input) { __typename "
    "... on NotificationPreferencesSetSuccess { preferences { reminderHour } } ... on Error { code } } }"
)
INBOX = """query { viewer { notifications(first: 20) { edges { node {
  kind category student { id } assessment { kind description lesson { id } } } } } } }"""


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=MOSCOW)


async def _inbox(client: Any) -> list[dict[str, Any]]:
    data = await client.data(INBOX)
    return [e["node"] for e in data["viewer"]["notifications"]["edges"] if e["node"]["kind"] == "ASSESSMENT_REMINDER"]


async def _run(app: Any, instant: datetime, school: Any) -> int:
    """The reminders one round writes for ``school``'s lessons: the round serves the whole
    district, and other tests' assessments may be due at the same instant."""
    mine = models.AssessmentReminder.filter(planned_assessment__lesson__school_class__school_id=school.kit.school.id)
    before = await mine.count()
    with freeze(instant):
        await reminders.remind_assessments(app.state.broker)
    return await mine.count() - before


async def _lesson_on(factory: Factory, school: Any, day: date) -> models.Lesson:
    """A 5A mathematics lesson in period 1 (08:30 Moscow) on ``day``."""
    return await factory.lesson(school.kit, "5A", MATHS, school.teacher, day, period=1)


async def test_reminded_the_day_before_at_the_familys_hour_once(app: Any, factory: Factory) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    child = factory.client(_user(school.child))
    other = factory.client(school.other_parent)  # a child in 5A too: reminded at the default hour
    day = school_days_from(today_utc() + timedelta(days=4), 1)[0]
    lesson = await _lesson_on(factory, school, day)
    planned = await teacher.data(
        PLAN, input={"lessonId": gid(lesson, "Lesson"), "kind": "CONTROL_WORK", "description": "Fractions"}
    )
    assert planned["assessmentPlan"]["__typename"] == "AssessmentSuccess"
    # The parent wants it at 20:00 but is quiet from 19:30 to 21:15: 21:15 it is.
    chosen = await parent.data(
        PREFERENCES, input={"reminderHour": 20, "quietHoursStart": "19:30:00", "quietHoursEnd": "21:15:00"}
    )
    assert chosen["notificationPreferencesSet"]["preferences"] == {"reminderHour": 20}
    refused = await parent.data(PREFERENCES, input={"reminderHour": 24})
    assert refused["notificationPreferencesSet"] == {"__typename": "ValidationError", "code": "HOUR_INVALID"}
    await parent.data(
        PREFERENCES, input={"reminderHour": 20, "quietHoursStart": "19:30:00", "quietHoursEnd": "21:15:00"}
    )

    eve = day - timedelta(days=1)
    assert await _run(app, _at(eve, 17, 59), school) == 0
    followers = 3  # the child, its parent, the other child's parent (the other child has no login)
    assert await _run(app, _at(eve, 18, 0), school) == followers - 1  # all but the parent
    assert await _run(app, _at(eve, 18, 5), school) == 0  # once
    assert await _inbox(parent) == []
    assert await _run(app, _at(eve, 21, 14), school) == 0
    assert await _run(app, _at(eve, 21, 15), school) == 1
    assert await _run(app, _at(eve, 23, 0), school) == 0
    expected = {
        "kind": "ASSESSMENT_REMINDER",
        "category": "ASSESSMENTS",
        "student": {"id": gid(school.child, "Student")},
        "assessment": {"kind": "CONTROL_WORK", "description": "Fractions", "lesson": {"id": gid(lesson, "Lesson")}},
    }
    assert await _inbox(parent) == [expected]
    assert await _inbox(child) == [expected]
    assert len(await _inbox(other)) == 1
    # Nobody outside the class: the sibling's 6B has no such lesson.
    assert await models.AssessmentReminder.filter(planned_assessment__lesson_id=lesson.id).count() == followers

    # Called off: the reminder leaves the inbox (and a pending e-mail would be skipped).
    await teacher.data(CANCEL, input={"lessonId": gid(lesson, "Lesson")})
    assert await _inbox(parent) == []


async def test_a_moved_lesson_is_reminded_of_before_its_new_day_and_a_cancelled_one_not(
    app: Any, factory: Factory
) -> None:
    school = await _school(factory)
    teacher, parent = factory.client(school.teacher), factory.client(school.parent)
    first, later = school_days_from(today_utc() + timedelta(days=4), 3)[0::2]
    lesson = await _lesson_on(factory, school, first)
    gone = await _lesson_on(factory, school, later)
    for x in (lesson, gone):
        await teacher.data(PLAN, input={"lessonId": gid(x, "Lesson"), "kind": "TEST", "description": "Test"})
    # The lesson moves two school days on (as a timetable change moves it), the other is cancelled.
    shift = datetime.combine(later, time(0), tzinfo=UTC) - datetime.combine(first, time(0), tzinfo=UTC)
    await models.Lesson.filter(id=lesson.id).update(
        date=later, period=2, starts_at=lesson.starts_at + shift + timedelta(hours=1), ends_at=lesson.ends_at + shift
    )
    await models.Lesson.filter(id=gone.id).update(status=models.LessonStatus.CANCELLED)
    assert await _run(app, _at(first - timedelta(days=1), 18), school) == 0  # the old eve: nothing
    reminded = await _run(app, _at(later - timedelta(days=1), 18), school)
    assert reminded == 3  # the moved lesson's only
    notes = await _inbox(parent)
    assert [n["assessment"]["lesson"]["id"] for n in notes] == [gid(lesson, "Lesson")]
    # Restored after the eve's round: reminded at the next round, still before the lesson.
    await models.Lesson.filter(id=gone.id).update(status=models.LessonStatus.SCHEDULED)
    assert await _run(app, _at(later, 7), school) == 3
    assert len(await _inbox(parent)) == 2
    # A cancellation after the reminder hides it.
    await models.Lesson.filter(id=gone.id).update(status=models.LessonStatus.CANCELLED)
    assert [n["assessment"]["lesson"]["id"] for n in await _inbox(parent)] == [gid(lesson, "Lesson")]
