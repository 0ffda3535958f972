"""Running a school's calendar: academic years and their terms (days off: ``days_off``,
bells: ``bells``), and the scope every calendar write shares.

School admins act on their own school, district admins on their district's schools; anyone
else is FORBIDDEN, and another school's year or term is not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, lesson_plan, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, today_utc
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context

MAX_NAME = 50
MAX_YEAR_DAYS = 366


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


def admin_schools(ctx: Context) -> Any:
    return Subquery(policy.administered_schools(ctx.viewer).values("id"))


async def admin_school(ctx: Context, global_id: str) -> models.School:
    return await found_in(
        policy.administered_schools(ctx.viewer), global_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )


async def _admin_year(ctx: Context, global_id: str) -> models.AcademicYear:
    return await found_in(
        models.AcademicYear.filter(school_id__in=admin_schools(ctx)),
        global_id,
        "AcademicYear",
        _("No such academic year."),
        ErrorCode.ACADEMIC_YEAR_NOT_FOUND,
    )


async def _admin_term(ctx: Context, global_id: str) -> models.Term:
    return await found_in(
        models.Term.filter(school_id__in=admin_schools(ctx)),
        global_id,
        "Term",
        _("No such term."),
        ErrorCode.TERM_NOT_FOUND,
    )


def clean_name(value: str, limit: int, problems: list[Problem]) -> str:
    cleaned = value.strip()
    if not cleaned:
        problems.append(("name", ErrorCode.NAME_REQUIRED, _("Give it a name.")))
    elif len(cleaned) > limit:
        problems.append(
            (
                "name",
                ErrorCode.NAME_TOO_LONG,
                ngettext("A name has at most {n} character.", "A name has at most {n} characters.", limit),
            )
        )
    return cleaned


def check_range(start: date, end: date, problems: list[Problem], longest: int = MAX_YEAR_DAYS) -> None:
    if end < start:
        problems.append(("endDate", ErrorCode.INVALID_RANGE, _("The end must not be before the start.")))
    elif (end - start).days + 1 > longest:
        problems.append(
            ("endDate", ErrorCode.RANGE_TOO_LONG, ngettext("At most {n} day.", "At most {n} days.", longest))
        )


# --- academic years ------------------------------------------------------------------


async def _check_year(
    school_id: int, name: str, start: date, end: date, problems: list[Problem], own: int | None
) -> None:
    others = await models.AcademicYear.filter(school_id=school_id).exclude(id=own or 0)
    if any(y.name == name for y in others):
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The school has another year of that name.")))
    if any(y.start_date <= end and start <= y.end_date for y in others):
        problems.append(
            ("startDate", ErrorCode.YEAR_OVERLAP, _("The dates overlap another academic year of the school."))
        )


async def create_year(ctx: Context, data: YearInput) -> models.AcademicYear:
    school = await admin_school(ctx, data.school_id or "")
    if data.start_date is None or data.end_date is None or data.name is None:
        raise refuse([("name", ErrorCode.INVALID_INPUT, _("Name, start and end are required."))])
    problems: list[Problem] = []
    name = clean_name(data.name, MAX_NAME, problems)
    check_range(data.start_date, data.end_date, problems)
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
    name = clean_name(data.name, MAX_NAME, problems) if data.name is not None else year.name
    start = data.start_date or year.start_date
    end = data.end_date or year.end_date
    check_range(start, end, problems)
    if not problems:
        await _check_year(year.school_id, name, start, end, problems, year.id)
        terms = await models.Term.filter(academic_year_id=year.id)
        if any(t.start_date < start or t.end_date > end for t in terms):
            problems.append(("endDate", ErrorCode.TERMS_OUTSIDE_YEAR, _("A term of the year would fall outside it.")))
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
        problems.append(("startDate", ErrorCode.OUTSIDE_ACADEMIC_YEAR, _("A term lies within its academic year.")))
    others = await models.Term.filter(academic_year_id=year.id).exclude(id=own or 0)
    if any(t.start_date <= end and start <= t.end_date for t in others):
        problems.append(("startDate", ErrorCode.TERM_OVERLAP, _("The dates overlap another term of the year.")))
    if any(t.name == name for t in others):
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The year has another term of that name.")))


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
        raise refuse([("name", ErrorCode.INVALID_INPUT, _("Name, start and end are required."))])
    problems: list[Problem] = []
    name = clean_name(data.name, MAX_NAME, problems)
    check_range(data.start_date, data.end_date, problems)
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
    name = clean_name(data.name, MAX_NAME, problems) if data.name is not None else term.name
    start, end = data.start_date or term.start_date, data.end_date or term.end_date
    check_range(start, end, problems)
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
        problems.append(("termId", ErrorCode.TERM_GRADES_GIVEN, _("Final grades were given for the term.")))
    classes = models.SchoolClass.filter(school_id=term.school_id).values("id")
    if await models.Grade.exists(
        school_class_id__in=Subquery(classes), date__gte=term.start_date, date__lte=term.end_date
    ):
        problems.append(("termId", ErrorCode.GRADES_IN_TERM, _("Grades were given during the term.")))
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
