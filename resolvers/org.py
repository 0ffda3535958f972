"""Running a school: its subjects and classes, by the school's admins (and the admins of its
district). Every write is scoped (another school's objects are "not found", exactly like ids
that do not exist), validated whole before anything is written, and audited with the school."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

import models
from resolvers import audit, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import Problem, found_in, refuse
from resolvers.schools import name_of
from resolvers.sessions import Context, Viewer

MAX_SUBJECT_NAME, MAX_LETTER = 100, 8
MIN_GRADE_LEVEL, MAX_GRADE_LEVEL = 0, 12

# --- subjects -----------------------------------------------------------------------


async def _administered_school(viewer: Viewer, school_id: str) -> models.School:
    return await found_in(
        policy.administered_schools(viewer), school_id, "School", _("No such school."), ErrorCode.SCHOOL_NOT_FOUND
    )


async def administered_subject(viewer: Viewer, subject_id: str) -> models.Subject:
    schools = policy.administered_schools(viewer).values("id")
    return await found_in(
        models.Subject.filter(school_id__in=Subquery(schools)),
        subject_id,
        "Subject",
        _("No such subject."),
        ErrorCode.SUBJECT_NOT_FOUND,
    )


async def administered_class(viewer: Viewer, class_id: str) -> models.SchoolClass:
    schools = policy.administered_schools(viewer).values("id")
    return await found_in(
        models.SchoolClass.filter(school_id__in=Subquery(schools)),
        class_id,
        "SchoolClass",
        _("No such class."),
        ErrorCode.CLASS_NOT_FOUND,
    )


async def create_subject(ctx: Context, school_id: str, name: str) -> models.Subject:
    school = await _administered_school(ctx.viewer, school_id)
    problems: list[Problem] = []
    text = name_of(name, "name", MAX_SUBJECT_NAME, problems)
    if text and await models.Subject.exists(school_id=school.id, name=text):
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The school already has a subject of that name.")))
    if problems:
        raise refuse(problems)
    async with in_transaction():
        subject = await models.Subject.create(school_id=school.id, name=text)
        await audit.record(ctx.viewer, "subject.create", "Subject", subject.id, {"name": text}, school_id=school.id)
    return subject


async def update_subject(ctx: Context, subject_id: str, name: str) -> models.Subject:
    subject = await administered_subject(ctx.viewer, subject_id)
    problems: list[Problem] = []
    text = name_of(name, "name", MAX_SUBJECT_NAME, problems)
    taken = models.Subject.filter(school_id=subject.school_id, name=text).exclude(id=subject.id)
    if text and await taken.exists():
        problems.append(("name", ErrorCode.NAME_TAKEN, _("The school already has a subject of that name.")))
    if problems:
        raise refuse(problems)
    if text != subject.name:
        old, subject.name = subject.name, text
        async with in_transaction():
            await subject.save(update_fields=["name"])
            await audit.record(
                ctx.viewer,
                "subject.update",
                "Subject",
                subject.id,
                {"name": {"from": old, "to": text}},
                school_id=subject.school_id,
            )
    return subject


async def archive_subject(ctx: Context, subject_id: str) -> models.Subject:
    """Archived, never deleted: its lessons, grades and journals stay; it only takes no new
    teaching assignments. Archiving again changes nothing."""
    subject = await administered_subject(ctx.viewer, subject_id)
    if subject.archived_at is None:
        async with in_transaction():
            changed = await models.Subject.filter(id=subject.id, archived_at__isnull=True).update(archived_at=now_utc())
            if changed:
                await audit.record(
                    ctx.viewer,
                    "subject.archive",
                    "Subject",
                    subject.id,
                    {"name": subject.name},
                    school_id=subject.school_id,
                )
        await subject.refresh_from_db()
    return subject


# --- classes ------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassSpec:
    """``homeroom_teacher_id``: ``None`` keeps it (or, on create, leaves none), ``""`` clears it."""

    grade_level: int | None = None
    letter: str | None = None
    academic_year: str | None = None
    homeroom_teacher_id: str | None = None


async def _teacher_of(school_id: int, user_id: str, path: str, problems: list[Problem]) -> int | None:
    """The user's id if they hold the TEACHER role at the school; anyone else, existing or not,
    is refused alike."""
    pk = pk_of(user_id, "User")
    if pk is None or not await models.RoleGrant.exists(user_id=pk, role=models.Role.TEACHER, school_id=school_id):
        problems.append((path, ErrorCode.NOT_A_TEACHER, _("Pick a teacher of the school.")))
        return None
    return pk


def _class_shape(spec: ClassSpec, klass: models.SchoolClass, problems: list[Problem]) -> None:
    if spec.grade_level is not None:
        klass.grade_level = spec.grade_level
        if not MIN_GRADE_LEVEL <= spec.grade_level <= MAX_GRADE_LEVEL:
            problems.append(
                (
                    "gradeLevel",
                    ErrorCode.INVALID_GRADE_LEVEL,
                    _(
                        "A grade level is from {min_grade_level} to {max_grade_level}.",
                        min_grade_level=MIN_GRADE_LEVEL,
                        max_grade_level=MAX_GRADE_LEVEL,
                    ),
                )
            )
    if spec.letter is not None:
        klass.letter = spec.letter.strip().upper()
        if not klass.letter:
            problems.append(("letter", ErrorCode.LETTER_EMPTY, _('Give the letter, e.g. "A".')))
        elif len(klass.letter) > MAX_LETTER:
            problems.append(
                (
                    "letter",
                    ErrorCode.LETTER_TOO_LONG,
                    ngettext("At most {n} character.", "At most {n} characters.", MAX_LETTER),
                )
            )


async def _class_clash(klass: models.SchoolClass, problems: list[Problem]) -> None:
    clash = models.SchoolClass.filter(
        academic_year_id=klass.academic_year_id, grade_level=klass.grade_level, letter=klass.letter
    )
    if klass.id is not None:
        clash = clash.exclude(id=klass.id)
    if await clash.exists():
        problems.append(("letter", ErrorCode.CLASS_EXISTS, _("The year already has a class {name}.", name=klass.name)))


async def create_class(ctx: Context, school_id: str, spec: ClassSpec) -> models.SchoolClass:
    school = await _administered_school(ctx.viewer, school_id)
    problems: list[Problem] = []
    klass = models.SchoolClass(school_id=school.id)
    _class_shape(spec, klass, problems)
    year = await models.AcademicYear.filter(school_id=school.id, name=(spec.academic_year or "").strip()).first()
    if year is None:
        problems.append(
            ("academicYear", ErrorCode.ACADEMIC_YEAR_NOT_FOUND, _("The school has no academic year of that name."))
        )
    else:
        klass.academic_year_id = year.id
    if spec.homeroom_teacher_id:
        klass.homeroom_teacher_id = await _teacher_of(
            school.id, spec.homeroom_teacher_id, "homeroomTeacherId", problems
        )
    if not problems:
        await _class_clash(klass, problems)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        await klass.save()
        await audit.record(
            ctx.viewer,
            "class.create",
            "SchoolClass",
            klass.id,
            {"name": klass.name, "year": spec.academic_year, "homeroom": klass.homeroom_teacher_id},
            school_id=school.id,
        )
    return klass


async def update_class(ctx: Context, class_id: str, spec: ClassSpec) -> models.SchoolClass:
    klass = await administered_class(ctx.viewer, class_id)
    before = {"name": klass.name, "homeroom": klass.homeroom_teacher_id}
    problems: list[Problem] = []
    _class_shape(spec, klass, problems)
    if spec.homeroom_teacher_id == "":
        klass.homeroom_teacher_id = None
    elif spec.homeroom_teacher_id is not None:
        klass.homeroom_teacher_id = await _teacher_of(
            klass.school_id, spec.homeroom_teacher_id, "homeroomTeacherId", problems
        )
    if not problems and klass.name != before["name"]:
        await _class_clash(klass, problems)
    if problems:
        raise refuse(problems)
    after = {"name": klass.name, "homeroom": klass.homeroom_teacher_id}
    changed = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
    if changed:
        async with in_transaction():
            await klass.save(update_fields=["grade_level", "letter", "homeroom_teacher_id"])
            await audit.record(ctx.viewer, "class.update", "SchoolClass", klass.id, changed, school_id=klass.school_id)
    return klass
