"""Planned assessments: a teacher of a lesson (``policy.can_plan_lesson``) announces that a
coming lesson holds a control work, a test, a dictation... (a grade kind) with a description,
changes it or calls it off. Families and students see it on the lesson (the diary, the journal,
``Student.upcomingAssessments``) and hear of each write live (ASSESSMENT_PLANNED, _CHANGED,
_CANCELLED to every student of the class); the day before, at the family's hour, a reminder
(``resolvers/reminders.py``). The assessment follows its lesson: a lesson that moves carries
it, a cancelled lesson hides it. The audit holds the lesson, the kind and which fields changed,
never the description."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

import models
from pubsub.broker import EventKind
from resolvers import audit, outbox, policy
from resolvers.codes import ErrorCode
from resolvers.core import _, ngettext, now_utc
from resolvers.errors import NotFound, Problem, refuse
from resolvers.lesson_topics import not_yours, topic_events, visible_lesson
from resolvers.sessions import Context
from resolvers.text import clean

MAX_DESCRIPTION = 1000
# Kinds of work that are announced ahead: not everyday classwork, homework or an oral answer.
NOT_ANNOUNCED = frozenset({models.GradeKind.CLASSWORK, models.GradeKind.HOMEWORK, models.GradeKind.ORAL})


@dataclass(frozen=True)
class PlanInput:
    lesson_id: str
    kind: models.GradeKind
    description: str


def _description(raw: str, problems: list[Problem]) -> str:
    text = clean(
        raw, "description", problems, multiline=True, empty=(ErrorCode.TEXT_EMPTY, _("Say what the assessment covers."))
    )
    if len(text) > MAX_DESCRIPTION:
        problems.append(
            (
                "description",
                ErrorCode.TEXT_TOO_LONG,
                ngettext(
                    "A description has at most {n} character.",
                    "A description has at most {n} characters.",
                    MAX_DESCRIPTION,
                ),
            )
        )
    return text


async def _writable(ctx: Context, lesson_id: str, problems: list[Problem]) -> models.Lesson:
    """The lesson, if the viewer sees it; its refusals (not theirs, cancelled, started) into ``problems``."""
    lesson = await visible_lesson(ctx, lesson_id)
    if not await policy.can_plan_lesson(ctx.viewer, lesson):
        problems.append(not_yours())
    elif lesson.status == models.LessonStatus.CANCELLED:
        problems.append(("lessonId", ErrorCode.LESSON_CANCELLED, _("The lesson was cancelled.")))
    elif lesson.starts_at <= now_utc():
        problems.append(("lessonId", ErrorCode.LESSON_STARTED, _("Announce an assessment before its lesson starts.")))
    return lesson


async def _school_of(lesson: models.Lesson) -> int:
    klass = await models.SchoolClass.get(id=lesson.school_class_id)
    return klass.school_id


async def plan(ctx: Context, data: PlanInput) -> models.PlannedAssessment:
    """Announce the lesson's assessment, or change the one announced."""
    problems: list[Problem] = []
    lesson = await _writable(ctx, data.lesson_id, problems)
    if data.kind in NOT_ANNOUNCED:
        problems.append(
            (
                "kind",
                ErrorCode.ASSESSMENT_KIND_INVALID,
                _("Announce a quiz, test, dictation, lab work, project, control work or exam."),
            )
        )
    description = _description(data.description, problems)
    if problems:
        raise refuse(problems)
    school_id = await _school_of(lesson)
    async with in_transaction():
        row = await models.PlannedAssessment.filter(lesson_id=lesson.id).select_for_update().first()
        if row is not None and row.cancelled_at is None:
            changed = [
                name
                for name, old, new in (("kind", row.kind, data.kind), ("description", row.description, description))
                if old != new
            ]
            if not changed:
                return row
            before = {"kind": row.kind.value}
            row.kind, row.description = data.kind, description
            await row.save(update_fields=["kind", "description", "updated_at"])
            details = {"lesson": lesson.id, "before": before, "after": {"kind": data.kind.value}, "fields": changed}
            await audit.record(
                ctx.viewer, "assessment.update", "PlannedAssessment", row.id, details, school_id=school_id
            )
            kind = EventKind.ASSESSMENT_CHANGED
        else:
            if row is None:
                row = await models.PlannedAssessment.create(
                    lesson_id=lesson.id, kind=data.kind, description=description, planned_by_id=ctx.viewer.user_id
                )
            else:  # called off before, announced again
                row.kind, row.description, row.cancelled_at = data.kind, description, None
                row.planned_by_id = ctx.viewer.user_id or row.planned_by_id
                await row.save(update_fields=["kind", "description", "cancelled_at", "planned_by_id", "updated_at"])
            details = {"lesson": lesson.id, "kind": data.kind.value}
            await audit.record(ctx.viewer, "assessment.plan", "PlannedAssessment", row.id, details, school_id=school_id)
            kind = EventKind.ASSESSMENT_PLANNED
        rows = await topic_events(kind, [lesson])
    await outbox.publish(ctx.broker, rows)
    return row


async def cancel(ctx: Context, lesson_id: str) -> models.PlannedAssessment:
    """Call off the lesson's announced assessment."""
    problems: list[Problem] = []
    lesson = await _writable(ctx, lesson_id, problems)
    row = await models.PlannedAssessment.filter(lesson_id=lesson.id, cancelled_at__isnull=True).first()
    if row is None and not problems:
        raise NotFound(_("No assessment is announced for that lesson."), ErrorCode.ASSESSMENT_NOT_FOUND)
    if problems or row is None:
        raise refuse(problems)
    school_id = await _school_of(lesson)
    async with in_transaction():
        # Conditional: of two concurrent cancellations only one writes the audit entry and events.
        done = await models.PlannedAssessment.filter(id=row.id, cancelled_at__isnull=True).update(
            cancelled_at=now_utc()
        )
        if not done:
            raise NotFound(_("No assessment is announced for that lesson."), ErrorCode.ASSESSMENT_NOT_FOUND)
        await row.refresh_from_db()
        details = {"lesson": lesson.id, "kind": row.kind.value}
        await audit.record(ctx.viewer, "assessment.cancel", "PlannedAssessment", row.id, details, school_id=school_id)
        rows = await topic_events(EventKind.ASSESSMENT_CANCELLED, [lesson])
    await outbox.publish(ctx.broker, rows)
    return row
