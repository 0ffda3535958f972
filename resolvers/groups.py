"""Class groups (issue 21): a class split into groups, or a group of parallel classes'
children, with dated membership. Created, renamed, ended and their members moved by the
school's admins (and its district's), validated whole before anything is written, audited.

A move on day D ends the child's membership of the old group on D - 1 and opens one of the
new group on D, like a transfer between classes: the child's history in the old group stays.
A member is enrolled, on the day they join, in one of the group's classes."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, pk_of, today_utc
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.org import administered_class
from resolvers.schools import name_of
from resolvers.sessions import Context, Viewer

MAX_GROUP_NAME = 100
MAX_CLASSES = 20
MAX_MOVED = 200


async def administered_group(viewer: Viewer, group_id: str) -> models.ClassGroup:
    """The group if the viewer runs its school; any other id, existing or not, is not found."""
    return await found_in(
        policy.administered_class_groups(viewer),
        group_id,
        "ClassGroup",
        _("No such class group."),
        ErrorCode.GROUP_NOT_FOUND,
    )


async def _name(year_id: int | None, group_id: int | None, raw: str, problems: list[Problem]) -> str:
    text = name_of(raw, "name", MAX_GROUP_NAME, problems)
    taken = models.ClassGroup.filter(academic_year_id=year_id, name=text)
    if group_id is not None:
        taken = taken.exclude(id=group_id)
    if text and year_id is not None and await taken.exists():
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The academic year already has a group of that name.")))
    return text


async def create_group(ctx: Context, class_ids: list[str], name: str) -> models.ClassGroup:
    """A split of one class (one class named) or a cross-class group (several parallel
    classes); the first class named is the group's home class (its lessons' class)."""
    problems: list[Problem] = []
    if not class_ids:
        problems.append(("classIds", ErrorCode.CLASSES_EMPTY, _("Name at least one class.")))
    classes: list[models.SchoolClass] = []
    for class_id in dict.fromkeys(class_ids[:MAX_CLASSES]):
        classes.append(await administered_class(ctx.viewer, class_id))
    shapes = {(c.school_id, c.academic_year_id, c.grade_level) for c in classes}
    if len(shapes) > 1:
        problems.append(
            (
                "classIds",
                ErrorCode.GROUP_CLASSES_MIXED,
                _("A group's classes are parallel classes: one school, one academic year, one grade level."),
            )
        )
    home = classes[0] if classes else None
    text = await _name(home.academic_year_id if home else None, None, name, problems)
    if problems or home is None:
        raise refuse(problems)
    async with in_transaction():
        group = await models.ClassGroup.create(
            school_id=home.school_id,
            academic_year_id=home.academic_year_id,
            home_class_id=home.id,
            name=text,
            kind=models.GroupKind.SPLIT if len(classes) == 1 else models.GroupKind.CROSS_CLASS,
        )
        await models.ClassGroupClass.bulk_create(
            [models.ClassGroupClass(group_id=group.id, school_class_id=c.id) for c in classes]
        )
        await audit.record(
            ctx.viewer,
            "group.create",
            "ClassGroup",
            group.id,
            {"name": group.name, "kind": group.kind.value, "classes": [c.id for c in classes]},
            school_id=group.school_id,
        )
    return group


async def update_group(ctx: Context, group_id: str, name: str) -> models.ClassGroup:
    group = await administered_group(ctx.viewer, group_id)
    problems: list[Problem] = []
    text = await _name(group.academic_year_id, group.id, name, problems)
    if problems:
        raise refuse(problems)
    if text != group.name:
        old, group.name = group.name, text
        async with in_transaction():
            await group.save(update_fields=["name"])
            await audit.record(
                ctx.viewer,
                "group.update",
                "ClassGroup",
                group.id,
                {"name": {"from": old, "to": text}},
                school_id=group.school_id,
            )
    return group


async def end_group(ctx: Context, group_id: str, last_day: date) -> models.ClassGroup:
    """``last_day`` is the group's last day: its open memberships end then, and those that
    would only start later are dropped. Refused (GROUP_ENDED) when it already ended by then."""
    group = await administered_group(ctx.viewer, group_id)
    async with in_transaction():
        await models.ClassGroup.filter(id=group.id).select_for_update().first()
        await group.refresh_from_db()
        if group.ended_on is not None and group.ended_on <= last_day:
            raise refuse([("lastDay", ErrorCode.GROUP_ENDED, _("The group has already ended by that day."))])
        members = models.GroupMembership.filter(group_id=group.id)
        students = set(
            await members.filter(Q(end_date__isnull=True) | Q(end_date__gt=last_day)).values_list(
                "student_id", flat=True
            )
        )
        await members.filter(start_date__gt=last_day).delete()
        await members.filter(Q(end_date__isnull=True) | Q(end_date__gt=last_day)).update(end_date=last_day)
        group.ended_on = last_day
        await group.save(update_fields=["ended_on"])
        report = await _end_slots(group, last_day)
        await audit.record(
            ctx.viewer,
            "group.end",
            "ClassGroup",
            group.id,
            {"lastDay": last_day.isoformat(), "students": sorted(students), "lessons": report.details()},
            school_id=group.school_id,
        )
    return group


async def _end_slots(group: models.ClassGroup, last_day: date) -> lesson_plan.SyncReport:
    """The group's slots end on its last day; their lessons after it, from today on, go (those
    holding records are kept and reported), as when a slot is ended."""
    await lesson_plan.lock_school(group.school_id)
    slots = await models.TimetableSlot.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=last_day), group_id=group.id)
    for slot in slots:
        slot.valid_to = max(last_day, slot.valid_from)
        await slot.save(update_fields=["valid_to"])
    year = await models.AcademicYear.get(id=group.academic_year_id)
    first = max(today_utc(), last_day + timedelta(days=1))
    return await lesson_plan.sync_lessons(slots, first, year.end_date, reshape=True)


async def _students(viewer: Viewer, student_ids: list[str]) -> list[models.Student]:
    pks = [pk_of(s, "Student") for s in dict.fromkeys(student_ids[:MAX_MOVED])]
    schools = policy.administered_schools(viewer).values("id")
    found = {
        s.id: s
        for s in await models.Student.filter(id__in=[p for p in pks if p is not None], school_id__in=Subquery(schools))
    }
    if any(p is None or p not in found for p in pks):
        raise NotFound(_("No such student."), ErrorCode.STUDENT_NOT_FOUND)
    return [found[p] for p in pks if p is not None]


def _open_on(day: date) -> Q:
    return Q(end_date__isnull=True) | Q(end_date__gte=day)


async def _check_leave(
    student: models.Student, group: models.ClassGroup, day: date, path: str, problems: list[Problem]
) -> models.GroupMembership | None:
    row = (
        await models.GroupMembership.filter(_open_on(day), student_id=student.id, group_id=group.id)
        .order_by("start_date")
        .first()
    )
    if row is None or row.start_date >= day:
        problems.append((path, ErrorCode.NOT_IN_GROUP, _("The student is not in that group before that day.")))
        return None
    return row


async def _check_join(
    student: models.Student, group: models.ClassGroup, day: date, path: str, problems: list[Problem]
) -> None:
    classes = models.ClassGroupClass.filter(group_id=group.id).values("school_class_id")
    enrolled = models.Enrollment.filter(
        _open_on(day), student_id=student.id, start_date__lte=day, school_class_id__in=Subquery(classes)
    )
    if not await enrolled.exists():
        problems.append(
            (path, ErrorCode.NOT_IN_GROUP_CLASSES, _("On that day the student is in none of the group's classes."))
        )
    elif await models.GroupMembership.filter(_open_on(day), student_id=student.id, group_id=group.id).exists():
        problems.append((path, ErrorCode.ALREADY_IN_GROUP, _("The student is already in the group on that day.")))


async def move_members(
    ctx: Context, student_ids: list[str], to_group_id: str | None, from_group_id: str | None, day: date
) -> tuple[models.ClassGroup | None, models.ClassGroup | None]:
    """From ``day``: the students leave ``from_group`` (their membership ends the day before)
    and join ``to_group``; either may be omitted (join only, leave only), not both."""
    problems: list[Problem] = []
    to = await administered_group(ctx.viewer, to_group_id) if to_group_id else None
    source = await administered_group(ctx.viewer, from_group_id) if from_group_id else None
    students = await _students(ctx.viewer, student_ids)
    if to is None and source is None:
        problems.append(("toGroupId", ErrorCode.GROUP_NOT_FOUND, _("Name the group they join or leave.")))
    if to is not None and source is not None and to.id == source.id:
        problems.append(("fromGroupId", ErrorCode.GROUPS_SAME, _("The groups are the same.")))
    if not students:
        problems.append(("studentIds", ErrorCode.NOT_IN_GROUP, _("Name at least one student.")))
    for group, path in ((to, "toGroupId"), (source, "fromGroupId")):
        if group is not None and group.ended_on is not None and group.ended_on < day:
            problems.append((path, ErrorCode.GROUP_ENDED, _("The group has already ended by that day.")))
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await models.Student.filter(id__in=[s.id for s in students]).select_for_update().all()
        leaving: list[int] = []
        for i, student in enumerate(students):
            if source is not None:
                row = await _check_leave(student, source, day, f"studentIds[{i}]", problems)
                if row is not None:
                    leaving.append(row.id)
            if to is not None:
                await _check_join(student, to, day, f"studentIds[{i}]", problems)
        if problems:
            raise refuse(problems)
        if leaving:
            await models.GroupMembership.filter(id__in=leaving).update(end_date=day - timedelta(days=1))
        if to is not None:
            await models.GroupMembership.bulk_create(
                [models.GroupMembership(student_id=s.id, group_id=to.id, start_date=day) for s in students]
            )
        main = to or source
        assert main is not None
        await audit.record(
            ctx.viewer,
            "group.move",
            "ClassGroup",
            main.id,
            {
                "students": [s.id for s in students],
                "from": source.id if source else None,
                "to": to.id if to else None,
                "date": day.isoformat(),
            },
            school_id=main.school_id,
        )
    return to, source
