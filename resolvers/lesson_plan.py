"""The dated lessons a weekly timetable produces over a school's calendar, and keeping them in
step when the timetable or the calendar changes.

One code path for every writer: the demo seed, a new or changed timetable slot, a day off
added or removed, a bell schedule changed. Everything is set-based: a sync reads the slots'
lessons in one statement and which of them hold records in one more (per 2,000 lessons), then
writes with one DELETE, bulk UPDATEs (500 lessons each) and bulk INSERTs (2,000 each).

The rules (which a school admin can rely on):
- a slot gives a lesson on each school day of its weekday within its validity and its class's
  academic year; weekends, holidays and vacations get none;
- a lesson on a day off is CANCELLED (``day_off`` says which) unless it already holds
  records, in which case it is kept and reported: a grade is never lost;
- removing a day off restores the lessons it cancelled and creates the missing ones;
- a lesson "holds records" when it has grades (even removed ones), attendance marks or their
  history, homework, a topic, an announced assessment, remarks or absence-notice items: removing
  it would lose them;
- days before today are history: no sync changes them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q

import models
from resolvers import core
from resolvers.school_days import SchoolCalendar, day_kind, load_calendars

BATCH = 2000
RECORDS_CHUNK = 2000  # ids per records query: 9 x 2,000 parameters stay under SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class SlotPlan:
    """A slot with what generation needs besides the calendar: its class's school and year."""

    slot: models.TimetableSlot
    school_id: int
    year_start: date
    year_end: date

    def window(self, first: date, last: date) -> tuple[date, date]:
        """The days within ``first``..``last`` that the slot and its year cover."""
        slot = self.slot
        start = max(first, slot.valid_from, self.year_start)
        end = min(last, self.year_end, slot.valid_to or self.year_end)
        return start, end

    def days(self, first: date, last: date) -> Iterator[date]:
        """The days of the slot's weekday in the window (school days or not)."""
        start, end = self.window(first, last)
        if start > end:
            return
        day = start + timedelta(days=(int(self.slot.weekday) - start.isoweekday()) % 7)
        while day <= end:
            yield day
            day += timedelta(weeks=1)


def new_lesson(plan: SlotPlan, day: date, calendar: SchoolCalendar) -> models.Lesson | None:
    """The unsaved lesson the slot gives on ``day`` (None when the day's bells have no such period)."""
    slot = plan.slot
    instants = calendar.times(day, int(slot.period))
    if instants is None:
        return None
    return models.Lesson(
        school_class_id=slot.school_class_id,
        subject_id=slot.subject_id,
        teacher_id=slot.teacher_id,
        slot_id=slot.id,
        group_id=slot.group_id,
        date=day,
        period=slot.period,
        starts_at=instants[0],
        ends_at=instants[1],
        room=slot.room,
    )


def plan_lessons(
    plans: Sequence[SlotPlan], calendars: dict[int, SchoolCalendar], first: date, last: date
) -> list[models.Lesson]:
    """Every lesson the slots give on school days from ``first`` to ``last``, day by day and, within
    a day, in the order of ``plans``. Pure: the seed and ``sync_lessons`` share it."""
    by_day: dict[date, list[models.Lesson]] = defaultdict(list)
    for plan in plans:
        calendar = calendars[plan.school_id]
        for day in plan.days(first, last):
            if day_kind(day, calendar.days_off) != "SCHOOL_DAY":
                continue
            lesson = new_lesson(plan, day, calendar)
            if lesson is not None:
                by_day[day].append(lesson)
    return [lesson for day in sorted(by_day) for lesson in by_day[day]]


async def slot_plans(slots: Sequence[models.TimetableSlot]) -> list[SlotPlan]:
    """The slots with their classes' school and academic year: one statement."""
    class_ids = {s.school_class_id for s in slots}
    classes = {c.id: c for c in await models.SchoolClass.filter(id__in=class_ids).select_related("academic_year")}
    group_ids = {s.group_id for s in slots if s.group_id is not None}
    ends = dict(await models.ClassGroup.filter(id__in=group_ids).values_list("id", "ended_on")) if group_ids else {}
    out = []
    for slot in slots:
        klass = classes[slot.school_class_id]
        year = klass.academic_year
        end = year.end_date
        if slot.group_id is not None and ends.get(slot.group_id) is not None:
            end = min(end, ends[slot.group_id])  # an ended group gives no lessons after its last day
        out.append(SlotPlan(slot, klass.school_id, year.start_date, end))
    return out


_RECORDS_SQL = """
SELECT lesson_id FROM grade WHERE lesson_id IN ({ids})
UNION SELECT lesson_id FROM attendance WHERE lesson_id IN ({ids})
UNION SELECT lesson_id FROM attendance_revision WHERE lesson_id IN ({ids})
UNION SELECT lesson_id FROM homework WHERE lesson_id IN ({ids})
UNION SELECT assigned_in_id FROM homework WHERE assigned_in_id IN ({ids})
UNION SELECT lesson_id FROM remark WHERE lesson_id IN ({ids})
UNION SELECT lesson_id FROM absence_notice_item WHERE lesson_id IN ({ids})
UNION SELECT id FROM lesson WHERE id IN ({ids}) AND topic IS NOT NULL
UNION SELECT lesson_id FROM planned_assessment WHERE lesson_id IN ({ids}) AND cancelled_at IS NULL
"""


async def with_records(lesson_ids: Sequence[int]) -> set[int]:
    """Which of the lessons hold records that removing or cancelling them would hide or lose
    (see the module docstring): one statement per 2,000 lessons."""
    result: set[int] = set()
    for start in range(0, len(lesson_ids), RECORDS_CHUNK):
        chunk = list(lesson_ids[start : start + RECORDS_CHUNK])
        query = _RECORDS_SQL.format(ids=core.placeholders(len(chunk)))
        rows = await core.fetch(query, chunk * 9)
        result.update(int(next(iter(r.values()))) for r in rows)
    return result


@dataclass
class SyncReport:
    """What a sync did. ``kept`` are lessons it would have removed or cancelled but that hold records."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    cancelled: int = 0
    restored: int = 0
    kept: list[models.Lesson] = field(default_factory=list)

    def details(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
            "cancelled": self.cancelled,
            "restored": self.restored,
            "kept": [x.id for x in self.kept],
        }


_UPDATED_FIELDS = [
    "teacher_id",
    "original_teacher_id",
    "room",
    "period",
    "starts_at",
    "ends_at",
    "status",
    "day_off_id",
]


def _state(lesson: models.Lesson) -> tuple[Any, ...]:
    return tuple(getattr(lesson, f) for f in _UPDATED_FIELDS)


async def sync_lessons(
    slots: Sequence[models.TimetableSlot],
    first: date,
    last: date,
    *,
    reshape: bool,
    retired: Sequence[models.TimetableSlot] = (),
) -> SyncReport:
    """Bring the slots' lessons from ``first`` to ``last`` in line with the slots and the calendar.

    Always: create the missing lessons of school days, cancel untouched lessons on days off,
    restore lessons a day off cancelled once their day is a school day again, recompute start
    and end from the bells. With ``reshape`` (the slot itself changed) also: carry the slot's
    teacher (the planned one, under a substitution), room and period to its lessons, and remove
    untouched lessons on days the slot no longer covers. ``retired`` slots have all their
    lessons in the range removed (or kept and reported). Call inside the write's transaction."""
    report = SyncReport()
    plans = await slot_plans(list(slots))
    ids = [s.id for s in slots] + [s.id for s in retired]
    if not ids or first > last:
        return report
    calendars = await load_calendars({p.school_id for p in plans})
    existing = await models.Lesson.filter(slot_id__in=ids, date__gte=first, date__lte=last).order_by("date", "id")
    records = await with_records([x.id for x in existing])
    by_slot: dict[int, dict[date, list[models.Lesson]]] = defaultdict(lambda: defaultdict(list))
    for lesson in existing:
        if lesson.slot_id is not None:
            by_slot[lesson.slot_id][lesson.date].append(lesson)

    created: list[models.Lesson] = []
    changed: list[models.Lesson] = []
    removed: list[int] = []

    def drop(lesson: models.Lesson) -> None:
        if lesson.id in records:
            report.kept.append(lesson)
        else:
            removed.append(lesson.id)

    for plan in plans:
        calendar = calendars[plan.school_id]
        slot = plan.slot
        covered = set(plan.days(first, last))
        mine = by_slot.get(slot.id, {})
        for day in sorted(covered):
            off = calendar.day_off_on(day)
            lessons = mine.get(day, [])
            if off is None and day.isoweekday() >= 6:
                continue  # a weekend never has lessons (slots on weekdays 6-7 are refused anyway)
            if not lessons:
                if off is None:
                    fresh = new_lesson(plan, day, calendar)
                    if fresh is not None:
                        created.append(fresh)
                continue
            for lesson in lessons:
                before = _state(lesson)
                if reshape:
                    if lesson.original_teacher_id is None:
                        lesson.teacher_id = slot.teacher_id
                    elif lesson.teacher_id == slot.teacher_id:  # the substitute is now the planned teacher
                        lesson.original_teacher_id = None
                    else:
                        lesson.original_teacher_id = slot.teacher_id
                    lesson.room = slot.room
                    lesson.period = slot.period
                instants = calendar.times(day, int(lesson.period))
                if instants is not None:
                    lesson.starts_at, lesson.ends_at = instants
                if off is None and lesson.day_off_id is not None:
                    lesson.status, lesson.day_off_id = models.LessonStatus.SCHEDULED, None
                    report.restored += 1
                elif off is not None and lesson.status == models.LessonStatus.SCHEDULED:
                    if lesson.id in records:
                        report.kept.append(lesson)
                    else:
                        lesson.status, lesson.day_off_id = models.LessonStatus.CANCELLED, off.id
                        report.cancelled += 1
                elif off is not None and lesson.day_off_id is not None and lesson.day_off_id != off.id:
                    lesson.day_off_id = off.id  # still off, now because of another day off
                if _state(lesson) != before:
                    changed.append(lesson)
        if reshape:
            for day, lessons in mine.items():
                if day not in covered or day.isoweekday() >= 6:
                    for lesson in lessons:
                        drop(lesson)
    for slot in retired:
        for lessons in by_slot.get(slot.id, {}).values():
            for lesson in lessons:
                drop(lesson)

    removed_set = set(removed)
    changed = [x for x in changed if x.id not in removed_set]
    if removed:
        await models.Lesson.filter(id__in=removed).delete()
    if changed:
        await models.Lesson.bulk_update(changed, fields=_UPDATED_FIELDS, batch_size=500)
    if created:
        await models.Lesson.bulk_create(created, batch_size=BATCH)
    report.created, report.removed = len(created), len(removed)
    report.updated = max(len(changed) - report.restored - report.cancelled, 0)
    return report


async def lock_school(school_id: int) -> None:
    """Serialize a school's calendar and timetable writes: call first inside the write's
    transaction. On PostgreSQL the school's row stays locked until commit, so two admins cannot
    both pass a conflict check and then both write, and two syncs never race to create the same
    lesson; SQLite runs one writer at a time anyway."""
    await models.School.filter(id=school_id).select_for_update().first()


async def school_slots(school_id: int, first: date, last: date) -> list[models.TimetableSlot]:
    """The school's slots valid at some point from ``first`` to ``last``."""
    return list(
        await models.TimetableSlot.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=first),
            school_class__school_id=school_id,
            valid_from__lte=last,
        ).order_by("id")
    )
