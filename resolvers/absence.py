"""Parents' absence notices: whole days or chosen lessons their child misses. The lessons a
notice covers that no teacher has marked yet are pre-marked ABSENT_EXCUSED from it; a
teacher's later mark replaces the pre-mark, and removing the notice's days removes the
pre-marks that still come from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, core, files, grades, outbox, policy
from resolvers.attendance import CONFLICT, MAX_REASON
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc, pk_of, today_utc
from resolvers.errors import NotFound, Problem, found_in, refuse
from resolvers.sessions import Context

MAX_DAYS = 31
MAX_PAST_DAYS = 30
MAX_LESSONS = 50

Problems = list[Problem]


@dataclass(frozen=True)
class NoticeInput:
    student_id: str
    kind: models.AbsenceNoticeKind
    start: date | None
    end: date | None
    lesson_ids: list[str] | None
    reason: str
    file_ids: Sequence[str] | None = None


@dataclass
class Deleted:
    notice: models.AbsenceNotice | None
    days: list[date]


def _enrolled(enrollments: list[models.Enrollment], class_id: int, day: date) -> bool:
    return any(
        e.school_class_id == class_id and e.start_date <= day and (e.end_date is None or e.end_date >= day)
        for e in enrollments
    )


async def _by_day(
    data: NoticeInput, enrollments: list[models.Enrollment], problems: Problems
) -> tuple[list[date], list[models.Lesson]]:
    start, end = data.start, data.end
    if start is None or end is None:
        problems.append(("from", ErrorCode.RANGE_REQUIRED, _("A notice by day needs `from` and `to`.")))
        return [], []
    if data.lesson_ids:
        problems.append(
            ("lessonIds", ErrorCode.LESSONS_NOT_EXPECTED, _("A notice by day covers whole days: omit `lessonIds`."))
        )
    if end < start:
        problems.append(("to", ErrorCode.INVALID_RANGE, _("`to` must not be before `from`.")))
        return [], []
    if (end - start).days + 1 > MAX_DAYS:
        problems.append(
            (
                "to",
                ErrorCode.RANGE_TOO_LONG,
                ngettext("A notice covers at most {n} day.", "A notice covers at most {n} days.", MAX_DAYS),
            )
        )
        return [], []
    if start < today_utc() - timedelta(days=MAX_PAST_DAYS):
        problems.append(
            (
                "from",
                ErrorCode.NOTICE_TOO_OLD,
                ngettext(
                    "A notice reaches at most {n} day back.", "A notice reaches at most {n} days back.", MAX_PAST_DAYS
                ),
            )
        )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    lessons = await models.Lesson.filter(
        school_class_id__in=list({e.school_class_id for e in enrollments}),
        date__gte=start,
        date__lte=end,
        status=models.LessonStatus.SCHEDULED,
    ).order_by("date", "period", "id")
    return days, [x for x in lessons if _enrolled(enrollments, x.school_class_id, x.date)]


async def _by_lessons(
    data: NoticeInput, enrollments: list[models.Enrollment], problems: Problems
) -> list[models.Lesson]:
    if data.start is not None or data.end is not None:
        problems.append(
            ("from", ErrorCode.RANGE_NOT_EXPECTED, _("A notice for lessons takes `lessonIds`: omit `from` and `to`."))
        )
    ids = data.lesson_ids or []
    if not ids:
        problems.append(("lessonIds", ErrorCode.LESSONS_REQUIRED, _("Choose at least one lesson.")))
    if len(ids) > MAX_LESSONS:
        problems.append(
            (
                "lessonIds",
                ErrorCode.TOO_MANY_LESSONS,
                ngettext("A notice covers at most {n} lesson.", "A notice covers at most {n} lessons.", MAX_LESSONS),
            )
        )
        return []
    pks = [pk_of(i, "Lesson") for i in ids]
    found = {x.id: x for x in await models.Lesson.filter(id__in=[p for p in pks if p])}
    oldest = today_utc() - timedelta(days=MAX_PAST_DAYS)
    lessons: list[models.Lesson] = []
    for i, pk in enumerate(pks):
        at = f"lessonIds[{i}]"
        lesson = found.get(pk) if pk else None
        if lesson is None or not _enrolled(enrollments, lesson.school_class_id, lesson.date):
            problems.append((at, ErrorCode.LESSON_NOT_FOUND, _("No such lesson of the child's class.")))
        elif lesson in lessons:
            problems.append((at, ErrorCode.DUPLICATE_LESSON, _("The lesson is listed twice.")))
        elif lesson.status == models.LessonStatus.CANCELLED:
            problems.append((at, ErrorCode.LESSON_CANCELLED, _("The lesson was cancelled.")))
        elif lesson.date < oldest:
            problems.append(
                (
                    at,
                    ErrorCode.NOTICE_TOO_OLD,
                    ngettext(
                        "A notice reaches at most {n} day back.",
                        "A notice reaches at most {n} days back.",
                        MAX_PAST_DAYS,
                    ),
                )
            )
        else:
            lessons.append(lesson)
    return lessons


async def create_notice(ctx: Context, data: NoticeInput) -> models.AbsenceNotice:
    parent_id = ctx.viewer.id
    student = await found_in(
        policy.children(ctx.viewer), data.student_id, "Student", _("No such student."), ErrorCode.STUDENT_NOT_FOUND
    )
    problems: Problems = []
    reason = data.reason.strip()
    if not reason:
        problems.append(("reason", ErrorCode.REASON_REQUIRED, _("Say why the child is absent.")))
    elif len(reason) > MAX_REASON:
        problems.append(
            (
                "reason",
                ErrorCode.REASON_TOO_LONG,
                ngettext("A reason has at most {n} character.", "A reason has at most {n} characters.", MAX_REASON),
            )
        )
    uploads = await files.check_uploads(ctx, data.file_ids or [], problems)
    enrollments = await models.Enrollment.filter(student_id=student.id)
    items: list[tuple[date, int | None]]
    if data.kind == models.AbsenceNoticeKind.BY_DAY:
        days, lessons = await _by_day(data, enrollments, problems)
        items = [(d, None) for d in days]
    else:
        lessons = await _by_lessons(data, enrollments, problems)
        items = [(x.date, x.id) for x in lessons]
        days = sorted({x.date for x in lessons})
    try:
        async with in_transaction():
            # before the overlap check: notices for one child are written one at a time
            await core.lock_child(student.id)
            if days:
                _check_overlaps(
                    await models.AbsenceNoticeItem.filter(student_id=student.id, date__in=days), items, problems
                )
            if problems or not items:
                raise refuse(problems or [("lessonIds", ErrorCode.LESSONS_REQUIRED, _("Choose at least one lesson."))])
            notice, recorded = await _write(ctx, data, student, parent_id, reason, items, lessons, uploads)
    except IntegrityError:  # a teacher marked one of the lessons meanwhile (unique student + lesson)
        raise refuse([("studentId", ErrorCode.REGISTER_CHANGED, CONFLICT)]) from None
    await outbox.publish(ctx.broker, recorded)
    return notice


def _check_overlaps(
    taken: list[models.AbsenceNoticeItem], items: list[tuple[date, int | None]], problems: Problems
) -> None:
    """No day or lesson of the new notice is covered by another notice of the child."""
    whole_days = {i.date for i in taken if i.lesson_id is None}
    taken_lessons = {i.lesson_id for i in taken}
    for n, (day, lesson_id) in enumerate(items):
        if lesson_id is None and any(i.date == day for i in taken):
            problems.append(
                (
                    "from",
                    ErrorCode.NOTICE_OVERLAPS,
                    _("Another notice already covers {day}.", day=day.isoformat()),
                )
            )
            return
        if lesson_id is not None and (day in whole_days or lesson_id in taken_lessons):
            problems.append(
                (
                    f"lessonIds[{n}]",
                    ErrorCode.NOTICE_OVERLAPS,
                    _("Another notice already covers this lesson on {day}.", day=day),
                )
            )


async def _write(
    ctx: Context,
    data: NoticeInput,
    student: models.Student,
    parent_id: int,
    reason: str,
    items: list[tuple[date, int | None]],
    lessons: list[models.Lesson],
    uploads: Sequence[models.StoredFile] = (),
) -> tuple[models.AbsenceNotice, list[models.OutboxEvent]]:
    """The notice, its items, the pre-marks of the lessons nobody marked yet: inside the
    caller's transaction."""
    marked = {
        a.lesson_id
        for a in await models.Attendance.filter(student_id=student.id, lesson_id__in=[x.id for x in lessons])
    }
    fresh = [x for x in lessons if x.id not in marked]
    now = now_utc()
    notice = await models.AbsenceNotice.create(
        student_id=student.id,
        created_by_id=parent_id,
        kind=data.kind,
        start_date=min(d for d, _ in items),
        end_date=max(d for d, _ in items),
        reason=reason,
    )
    await models.AbsenceNoticeItem.bulk_create(
        [models.AbsenceNoticeItem(notice_id=notice.id, student_id=student.id, date=d, lesson_id=x) for d, x in items]
    )
    await models.Attendance.bulk_create(
        [
            models.Attendance(
                student_id=student.id,
                lesson_id=x.id,
                date=x.date,
                status=models.AttendanceStatus.ABSENT_EXCUSED,
                reason=reason,
                marked_by_id=parent_id,
                marked_at=now,
                notice_id=notice.id,
            )
            for x in fresh
        ]
    )
    await grades.attendance_of_notice(notice.id, 1)
    await models.AttendanceRevision.bulk_create(
        [
            models.AttendanceRevision(
                student_id=student.id,
                lesson_id=x.id,
                actor_id=parent_id,
                at=now,
                new_status=models.AttendanceStatus.ABSENT_EXCUSED.value,
                new_reason=reason,
            )
            for x in fresh
        ]
    )
    await files.attach(ctx, uploads, absence_notice_id=notice.id)
    details = {"student": student.id, "items": len(items), "premarked": [x.id for x in fresh], "files": len(uploads)}
    await audit.record(ctx.viewer, "absence_notice.create", "AbsenceNotice", notice.id, details)
    recorded = await _event(student.id, fresh)
    return notice, recorded


async def _event(student_id: int, lessons: list[models.Lesson]) -> list[models.OutboxEvent]:
    """One ATTENDANCE_MARKED event for the child (on the class stream of its first lesson)."""
    if not lessons:
        return []
    return await outbox.record(
        [
            models.OutboxEvent(
                kind=EventKind.ATTENDANCE_MARKED,
                student_id=student_id,
                school_class_id=lessons[0].school_class_id,
                lesson_id=lessons[0].id,
            )
        ]
    )


async def delete_notice(ctx: Context, notice_id: str, start: date | None, end: date | None) -> Deleted:
    parent_id = ctx.viewer.id
    notice: models.AbsenceNotice | None
    notice = await found_in(
        policy.own_absence_notices(ctx.viewer),
        notice_id,
        "AbsenceNotice",
        _("No such absence notice."),
        ErrorCode.NOTICE_NOT_FOUND,
    )
    notice_pk = notice.id
    dropped: list[str] = []
    async with in_transaction():
        await core.lock_child(notice.student_id)  # another withdrawal of the same notice waits, then reads what is left
        notice = await models.AbsenceNotice.filter(id=notice_pk).first()
        if notice is None:
            raise NotFound(_("No such absence notice."), ErrorCode.NOTICE_NOT_FOUND)
        first, last = start or notice.start_date, end or notice.end_date
        if last < first:
            raise refuse([("to", ErrorCode.INVALID_RANGE, _("`to` must not be before `from`."))])
        items = await models.AbsenceNoticeItem.filter(notice_id=notice.id)
        chosen = [i for i in items if first <= i.date <= last]
        days = sorted({i.date for i in chosen})
        if not chosen:
            raise refuse([("from", ErrorCode.NO_DAYS, _("The notice covers none of the chosen days."))])
        if days[0] < today_utc():
            raise refuse([("from", ErrorCode.NOTICE_IN_PAST, _("Days that have passed cannot be withdrawn."))])
        premarks = await models.Attendance.filter(notice_id=notice.id, date__in=days).select_for_update()
        await models.AttendanceRevision.bulk_create(
            [
                models.AttendanceRevision(
                    student_id=a.student_id,
                    lesson_id=a.lesson_id,
                    actor_id=parent_id,
                    at=now_utc(),
                    old_status=a.status.value,
                    old_late_minutes=a.late_minutes,
                    old_reason=a.reason,
                )
                for a in premarks
            ]
        )
        await grades.attendance_by_id([a.id for a in premarks], -1)
        await models.Attendance.filter(id__in=[a.id for a in premarks]).delete()
        await models.AbsenceNoticeItem.filter(id__in=[i.id for i in chosen]).delete()
        rest = [i for i in items if i not in chosen]
        if rest:
            notice.start_date, notice.end_date = min(i.date for i in rest), max(i.date for i in rest)
            await notice.save(update_fields=["start_date", "end_date"])
        else:
            dropped = await files.detach(await files.attached_to(absence_notice_id=notice.id))
            await notice.delete()
        details = {"days": [d.isoformat() for d in days], "unmarked": [a.lesson_id for a in premarks]}
        await audit.record(ctx.viewer, "absence_notice.delete", "AbsenceNotice", notice_pk, details)
        recorded: list[models.OutboxEvent] = []
        if premarks:
            lessons = await models.Lesson.filter(id__in=[a.lesson_id for a in premarks]).order_by("date", "period")
            recorded = await _event(notice.student_id, lessons)
    await outbox.publish(ctx.broker, recorded)
    await files.discard(ctx.settings, dropped)
    return Deleted(notice if rest else None, days)
