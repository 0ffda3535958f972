"""Benchmarks 3 and 4: a teacher's class journal and the progress of a whole class, each
against one hand-written statement that computes the same result.

The demo district has only a few weeks of lessons, so this module adds its own class to the
benchmark database: 30 students and, over the last finished term (the current one if none
has finished), 40 school days of five subjects, one lesson of each a day: 40 lessons per
subject, about 60 % of the students graded at each lesson, attendance for everyone, and a
term grade in mathematics for a third of the class."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import models
from demo.seed import roll_attendance
from resolvers import core
from resolvers import grades as grading
from resolvers.core import to_global_id, today_utc

STUDENTS = 30
SCHOOL_DAYS = 40
SUBJECTS = ("Mathematics", "Russian", "English", "History", "Biology")
ADMIN = "admin"  # reads every journal of School No. 1
# Statements per request, whatever the size of the class and the term. The journal: session, class,
# subject with its school and the journal check, terms, lessons, roster, grades, attendance, term grades.
JOURNAL_STATEMENTS = 9
# Progress: session, class, its visible students, terms with the school, windows, lesson counts,
# grade totals, subjects, term grades, class averages (in 6 rounds: the windows with the terms,
# the counts with the totals, the subjects with the term grades and class averages).
PROGRESS_STATEMENTS = 10

# The whole grid as a client that shows it asks for it: each row's cells in columns (`line`).
JOURNAL = """
query Journal($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    lessons { date period }
    rows { student { fullName } line { attendance lateMinutes gradeLessons gradeValues }
           weightedAverage suggestedGrade { value } termGrade { value } } } } } }
"""
# The same with an object per cell (`cells`), as it was asked for before `line`.
JOURNAL_CELLS = """
query Journal($class: ID!, $subject: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  journal(subjectId: $subject, termId: $term) {
    lessons { date period }
    rows { student { fullName } cells { grades { value } attendance lateMinutes }
           weightedAverage suggestedGrade { value } termGrade { value } } } } } }
"""

PROGRESS = """
query ClassProgress($class: ID!, $term: ID) { node(id: $class) { ... on SchoolClass {
  students { fullName progress(termId: $term) {
    subject { name } average weightedAverage absences unexcusedAbsences late
    classWeightedAverage suggestedGrade { value } termGrade { value } } } } } }
"""


@dataclass(frozen=True)
class BenchClass:
    school: models.School
    school_class: models.SchoolClass
    subject: models.Subject  # the journal's: mathematics
    term: models.Term
    lessons: int

    def variables(self) -> dict[str, str]:
        return {
            "class": to_global_id("SchoolClass", self.school_class.pk),
            "subject": to_global_id("Subject", self.subject.pk),
            "term": to_global_id("Term", self.term.pk),
        }


async def build_class() -> BenchClass:
    rng = random.Random(30)
    school = await models.School.get(name="School No. 1")
    terms = await models.Term.filter(school_id=school.id).order_by("start_date")
    finished = [t for t in terms if t.end_date < today_utc()]
    term = finished[-1] if finished else next(t for t in reversed(terms) if t.start_date <= today_utc())
    subjects = [await models.Subject.get(school_id=school.id, name=n) for n in SUBJECTS]
    teachers = {
        a.subject_id: a.teacher_id
        for a in await models.TeachingAssignment.filter(subject_id__in=[s.id for s in subjects])
    }
    klass = await models.SchoolClass.create(
        school=school, academic_year_id=term.academic_year_id, grade_level=9, letter="Z"
    )
    roster = [await models.Student.create(school=school, full_name=f"Bench Student {i:02d}") for i in range(STUDENTS)]
    await models.Enrollment.bulk_create(
        [models.Enrollment(student=s, school_class=klass, start_date=term.start_date) for s in roster]
    )
    days: list[date] = []
    day = term.start_date
    while len(days) < SCHOOL_DAYS:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    lessons = []
    for day in days:
        for period, subject in enumerate(subjects, start=1):
            starts = datetime.combine(day, time(7 + period), tzinfo=UTC)
            lessons.append(
                models.Lesson(
                    school_class=klass,
                    subject=subject,
                    teacher_id=teachers[subject.id],
                    date=day,
                    period=period,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=45),
                    topic=f"Topic {period}",
                )
            )
    await models.Lesson.bulk_create(lessons, batch_size=500)
    saved = await models.Lesson.filter(school_class_id=klass.id).order_by("id")
    grades, attendance = [], []
    for lesson in saved:
        for student in roster:
            status = roll_attendance(rng, 0.9, 0.94, 0.98)
            late = rng.randint(2, 15) if status == models.AttendanceStatus.LATE else None
            attendance.append(
                models.Attendance(
                    student=student,
                    lesson=lesson,
                    date=lesson.date,
                    status=status,
                    late_minutes=late,
                    marked_by_id=lesson.teacher_id,
                )
            )
            if status in (models.AttendanceStatus.PRESENT, models.AttendanceStatus.LATE) and rng.random() < 0.6:
                value = rng.choice("55443332")
                grades.append(
                    models.Grade(
                        student=student,
                        subject_id=lesson.subject_id,
                        school_class=klass,
                        lesson=lesson,
                        teacher_id=lesson.teacher_id,
                        date=lesson.date,
                        value=value,
                        numeric_value=float(value),
                        weight=rng.choice((1, 1, 1, 2, 3)),
                        created_at=lesson.ends_at,
                    )
                )
    await models.Attendance.bulk_create(attendance, batch_size=1000)
    await models.Grade.bulk_create(grades, batch_size=1000)
    await models.TermGrade.bulk_create(
        [
            models.TermGrade(
                student=s,
                subject=subjects[0],
                school_class=klass,
                academic_year_id=term.academic_year_id,
                term=term,
                period_key=f"term:{term.id}",
                teacher_id=teachers[subjects[0].id],
                value=rng.choice("543"),
                numeric_value=None,
            )
            for s in roster[::3]
        ]
    )
    # Fresh statistics, as autovacuum would have them on a live database: without them the
    # planner takes the new tables for empty and picks nested loops for both arms.
    await core.fetch("ANALYZE", [])
    return BenchClass(school, klass, subjects[0], term, len(saved) // len(subjects))


# --- hand-written statements ----------------------------------------------------------

_JOURNAL_SQL = """
SELECT s.id AS student_id, s.full_name AS full_name, l.id AS lesson_id,
       g.grades AS grades, a.status AS status, a.late_minutes AS late_minutes,
       w.total AS total, w.weight AS weight, tg.value AS term_grade
FROM (SELECT DISTINCT student_id FROM enrollment
      WHERE school_class_id = ? AND start_date <= ? AND (end_date IS NULL OR end_date >= ?)) r
JOIN student s ON s.id = r.student_id
CROSS JOIN lesson l
LEFT JOIN ({grades}) g ON g.student_id = s.id AND g.lesson_id = l.id
LEFT JOIN attendance a ON a.lesson_id = l.id AND a.student_id = s.id
LEFT JOIN (SELECT student_id, SUM(numeric_value * weight) AS total, SUM(weight) AS weight FROM grade
           WHERE school_class_id = ? AND subject_id = ? AND date >= ? AND date <= ?
                 AND deleted_at IS NULL AND numeric_value IS NOT NULL
           GROUP BY student_id) w ON w.student_id = s.id
LEFT JOIN term_grade tg ON tg.student_id = s.id AND tg.subject_id = ? AND tg.period_key = ?
WHERE l.school_class_id = ? AND l.subject_id = ? AND l.date >= ? AND l.date <= ?
ORDER BY s.full_name, s.id, l.date, l.period, l.id
"""
_CELL_GRADES = """
SELECT student_id, lesson_id, {concat} AS grades
FROM {source}
GROUP BY student_id, lesson_id
"""
_TERM_GRADES = """grade WHERE school_class_id = ? AND subject_id = ? AND date >= ? AND date <= ?
                 AND deleted_at IS NULL AND lesson_id IS NOT NULL"""
JOURNAL_SQL = {
    "postgres": _JOURNAL_SQL.format(
        grades=_CELL_GRADES.format(concat="string_agg(value, ' ' ORDER BY created_at, id)", source=_TERM_GRADES)
    ),
    # SQLite's group_concat keeps the order of an ordered subquery.
    "sqlite": _JOURNAL_SQL.format(
        grades=_CELL_GRADES.format(
            concat="group_concat(value, ' ')",
            source=f"(SELECT student_id, lesson_id, value FROM {_TERM_GRADES} ORDER BY created_at, id)",
        )
    ),
}

_ABSENT = "('ABSENT_EXCUSED', 'ABSENT_UNEXCUSED')"
PROGRESS_SQL = f"""
SELECT s.id AS student_id, s.full_name AS full_name, sub.name AS subject,
       m.absences AS absences, m.unexcused AS unexcused, m.late AS late,
       own.total AS total, own.weight AS weight, own.plain AS plain, own.counted AS counted,
       cls.total AS class_total, cls.weight AS class_weight, tg.value AS term_grade
FROM (SELECT e.student_id, l.subject_id,
             SUM(CASE WHEN a.status IN {_ABSENT} THEN 1 ELSE 0 END) AS absences,
             SUM(CASE WHEN a.status = 'ABSENT_UNEXCUSED' THEN 1 ELSE 0 END) AS unexcused,
             SUM(CASE WHEN a.status = 'LATE' THEN 1 ELSE 0 END) AS late
      FROM enrollment e
      JOIN lesson l ON l.school_class_id = e.school_class_id AND l.date >= e.start_date
           AND (e.end_date IS NULL OR l.date <= e.end_date)
      LEFT JOIN attendance a ON a.lesson_id = l.id AND a.student_id = e.student_id
      WHERE e.school_class_id = ? AND e.start_date <= ? AND (e.end_date IS NULL OR e.end_date >= ?)
            AND l.date >= ? AND l.date <= ?
      GROUP BY e.student_id, l.subject_id) m
JOIN student s ON s.id = m.student_id
JOIN subject sub ON sub.id = m.subject_id
LEFT JOIN (SELECT student_id, subject_id, SUM(numeric_value * weight) AS total, SUM(weight) AS weight,
                  SUM(numeric_value) AS plain, COUNT(*) AS counted
           FROM grade WHERE date >= ? AND date <= ? AND deleted_at IS NULL AND numeric_value IS NOT NULL
                AND student_id IN (SELECT student_id FROM enrollment WHERE school_class_id = ?
                                   AND start_date <= ? AND (end_date IS NULL OR end_date >= ?))
           GROUP BY student_id, subject_id) own ON own.student_id = s.id AND own.subject_id = sub.id
LEFT JOIN (SELECT subject_id, SUM(numeric_value * weight) AS total, SUM(weight) AS weight FROM grade
           WHERE school_class_id = ? AND date >= ? AND date <= ? AND deleted_at IS NULL
                 AND numeric_value IS NOT NULL
           GROUP BY subject_id) cls ON cls.subject_id = sub.id
LEFT JOIN term_grade tg ON tg.student_id = s.id AND tg.subject_id = sub.id AND tg.period_key = ?
ORDER BY s.full_name, s.id, sub.name, sub.id
"""


def _avg(total: Any, weight: Any) -> float | None:
    return grading.round_average(float(total) / float(weight)) if weight else None


def _mark(school: models.School, average: float | None) -> dict[str, str] | None:
    mark = grading.suggest(school, average)
    return {"value": mark.value} if mark else None


async def hand_journal(dialect: str, bench: BenchClass) -> list[dict[str, Any]]:
    """The journal's rows, shaped like the GraphQL answer's ``rows`` with ``line`` (suggestions
    in Python)."""
    c, t = bench.school_class.id, bench.term
    params = [c, t.end_date, t.start_date, c, bench.subject.id, t.start_date, t.end_date]
    params += [c, bench.subject.id, t.start_date, t.end_date]
    params += [bench.subject.id, f"term:{t.id}", c, bench.subject.id, t.start_date, t.end_date]
    rows: list[dict[str, Any]] = []
    column = 0
    for row in await core.fetch(JOURNAL_SQL[dialect], params):
        if not rows or rows[-1]["_id"] != row["student_id"]:
            average = _avg(row["total"], row["weight"])
            line: dict[str, list[Any]] = {"attendance": [], "lateMinutes": [], "gradeLessons": [], "gradeValues": []}
            rows.append(
                {
                    "_id": row["student_id"],
                    "student": {"fullName": row["full_name"]},
                    "line": line,
                    "weightedAverage": average,
                    "suggestedGrade": _mark(bench.school, average),
                    "termGrade": {"value": row["term_grade"]} if row["term_grade"] else None,
                }
            )
            column = 0
        line["attendance"].append(row["status"])
        line["lateMinutes"].append(row["late_minutes"])
        for value in (row["grades"] or "").split():
            line["gradeLessons"].append(column)
            line["gradeValues"].append(value)
        column += 1
    return rows


async def hand_journal_cells(dialect: str, bench: BenchClass) -> list[dict[str, Any]]:
    """The journal's rows, shaped like the GraphQL answer's ``rows`` with ``cells``."""
    c, t = bench.school_class.id, bench.term
    params = [c, t.end_date, t.start_date, c, bench.subject.id, t.start_date, t.end_date]
    params += [c, bench.subject.id, t.start_date, t.end_date]
    params += [bench.subject.id, f"term:{t.id}", c, bench.subject.id, t.start_date, t.end_date]
    rows: list[dict[str, Any]] = []
    for row in await core.fetch(JOURNAL_SQL[dialect], params):
        if not rows or rows[-1]["_id"] != row["student_id"]:
            average = _avg(row["total"], row["weight"])
            rows.append(
                {
                    "_id": row["student_id"],
                    "student": {"fullName": row["full_name"]},
                    "cells": [],
                    "weightedAverage": average,
                    "suggestedGrade": _mark(bench.school, average),
                    "termGrade": {"value": row["term_grade"]} if row["term_grade"] else None,
                }
            )
        rows[-1]["cells"].append(
            {
                "grades": [{"value": v} for v in (row["grades"] or "").split()],
                "attendance": row["status"],
                "lateMinutes": row["late_minutes"],
            }
        )
    return rows


def journal_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = answer["data"]["node"]["journal"]["rows"]
    return rows


async def hand_progress(dialect: str, bench: BenchClass) -> list[dict[str, Any]]:
    """Each student with their per-subject progress, shaped like the GraphQL answer."""
    c, t, today = bench.school_class.id, bench.term, today_utc()
    end = min(t.end_date, max(today, t.start_date))
    params = [c, today, today, t.start_date, end, t.start_date, end, c, today, today]
    params += [c, t.start_date, t.end_date, f"term:{t.id}"]
    students: list[dict[str, Any]] = []
    ids: list[int] = []
    for row in await core.fetch(PROGRESS_SQL, params):
        if not ids or ids[-1] != row["student_id"]:
            ids.append(row["student_id"])
            students.append({"fullName": row["full_name"], "progress": []})
        weighted = _avg(row["total"], row["weight"])
        students[-1]["progress"].append(
            {
                "subject": {"name": row["subject"]},
                "average": _avg(row["plain"], row["counted"]),
                "weightedAverage": weighted,
                "absences": int(row["absences"]),
                "unexcusedAbsences": int(row["unexcused"]),
                "late": int(row["late"]),
                "classWeightedAverage": _avg(row["class_total"], row["class_weight"]),
                "suggestedGrade": _mark(bench.school, weighted),
                "termGrade": {"value": row["term_grade"]} if row["term_grade"] else None,
            }
        )
    return students


def progress_students(answer: dict[str, Any]) -> list[dict[str, Any]]:
    students: list[dict[str, Any]] = answer["data"]["node"]["students"]
    return students


def same_journal(answer: dict[str, Any], hand: list[dict[str, Any]]) -> bool:
    return journal_rows(answer) == [{k: v for k, v in r.items() if k != "_id"} for r in hand]
