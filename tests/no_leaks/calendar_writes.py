"""More probed mutations, those that run a school's year: academic years, terms, days off, bells
and short days, the weekly timetable, single lessons (cancel, restore, substitute), and a
failed delivery sent again. Same shape as tests/no_leaks/mutations.py.

From the README: a school's admins (and its district's) run its calendar and timetable;
teachers and families are refused at the coarse gate (FORBIDDEN, for a missing id too), and
another school's year, term, day off, slot or lesson reads as not there. A failed delivery
is retried by the admins of the school its notification concerns; to anyone else it does
not exist. A create names its parent (the school, the year, the class). Every new row the
allowed writes make lies ahead of today and past the world's own (tests/no_leaks/build.py:
its year ends 150 days ahead, its second term runs 61-100 days ahead, its short days are 7
days ahead, its holidays 40, its slots take the first two periods of a day)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import models
from resolvers.core import from_global_id, to_global_id, today_utc
from tests.no_leaks.mutations import Write
from tests.no_leaks.oracle import Allowed
from tests.no_leaks.reads import MISSING
from tests.no_leaks.world import PERIODS, World

CANCELLED, FAILED, SKIPPED = models.LessonStatus.CANCELLED, models.DeliveryStatus.FAILED, models.DeliveryStatus.SKIPPED
BELLS = ", ".join(f'{{ startsAt: "{8 + n:02d}:00:00", endsAt: "{8 + n:02d}:35:00" }}' for n in range(3))


def _ahead(days: int) -> str:
    return json.dumps((today_utc() + timedelta(days=days)).isoformat())


def _last_weeks_of(world: World, target: str) -> str:
    """A term of the year's last 50 days (after the world's term 1), from the year's own dates: a
    date counted from today would leave the year when the crawl runs past midnight (the world
    was built the day before). For a year the world does not hold, the same days from today."""
    year = _row(world.years, target)
    if year is None:
        return f"startDate: {_ahead(101)}, endDate: {_ahead(150)}"
    start, end = year.end_date - timedelta(days=49), year.end_date
    return f"startDate: {json.dumps(start.isoformat())}, endDate: {json.dumps(end.isoformat())}"


def _row(rows: list[Any], target: str) -> Any:
    """The world's row a global id names (None for the missing id)."""
    found = from_global_id(json.loads(target))
    return next((r for r in rows if found is not None and r.id == found[1]), None)


def _school_of_class(world: World, class_id: int) -> int:
    return next(c.school_id for c in world.classes if c.id == class_id)


def _runs(a: Allowed, school_id: int | None) -> bool:
    return school_id in a.admin_schools


def _runs_class(a: Allowed, class_id: int) -> bool:
    """Whether the class is of a school the viewer runs: the classes an admin follows are
    exactly their schools' (admins of this world teach nothing); nobody else runs any."""
    return bool(a.admin_schools) and class_id in a.followed


def _assignment(world: World, target: str) -> Any:
    """The first teaching assignment in the target class, if any."""
    klass = _row(world.classes, target)
    return next((x for x in world.assignments if klass is not None and x.school_class_id == klass.id), None)


def _slot_create(target: str, world: World, uid: int) -> str:
    """A slot for the class's first assignment (its subject and teacher) in the week's last
    period on Friday, which no slot of the world takes; a class nobody is assigned to names
    a teacher that is not there."""
    found = _assignment(world, target)
    subject = to_global_id("Subject", found.subject_id if found else world.subjects[0].id)
    teacher = to_global_id("User", found.teacher_id if found else MISSING)
    return (
        f"schoolClassId: {target}, subjectId: {json.dumps(subject)}, teacherId: {json.dumps(teacher)},"
        f" weekday: 5, period: {PERIODS}"
    )


def _records(world: World) -> set[int]:
    """The lessons holding grades or attendance marks: the world's grades, and what the
    allowed writes added (``held``, read again before each of them)."""
    return world.held | {g.lesson_id for g in world.grades if g.lesson_id is not None}


def _term_holds_grades(world: World, term: Any) -> bool:
    """Final grades for the term, or grades of the school's classes dated within it."""
    if any(t.term_id == term.id for t in world.term_grades):
        return True
    records = _records(world)
    return any(
        x.id in records and term.start_date <= x.date <= term.end_date
        for x in world.lessons
        if _school_of_class(world, x.school_class_id) == term.school_id
    )


def _substitute(world: World, lesson: Any) -> int | None:
    """Another teacher of the lesson's school who gives no other lesson at its date and period."""
    if lesson is None:
        return None
    school = _school_of_class(world, lesson.school_class_id)
    busy = {
        x.teacher_id
        for x in world.lessons
        if x.id != lesson.id and (x.date, x.period) == (lesson.date, lesson.period) and x.status != CANCELLED
    }
    return next(
        (t for t, s in world.teacher_school.items() if s == school and t != lesson.teacher_id and t not in busy), None
    )


def _substitute_input(target: str, world: World, uid: int) -> str:
    """The lesson's substitute; when it has none (or the lesson is missing), a teacher that is not there."""
    teacher = _substitute(world, _row(world.lessons, target))
    return f'lessonId: {target}, teacherId: {json.dumps(to_global_id("User", teacher or MISSING))}, reason: "probe"'


def _may_substitute(world: World, uid: int, a: Allowed, r: Any) -> bool:
    return _runs_class(a, r.school_class_id) and r.status != CANCELLED and _substitute(world, r) is not None


def _retries(world: World, uid: int, a: Allowed, r: Any) -> bool:
    """The admins of the school the notification concerns, while the delivery is FAILED or SKIPPED."""
    school = next(n.school_id for n in world.notifications if n.id == r.notification_id)
    return _runs(a, school) and r.status in (FAILED, SKIPPED)


CALENDAR_WRITES = [
    Write(
        "academicYearCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, name: "probe year", startDate: {_ahead(151)}, endDate: {_ahead(300)}',
        lambda w, uid, a, r: _runs(a, r.id),
        lambda a, r: _runs(a, r.id),
    ),
    Write(
        "academicYearUpdate",
        "AcademicYear",
        lambda w: w.years,
        lambda g, w, uid: f'academicYearId: {g}, name: "probe year renamed"',
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "termCreate",
        "AcademicYear",
        lambda w: w.years,
        lambda g, w, uid: f'academicYearId: {g}, name: "probe term", {_last_weeks_of(w, g)}',
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "termUpdate",
        "Term",
        lambda w: w.terms,
        lambda g, w, uid: f'termId: {g}, name: "probe term renamed"',
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "termDelete",
        "Term",
        lambda w: w.terms[::-1],  # the later terms first: the allowed one deletes a term ahead, without grades
        lambda g, w, uid: f"termId: {g}",
        lambda w, uid, a, r: _runs(a, r.school_id) and not _term_holds_grades(w, r),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "bellScheduleSet",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f"schoolId: {g}, variant: SHORTENED, periods: [{BELLS}]",
        lambda w, uid, a, r: _runs(a, r.id),
        lambda a, r: _runs(a, r.id),
    ),
    Write(
        "shortDayCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: f'schoolId: {g}, date: {_ahead(8)}, name: "probe"',
        # a school with a SHORTENED schedule (set first)
        lambda w, uid, a, r: _runs(a, r.id) and r.id in w.shortened,
        lambda a, r: _runs(a, r.id),
    ),
    Write(
        "shortDayDelete",
        "ShortDay",
        lambda w: w.short_days,
        lambda g, w, uid: f"shortDayId: {g}",
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "dayOffCreate",
        "School",
        lambda w: w.schools,
        lambda g, w, uid: (
            f'schoolId: {g}, kind: HOLIDAY, name: "probe holiday", startDate: {_ahead(20)}, endDate: {_ahead(21)}'
        ),
        lambda w, uid, a, r: _runs(a, r.id),
        lambda a, r: _runs(a, r.id),
    ),
    Write(
        "dayOffUpdate",
        "DayOff",
        lambda w: w.days_off,
        lambda g, w, uid: f'dayOffId: {g}, name: "probe holiday renamed"',
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "dayOffDelete",
        "DayOff",
        lambda w: w.days_off,
        lambda g, w, uid: f"dayOffId: {g}",
        lambda w, uid, a, r: _runs(a, r.school_id),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "timetableSlotCreate",
        "SchoolClass",
        lambda w: w.classes,
        _slot_create,
        # its teacher must be assigned to the class and subject
        lambda w, uid, a, r: _runs(a, r.school_id) and any(x.school_class_id == r.id for x in w.assignments),
        lambda a, r: _runs(a, r.school_id),
    ),
    Write(
        "timetableSlotUpdate",
        "TimetableSlot",
        lambda w: w.slots,
        lambda g, w, uid: f'slotId: {g}, room: "probe"',
        lambda w, uid, a, r: _runs_class(a, r.school_class_id),
        lambda a, r: _runs_class(a, r.school_class_id),
    ),
    Write(
        "timetableSlotDelete",
        "TimetableSlot",
        lambda w: w.slots,
        lambda g, w, uid: f"slotId: {g}",
        lambda w, uid, a, r: _runs_class(a, r.school_class_id),
        lambda a, r: _runs_class(a, r.school_class_id),
    ),
    Write(
        "lessonSubstitute",
        "Lesson",
        lambda w: w.lessons,
        _substitute_input,
        _may_substitute,
        lambda a, r: _runs_class(a, r.school_class_id),
    ),
    Write(
        "lessonCancel",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f'lessonId: {g}, reason: "probe"',
        # a lesson that took place (grades or marks) is not cancelled
        lambda w, uid, a, r: _runs_class(a, r.school_class_id) and r.status != CANCELLED and r.id not in _records(w),
        lambda a, r: _runs_class(a, r.school_class_id),
    ),
    Write(
        "lessonRestore",
        "Lesson",
        lambda w: w.lessons,
        lambda g, w, uid: f"lessonId: {g}",
        # cancelled by hand (a day off's lessons come back with the day off)
        lambda w, uid, a, r: _runs_class(a, r.school_class_id) and r.status == CANCELLED and r.day_off_id is None,
        lambda a, r: _runs_class(a, r.school_class_id),
    ),
    Write(
        "notificationDeliveryRetry",
        "NotificationDelivery",
        lambda w: w.deliveries,
        lambda g, w, uid: f"deliveryId: {g}",
        _retries,
        # unknown to all who may not retry it: the world's deliveries all FAILED, so its
        # school's admins may retry each; nobody else sees any
        lambda a, r: False,
    ),
]


async def refresh(world: World) -> None:
    """What the allowed writes change that the world's rows do not say: the lessons now
    holding grades or marks, and the schools with a SHORTENED schedule."""
    lessons = [x.id for x in world.lessons]
    graded = await models.Grade.filter(lesson_id__in=lessons).values_list("lesson_id", flat=True)
    marked = await models.Attendance.filter(lesson_id__in=lessons).values_list("lesson_id", flat=True)
    world.held = {int(str(i)) for i in [*graded, *marked]}
    shortened = models.BellPeriod.filter(
        school_id__in=[s.id for s in world.schools], variant=models.BellVariant.SHORTENED
    )
    world.shortened = {int(str(i)) for i in await shortened.values_list("school_id", flat=True)}


async def calendar_rows(world: World) -> list[Any]:
    """What these mutations could change, for this world's rows (a part of ``fingerprint``)."""
    schools = [s.id for s in world.schools]
    return [
        await models.AcademicYear.filter(school_id__in=schools)
        .order_by("id")
        .values_list("id", "name", "start_date", "end_date"),
        await models.Term.filter(school_id__in=schools)
        .order_by("id")
        .values_list("id", "name", "number", "start_date", "end_date"),
        await models.DayOff.filter(school_id__in=schools)
        .order_by("id")
        .values_list("id", "kind", "name", "start_date", "end_date"),
        await models.ShortDay.filter(school_id__in=schools).order_by("id").values_list("id", "date", "name"),
        await models.BellPeriod.filter(school_id__in=schools)
        .order_by("id")
        .values_list("id", "variant", "number", "start_minute", "end_minute"),
        await models.TimetableSlot.filter(school_class__school_id__in=schools)
        .order_by("id")
        .values_list("id", "teacher_id", "weekday", "period", "room", "valid_to"),
        await models.Lesson.filter(school_class__school_id__in=schools)
        .order_by("id")
        .values_list("id", "status", "teacher_id", "original_teacher_id", "cancel_reason", "starts_at", "ends_at"),
        await models.NotificationDelivery.filter(notification_id__in=[n.id for n in world.notifications])
        .order_by("id")
        .values_list("id", "status", "attempts", "next_attempt_at"),
    ]
