"""Running the weekly timetable: slots that generate the year's lessons and keep them in step.

Only school admins (their school) and district admins (their district's schools) write here;
anyone else is FORBIDDEN, and another school's class, slot or teacher is not found."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, pk_of, today_utc
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.sessions import Context

MAX_ROOM = 50
WEEKDAYS = range(1, 6)  # Monday to Friday: weekends never have lessons (see timetable.day_kind)
NOT_ASSIGNED = _("The teacher does not teach this subject in the class.")


@dataclass(frozen=True)
class SlotCreateInput:
    school_class_id: str
    subject_id: str
    teacher_id: str
    weekday: int
    period: int
    room: str | None
    valid_from: date | None
    valid_to: date | None
    group_id: str | None = None


@dataclass(frozen=True)
class SlotUpdateInput:
    """None leaves a field as it is; an empty ``room`` clears it."""

    slot_id: str
    teacher_id: str | None
    weekday: int | None
    period: int | None
    room: str | None
    valid_to: date | None


@dataclass
class SlotChange:
    """A slot after a write and what happened to its lessons."""

    slot: models.TimetableSlot
    report: lesson_plan.SyncReport


@dataclass
class SlotEnd:
    """An ended slot (None when it was deleted outright) and what happened to its lessons."""

    slot: models.TimetableSlot | None
    report: lesson_plan.SyncReport


async def _admin_class(ctx: Context, global_id: str) -> models.SchoolClass:
    return await found_in(
        policy.administered_classes(ctx.viewer),
        global_id,
        "SchoolClass",
        _("No such class."),
        ErrorCode.CLASS_NOT_FOUND,
    )


async def _admin_slot(ctx: Context, global_id: str) -> models.TimetableSlot:
    classes = policy.administered_classes(ctx.viewer).values("id")
    return await found_in(
        models.TimetableSlot.filter(school_class_id__in=Subquery(classes)),
        global_id,
        "TimetableSlot",
        _("No such timetable slot."),
        ErrorCode.SLOT_NOT_FOUND,
    )


async def school_teacher(ctx: Context, global_id: str, school_id: int, problems: list[Problem], at: str) -> int | None:
    """The id of a teacher of the school. A user the viewer cannot see is not found; a visible
    user who does not teach at the school is a problem of the input."""
    user = await found_in(
        policy.visible_users(ctx.viewer), global_id, "User", _("No such teacher."), ErrorCode.TEACHER_NOT_FOUND
    )
    if not await models.RoleGrant.exists(user_id=user.id, role=models.Role.TEACHER, school_id=school_id):
        problems.append((at, ErrorCode.NOT_A_TEACHER, _("They are not a teacher of the school.")))
    return int(user.id)


async def _bell_periods(school_id: int) -> set[int]:
    rows = await models.BellPeriod.filter(school_id=school_id, variant=models.BellVariant.REGULAR).values_list(
        "number", flat=True
    )
    return {int(str(n)) for n in rows}


def _check_place(weekday: int, period: int, periods: set[int], problems: list[Problem]) -> None:
    if weekday not in WEEKDAYS:
        problems.append(("weekday", ErrorCode.WEEKDAY_OUT_OF_RANGE, _("A weekday from 1 (Monday) to 5 (Friday).")))
    if period not in periods:
        problems.append(
            ("period", ErrorCode.PERIOD_NOT_IN_BELL_SCHEDULE, _("The school's bell schedule has no such period."))
        )


def _clean_room(room: str | None, problems: list[Problem]) -> str | None:
    if room is None:
        return None
    cleaned = room.strip()
    if len(cleaned) > MAX_ROOM:
        problems.append(
            (
                "room",
                ErrorCode.ROOM_TOO_LONG,
                ngettext("A room has at most {n} character.", "A room has at most {n} characters.", MAX_ROOM),
            )
        )
    return cleaned or None


async def _audiences(slots: list[models.TimetableSlot]) -> dict[int | None, set[int]]:
    """Each group's classes (one statement), and under ``None`` nothing: a class slot's
    audience is its own class."""
    group_ids = {s.group_id for s in slots if s.group_id is not None}
    links = await models.ClassGroupClass.filter(group_id__in=group_ids).values_list("group_id", "school_class_id")
    out: dict[int | None, set[int]] = defaultdict(set)
    for group_id, class_id in links:
        out[group_id].add(class_id)
    return out


def _clash(a: models.TimetableSlot, b: models.TimetableSlot, audiences: dict[int | None, set[int]]) -> bool:
    """Two slots at the same time share children: a class slot and anything of that class
    (or a group drawing from it), or the same group twice. Two different groups may meet at
    the same hour, as the groups of a split do."""
    if a.group_id is not None and b.group_id is not None:
        return a.group_id == b.group_id
    classes_a = audiences[a.group_id] if a.group_id is not None else {a.school_class_id}
    classes_b = audiences[b.group_id] if b.group_id is not None else {b.school_class_id}
    return bool(classes_a & classes_b)


async def _check_conflicts(
    slot: models.TimetableSlot, school_id: int, first: date, last: date, problems: list[Problem]
) -> None:
    """Refuse a second lesson of the class (or of the same group), of the teacher, or in the
    room at the same weekday and period over overlapping dates; two groups of one class may
    meet at the same hour. Run under the school's lock."""
    school_classes = models.SchoolClass.filter(school_id=school_id).values("id")
    others = await models.TimetableSlot.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first),
        school_class_id__in=Subquery(school_classes),
        weekday=slot.weekday,
        period=slot.period,
        valid_from__lte=last,
    ).exclude(id=slot.id or 0)
    audiences = await _audiences([slot, *others]) if slot.group_id or any(o.group_id for o in others) else {}
    if any(_clash(slot, o, defaultdict(set, audiences)) for o in others):
        problems.append(("period", ErrorCode.CLASS_BUSY, _("The class already has a lesson then.")))
    if any(o.teacher_id == slot.teacher_id for o in others):
        problems.append(("teacherId", ErrorCode.TEACHER_BUSY, _("The teacher already teaches another lesson then.")))
    if slot.room and any(
        o.room == slot.room and (o.school_class_id != slot.school_class_id or o.group_id or slot.group_id)
        for o in others
    ):
        problems.append(("room", ErrorCode.ROOM_TAKEN, _("Another class has a lesson in that room then.")))


async def _group_of(ctx: Context, global_id: str, klass: models.SchoolClass) -> models.ClassGroup:
    """A group the viewer runs that draws from ``klass``; any other is not found."""
    pk = pk_of(global_id, "ClassGroup")
    group = (
        await policy.administered_class_groups(ctx.viewer)
        .filter(id=pk, id__in=Subquery(models.ClassGroupClass.filter(school_class_id=klass.id).values("group_id")))
        .first()
        if pk
        else None
    )
    if group is None:
        raise NotFound(_("No such class group."), ErrorCode.GROUP_NOT_FOUND)
    return group


async def _assigned(teacher_id: int, class_id: int, subject_id: int, group_id: int | None) -> bool:
    """Whether the teacher may give the slot: assigned to the class + subject as a whole, or,
    for a group's slot, to that group."""
    whole = Q(group_id__isnull=True)
    return await models.TeachingAssignment.filter(
        whole | Q(group_id=group_id) if group_id is not None else whole,
        teacher_id=teacher_id,
        school_class_id=class_id,
        subject_id=subject_id,
    ).exists()


async def _year(klass: models.SchoolClass) -> models.AcademicYear:
    return await models.AcademicYear.get(id=klass.academic_year_id)


def _details(slot: models.TimetableSlot) -> dict[str, Any]:
    return {
        "class": slot.school_class_id,
        "subject": slot.subject_id,
        "teacher": slot.teacher_id,
        "weekday": slot.weekday,
        "period": slot.period,
        "room": slot.room,
        "validFrom": slot.valid_from.isoformat(),
        "validTo": slot.valid_to.isoformat() if slot.valid_to else None,
        "group": slot.group_id,
    }


async def _write_slot(
    ctx: Context,
    slot: models.TimetableSlot,
    klass: models.SchoolClass,
    year: models.AcademicYear,
    today: date,
    first: date,
    action: str,
    details: dict[str, Any],
) -> SlotChange:
    """A checked slot written under its school's lock: refused if it meets another lesson from
    ``first`` on, else saved, its lessons from ``today`` to the end of the year made to follow,
    and the write audited as ``action`` (``details``, then the lessons)."""
    problems: list[Problem] = []
    async with in_transaction():
        await lesson_plan.lock_school(klass.school_id)
        await _check_conflicts(slot, klass.school_id, first, slot.valid_to or year.end_date, problems)
        if problems:
            raise refuse(problems)
        await slot.save()
        report = await lesson_plan.sync_lessons([slot], today, year.end_date, reshape=True)
        await audit.record(
            ctx.viewer,
            action,
            "TimetableSlot",
            slot.id,
            {**details, "lessons": report.details()},
            school_id=klass.school_id,
        )
    return SlotChange(slot, report)


async def create_slot(ctx: Context, data: SlotCreateInput) -> SlotChange:
    klass = await _admin_class(ctx, data.school_class_id)
    group = await _group_of(ctx, data.group_id, klass) if data.group_id else None
    if group is not None:
        klass = await models.SchoolClass.get(id=group.home_class_id)  # a group's slots are filed under its home class
    subject = await found_in(
        models.Subject.filter(school_id=klass.school_id),
        data.subject_id,
        "Subject",
        _("No such subject."),
        ErrorCode.SUBJECT_NOT_FOUND,
    )
    problems: list[Problem] = []
    teacher_id = await school_teacher(ctx, data.teacher_id, klass.school_id, problems, "teacherId")
    if (
        teacher_id is not None
        and not problems
        and not await _assigned(teacher_id, klass.id, subject.id, group.id if group else None)
    ):
        problems.append(("teacherId", ErrorCode.TEACHER_NOT_ASSIGNED, NOT_ASSIGNED))
    _check_place(data.weekday, data.period, await _bell_periods(klass.school_id), problems)
    room = _clean_room(data.room, problems)
    year = await _year(klass)
    today = today_utc()
    valid_from = data.valid_from or min(max(today, year.start_date), year.end_date)
    if not year.start_date <= valid_from <= year.end_date:
        problems.append(
            ("validFrom", ErrorCode.OUTSIDE_ACADEMIC_YEAR, _("The slot must start within the class's academic year."))
        )
    if data.valid_to is not None and not valid_from <= data.valid_to <= year.end_date:
        problems.append(
            ("validTo", ErrorCode.INVALID_RANGE, _("The end must be after the start and within the academic year."))
        )
    slot = models.TimetableSlot(
        school_class_id=klass.id,
        subject_id=subject.id,
        teacher_id=teacher_id,
        weekday=data.weekday,
        period=data.period,
        room=room,
        valid_from=valid_from,
        valid_to=data.valid_to,
        group_id=group.id if group else None,
    )
    if group is not None and group.ended_on is not None and (data.valid_to or year.end_date) > group.ended_on:
        problems.append(("validTo", ErrorCode.GROUP_ENDED, _("The group has already ended by that day.")))
    if problems:
        raise refuse(problems)
    return await _write_slot(ctx, slot, klass, year, today, valid_from, "timetableSlot.create", _details(slot))


async def update_slot(ctx: Context, data: SlotUpdateInput) -> SlotChange:
    """Change the slot; its lessons from today on follow (past lessons are history and stay)."""
    slot = await _admin_slot(ctx, data.slot_id)
    klass = await models.SchoolClass.get(id=slot.school_class_id)
    year = await _year(klass)
    today = today_utc()
    before = _details(slot)
    problems: list[Problem] = []
    if data.teacher_id is not None:
        teacher_id = await school_teacher(ctx, data.teacher_id, klass.school_id, problems, "teacherId")
        if teacher_id is not None and not problems:
            if not await _assigned(teacher_id, klass.id, slot.subject_id, slot.group_id):
                problems.append(("teacherId", ErrorCode.TEACHER_NOT_ASSIGNED, NOT_ASSIGNED))
            slot.teacher_id = teacher_id
    slot.weekday = data.weekday if data.weekday is not None else slot.weekday
    slot.period = data.period if data.period is not None else slot.period
    _check_place(int(slot.weekday), int(slot.period), await _bell_periods(klass.school_id), problems)
    if data.room is not None:
        slot.room = _clean_room(data.room, problems)
    if data.valid_to is not None:
        if not max(slot.valid_from, today - timedelta(days=1)) <= data.valid_to <= year.end_date:
            problems.append(
                (
                    "validTo",
                    ErrorCode.INVALID_RANGE,
                    _("The end must be from yesterday on, after the start, within the year."),
                )
            )
        slot.valid_to = data.valid_to
    if problems:
        raise refuse(problems)
    first = max(slot.valid_from, today)
    details = {"before": before, "after": _details(slot)}
    return await _write_slot(ctx, slot, klass, year, today, first, "timetableSlot.update", details)


async def delete_slot(ctx: Context, slot_id: str) -> SlotEnd:
    """End the slot: its lessons from today on are removed, except those holding records
    (kept and reported). A slot that has not started yet is deleted outright; one that has
    is kept, ending yesterday, as the history of its past lessons."""
    slot = await _admin_slot(ctx, slot_id)
    klass = await models.SchoolClass.get(id=slot.school_class_id)
    year = await _year(klass)
    today = today_utc()
    before, slot_pk = _details(slot), slot.id
    async with in_transaction():
        await lesson_plan.lock_school(klass.school_id)
        report = await lesson_plan.sync_lessons([], today, year.end_date, reshape=True, retired=[slot])
        remaining: models.TimetableSlot | None
        if slot.valid_from < today:
            slot.valid_to = min(slot.valid_to or today, today - timedelta(days=1))
            await slot.save(update_fields=["valid_to"])
            remaining = slot
        else:
            await slot.delete()
            remaining = None
        await audit.record(
            ctx.viewer,
            "timetableSlot.delete",
            "TimetableSlot",
            slot_pk,
            {**before, "ended": remaining is not None, "lessons": report.details()},
            school_id=klass.school_id,
        )
    return SlotEnd(remaining, report)
