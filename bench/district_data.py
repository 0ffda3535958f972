"""The generated district of ``bench.district``: 100 schools (x scale) loaded with COPY."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]

import models

CLASSES, STUDENTS, SUBJECTS, GRADES_PER_STUDENT = 40, 25, 10, 200
SUBJECT_NAMES = ["Mathematics", "Russian", "Literature", "English", "History", "Physics", "Chemistry", "Biology"]
SUBJECT_NAMES += ["Geography", "Informatics"]
MARKS = [("5", 5.0, 35), ("4", 4.0, 38), ("3", 3.0, 20), ("2", 2.0, 6), ("1", 1.0, 1)]
KINDS = [("CLASSWORK", 1, 80), ("TEST", 2, 15), ("CONTROL_WORK", 3, 5)]
STATUSES = [("PRESENT", 93), ("LATE", 2), ("ABSENT_EXCUSED", 3), ("ABSENT_UNEXCUSED", 2)]
STAMP = datetime(2026, 6, 1, tzinfo=UTC)
LESSON_COLUMNS = ["id", "school_class_id", "subject_id", "teacher_id", "date", "period"]
LESSON_COLUMNS += ["starts_at", "ends_at", "status"]


def school_days(start: date, end: date) -> list[date]:
    every = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return [d for d in every if d.weekday() < 5]


def year_terms(year: int) -> list[tuple[str, int, date, date]]:
    return [
        ("Quarter 1", 1, date(year, 9, 1), date(year, 10, 26)),
        ("Quarter 2", 2, date(year, 11, 5), date(year, 12, 28)),
        ("Quarter 3", 3, date(year + 1, 1, 12), date(year + 1, 3, 22)),
        ("Quarter 4", 4, date(year + 1, 4, 1), date(year + 1, 5, 31)),
    ]


class Ids:
    """Explicit ids for COPY (sequences are moved past them afterwards)."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str, n: int = 1) -> int:
        first = self.next.get(table, 1)
        self.next[table] = first + n
        return first


async def generate(raw: asyncpg.Connection, schools: int, rng: random.Random) -> dict[str, Any]:
    """The district, with COPY for everything but the handful of schools, years and terms."""
    ids = Ids()
    year = datetime.now(UTC).year - 1 if datetime.now(UTC).month >= 9 else datetime.now(UTC).year - 2
    terms = year_terms(year)
    days = [d for _n, _k, s, e in terms for d in school_days(s, e)]
    district = await models.District.create(name="Bench District")
    admin_hash = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # nobody logs in: viewers are built directly
    users: list[tuple[Any, ...]] = []
    grants: list[tuple[Any, ...]] = []
    subjects, classes, assignments, students, enrollments, lessons = [], [], [], [], [], []
    school_rows: list[models.School] = []
    plan: list[tuple[int, int, list[int], list[tuple[int, int]]]] = []  # school, class, students, (subject, teacher)
    term_ids: dict[int, list[tuple[int, date, date]]] = {}
    for s in range(schools):
        school = await models.School.create(district=district, name=f"School No. {s + 1:03d}")
        school_rows.append(school)
        academic = await models.AcademicYear.create(
            school=school, name=f"{year}/{year + 1}", start_date=date(year, 9, 1), end_date=date(year + 1, 5, 31)
        )
        saved = [
            await models.Term.create(academic_year=academic, school=school, name=n, number=k, start_date=a, end_date=b)
            for n, k, a, b in terms
        ]
        term_ids[school.id] = [(t.id, t.start_date, t.end_date) for t in saved]
        teachers = []
        for t in range(20):
            uid = ids.take("user_account")
            users.append((uid, f"t{school.id}_{t}", admin_hash, f"Teacher {school.id}-{t}", True, STAMP))
            grants.append((ids.take("role_grant"), uid, "TEACHER", school.id, None))
            teachers.append(uid)
        first_subject = ids.take("subject", SUBJECTS)
        for k in range(SUBJECTS):
            subjects.append((first_subject + k, school.id, SUBJECT_NAMES[k]))
        for c in range(CLASSES):
            cid = ids.take("school_class")
            classes.append((cid, school.id, academic.id, 1 + c // 4, "ABCD"[c % 4], teachers[c % 20]))
            pairs = [(first_subject + k, teachers[(c + k) % 20]) for k in range(SUBJECTS)]
            for subject_id, teacher_id in pairs:
                assignments.append((ids.take("teaching_assignment"), teacher_id, cid, subject_id))
            first_student = ids.take("student", STUDENTS)
            kids = list(range(first_student, first_student + STUDENTS))
            for kid in kids:
                students.append((kid, None, school.id, f"Student {kid}", None))
                enrollments.append((ids.take("enrollment"), kid, cid, date(year, 9, 1), None))
            plan.append((school.id, cid, kids, pairs))
    admin = ids.take("user_account")
    users.append((admin, "bench_admin", admin_hash, "School Admin", True, STAMP))
    grants.append((ids.take("role_grant"), admin, "SCHOOL_ADMIN", school_rows[0].id, None))
    district_admin = ids.take("user_account")
    users.append((district_admin, "bench_district", admin_hash, "District Admin", True, STAMP))
    grants.append((ids.take("role_grant"), district_admin, "DISTRICT_ADMIN", None, district.id))

    await raw.copy_records_to_table(
        "user_account", records=users, columns=["id", "login", "password_hash", "full_name", "is_active", "created_at"]
    )
    await raw.copy_records_to_table(
        "role_grant", records=grants, columns=["id", "user_id", "role", "school_id", "district_id"]
    )
    await raw.copy_records_to_table("subject", records=subjects, columns=["id", "school_id", "name"])
    await raw.copy_records_to_table(
        "school_class",
        records=classes,
        columns=["id", "school_id", "academic_year_id", "grade_level", "letter", "homeroom_teacher_id"],
    )
    await raw.copy_records_to_table(
        "teaching_assignment", records=assignments, columns=["id", "teacher_id", "school_class_id", "subject_id"]
    )
    await raw.copy_records_to_table(
        "student", records=students, columns=["id", "user_id", "school_id", "full_name", "birth_date"]
    )
    await raw.copy_records_to_table(
        "enrollment", records=enrollments, columns=["id", "student_id", "school_class_id", "start_date", "end_date"]
    )

    # One register a week per class: the Monday lesson of its first subject, everyone marked.
    mondays = sorted({d - timedelta(days=d.weekday()) for d in days})
    attendance = []
    for _school_id, cid, kids, pairs in plan:
        subject_id, teacher_id = pairs[0]
        for monday in mondays:
            lid = ids.take("lesson")
            begins = datetime(monday.year, monday.month, monday.day, 6, 0, tzinfo=UTC)
            lessons.append(
                (lid, cid, subject_id, teacher_id, monday, 1, begins, begins + timedelta(minutes=45), "SCHEDULED")
            )
            statuses = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES], k=len(kids))
            for kid, status in zip(kids, statuses, strict=True):
                late = 5 if status == "LATE" else None
                attendance.append((ids.take("attendance"), kid, lid, monday, status, late, teacher_id, STAMP))
    await raw.copy_records_to_table(
        "lesson",
        records=lessons,
        columns=LESSON_COLUMNS,
    )
    await raw.copy_records_to_table(
        "attendance",
        records=attendance,
        columns=["id", "student_id", "lesson_id", "date", "status", "late_minutes", "marked_by_id", "marked_at"],
    )

    grade_count = 0
    columns = ["id", "student_id", "subject_id", "school_class_id", "teacher_id", "date", "value", "numeric_value"]
    columns += ["weight", "kind", "created_at", "updated_at", "deleted_at"]

    def batch(chunk: list[tuple[int, int, list[int], list[tuple[int, int]]]]) -> Iterator[tuple[Any, ...]]:
        nonlocal grade_count
        for _school_id, cid, kids, pairs in chunk:
            for kid in kids:
                marks = rng.choices(MARKS, [m[2] for m in MARKS], k=GRADES_PER_STUDENT)
                kinds = rng.choices(KINDS, [k[2] for k in KINDS], k=GRADES_PER_STUDENT)
                when = rng.choices(days, k=GRADES_PER_STUDENT)
                which = rng.choices(pairs, k=GRADES_PER_STUDENT)
                first = ids.take("grade", GRADES_PER_STUDENT)
                for i in range(GRADES_PER_STUDENT):
                    gone = STAMP if rng.random() < 0.01 else None
                    value, numeric, _w = marks[i]
                    kind, weight, _kw = kinds[i]
                    subject_id, teacher_id = which[i]
                    key = (first + i, kid, subject_id, cid, teacher_id, when[i])
                    yield (*key, value, numeric, weight, kind, STAMP, STAMP, gone)
                grade_count += GRADES_PER_STUDENT

    for start in range(0, len(plan), 40):  # a school at a time: ~200,000 rows per COPY
        await raw.copy_records_to_table("grade", records=list(batch(plan[start : start + 40])), columns=columns)
    for table, used in ids.next.items():
        await raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {used})")
    return {
        "district": district,
        "schools": school_rows,
        "term_ids": term_ids,
        "admin": admin,
        "district_admin": district_admin,
        "plan": plan,
        "rows": {"students": len(students), "grades": grade_count, "attendance": len(attendance)},
    }


async def reread(url: str) -> tuple[dict[str, Any], dict[str, float]]:
    """What ``generate`` returned, read back from a district kept by an earlier run."""
    raw = await asyncpg.connect(url)
    try:
        school_rows = await models.School.all().order_by("id")
        term_ids: dict[int, list[tuple[int, date, date]]] = {s.id: [] for s in school_rows}
        for t in await models.Term.all().order_by("school_id", "number"):
            term_ids[t.school_id].append((t.id, t.start_date, t.end_date))
        admin = await raw.fetchval("SELECT id FROM user_account WHERE login = 'bench_admin'")
        district_admin = await raw.fetchval("SELECT id FROM user_account WHERE login = 'bench_district'")
        kids: dict[int, list[int]] = {}
        for r in await raw.fetch("SELECT school_class_id, student_id FROM enrollment ORDER BY student_id"):
            kids.setdefault(r["school_class_id"], []).append(r["student_id"])
        pairs: dict[int, list[tuple[int, int]]] = {}
        for r in await raw.fetch("SELECT school_class_id, subject_id, teacher_id FROM teaching_assignment ORDER BY id"):
            pairs.setdefault(r["school_class_id"], []).append((r["subject_id"], r["teacher_id"]))
        classes = await raw.fetch("SELECT id, school_id FROM school_class ORDER BY id")
        plan = [(c["school_id"], c["id"], kids.get(c["id"], []), pairs.get(c["id"], [])) for c in classes]
    finally:
        await raw.close()
    return {
        "district": await models.District.first(),
        "schools": school_rows,
        "term_ids": term_ids,
        "admin": admin,
        "district_admin": district_admin,
        "plan": plan,
    }, {}
