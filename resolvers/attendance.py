"""The register of a lesson: a teacher marks every student at once; each change of a mark is
kept as a revision and announced to the family."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, grades, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of
from resolvers.errors import Problem, found_in, refuse
from resolvers.sessions import Context

MAX_REASON = 500
CONFLICT = _("The register was changed at the same time by someone else; reload it and try again.")


@dataclass(frozen=True)
class MarkInput:
    student_id: str
    status: models.AttendanceStatus
    late_minutes: int | None
    reason: str | None


@dataclass(frozen=True)
class _Mark:
    student_id: int
    status: models.AttendanceStatus
    late_minutes: int | None
    reason: str | None


def lesson_minutes(lesson: models.Lesson) -> int:
    return max(1, int((lesson.ends_at - lesson.starts_at).total_seconds() // 60))


def same_mark(row: models.Attendance, mark: _Mark) -> bool:
    return (row.status, row.late_minutes, row.reason) == (mark.status, mark.late_minutes, mark.reason)


def revision(
    row: models.Attendance | None, mark: _Mark | None, lesson_id: int, student_id: int, actor_id: int
) -> models.AttendanceRevision:
    """The change from ``row`` (None: unmarked) to ``mark`` (None: the mark is removed)."""
    return models.AttendanceRevision(
        student_id=student_id,
        lesson_id=lesson_id,
        actor_id=actor_id,
        old_status=row.status.value if row else None,
        new_status=mark.status.value if mark else None,
        old_late_minutes=row.late_minutes if row else None,
        new_late_minutes=mark.late_minutes if mark else None,
        old_reason=row.reason if row else None,
        new_reason=mark.reason if mark else None,
    )


async def _check(lesson: models.Lesson, marks: list[MarkInput]) -> tuple[list[_Mark], list[Problem]]:
    problems: list[Problem] = []
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", ErrorCode.LESSON_CANCELLED, _("The lesson was cancelled.")))
    if lesson.starts_at > now_utc():
        problems.append(("lessonId", ErrorCode.LESSON_IN_FUTURE, _("The lesson has not started yet.")))
    if not marks:
        problems.append(("marks", ErrorCode.NO_MARKS, _("Mark at least one student.")))
    enrolled = await policy.attendees(lesson)
    minutes = lesson_minutes(lesson)
    seen: set[int] = set()
    parsed: list[_Mark] = []
    for i, mark in enumerate(marks):
        at = f"marks[{i}]"
        pk = pk_of(mark.student_id, "Student")
        if pk is None or pk not in enrolled:
            problems.append(
                (
                    f"{at}.studentId",
                    ErrorCode.STUDENT_NOT_IN_CLASS,
                    _("The student was not in this class on the lesson's date."),
                )
            )
        elif pk in seen:
            problems.append((f"{at}.studentId", ErrorCode.DUPLICATE_STUDENT, _("The student is listed twice.")))
        seen.add(pk or 0)
        late = mark.late_minutes
        if mark.status == models.AttendanceStatus.LATE:
            if late is None or not 1 <= late <= minutes:
                problems.append(
                    (
                        f"{at}.lateMinutes",
                        ErrorCode.INVALID_LATE_MINUTES,
                        ngettext(
                            "A late arrival is 1 to {n} minute late.",
                            "A late arrival is 1 to {n} minutes late.",
                            minutes,
                        ),
                    )
                )
        elif late is not None:
            problems.append(
                (f"{at}.lateMinutes", ErrorCode.LATE_MINUTES_NOT_LATE, _("Only a LATE mark has minutes late."))
            )
        reason = (mark.reason or "").strip() or None
        if reason is not None and len(reason) > MAX_REASON:
            problems.append(
                (
                    f"{at}.reason",
                    ErrorCode.REASON_TOO_LONG,
                    ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
                )
            )
        parsed.append(_Mark(pk or 0, mark.status, late, reason))
    return parsed, problems


async def mark_register(ctx: Context, lesson_id: str, marks: list[MarkInput]) -> models.Lesson:
    """Replace the marks of the listed students in one lesson, all or nothing."""
    teacher_id = ctx.viewer.id
    lesson = await found_in(
        policy.visible_lessons(ctx.viewer), lesson_id, "Lesson", _("No such lesson."), ErrorCode.LESSON_NOT_FOUND
    )
    if not await policy.can_mark(ctx.viewer, lesson):
        raise refuse([("lessonId", ErrorCode.NOT_ASSIGNED, _("You do not teach this lesson."))])
    parsed, problems = await _check(lesson, marks)
    if problems:
        raise refuse(problems)

    try:
        recorded = await _write(ctx, lesson, parsed, teacher_id)
    except IntegrityError:  # a concurrent mark of the same student (unique student + lesson)
        raise refuse([("lessonId", ErrorCode.REGISTER_CHANGED, CONFLICT)]) from None
    await outbox.publish(ctx.broker, recorded)
    return lesson


async def _write(ctx: Context, lesson: models.Lesson, parsed: list[_Mark], teacher_id: int) -> list[models.OutboxEvent]:
    changed: list[int] = []
    async with in_transaction():
        # Rows locked (PostgreSQL) so that each revision's "old" is what it replaces; a row
        # inserted meanwhile by someone else trips the unique (student, lesson) constraint.
        marked = models.Attendance.filter(lesson_id=lesson.id, student_id__in=[m.student_id for m in parsed])
        existing = {a.student_id: a for a in await marked.select_for_update()}
        replaced = [
            m.student_id for m in parsed if m.student_id in existing and not same_mark(existing[m.student_id], m)
        ]
        await grades.attendance(lesson.id, replaced, -1)  # out as they were
        revisions, added = [], []
        for mark in parsed:
            row = existing.get(mark.student_id)
            if row is not None and same_mark(row, mark):
                if row.notice_id is not None:  # the teacher confirms a parent's pre-mark: it is theirs now
                    row.notice_id, row.marked_by_id = None, teacher_id
                    await row.save(update_fields=["notice_id", "marked_by_id", "marked_at"])
                continue
            revisions.append(revision(row, mark, lesson.id, mark.student_id, teacher_id))
            changed.append(mark.student_id)
            if row is None:
                added.append(
                    models.Attendance(
                        student_id=mark.student_id,
                        lesson_id=lesson.id,
                        date=lesson.date,
                        status=mark.status,
                        late_minutes=mark.late_minutes,
                        reason=mark.reason,
                        marked_by_id=teacher_id,
                    )
                )
            else:
                row.status, row.late_minutes, row.reason = mark.status, mark.late_minutes, mark.reason
                row.marked_by_id, row.notice_id = teacher_id, None
                await row.save()
        if added:  # a first register (every class's, after the first bell): one statement, not one a student
            await models.Attendance.bulk_create(added)
        await grades.attendance(lesson.id, changed, 1)  # in as they are now
        if not changed:
            return []
        await models.AttendanceRevision.bulk_create(revisions)
        marks = {str(m.student_id): m.status.value for m in parsed}
        await audit.record(ctx.viewer, "attendance.mark", "Lesson", lesson.id, {"students": changed, "marks": marks})
        return await outbox.record(
            [
                models.OutboxEvent(
                    kind=EventKind.ATTENDANCE_MARKED,
                    student_id=student_id,
                    school_class_id=lesson.school_class_id,
                    lesson_id=lesson.id,
                )
                for student_id in changed
            ]
        )
