"""Setting homework: assign, change, remove. Each write notifies every student of the class
(one outbox row per student, inserted in one statement, announced in one broker round trip)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, files, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc
from resolvers.errors import FieldProblem, NotFound, Problem, ValidationFailed, found_in, refuse
from resolvers.lesson_topics import visible_lesson
from resolvers.sessions import Context
from resolvers.text import clean

MAX_TEXT = 5000
MAX_LINKS = 10
MAX_LINK = 500


@dataclass(frozen=True)
class AssignInput:
    lesson_id: str
    assigned_in_lesson_id: str | None
    text: str
    links: list[str] | None
    file_ids: Sequence[str] | None = None


@dataclass(frozen=True)
class UpdateInput:
    homework_id: str
    text: str | None
    links: list[str] | None
    lesson_id: str | None
    file_ids: Sequence[str] | None = None


def _check_text(text: str, problems: list[Problem]) -> str:
    cleaned = clean(text, "text", problems, multiline=True, empty=(ErrorCode.TEXT_EMPTY, _("Write what to do.")))
    if len(cleaned) > MAX_TEXT:
        problems.append(
            (
                "text",
                ErrorCode.TEXT_TOO_LONG,
                ngettext(
                    "Homework text has at most {n} character.", "Homework text has at most {n} characters.", MAX_TEXT
                ),
            )
        )
    return cleaned


def _is_web_url(link: str) -> bool:
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in link)


def _check_links(links: list[str], problems: list[Problem]) -> list[str]:
    cleaned = [link.strip() for link in links]
    if len(cleaned) > MAX_LINKS:
        problems.append(
            ("links", ErrorCode.TOO_MANY_LINKS, ngettext("At most {n} link.", "At most {n} links.", MAX_LINKS))
        )
    for link in cleaned:
        if len(link) > MAX_LINK:
            problems.append(
                (
                    "links",
                    ErrorCode.LINK_TOO_LONG,
                    ngettext("A link has at most {n} character.", "A link has at most {n} characters.", MAX_LINK),
                )
            )
            break
        if not _is_web_url(link):
            problems.append(
                ("links", ErrorCode.INVALID_LINK, _("Not an absolute http(s) address: {value!r}.", value=link[:100]))
            )
            break
    return cleaned


def _check_lessons(lesson: models.Lesson, assigned_in: models.Lesson | None, problems: list[Problem]) -> None:
    if lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", ErrorCode.LESSON_CANCELLED, _("The lesson it is due for was cancelled.")))
    if assigned_in is None:
        return
    if (assigned_in.school_class_id, assigned_in.subject_id) != (lesson.school_class_id, lesson.subject_id):
        problems.append(
            (
                "assignedInLessonId",
                ErrorCode.ASSIGNED_IN_MISMATCH,
                _("It was set in a lesson of another class or subject."),
            )
        )
    elif assigned_in.starts_at >= lesson.starts_at:
        problems.append(
            (
                "assignedInLessonId",
                ErrorCode.ASSIGNED_IN_AFTER_DUE,
                _("It must be set in a lesson before the one it is due for."),
            )
        )


async def _write_events(kind: str, homework: models.Homework, lesson: models.Lesson) -> list[models.OutboxEvent]:
    """One outbox row per student the lesson is for (``policy.students_of_lessons``: a group's
    lesson, its members on its date), under the class each is enrolled in."""
    students = (await policy.students_of_lessons([lesson])).get(lesson.id, {})
    return await outbox.record(
        [
            models.OutboxEvent(
                kind=kind,
                student_id=s,
                school_class_id=c,
                homework_id=homework.id,
                lesson_id=lesson.id,
            )
            for s, c in sorted(students.items())
        ]
    )


async def assign_homework(ctx: Context, data: AssignInput) -> models.Homework:
    teacher_id = ctx.viewer.id
    lesson = await visible_lesson(ctx, data.lesson_id)
    assigned_in = None
    if data.assigned_in_lesson_id is not None:
        assigned_in = await visible_lesson(ctx, data.assigned_in_lesson_id)

    problems: list[Problem] = []
    if not await policy.can_set_homework(ctx.viewer, lesson):
        problems.append(("lessonId", ErrorCode.NOT_ASSIGNED, _("You do not teach this subject in this class.")))
    _check_lessons(lesson, assigned_in, problems)
    text = _check_text(data.text, problems)
    links = _check_links(data.links or [], problems)
    uploads = await files.check_uploads(ctx, data.file_ids or [], problems)
    if problems:
        raise refuse(problems)

    async with in_transaction():
        homework = await models.Homework.create(
            lesson_id=lesson.id,
            assigned_in_id=assigned_in.id if assigned_in else None,
            text=text,
            links=links,
            assigned_by_id=teacher_id,
        )
        await files.attach(ctx, uploads, homework_id=homework.id)
        details = {"lesson": lesson.id, "assigned_in": homework.assigned_in_id, "files": len(uploads)}
        await audit.record(ctx.viewer, "homework.assign", "Homework", homework.id, details)
        rows = await _write_events(EventKind.HOMEWORK_ASSIGNED, homework, lesson)
    await outbox.publish(ctx.broker, rows)
    return homework


async def _own_homework(ctx: Context, global_id: str) -> tuple[models.Homework, models.Lesson]:
    """The homework (not removed, visible) and its lesson, if the viewer may change it;
    a teacher who may not change it is told so, anyone else finds nothing."""
    homework = await found_in(
        policy.visible_homework(ctx.viewer), global_id, "Homework", _("No such homework."), ErrorCode.HOMEWORK_NOT_FOUND
    )
    lesson = await models.Lesson.get(id=homework.lesson_id)
    if not await policy.can_change_homework(ctx.viewer, homework, lesson):
        raise ValidationFailed(
            _("Only its author or a teacher of this class and subject can change it."),
            ErrorCode.NOT_ASSIGNED,
            [
                FieldProblem(
                    "homeworkId",
                    _("You did not set it and do not teach this subject in this class."),
                    ErrorCode.NOT_ASSIGNED,
                )
            ],
        )
    return homework, lesson


async def update_homework(ctx: Context, data: UpdateInput) -> models.Homework:
    homework, lesson = await _own_homework(ctx, data.homework_id)
    if data.text is None and data.links is None and data.lesson_id is None and data.file_ids is None:
        raise ValidationFailed(
            _("Nothing to change."),
            ErrorCode.NOTHING_TO_CHANGE,
            [FieldProblem("input", _("Give `text`, `links`, `fileIds` or `lessonId`."), ErrorCode.NOTHING_TO_CHANGE)],
        )
    new_lesson = lesson if data.lesson_id is None else await visible_lesson(ctx, data.lesson_id)
    assigned_in = await models.Lesson.get_or_none(id=homework.assigned_in_id) if homework.assigned_in_id else None

    problems: list[Problem] = []
    if (new_lesson.school_class_id, new_lesson.subject_id) != (lesson.school_class_id, lesson.subject_id):
        problems.append(
            ("lessonId", ErrorCode.LESSON_MISMATCH, _("It moves only to a lesson of the same class and subject."))
        )
    elif new_lesson.id != lesson.id:
        _check_lessons(new_lesson, assigned_in, problems)
    text = homework.text if data.text is None else _check_text(data.text, problems)
    links = list(homework.links or []) if data.links is None else _check_links(data.links, problems)
    current = await files.attached_to(homework_id=homework.id)
    kept = current
    if data.file_ids is not None:
        kept = await files.check_uploads(ctx, data.file_ids, problems, kept=current)
    if problems:
        raise refuse(problems)

    before = {
        "lesson": homework.lesson_id,
        "text": homework.text,
        "links": list(homework.links or []),
        "files": [f.id for f in current],
    }
    after = {"lesson": new_lesson.id, "text": text, "links": links, "files": [f.id for f in kept]}
    details = {  # the texts themselves stay out of the audit trail: which fields changed
        "before": {"lesson": homework.lesson_id},
        "after": {"lesson": new_lesson.id},
        "fields": [name for name in after if after[name] != before[name]],
    }
    async with in_transaction():
        homework.lesson_id, homework.text, homework.links = new_lesson.id, text, links
        await homework.save(update_fields=["lesson_id", "text", "links", "updated_at"])
        await files.attach(ctx, kept, homework_id=homework.id)
        keep = {f.id for f in kept}
        dropped = await files.detach([f for f in current if f.id not in keep])
        await audit.record(ctx.viewer, "homework.update", "Homework", homework.id, details)
        rows = await _write_events(EventKind.HOMEWORK_CHANGED, homework, new_lesson)
    await outbox.publish(ctx.broker, rows)
    await files.discard(ctx.settings, dropped)
    return homework


async def delete_homework(ctx: Context, homework_id: str) -> models.Homework:
    homework, lesson = await _own_homework(ctx, homework_id)
    async with in_transaction():
        # Conditional: of two concurrent removals only one writes the audit entry and events.
        removed = await models.Homework.filter(id=homework.id, deleted_at__isnull=True).update(deleted_at=now_utc())
        if not removed:
            raise NotFound(_("No such homework."), ErrorCode.HOMEWORK_NOT_FOUND)
        await homework.refresh_from_db()
        await audit.record(ctx.viewer, "homework.delete", "Homework", homework.id, {"lesson": lesson.id})
        rows = await _write_events(EventKind.HOMEWORK_REMOVED, homework, lesson)
    await outbox.publish(ctx.broker, rows)
    return homework
