"""The 100,000-student district of ``bench.mixed --district`` (bench/README.md, "A district's
real day"), loaded with COPY in about a minute: 100 schools of 40 classes of 25 students (the
layout of ``bench.district_data``), 20 teachers and 10 subjects a school, one or two guardians
per student, six lessons a day for the last two weeks and today, and those two weeks' grades.

Set-up, not measured: nobody logs in through argon2 (140,000 logins would take hours); the
people who take part get a session and a refresh token written directly, and an access token
signed with the servers' key, exactly what ``login`` would have given them."""

from __future__ import annotations

import hashlib
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]

import models
from bench.district_data import CLASSES, KINDS, MARKS, STUDENTS, SUBJECT_NAMES, SUBJECTS, Ids, school_days, year_terms
from bench.mixed_world import User
from edge.settings import Settings
from resolvers.core import now_utc, today_utc
from resolvers.sessions import issue_access_token

SCHOOLS, TEACHERS, PERIODS = 100, 20, 6
SECOND_GUARDIAN = 0.4  # share of students with two guardians (1.4 per student)
GRADES_PER_DAY = 2  # per student and school day of the last two weeks (bench/README.md)
WINDOW = 14  # days of lessons before today (what teachers grade, what diaries show)
LESSON, BREAK = timedelta(minutes=45), timedelta(minutes=10)
STAMP = datetime(2026, 9, 1, tzinfo=UTC)
GRADE_COLUMNS = ["id", "student_id", "subject_id", "school_class_id", "teacher_id", "date", "lesson_id", "value"]
GRADE_COLUMNS += ["numeric_value", "weight", "kind", "created_at", "updated_at"]
HASH = "!"  # no password: nobody logs in through argon2 (sessions are written directly)


@dataclass
class District:
    """What the run needs of the generated district, kept in memory (no ORM reads of 100,000
    rows): per class its students and today's lessons, per (class, subject) its teacher and
    started lessons, and who is whose guardian."""

    teachers: dict[int, int] = field(default_factory=dict)  # user id -> school id
    classes: dict[int, list[int]] = field(default_factory=dict)  # class id -> student ids
    assignments: dict[tuple[int, int], int] = field(default_factory=dict)  # (class, subject) -> teacher
    lessons: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (class, subject) -> lesson ids
    today: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)  # period -> [(lesson, class, teacher)]
    guardians_of: dict[int, list[int]] = field(default_factory=dict)  # student id -> guardian user ids
    rows: dict[str, int] = field(default_factory=dict)


def _terms(today: date) -> list[tuple[str, int, date, date]]:
    """The school year's four quarters; a run in a vacation stretches the quarter before it to
    today, so that today's lessons are in a term."""
    year = today.year if today.month >= 9 else today.year - 1
    terms = year_terms(year)
    if not any(start <= today <= end for _n, _k, start, end in terms):
        last = max((i for i, t in enumerate(terms) if t[2] <= today), default=0)
        name, number, start, _end = terms[last]
        terms[last] = (name, number, start, today)
    return terms


async def generate(raw: asyncpg.Connection, schools: int, rng: random.Random) -> District:
    """Create the district (``schools`` of them) with COPY; today's six lessons have all begun."""
    today, now = today_utc(), now_utc()
    terms = _terms(today)
    term_start = next(start for _n, _k, start, end in terms if start <= today <= end)
    window = [d for d in school_days(today - timedelta(days=WINDOW), today - timedelta(days=1)) if d >= term_start]
    first_bell_today = now - PERIODS * (LESSON + BREAK) - timedelta(minutes=5)
    ids, out = Ids(), District()
    district = await models.District.create(name="Bench District")
    users, grants, subjects, classes, assignments = [], [], [], [], []
    students, enrollments, guardianships, lessons = [], [], [], []
    grades: list[tuple[Any, ...]] = []
    graded = 0
    await raw.execute("SET session_replication_role = replica")  # no FK triggers while loading
    year = terms[0][2].year
    for s in range(schools):
        school = await models.School.create(district=district, name=f"School No. {s + 1:03d}")
        academic = await models.AcademicYear.create(
            school=school, name=f"{year}/{year + 1}", start_date=terms[0][2], end_date=terms[-1][3]
        )
        for name, number, start, end in terms:
            await models.Term.create(
                academic_year=academic, school=school, name=name, number=number, start_date=start, end_date=end
            )
        teachers = []
        for t in range(TEACHERS):
            uid = ids.take("user_account")
            users.append((uid, f"t{school.id}_{t}", HASH, f"Teacher {school.id}-{t}", True, STAMP))
            grants.append((ids.take("role_grant"), uid, "TEACHER", school.id))
            out.teachers[uid] = school.id
            teachers.append(uid)
        first_subject = ids.take("subject", SUBJECTS)
        subjects += [(first_subject + k, school.id, SUBJECT_NAMES[k]) for k in range(SUBJECTS)]
        for c in range(CLASSES):
            cid = ids.take("school_class")
            classes.append((cid, school.id, academic.id, 1 + c // 4, "ABCD"[c % 4], teachers[c % TEACHERS]))
            pairs = [(first_subject + k, teachers[(c + k) % TEACHERS]) for k in range(SUBJECTS)]
            for subject_id, teacher_id in pairs:
                assignments.append((ids.take("teaching_assignment"), teacher_id, cid, subject_id))
                out.assignments[(cid, subject_id)] = teacher_id
            first = ids.take("student", STUDENTS)
            kids = list(range(first, first + STUDENTS))
            out.classes[cid] = kids
            for kid in kids:
                students.append((kid, school.id, f"Student {kid}"))
                enrollments.append((ids.take("enrollment"), kid, cid, terms[0][2]))
                family = []
                for _ in range(2 if rng.random() < SECOND_GUARDIAN else 1):
                    uid = ids.take("user_account")
                    users.append((uid, f"p{uid}", HASH, f"Parent {uid}", True, STAMP))
                    grants.append((ids.take("role_grant"), uid, "PARENT", school.id))
                    guardianships.append((ids.take("guardianship"), uid, kid, "parent", STAMP))
                    family.append(uid)
                out.guardians_of[kid] = family
            for day_number, day in enumerate([*window, today]):
                for period in range(1, PERIODS + 1):
                    subject_id, teacher_id = pairs[(day_number * PERIODS + period + c) % SUBJECTS]
                    if day == today:
                        begins = first_bell_today + (period - 1) * (LESSON + BREAK)
                    else:
                        begins = datetime(day.year, day.month, day.day, 8, tzinfo=UTC) + (period - 1) * (LESSON + BREAK)
                    lid = ids.take("lesson")
                    ends = begins + LESSON
                    lessons.append((lid, cid, subject_id, teacher_id, day, period, begins, ends, "SCHEDULED"))
                    out.lessons.setdefault((cid, subject_id), []).append(lid)
                    if day == today:
                        out.today.setdefault(period, []).append((lid, cid, teacher_id))
                    else:  # a third of the class graded in each past lesson: GRADES_PER_DAY a day
                        for kid in rng.sample(kids, round(STUDENTS * GRADES_PER_DAY / PERIODS)):
                            grades.append((kid, subject_id, cid, teacher_id, day, lid))
        first_grade = ids.take("grade", len(grades))  # a school at a time: ~20,000 rows per COPY
        await _copy(raw, "grade", _grade_rows(grades, first_grade, rng), GRADE_COLUMNS)
        graded, grades = graded + len(grades), []
    await _copy(raw, "user_account", users, ["id", "login", "password_hash", "full_name", "is_active", "created_at"])
    await _copy(raw, "role_grant", grants, ["id", "user_id", "role", "school_id"])
    await _copy(raw, "subject", subjects, ["id", "school_id", "name"])
    columns = ["id", "school_id", "academic_year_id", "grade_level", "letter", "homeroom_teacher_id"]
    await _copy(raw, "school_class", classes, columns)
    await _copy(raw, "teaching_assignment", assignments, ["id", "teacher_id", "school_class_id", "subject_id"])
    await _copy(raw, "student", students, ["id", "school_id", "full_name"])
    await _copy(raw, "enrollment", enrollments, ["id", "student_id", "school_class_id", "start_date"])
    await _copy(raw, "guardianship", guardianships, ["id", "guardian_id", "student_id", "relation", "created_at"])
    columns = ["id", "school_class_id", "subject_id", "teacher_id", "date", "period", "starts_at", "ends_at", "status"]
    await _copy(raw, "lesson", lessons, columns)
    await raw.execute("SET session_replication_role = DEFAULT")
    for table, used in ids.next.items():
        await raw.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {used})")
    out.rows = {"schools": schools, "classes": len(classes), "students": len(students), "grades": graded}
    out.rows |= {"guardians": len(guardianships), "teachers": len(out.teachers), "lessons": len(lessons)}
    return out


def _grade_rows(grades: list[tuple[Any, ...]], first: int, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    marks = rng.choices(MARKS, [m[2] for m in MARKS], k=len(grades))
    kinds = rng.choices(KINDS, [k[2] for k in KINDS], k=len(grades))
    for i, (kid, subject_id, cid, teacher_id, day, lid) in enumerate(grades):
        value, numeric, _w = marks[i]
        kind, weight, _kw = kinds[i]
        stamp = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        yield (first + i, kid, subject_id, cid, teacher_id, day, lid, value, numeric, weight, kind, stamp, stamp)


async def _copy(raw: asyncpg.Connection, table: str, rows: Any, columns: list[str]) -> None:
    await raw.copy_records_to_table(table, records=rows, columns=columns)


def address(user_id: int) -> str:
    """One client address per person in 198.18.0.0/15 (RFC 2544, set aside for benchmarks)."""
    n = user_id % (1 << 17)
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


async def sign_in(raw: asyncpg.Connection, user_ids: list[int], secret: str) -> dict[int, User]:
    """A live session per person, with a refresh token and an access token signed with the
    servers' ``secret``: what ``login`` gives, without its argon2 (set-up, not measured)."""
    minting, now = Settings(secret_key=secret), now_utc()
    first = (await raw.fetchval("SELECT COALESCE(MAX(id), 0) FROM user_session")) + 1
    people, sessions, tokens = {}, [], []
    for n, uid in enumerate(user_ids):
        sid, refresh = first + n, secrets.token_urlsafe(32)
        sessions.append((sid, uid, secrets.token_hex(16), "bench", address(uid), now, now))
        expires = now + timedelta(seconds=minting.refresh_token_ttl)
        tokens.append((uid, hashlib.sha256(refresh.encode()).hexdigest(), sessions[-1][2], now, expires))
        people[uid] = User(uid, f"user {uid}", address(uid), issue_access_token(minting, uid, sid, now), refresh)
    columns = ["id", "user_id", "key", "user_agent", "address", "created_at", "last_seen_at"]
    await _copy(raw, "user_session", sessions, columns)
    await _copy(raw, "refresh_token", tokens, ["user_id", "token_hash", "family", "created_at", "expires_at"])
    await raw.execute(f"SELECT setval(pg_get_serial_sequence('user_session', 'id'), {first + len(user_ids)})")
    return people
