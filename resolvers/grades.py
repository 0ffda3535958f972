"""Giving grades: one, or a whole class's for one lesson, all or nothing.

Validation first (every problem reported, with the row it belongs to), then one transaction
with the grades, their first revisions, the audit entries and the outbox events; the events
are published after commit."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, core, grades, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import Text, _, ngettext, now_utc, pk_of
from resolvers.errors import FieldProblem, NotFound, refuse
from resolvers.sessions import Context

MAX_COMMENT = 1000
MAX_REASON = 500
REASON_AFTER = timedelta(hours=24)
MAX_ROWS = 100


@dataclass(frozen=True)
class GradeRow:
    """One grade to give: the student and what they get."""

    student_id: str
    value: str
    weight: int | None = None
    comment: str | None = None
    kind: models.GradeKind | None = None


@dataclass
class ValidGrade:
    """A grade row that passed its checks (``check_rows``), ready to write."""

    student_id: int
    mark: grades.Mark
    weight: int
    kind: models.GradeKind
    comment: str | None
    # the child's own class on the lesson's day: a cross-class group's lesson is filed under its
    # home class, its grades count in each member's class
    school_class_id: int


def clean_comment(raw: str | None) -> str | None:
    return (raw or "").strip() or None


def check_comment(field: str, comment: str | None) -> list[FieldProblem]:
    if comment is not None and len(comment) > MAX_COMMENT:
        return [
            FieldProblem(
                f"{field}comment",
                ngettext("A comment has at most {n} character.", "A comment has at most {n} characters.", MAX_COMMENT),
                ErrorCode.COMMENT_TOO_LONG,
            )
        ]
    return []


def check_weight_and_comment(field: str, weight: int, comment: str | None) -> list[FieldProblem]:
    problems = []
    if not grades.MIN_WEIGHT <= weight <= grades.MAX_WEIGHT:
        problems.append(
            FieldProblem(
                f"{field}weight",
                _(
                    "The weight is from {min_weight} to {max_weight}.",
                    min_weight=grades.MIN_WEIGHT,
                    max_weight=grades.MAX_WEIGHT,
                ),
                ErrorCode.INVALID_WEIGHT,
            )
        )
    return problems + check_comment(field, comment)


def check_reason(reason: str | None, created_at: datetime | None, what: Text) -> list[FieldProblem]:
    """A change to something a family has already seen (created at ``created_at``; None: not
    yet created): a reason of at most ``MAX_REASON`` characters, required once it is over
    ``REASON_AFTER`` old."""
    if reason is not None and len(reason) > MAX_REASON:
        return [
            FieldProblem(
                "reason",
                ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
                ErrorCode.REASON_TOO_LONG,
            )
        ]
    if reason is None and created_at is not None and now_utc() - created_at > REASON_AFTER:
        return [FieldProblem("reason", what, ErrorCode.REASON_REQUIRED)]
    return []


async def school_of_class(class_id: int) -> models.School:
    return await models.School.get(classes__id=class_id)


async def _grading(ctx: Context, lesson_id: str, student_id: str | None = None) -> policy.Grading:
    """The lesson as the viewer finds it (``policy.grading``: one statement, the same whether it
    is theirs, another's or none)."""
    pk = pk_of(student_id, "Student") if student_id is not None else None
    return await policy.grading(ctx.viewer, pk_of(lesson_id, "Lesson"), pk)


def _visible(found: policy.Grading) -> models.Lesson:
    if found.lesson is None or not found.visible:
        raise NotFound(_("No such lesson."), ErrorCode.LESSON_NOT_FOUND)
    return found.lesson


def _lesson_problems(lesson: models.Lesson, found: policy.Grading) -> list[FieldProblem]:
    problems = []
    if not found.may_grade:
        problems.append(
            FieldProblem("lessonId", _("You do not teach this subject in this class."), ErrorCode.NOT_ASSIGNED)
        )
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(FieldProblem("lessonId", _("The lesson was cancelled."), ErrorCode.LESSON_CANCELLED))
    if lesson.starts_at > now_utc():
        problems.append(FieldProblem("lessonId", _("The lesson has not started yet."), ErrorCode.LESSON_IN_FUTURE))
    return problems


async def create_grade(ctx: Context, lesson_id: str, row: GradeRow) -> models.Grade:
    """One grade. A student the teacher cannot see is STUDENT_NOT_FOUND, like a missing one."""
    teacher_id = ctx.viewer.id
    found = await _grading(ctx, lesson_id, row.student_id)
    pk = pk_of(row.student_id, "Student")
    # A substitute reaches the students of the lesson they give, and no others.
    if pk is None or not (found.student_visible or (found.gives and found.gradable({pk}))):
        raise NotFound(_("No such student."), ErrorCode.STUDENT_NOT_FOUND)
    lesson = _visible(found)
    (grade,) = await _create(ctx, teacher_id, lesson, [row], many=False, found=found)
    return grade


async def create_grades(ctx: Context, lesson_id: str, rows: list[GradeRow]) -> list[models.Grade]:
    """A class's grades for one lesson: all are written, or none (each refused row is
    reported as ``grades[i].<field>``)."""
    teacher_id = ctx.viewer.id
    found = await _grading(ctx, lesson_id)
    lesson = _visible(found)
    if not rows:
        raise refuse([FieldProblem("grades", _("Give at least one grade."), ErrorCode.NO_GRADES)])
    if len(rows) > MAX_ROWS:
        raise refuse(
            [
                FieldProblem(
                    "grades",
                    ngettext("At most {n} grade in one call.", "At most {n} grades in one call.", MAX_ROWS),
                    ErrorCode.TOO_MANY_GRADES,
                )
            ]
        )
    return await _create(ctx, teacher_id, lesson, rows, many=True, found=found)


async def _create(
    ctx: Context, teacher_id: int, lesson: models.Lesson, rows: list[GradeRow], *, many: bool, found: policy.Grading
) -> list[models.Grade]:
    valid, problems = await check_rows(ctx, lesson, rows, many=many, found=found)
    if problems:
        raise refuse(problems)
    async with in_transaction():
        created, recorded = await write_grades(ctx, teacher_id, lesson, valid)
    await outbox.publish(ctx.broker, recorded)
    return created


async def check_rows(
    ctx: Context, lesson: models.Lesson, rows: list[GradeRow], *, many: bool, found: policy.Grading | None = None
) -> tuple[list[ValidGrade], list[FieldProblem]]:
    """The grades to give in the lesson, checked whole: those that passed, and every problem
    (``grades[i].<field>`` when ``many``). Nothing is written. ``found``: the lesson as the
    viewer found it (``policy.grading``), when the caller has read it already."""
    if found is None:
        found = await policy.grading(ctx.viewer, lesson.id)
    school = found.school
    if school is None:  # the caller's lesson is gone
        raise NotFound(_("No such lesson."), ErrorCode.LESSON_NOT_FOUND)
    problems = _lesson_problems(lesson, found)
    pks = [pk_of(r.student_id, "Student") for r in rows]
    enrolled = found.gradable({pk for pk in pks if pk is not None})
    valid: list[ValidGrade] = []
    for i, (row, pk) in enumerate(zip(rows, pks, strict=True)):
        field = f"grades[{i}]." if many else ""
        if pk is None or pk not in enrolled:
            problems.append(
                FieldProblem(
                    f"{field}studentId",
                    _("The student was not in this class on the lesson's date."),
                    ErrorCode.STUDENT_NOT_IN_CLASS,
                )
            )
        mark = grades.parse(school, row.value)
        if mark is None:
            problems.append(
                FieldProblem(
                    f"{field}value",
                    _("A grade is {describe}.", describe=grades.describe(school)),
                    ErrorCode.INVALID_VALUE,
                )
            )
        kind = row.kind or models.GradeKind.CLASSWORK
        weight = grades.default_weight(school, kind) if row.weight is None else row.weight
        comment = clean_comment(row.comment)
        problems += check_weight_and_comment(field, weight, comment)
        if pk is not None and pk in enrolled and mark is not None:
            valid.append(ValidGrade(pk, mark, weight, kind, comment, enrolled[pk]))
    return valid, problems


def _details(student_id: int, lesson_id: int, value: str, weight: int) -> dict[str, int | str]:
    """What a grade's audit entry holds."""
    return {"student": student_id, "lesson": lesson_id, "value": value, "weight": weight}


async def write_grades(
    ctx: Context, teacher_id: int, lesson: models.Lesson, valid: list[ValidGrade]
) -> tuple[list[models.Grade], list[models.OutboxEvent]]:
    """Inside the caller's transaction: the checked grades (``check_rows``), their first
    revisions, roll-ups, audit entries and GRADE_ADDED events; the caller publishes the events
    after commit (``gradeCreate``, ``gradesCreate``, ``submissionGrade``). On PostgreSQL two
    statements whatever the number of grades (``_write_at_once``)."""
    if not valid:
        return [], []
    if core.dialect() == "postgres":
        return await _write_at_once(ctx, teacher_id, lesson, valid)
    async with grades.grades_changing(v.student_id for v in valid) as tally:
        created = await core.insert(
            [
                models.Grade(
                    student_id=item.student_id,
                    subject_id=lesson.subject_id,
                    school_class_id=item.school_class_id,
                    lesson_id=lesson.id,
                    teacher_id=teacher_id,
                    date=lesson.date,
                    value=item.mark.value,
                    numeric_value=item.mark.numeric,
                    weight=item.weight,
                    kind=item.kind,
                    comment=item.comment,
                )
                for item in valid
            ]
        )
        await tally.add([g.id for g in created])
        await models.GradeRevision.bulk_create(
            [
                models.GradeRevision(
                    grade_id=g.id,
                    action=models.RevisionAction.CREATED,
                    actor_id=teacher_id,
                    new_value=g.value,
                    new_weight=g.weight,
                    new_kind=g.kind.value,
                    new_comment=g.comment,
                )
                for g in created
            ]
        )
        await audit.record_many(
            [
                audit.entry(
                    ctx.viewer, "grade.create", "Grade", g.id, _details(g.student_id, lesson.id, g.value, g.weight)
                )
                for g in created
            ]
        )
        recorded = await outbox.record(
            [
                models.OutboxEvent(
                    kind=EventKind.GRADE_ADDED,
                    student_id=g.student_id,
                    school_class_id=g.school_class_id,
                    grade_id=g.id,
                    lesson_id=lesson.id,
                )
                for g in created
            ]
        )
    return created, recorded


async def _write_at_once(
    ctx: Context, teacher_id: int, lesson: models.Lesson, valid: list[ValidGrade]
) -> tuple[list[models.Grade], list[models.OutboxEvent]]:
    """PostgreSQL: ``write_grades`` in two statements: lock the students (their lowest marks are
    read after the lock: ``grades.added_grades``), then one statement that writes the grades,
    their revisions, audit entries and events, and the roll-ups, answering the grades with
    their events."""
    for item in valid:
        audit.check("grade.create", _details(item.student_id, lesson.id, item.mark.value, item.weight))
    await grades.lock_students(v.student_id for v in valid)
    viewer = ctx.viewer
    params: list[object] = [lesson.subject_id, lesson.id, teacher_id, lesson.date, now_utc()]
    params += [viewer.address or None, viewer.user_id]
    for item in valid:
        mark = item.mark
        params += [item.student_id, item.school_class_id, mark.value, mark.numeric, item.weight, item.kind.value]
        params.append(item.comment)
    rows = await core.fetch(_write_statement(len(valid)), params)
    created = [core.hydrate(models.Grade, row, "g_") for row in rows]
    return created, outbox.recorded(rows, "e_")


# the parameters every row shares, then those of each row (``_write_at_once``)
_SHARED = ("subject_id", "lesson_id", "teacher_id", "date", "created_at")
_ROW = ("student_id", "school_class_id", "value", "numeric_value", "weight", "kind", "comment")


@functools.lru_cache(maxsize=MAX_ROWS)
def _write_statement(count: int) -> str:
    """The statement of ``_write_at_once`` for ``count`` grades: $1..$5 the values every grade
    shares, $6 and $7 the viewer's address and id (the audit entries'), then 7 values per grade."""
    shared = ", ".join(f"${n}" for n in range(1, len(_SHARED) + 1))
    first = len(_SHARED) + 3
    rows = ", ".join(
        "(" + ", ".join(f"${first + i * len(_ROW) + n}" for n in range(len(_ROW))) + f", {shared}, $5)"
        for i in range(count)
    )
    revision = (
        "INSERT INTO grade_revision (grade_id, action, actor_id, at, new_value, new_weight, new_kind, new_comment)"
        f" SELECT id, '{models.RevisionAction.CREATED.value}', teacher_id, created_at, value, weight, kind, comment"
        " FROM graded"
    )
    entries = audit.insert_from(
        "grade.create",
        "Grade",
        "graded",
        "id",
        _details_sql(),
        actor="$7",
        address="$6",
        at="created_at",
    )
    event_columns = {c: c for c in ("student_id", "school_class_id", "lesson_id")} | {"grade_id": "id"}
    events = outbox.insert_from(EventKind.GRADE_ADDED, "graded", event_columns, "created_at")
    return (
        f"WITH graded AS (INSERT INTO grade ({', '.join(_ROW)}, {', '.join(_SHARED)}, updated_at) VALUES {rows}"
        f" RETURNING *), revisions AS ({revision}), entries AS ({entries}), events AS ({events}),"
        f" {grades.added_grades('graded')}"
        f" SELECT {core.columns(models.Grade, 'g')}, {core.columns(models.OutboxEvent, 'e')}"
        " FROM graded g JOIN events e ON e.grade_id = g.id ORDER BY g.id"
    )


def _details_sql() -> dict[str, str]:
    """``_details`` as SQL over the grade rows written."""
    return {"student": "student_id", "lesson": "lesson_id", "value": "value", "weight": "weight"}
