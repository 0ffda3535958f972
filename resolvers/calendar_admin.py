"""Running a school's calendar: academic years, their terms, holidays and vacations.

School admins act on their own school, district admins on their district's schools; anyone
else is FORBIDDEN, and another school's year, term or day off is not found. A day off changes
the lessons from today on (``lesson_plan``): the generated lessons on it are cancelled, those
holding records are kept and reported, and removing it restores them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan, policy
from resolvers.clock import today_utc
from resolvers.context import Context
from resolvers.errors import NotFound, Problem, refuse
from resolvers.ids import pk_of

MAX_NAME = 50
MAX_DAY_OFF_NAME = 200
MAX_YEAR_DAYS = 366
REFUSAL = "Only school and district admins can change the school calendar."


@dataclass(frozen=True)
class YearInput:
    """Create: ``school_id`` and every field. Update: ``year_id``; None leaves a field as it is."""

    school_id: str | None = None
    year_id: str | None = None
    name: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class TermInput:
    academic_year_id: str | None = None
    term_id: str | None = None
    name: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class DayOffInput:
    school_id: str | None = None
    day_off_id: str | None = None
    kind: models.DayOffKind | None = None
    name: str | None = None
    start_date: date | None = None
    end_date: date | None = None


@dataclass
class DayOffChange:
    day_off: models.DayOff
    report: lesson_plan.SyncReport


def _schools(ctx: Context) -> Any:
    return Subquery(policy.administered_schools(ctx.viewer).values("id"))


async def admin_school(ctx: Context, global_id: str) -> models.School:
    await policy.require_admin(ctx.viewer, REFUSAL)
    pk = pk_of(global_id, "School")
    school = await policy.administered_schools(ctx.viewer).filter(id=pk).first() if pk else None
    if school is None:
        raise NotFound("No such school.", "SCHOOL_NOT_FOUND")
    return school


async def _admin_year(ctx: Context, global_id: str) -> models.AcademicYear:
    await policy.require_admin(ctx.viewer, REFUSAL)
    pk = pk_of(global_id, "AcademicYear")
    year = await models.AcademicYear.filter(id=pk, school_id__in=_schools(ctx)).first() if pk else None
    if year is None:
        raise NotFound("No such academic year.", "ACADEMIC_YEAR_NOT_FOUND")
    return year


async def _admin_term(ctx: Context, global_id: str) -> models.Term:
    await policy.require_admin(ctx.viewer, REFUSAL)
    pk = pk_of(global_id, "Term")
    term = await models.Term.filter(id=pk, school_id__in=_schools(ctx)).first() if pk else None
    if term is None:
        raise NotFound("No such term.", "TERM_NOT_FOUND")
    return term


async def _admin_day_off(ctx: Context, global_id: str) -> models.DayOff:
    await policy.require_admin(ctx.viewer, REFUSAL)
    pk = pk_of(global_id, "DayOff")
    day_off = await models.DayOff.filter(id=pk, school_id__in=_schools(ctx)).first() if pk else None
    if day_off is None:
        raise NotFound("No such day off.", "DAY_OFF_NOT_FOUND")
    return day_off


def _name(value: str, limit: int, problems: list[Problem]) -> str:
    cleaned = value.strip()
    if not cleaned:
        problems.append(("name", "NAME_REQUIRED", "Give it a name."))
    elif len(cleaned) > limit:
        problems.append(("name", "NAME_TOO_LONG", f"A name has at most {limit} characters."))
    return cleaned


def _range(start: date, end: date, problems: list[Problem], longest: int = MAX_YEAR_DAYS) -> None:
    if end < start:
        problems.append(("endDate", "INVALID_RANGE", "The end must not be before the start."))
    elif (end - start).days + 1 > longest:
        problems.append(("endDate", "RANGE_TOO_LONG", f"At most {longest} days."))


# --- academic years ------------------------------------------------------------------


async def _check_year(
    school_id: int, name: str, start: date, end: date, problems: list[Problem], own: int | None
) -> None:
    others = await models.AcademicYear.filter(school_id=school_id).exclude(id=own or 0)
    if any(y.name == name for y in others):
        problems.append(("name", "NAME_TAKEN", "The school has another year of that name."))
    if any(y.start_date <= end and start <= y.end_date for y in others):
        problems.append(("startDate", "YEAR_OVERLAP", "The dates overlap another academic year of the school."))


async def create_year(ctx: Context, data: YearInput) -> models.AcademicYear:
    school = await admin_school(ctx, data.school_id or "")
    if data.start_date is None or data.end_date is None or data.name is None:
        raise refuse([("name", "INVALID_INPUT", "Name, start and end are required.")])
    problems: list[Problem] = []
    name = _name(data.name, MAX_NAME, problems)
    _range(data.start_date, data.end_date, problems)
    if not problems:
        await _check_year(school.id, name, data.start_date, data.end_date, problems, None)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await lesson_plan.lock_school(school.id)
        year = await models.AcademicYear.create(
            school_id=school.id, name=name, start_date=data.start_date, end_date=data.end_date
        )
        await audit.record(
            ctx.viewer,
            "academicYear.create",
            "AcademicYear",
            year.id,
            {"name": name, "start": str(year.start_date), "end": str(year.end_date)},
            school_id=school.id,
        )
    return year


async def update_year(ctx: Context, data: YearInput) -> tuple[models.AcademicYear, lesson_plan.SyncReport]:
    """Rename or move a year. Its terms must stay inside; a new end extends or trims the
    lessons of its classes' timetable from today on."""
    year = await _admin_year(ctx, data.year_id or "")
    problems: list[Problem] = []
    name = _name(data.name, MAX_NAME, problems) if data.name is not None else year.name
    start = data.start_date or year.start_date
    end = data.end_date or year.end_date
    _range(start, end, problems)
    if not problems:
        await _check_year(year.school_id, name, start, end, problems, year.id)
        terms = await models.Term.filter(academic_year_id=year.id)
        if any(t.start_date < start or t.end_date > end for t in terms):
            problems.append(("endDate", "TERMS_OUTSIDE_YEAR", "A term of the year would fall outside it."))
    if problems:
        raise refuse(problems)
    before = {"name": year.name, "start": str(year.start_date), "end": str(year.end_date)}
    old_end = year.end_date
    async with in_transaction():
        await lesson_plan.lock_school(year.school_id)
        year.name, year.start_date, year.end_date = name, start, end
        await year.save(update_fields=["name", "start_date", "end_date"])
        slots = await models.TimetableSlot.filter(school_class__academic_year_id=year.id).order_by("id")
        report = await lesson_plan.sync_lessons(slots, today_utc(), max(old_end, end), reshape=True)
        await audit.record(
            ctx.viewer,
            "academicYear.update",
            "AcademicYear",
            year.id,
            {"before": before, "after": {"name": name, "start": str(start), "end": str(end)}, **report.details()},
            school_id=year.school_id,
        )
    return year, report


# --- terms -------------------------------------------------------------------------------


async def _check_term(
    year: models.AcademicYear, name: str, start: date, end: date, problems: list[Problem], own: int | None
) -> None:
    if start < year.start_date or end > year.end_date:
        problems.append(("startDate", "OUTSIDE_ACADEMIC_YEAR", "A term lies within its academic year."))
    others = await models.Term.filter(academic_year_id=year.id).exclude(id=own or 0)
    if any(t.start_date <= end and start <= t.end_date for t in others):
        problems.append(("startDate", "TERM_OVERLAP", "The dates overlap another term of the year."))
    if any(t.name == name for t in others):
        problems.append(("name", "NAME_TAKEN", "The year has another term of that name."))


async def _renumber(year_id: int) -> None:
    """Terms are numbered 1, 2, ... in date order: one UPDATE for the year."""
    terms = await models.Term.filter(academic_year_id=year_id).order_by("start_date", "id")
    changed = []
    for number, term in enumerate(terms, start=1):
        if term.number != number:
            term.number = number
            changed.append(term)
    if changed:
        await models.Term.bulk_update(changed, fields=["number"])


async def create_term(ctx: Context, data: TermInput) -> models.Term:
    year = await _admin_year(ctx, data.academic_year_id or "")
    if data.start_date is None or data.end_date is None or data.name is None:
        raise refuse([("name", "INVALID_INPUT", "Name, start and end are required.")])
    problems: list[Problem] = []
    name = _name(data.name, MAX_NAME, problems)
    _range(data.start_date, data.end_date, problems)
    if not problems:
        await _check_term(year, name, data.start_date, data.end_date, problems, None)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        term = await models.Term.create(
            academic_year_id=year.id,
            school_id=year.school_id,
            name=name,
            number=0,
            start_date=data.start_date,
            end_date=data.end_date,
        )
        await _renumber(year.id)
        await audit.record(
            ctx.viewer,
            "term.create",
            "Term",
            term.id,
            {"year": year.id, "name": name, "start": str(term.start_date), "end": str(term.end_date)},
            school_id=year.school_id,
        )
    await term.refresh_from_db()
    return term


async def update_term(ctx: Context, data: TermInput) -> models.Term:
    term = await _admin_term(ctx, data.term_id or "")
    year = await models.AcademicYear.get(id=term.academic_year_id)
    problems: list[Problem] = []
    name = _name(data.name, MAX_NAME, problems) if data.name is not None else term.name
    start, end = data.start_date or term.start_date, data.end_date or term.end_date
    _range(start, end, problems)
    if not problems:
        await _check_term(year, name, start, end, problems, term.id)
    if problems:
        raise refuse(problems)
    before = {"name": term.name, "start": str(term.start_date), "end": str(term.end_date)}
    async with in_transaction():
        term.name, term.start_date, term.end_date = name, start, end
        await term.save(update_fields=["name", "start_date", "end_date"])
        await _renumber(year.id)
        await audit.record(
            ctx.viewer,
            "term.update",
            "Term",
            term.id,
            {"before": before, "after": {"name": name, "start": str(start), "end": str(end)}},
            school_id=term.school_id,
        )
    await term.refresh_from_db()
    return term


async def delete_term(ctx: Context, term_id: str) -> models.Term:
    """Refused once the term holds grades: final grades given for it (TERM_GRADES_GIVEN) or
    lesson grades of the school dated within it (GRADES_IN_TERM)."""
    term = await _admin_term(ctx, term_id)
    problems: list[Problem] = []
    if await models.TermGrade.exists(term_id=term.id):
        problems.append(("termId", "TERM_GRADES_GIVEN", "Final grades were given for the term."))
    classes = models.SchoolClass.filter(school_id=term.school_id).values("id")
    if await models.Grade.exists(
        school_class_id__in=Subquery(classes), date__gte=term.start_date, date__lte=term.end_date
    ):
        problems.append(("termId", "GRADES_IN_TERM", "Grades were given during the term."))
    if problems:
        raise refuse(problems)
    term_pk = term.id
    async with in_transaction():
        details = {"name": term.name, "start": str(term.start_date), "end": str(term.end_date)}
        await term.delete()
        await _renumber(term.academic_year_id)
        await audit.record(ctx.viewer, "term.delete", "Term", term_pk, details, school_id=term.school_id)
    term.id = term_pk
    return term


# --- days off ----------------------------------------------------------------------------


async def _check_day_off(school_id: int, start: date, end: date, problems: list[Problem]) -> None:
    inside = await models.AcademicYear.exists(school_id=school_id, start_date__lte=start, end_date__gte=end)
    if not inside:
        problems.append(("startDate", "OUTSIDE_ACADEMIC_YEAR", "A day off lies within one academic year."))


async def _sync_days(school_id: int, first: date, last: date) -> lesson_plan.SyncReport:
    """The school's lessons from ``first`` (not before today) to ``last`` after a calendar change."""
    first = max(first, today_utc())
    slots = await lesson_plan.school_slots(school_id, first, last)
    return await lesson_plan.sync_lessons(slots, first, last, reshape=False)


def _day_off_details(day_off: models.DayOff) -> dict[str, Any]:
    return {
        "kind": str(day_off.kind),
        "name": day_off.name,
        "start": str(day_off.start_date),
        "end": str(day_off.end_date),
    }


async def create_day_off(ctx: Context, data: DayOffInput) -> DayOffChange:
    school = await admin_school(ctx, data.school_id or "")
    if data.start_date is None or data.end_date is None or data.name is None or data.kind is None:
        raise refuse([("name", "INVALID_INPUT", "Kind, name, start and end are required.")])
    problems: list[Problem] = []
    name = _name(data.name, MAX_DAY_OFF_NAME, problems)
    _range(data.start_date, data.end_date, problems)
    if not problems:
        await _check_day_off(school.id, data.start_date, data.end_date, problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await lesson_plan.lock_school(school.id)
        day_off = await models.DayOff.create(
            school_id=school.id, kind=data.kind, name=name, start_date=data.start_date, end_date=data.end_date
        )
        report = await _sync_days(school.id, day_off.start_date, day_off.end_date)
        await audit.record(
            ctx.viewer,
            "dayOff.create",
            "DayOff",
            day_off.id,
            {**_day_off_details(day_off), "lessons": report.details()},
            school_id=school.id,
        )
    return DayOffChange(day_off, report)


async def update_day_off(ctx: Context, data: DayOffInput) -> DayOffChange:
    day_off = await _admin_day_off(ctx, data.day_off_id or "")
    problems: list[Problem] = []
    name = _name(data.name, MAX_DAY_OFF_NAME, problems) if data.name is not None else day_off.name
    start, end = data.start_date or day_off.start_date, data.end_date or day_off.end_date
    _range(start, end, problems)
    if not problems:
        await _check_day_off(day_off.school_id, start, end, problems)
    if problems:
        raise refuse(problems)
    before = _day_off_details(day_off)
    old_start, old_end = day_off.start_date, day_off.end_date
    async with in_transaction():
        await lesson_plan.lock_school(day_off.school_id)
        day_off.name, day_off.start_date, day_off.end_date = name, start, end
        day_off.kind = data.kind or day_off.kind
        await day_off.save(update_fields=["name", "start_date", "end_date", "kind"])
        report = await _sync_days(day_off.school_id, min(old_start, start), max(old_end, end))
        await audit.record(
            ctx.viewer,
            "dayOff.update",
            "DayOff",
            day_off.id,
            {"before": before, "after": _day_off_details(day_off), "lessons": report.details()},
            school_id=day_off.school_id,
        )
    return DayOffChange(day_off, report)


async def delete_day_off(ctx: Context, day_off_id: str) -> lesson_plan.SyncReport:
    """Remove a day off: the lessons it cancelled from today on are scheduled again and the
    missing ones generated; past lessons it cancelled stay cancelled, with its name as reason."""
    day_off = await _admin_day_off(ctx, day_off_id)
    today, day_off_pk = today_utc(), day_off.id
    async with in_transaction():
        await lesson_plan.lock_school(day_off.school_id)
        await models.Lesson.filter(day_off_id=day_off.id, date__lt=today).update(cancel_reason=day_off.name)
        restored = await models.Lesson.filter(day_off_id=day_off.id, date__gte=today).update(
            status=models.LessonStatus.SCHEDULED, day_off_id=None
        )
        details = _day_off_details(day_off)
        await day_off.delete()
        report = await _sync_days(day_off.school_id, day_off.start_date, day_off.end_date)
        report.restored += restored
        await audit.record(
            ctx.viewer,
            "dayOff.delete",
            "DayOff",
            day_off_pk,
            {**details, "lessons": report.details()},
            school_id=day_off.school_id,
        )
    return report
