"""Per-request batch loaders. One ``Loaders`` per HTTP request (and per subscription event):
each batch function runs one statement and returns results in key order.

Loaders here do not check visibility: they serve nested fields, which inherit the
visibility of the object they hang off. Root lookups go through ``resolvers.policy``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tortoise.expressions import Q
from tortoise.models import Model

import models
from resolvers import averages, policy, sql
from resolvers.clock import today_utc
from resolvers.context import Viewer

M = TypeVar("M", bound=Model)
K = TypeVar("K")


@dataclass(frozen=True)
class RangeKey:
    """An owner id and an inclusive date range."""

    id: int
    start: date
    end: date


def _by_id(model: type[M]) -> Callable[[list[int]], Any]:
    async def load(ids: list[int]) -> list[M | None]:
        found = {obj.pk: obj for obj in await model.filter(id__in=set(ids))}
        return [found.get(i) for i in ids]

    return load


def _group(items: Iterable[M], key: Callable[[M], K]) -> dict[K, list[M]]:
    grouped: dict[K, list[M]] = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def _span(keys: Sequence[RangeKey]) -> tuple[list[int], date, date]:
    return list({k.id for k in keys}), min(k.start for k in keys), max(k.end for k in keys)


@dataclass
class DiaryRow:
    """One lesson of a student's diary with this student's attendance (if marked)."""

    student_id: int
    lesson: models.Lesson
    attendance: models.Attendance | None


_DIARY_SQL = """
SELECT e.student_id AS e_student_id,
       l.id AS l_id, l.school_class_id AS l_school_class_id, l.subject_id AS l_subject_id,
       l.teacher_id AS l_teacher_id, l.original_teacher_id AS l_original_teacher_id,
       l.date AS l_date, l.period AS l_period, l.starts_at AS l_starts_at, l.ends_at AS l_ends_at,
       l.room AS l_room, l.topic AS l_topic, l.status AS l_status,
       s.id AS s_id, s.school_id AS s_school_id, s.name AS s_name,
       u.id AS u_id, u.full_name AS u_full_name,
       c.id AS c_id, c.school_id AS c_school_id, c.academic_year_id AS c_academic_year_id,
       c.grade_level AS c_grade_level, c.letter AS c_letter, c.homeroom_teacher_id AS c_homeroom_teacher_id,
       a.id AS a_id, a.student_id AS a_student_id, a.lesson_id AS a_lesson_id, a.date AS a_date,
       a.status AS a_status, a.late_minutes AS a_late_minutes, a.reason AS a_reason,
       a.marked_by_id AS a_marked_by_id, a.marked_at AS a_marked_at
FROM enrollment e
JOIN lesson l ON l.school_class_id = e.school_class_id
     AND l.date >= e.start_date AND (e.end_date IS NULL OR l.date <= e.end_date)
JOIN subject s ON s.id = l.subject_id
JOIN user_account u ON u.id = l.teacher_id
JOIN school_class c ON c.id = l.school_class_id
LEFT JOIN attendance a ON a.lesson_id = l.id AND a.student_id = e.student_id
WHERE e.student_id IN ({ids}) AND l.date >= ? AND l.date <= ?
ORDER BY e.student_id, l.date, l.period, l.id
"""


class Loaders:
    def __init__(self, viewer: Viewer) -> None:
        self.viewer = viewer
        self.user_by_id: DataLoader[int, models.User | None] = DataLoader(_by_id(models.User))
        self.school_by_id: DataLoader[int, models.School | None] = DataLoader(_by_id(models.School))
        self.subject_by_id: DataLoader[int, models.Subject | None] = DataLoader(_by_id(models.Subject))
        self.class_by_id: DataLoader[int, models.SchoolClass | None] = DataLoader(_by_id(models.SchoolClass))
        self.lesson_by_id: DataLoader[int, models.Lesson | None] = DataLoader(_by_id(models.Lesson))
        self.student_by_id: DataLoader[int, models.Student | None] = DataLoader(_by_id(models.Student))
        self.grade_by_id: DataLoader[int, models.Grade | None] = DataLoader(_by_id(models.Grade))
        self.homework_by_id: DataLoader[int, models.Homework | None] = DataLoader(_by_id(models.Homework))
        self.class_by_student: DataLoader[int, models.SchoolClass | None] = DataLoader(self._class_by_student)
        self.students_by_class: DataLoader[int, list[models.Student]] = DataLoader(self._students_by_class)
        self.diary_by_student: DataLoader[RangeKey, list[DiaryRow]] = DataLoader(self._diary_by_student)
        self.grades_by_student: DataLoader[RangeKey, list[models.Grade]] = DataLoader(self._grades_by_student)
        self.homework_by_lesson: DataLoader[int, list[models.Homework]] = DataLoader(self._homework_by_lesson)
        self.days_off_by_school: DataLoader[RangeKey, list[models.DayOff]] = DataLoader(self._days_off_by_school)
        self.lessons_by_class: DataLoader[RangeKey, list[models.Lesson]] = DataLoader(self._lessons_by_class)
        self.terms_by_school: DataLoader[int, list[models.Term]] = DataLoader(self._terms_by_school)
        self.bell_periods_by_school: DataLoader[int, list[models.BellPeriod]] = DataLoader(self._bell_periods_by_school)

        # Jumps from one root entity to others go back through the policy, batched.
        self.student_visible: DataLoader[int, bool] = DataLoader(self._student_visible)
        self.visible_classes_by_school: DataLoader[int, list[models.SchoolClass]] = DataLoader(
            self._visible_classes_by_school
        )

        # Progress: final grades and the aggregates that compare a child with the class.
        self.term_grades_by_student: DataLoader[tuple[int, str], list[models.TermGrade]] = DataLoader(
            self._term_grades_by_student
        )
        self.subject_totals_by_class: DataLoader[averages.ClassRange, dict[int, averages.Totals]] = DataLoader(
            averages.totals_by_subject
        )
        self.student_totals_by_class: DataLoader[averages.ClassRange, dict[int, averages.Totals]] = DataLoader(
            averages.totals_by_student
        )
        self.day_totals_by_chart: DataLoader[averages.ChartKey, list[averages.DayTotals]] = DataLoader(
            averages.totals_by_day
        )
        self.term_by_id: DataLoader[int, models.Term | None] = DataLoader(_by_id(models.Term))
        self.lesson_counts_by_student: DataLoader[averages.StudentRange, list[averages.LessonCounts]] = DataLoader(
            averages.lesson_counts
        )
        self.grade_totals_by_student: DataLoader[averages.StudentRange, list[averages.GradeTotals]] = DataLoader(
            averages.grade_totals
        )

    async def _student_visible(self, ids: list[int]) -> list[bool]:
        rows = await policy.visible_students(self.viewer).filter(id__in=set(ids)).only("id")
        seen = {s.id for s in rows}
        return [i in seen for i in ids]

    async def _visible_classes_by_school(self, ids: list[int]) -> list[list[models.SchoolClass]]:
        rows = (
            await policy.visible_classes(self.viewer)
            .filter(school_id__in=set(ids))
            .order_by("grade_level", "letter", "id")
        )
        # A class reached from a list is then reached by id (a lesson's or a student's class):
        # priming here keeps that a cache hit, whichever branch of the query resolves first.
        self.prime_many(self.class_by_id, rows)
        grouped = _group(rows, lambda c: c.school_id)
        return [grouped.get(i, []) for i in ids]

    def prime_many(self, loader: DataLoader[int, M | None], objects: Iterable[M]) -> None:
        for obj in objects:
            loader.prime(obj.pk, obj)

    async def _class_by_student(self, ids: list[int]) -> list[models.SchoolClass | None]:
        """The class a student is in today, else the most recent one."""
        today = today_utc()
        rows = (
            await models.Enrollment.filter(student_id__in=set(ids))
            .select_related("school_class")
            .order_by("start_date", "id")
        )
        best: dict[int, models.SchoolClass] = {}
        for enrollment in rows:
            current = enrollment.start_date <= today and (enrollment.end_date is None or enrollment.end_date >= today)
            if current or enrollment.student_id not in best or enrollment.start_date <= today:
                best[enrollment.student_id] = enrollment.school_class
        self.prime_many(self.class_by_id, best.values())
        return [best.get(i) for i in ids]

    async def _students_by_class(self, ids: list[int]) -> list[list[models.Student]]:
        """Students enrolled today (or, for a class of a past year, at its end)."""
        today = today_utc()
        rows = await models.Enrollment.filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today), school_class_id__in=set(ids), start_date__lte=today
        ).select_related("student")
        grouped: dict[int, list[models.Student]] = defaultdict(list)
        for enrollment in rows:
            grouped[enrollment.school_class_id].append(enrollment.student)
        for students in grouped.values():
            students.sort(key=lambda s: (s.full_name, s.id))
        return [grouped.get(i, []) for i in ids]

    async def _diary_by_student(self, keys: list[RangeKey]) -> list[list[DiaryRow]]:
        """Every lesson of each student's class(es) over the range, following enrolments
        (a transferred child shows the old class before the move and the new one after),
        with subject, teacher, class and this student's attendance: one statement."""
        ids, start, end = _span(keys)
        rows = await sql.fetch(_DIARY_SQL.format(ids=sql.placeholders(len(ids))), [*ids, start, end])
        by_student: dict[int, list[DiaryRow]] = defaultdict(list)
        for row in rows:
            lesson = sql.hydrate(models.Lesson, row, "l_")
            subject = sql.hydrate(models.Subject, row, "s_")
            teacher = sql.hydrate(models.User, row, "u_")
            self.subject_by_id.prime(subject.id, subject)
            self.user_by_id.prime(teacher.id, teacher)
            self.lesson_by_id.prime(lesson.id, lesson)
            school_class = sql.hydrate(models.SchoolClass, row, "c_")
            self.class_by_id.prime(school_class.id, school_class)
            attendance = sql.hydrate(models.Attendance, row, "a_") if row["a_id"] is not None else None
            by_student[row["e_student_id"]].append(DiaryRow(row["e_student_id"], lesson, attendance))
        return [[r for r in by_student.get(k.id, []) if k.start <= r.lesson.date <= k.end] for k in keys]

    async def _grades_by_student(self, keys: list[RangeKey]) -> list[list[models.Grade]]:
        ids, start, end = _span(keys)
        rows = await models.Grade.filter(
            student_id__in=ids, date__gte=start, date__lte=end, deleted_at__isnull=True
        ).order_by("date", "created_at", "id")
        grouped = _group(rows, lambda g: g.student_id)
        return [[g for g in grouped.get(k.id, []) if k.start <= g.date <= k.end] for k in keys]

    async def _homework_by_lesson(self, ids: list[int]) -> list[list[models.Homework]]:
        rows = await models.Homework.filter(lesson_id__in=set(ids)).order_by("created_at", "id")
        grouped = _group(rows, lambda h: h.lesson_id)
        return [grouped.get(i, []) for i in ids]

    async def _days_off_by_school(self, keys: list[RangeKey]) -> list[list[models.DayOff]]:
        ids, start, end = _span(keys)
        rows = await models.DayOff.filter(school_id__in=ids, start_date__lte=end, end_date__gte=start).order_by(
            "start_date", "id"
        )
        grouped = _group(rows, lambda d: d.school_id)
        return [[d for d in grouped.get(k.id, []) if d.start_date <= k.end and d.end_date >= k.start] for k in keys]

    async def _lessons_by_class(self, keys: list[RangeKey]) -> list[list[models.Lesson]]:
        ids, start, end = _span(keys)
        rows = (
            await models.Lesson.filter(school_class_id__in=ids, date__gte=start, date__lte=end)
            .select_related("subject", "teacher")
            .order_by("date", "period", "id")
        )
        for lesson in rows:
            self.subject_by_id.prime(lesson.subject_id, lesson.subject)
            self.user_by_id.prime(lesson.teacher_id, lesson.teacher)
            self.lesson_by_id.prime(lesson.id, lesson)
        grouped = _group(rows, lambda lesson: lesson.school_class_id)
        return [[x for x in grouped.get(k.id, []) if k.start <= x.date <= k.end] for k in keys]

    async def _terms_by_school(self, ids: list[int]) -> list[list[models.Term]]:
        rows = await models.Term.filter(school_id__in=set(ids)).order_by("start_date", "id")
        grouped = _group(rows, lambda t: t.school_id)
        return [grouped.get(i, []) for i in ids]

    async def _bell_periods_by_school(self, ids: list[int]) -> list[list[models.BellPeriod]]:
        rows = await models.BellPeriod.filter(school_id__in=set(ids)).order_by("variant", "number")
        grouped = _group(rows, lambda b: b.school_id)
        return [grouped.get(i, []) for i in ids]

    async def _term_grades_by_student(self, keys: list[tuple[int, str]]) -> list[list[models.TermGrade]]:
        """Final grades per (student id, period key "term:<id>" / "year:<id>"), every subject."""
        rows = await models.TermGrade.filter(
            student_id__in={k[0] for k in keys}, period_key__in={k[1] for k in keys}
        ).order_by("subject_id", "id")
        grouped = _group(rows, lambda t: (t.student_id, t.period_key))
        return [grouped.get(k, []) for k in keys]
