"""Handing work in for homework (README "Hand-in"): a student hands in text and files, before or
after the due time (the start of the homework's due lesson; after it the work is LATE); a
teacher who sets homework for that lesson returns it with a comment (the student may hand it in
again) or grades it: the grade goes to the journal on the due lesson through the grade service
(``grades.check_rows`` / ``grades.write_grades``: revisions, roll-ups, audit and GRADE_ADDED as
for ``gradeCreate``), linked from the submission.

One row per student and homework: a new hand-in replaces the text and files and counts the
attempt up; the audit trail keeps every hand-in, return and grade (ids, statuses, attempts and
dates, never the text). Graded work is closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, files, grades, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, to_global_id, today_utc
from resolvers.errors import NotFound, Problem, comment_length, found_in, refuse
from resolvers.sessions import Context
from resolvers.text import clean

MAX_TEXT = 10000
MAX_COMMENT = 1000
OPEN = (models.SubmissionStatus.SUBMITTED, models.SubmissionStatus.LATE)


@dataclass(frozen=True)
class SubmitInput:
    homework_id: str
    text: str | None
    file_ids: Sequence[str] | None


@dataclass(frozen=True)
class GradeInput:
    submission_id: str
    value: str
    weight: int | None = None
    kind: models.GradeKind | None = None
    comment: str | None = None


def is_late(lesson: models.Lesson) -> bool:
    """Whether work handed in now is late: the due lesson (by its bells) has started."""
    return not before(lesson.starts_at)


def _check_text(raw: str, problems: list[Problem]) -> str:
    text = clean(raw, "text", problems, multiline=True)
    if len(text) > MAX_TEXT:
        problems.append(
            (
                "text",
                ErrorCode.TEXT_TOO_LONG,
                ngettext("Work has at most {n} character.", "Work has at most {n} characters.", MAX_TEXT),
            )
        )
    return text


async def _events(
    kind: EventKind, submission: models.Submission, lesson: models.Lesson, class_id: int | None
) -> list[models.OutboxEvent]:
    return await outbox.record(
        [
            models.OutboxEvent(
                kind=kind,
                student_id=submission.student_id,
                school_class_id=class_id,
                homework_id=submission.homework_id,
                lesson_id=lesson.id,
                submission_id=submission.id,
            )
        ]
    )


async def _class_of(student_id: int, lesson: models.Lesson) -> int:
    """The class the student attended the lesson under (a cross-class group's lesson is filed
    under its home class): the class whose followers see the event."""
    attending = (await policy.students_of_lessons([lesson])).get(lesson.id, {})
    return attending.get(student_id, lesson.school_class_id)


async def submit(ctx: Context, data: SubmitInput) -> models.Submission:
    """Hand work in (or in again) for a homework of the viewer's own lesson."""
    homework = await found_in(
        policy.visible_homework(ctx.viewer),
        data.homework_id,
        "Homework",
        _("No such homework."),
        ErrorCode.HOMEWORK_NOT_FOUND,
    )
    lesson = await models.Lesson.get(id=homework.lesson_id)

    problems: list[Problem] = []
    student_id = await policy.submitting_student(ctx.viewer, lesson, today_utc())
    if student_id is None:
        problems.append(("homeworkId", ErrorCode.SUBMISSION_NOT_OPEN, _("This homework is not for you to hand in.")))
    existing = (
        await models.Submission.filter(homework_id=homework.id, student_id=student_id).first()
        if student_id is not None
        else None
    )
    if existing is not None and existing.status == models.SubmissionStatus.GRADED:
        problems.append(("homeworkId", ErrorCode.SUBMISSION_GRADED, _("The work was graded already.")))
    text = _check_text(data.text or "", problems)
    current = await files.attached_to(submission_id=existing.id) if existing is not None else []
    kept = await files.check_uploads(ctx, data.file_ids or [], problems, kept=current)
    if not text and not kept and not any(p[0] in ("text", "fileIds") for p in problems):
        problems.append(("text", ErrorCode.SUBMISSION_EMPTY, _("Write something or attach a file.")))
    if problems or student_id is None:
        raise refuse(problems)

    late = is_late(lesson)
    status = models.SubmissionStatus.LATE if late else models.SubmissionStatus.SUBMITTED
    class_id = await _class_of(student_id, lesson)
    try:
        row, rows, dropped = await _write_submission(
            ctx, homework, student_id, text, status, late, kept, current, lesson, class_id
        )
    except IntegrityError:  # a first hand-in from another device meanwhile (unique student + homework)
        raise refuse(
            [
                (
                    "homeworkId",
                    ErrorCode.SUBMISSION_CHANGED_MEANWHILE,
                    _("The work was handed in elsewhere meanwhile: reload it."),
                )
            ]
        ) from None
    await outbox.publish(ctx.broker, rows)
    await files.discard(ctx.settings, dropped)
    return row


async def _write_submission(
    ctx: Context,
    homework: models.Homework,
    student_id: int,
    text: str,
    status: models.SubmissionStatus,
    late: bool,
    kept: Sequence[models.StoredFile],
    current: Sequence[models.StoredFile],
    lesson: models.Lesson,
    class_id: int,
) -> tuple[models.Submission, list[models.OutboxEvent], list[str]]:
    """The hand-in's rows, files, audit entry and events, in one transaction."""
    async with in_transaction():
        row = await models.Submission.filter(homework_id=homework.id, student_id=student_id).select_for_update().first()
        if row is not None and row.status == models.SubmissionStatus.GRADED:  # graded meanwhile
            raise refuse([("homeworkId", ErrorCode.SUBMISSION_GRADED, _("The work was graded already."))])
        if row is None:
            row = await models.Submission.create(
                homework_id=homework.id,
                student_id=student_id,
                text=text,
                status=status,
                late=late,
                submitted_at=now_utc(),
            )
        else:
            row.text, row.status, row.late, row.submitted_at = text, status, late, now_utc()
            row.attempt += 1
            await row.save(update_fields=["text", "status", "late", "attempt", "submitted_at", "updated_at"])
        await files.attach(ctx, kept, submission_id=row.id)
        keep = {f.id for f in kept}
        dropped = await files.detach([f for f in current if f.id not in keep])
        details = {
            "homework": homework.id,
            "student": student_id,
            "status": status.value,
            "attempt": row.attempt,
            "late": late,
            "files": len(kept),
        }
        await audit.record(ctx.viewer, "submission.submit", "Submission", row.id, details)
        rows = await _events(EventKind.SUBMISSION_HANDED_IN, row, lesson, class_id)
    return row, rows, dropped


async def _taught(ctx: Context, submission_id: str) -> tuple[models.Submission, models.Lesson]:
    """The submission, if the viewer returns and grades it (``policy.taught_submissions``);
    anyone else, its student and their family included, finds nothing."""
    row = await found_in(
        policy.taught_submissions(ctx.viewer),
        submission_id,
        "Submission",
        _("No such hand-in."),
        ErrorCode.SUBMISSION_NOT_FOUND,
    )
    homework = await models.Homework.get(id=row.homework_id)
    return row, await models.Lesson.get(id=homework.lesson_id)


def _status_problems(row: models.Submission, *, returning: bool) -> list[Problem]:
    if row.status == models.SubmissionStatus.GRADED:
        return [("submissionId", ErrorCode.SUBMISSION_GRADED, _("The work was graded already."))]
    if returning and row.status == models.SubmissionStatus.RETURNED:
        return [
            (
                "submissionId",
                ErrorCode.SUBMISSION_RETURNED,
                _("The work was returned already and not handed in again."),
            )
        ]
    return []


async def _locked(row: models.Submission, *, returning: bool) -> models.Submission:
    """The row again, locked inside the transaction, refused if it changed meanwhile."""
    locked = await models.Submission.filter(id=row.id).select_for_update().first()
    if locked is None:
        raise NotFound(_("No such hand-in."), ErrorCode.SUBMISSION_NOT_FOUND)
    problems = _status_problems(locked, returning=returning)
    if not problems and locked.attempt != row.attempt:
        problems = [
            (
                "submissionId",
                ErrorCode.SUBMISSION_CHANGED_MEANWHILE,
                _("The student handed the work in again meanwhile: reload it."),
            )
        ]
    if problems:
        raise refuse(problems)
    return locked


async def return_work(ctx: Context, submission_id: str, comment: str) -> models.Submission:
    """Return handed-in work with a comment: the student may hand it in again."""
    row, lesson = await _taught(ctx, submission_id)
    problems = _status_problems(row, returning=True)
    text = clean(comment, "comment", problems, multiline=True, empty=(ErrorCode.TEXT_EMPTY, _("Say what to redo.")))
    comment_length(text, MAX_COMMENT, problems)
    if problems:
        raise refuse(problems)
    class_id = await _class_of(row.student_id, lesson)
    async with in_transaction():
        row = await _locked(row, returning=True)
        row.status, row.returned_at, row.returned_by_id, row.return_comment = (
            models.SubmissionStatus.RETURNED,
            now_utc(),
            ctx.viewer.user_id,
            text,
        )
        await row.save(update_fields=["status", "returned_at", "returned_by_id", "return_comment", "updated_at"])
        details = {
            "homework": row.homework_id,
            "student": row.student_id,
            "status": row.status.value,
            "attempt": row.attempt,
        }
        await audit.record(ctx.viewer, "submission.return", "Submission", row.id, details)
        rows = await _events(EventKind.SUBMISSION_RETURNED, row, lesson, class_id)
    await outbox.publish(ctx.broker, rows)
    return row


# The fields of a grade's input that a graded hand-in takes from the work itself.
WORK_FIELDS = ("lessonId", "studentId")


async def grade_work(ctx: Context, data: GradeInput) -> models.Submission:
    """Grade handed-in work: a grade in the journal on the homework's due lesson, linked both ways."""
    row, lesson = await _taught(ctx, data.submission_id)
    problems: list[Problem] = _status_problems(row, returning=False)
    grade_row = grades.GradeRow(
        student_id=to_global_id("Student", row.student_id),
        value=data.value,
        weight=data.weight,
        comment=data.comment,
        kind=data.kind,
    )
    valid, grade_problems = await grades.check_rows(ctx, lesson, [grade_row], many=False)
    # The lesson and the student come from the work: their problems are the work's field's.
    for p in grade_problems:
        if p.field in WORK_FIELDS:
            p.field = "submissionId"
    if problems or grade_problems:
        raise refuse([*problems, *grade_problems])
    class_id = await _class_of(row.student_id, lesson)
    assert ctx.viewer.user_id is not None  # a teacher: ``policy.taught_submissions`` found the row
    async with in_transaction():
        row = await _locked(row, returning=False)
        created, recorded = await grades.write_grades(ctx, ctx.viewer.user_id, lesson, valid)
        grade = created[0]
        row.status, row.grade_id, row.graded_at = models.SubmissionStatus.GRADED, grade.id, now_utc()
        await row.save(update_fields=["status", "grade_id", "graded_at", "updated_at"])
        details = {
            "homework": row.homework_id,
            "student": row.student_id,
            "status": row.status.value,
            "grade": grade.id,
            "lesson": lesson.id,
            "value": grade.value,
        }
        await audit.record(ctx.viewer, "submission.grade", "Submission", row.id, details)
        recorded += await _events(EventKind.SUBMISSION_GRADED, row, lesson, class_id)
    await outbox.publish(ctx.broker, recorded)
    return row


def before(instant: datetime) -> bool:
    """Whether now is before ``instant`` (the injectable clock)."""
    return now_utc() < instant
