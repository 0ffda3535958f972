"""``python -m bench.grades``: how long a teacher waits for a grade (issue 24, part 1).

A whole ``gradeCreate`` (validation, policy, the grade, its first revision, the audit entry, the
outbox event, the roll-ups, publishing) and a whole ``gradesCreate`` of a class of 25, in process
through the ASGI app, against two floors measured in the same run: one bare INSERT of a grade
row, and one hand-written transaction writing the same rows as ``gradeCreate`` (grade, revision,
audit entry, outbox event) and as ``gradesCreate`` (25 of each, one multi-row INSERT per table).
The arms take turns in interleaved rounds; ratios are per round (bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import platform
import secrets
import statistics
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import httpx
from starlette.applications import Starlette
from tortoise import connections
from tortoise.transactions import in_transaction

import models
from bench import report
from bench.database import bench_database, bench_database_url, server_version
from bench.diary import LOGIN, PASSWORD
from bench.load import paired_ratios
from edge.settings import Settings
from resolvers import core, outbox, policy
from resolvers.core import now_utc, to_global_id
from server import create_app

SECRET = secrets.token_urlsafe(48)  # made per run: no secret is written in the repository
TEACHER = "teacher"  # the demo teacher: 5A and 6B of School No. 1
CLASS_SIZE = 25
TARGET_ONE_MS = 5.0  # gradeCreate p50
TARGET_BULK_MS = 10.0  # gradesCreate of 25, p50

GRADE_CREATE = """
mutation GradeCreate($input: GradeCreateInput!) { gradeCreate(input: $input) {
  __typename ... on GradeCreateSuccess { grade { id value } } ... on Error { code message } } }
"""
GRADES_CREATE = """
mutation GradesCreate($input: GradesCreateInput!) { gradesCreate(input: $input) {
  __typename ... on GradesCreateSuccess { grades { id value } } ... on Error { code message } } }
"""

_GRADE_COLUMNS = (
    "student_id, subject_id, school_class_id, lesson_id, teacher_id, date, value, numeric_value, weight, kind,"
    " comment, created_at, updated_at"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.grades", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one round of one arm (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--database-url",
        help="postgres://... (a fresh ediary_bench_* database is created on that server) or sqlite://PATH"
        " (a new file; sqlite:// alone for a temporary one). Default: PostgreSQL on 127.0.0.1:5432",
    )
    parser.add_argument("--redis-url", help="publish through Redis (e.g. redis://127.0.0.1:6379/15); default in memory")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.rounds < 1:
        parser.error("--seconds and --rounds must be positive")
    return args


@dataclass(frozen=True)
class Class:
    """The demo teacher, one of their lessons that has been given, and its 25 students."""

    teacher: models.User
    lesson: models.Lesson
    students: list[int]
    school_id: int


async def find_class() -> Class:
    teacher = await models.User.get(login=TEACHER)
    lessons = (
        await models.Lesson.filter(
            teacher_id=teacher.id, status=models.LessonStatus.SCHEDULED, starts_at__lt=now_utc(), group_id=None
        )
        .order_by("-starts_at")
        .limit(20)
    )
    for lesson in lessons:
        students = sorted(await policy.attendees(lesson))
        if len(students) >= CLASS_SIZE:
            klass = await models.SchoolClass.get(id=lesson.school_class_id)
            return Class(teacher, lesson, students[:CLASS_SIZE], klass.school_id)
    raise RuntimeError(f"no lesson of {TEACHER!r} that has been given with {CLASS_SIZE} students")


class _Counter(logging.Handler):
    """Counts the statements Tortoise sends (its ``db_client`` debug log, one line each), as the
    suite's ``count_statements`` does; on only while counting, off while timing. Those of the
    outbox's marker (marking the events published, after the answer) are kept apart."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        self.after: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        task = asyncio.current_task()
        marker = task is not None and task.get_name() == outbox.MARKER_TASK
        (self.after if marker else self.statements).append(" ".join(record.getMessage().split())[:140])


@contextlib.contextmanager
def counting() -> Iterator[_Counter]:
    logger = logging.getLogger("tortoise.db_client")
    counter, level = _Counter(), logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)


def _grade_values(c: Class, student_id: int, value: str) -> list[Any]:
    at = now_utc()
    lesson = c.lesson
    return [
        student_id,
        lesson.subject_id,
        lesson.school_class_id,
        lesson.id,
        c.teacher.id,
        lesson.date,
        value,
        float(value),
        1,
        models.GradeKind.CLASSWORK.value,
        None,
        at,
        at,
    ]


def _rows(count: int, width: int) -> str:
    one = "(" + ", ".join("?" * width) + ")"
    return ", ".join(one for _ in range(count))


async def bare_insert(c: Class, student_id: int) -> None:
    """The floor of one write: one INSERT of one grade row, on its own (autocommit)."""
    await core.fetch(f"INSERT INTO grade ({_GRADE_COLUMNS}) VALUES {_rows(1, 13)}", _grade_values(c, student_id, "4"))


async def hand_transaction(c: Class, student_ids: list[int]) -> None:
    """What ``gradeCreate`` / ``gradesCreate`` write, by hand: in one transaction, the grades
    (one INSERT ... RETURNING id), their revisions, audit entries and outbox events (one
    multi-row INSERT each). No checks, no roll-ups, no publishing."""
    lesson, teacher_id, at = c.lesson, c.teacher.id, now_utc()
    async with in_transaction():
        values = [v for s in student_ids for v in _grade_values(c, s, "4")]
        rows = await core.fetch(
            f"INSERT INTO grade ({_GRADE_COLUMNS}) VALUES {_rows(len(student_ids), 13)} RETURNING id", values
        )
        ids = [int(r["id"]) for r in rows]
        await core.fetch(
            "INSERT INTO grade_revision (grade_id, action, actor_id, at, new_value, new_weight, new_kind) VALUES "
            + _rows(len(ids), 7),
            [v for g in ids for v in (g, models.RevisionAction.CREATED.value, teacher_id, at, "4", 1, "CLASSWORK")],
        )
        details = [json.dumps({"student": s, "lesson": lesson.id, "value": "4", "weight": 1}) for s in student_ids]
        await core.fetch(
            "INSERT INTO audit_entry (actor_id, action, object_type, object_id, details, at) VALUES "
            + _rows(len(ids), 6),
            [v for g, d in zip(ids, details, strict=True) for v in (teacher_id, "grade.create", "Grade", g, d, at)],
        )
        await core.fetch(
            "INSERT INTO outbox_event (kind, student_id, school_class_id, grade_id, lesson_id, occurred_at) VALUES "
            + _rows(len(ids), 6),
            [
                v
                for g, s in zip(ids, student_ids, strict=True)
                for v in ("GRADE_ADDED", s, lesson.school_class_id, g, lesson.id, at)
            ],
        )


def _one_body(c: Class, student_id: int, value: str) -> dict[str, Any]:
    grade = {"studentId": to_global_id("Student", student_id), "lessonId": to_global_id("Lesson", c.lesson.id)}
    return {"query": GRADE_CREATE, "variables": {"input": {**grade, "value": value}}}


def _bulk_body(c: Class, value: str) -> dict[str, Any]:
    rows = [{"studentId": to_global_id("Student", s), "value": value} for s in c.students]
    return {
        "query": GRADES_CREATE,
        "variables": {"input": {"lessonId": to_global_id("Lesson", c.lesson.id), "grades": rows}},
    }


def _succeeded(response: httpx.Response, field: str, typename: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{field}: HTTP {response.status_code}: {response.text[:500]}")
    data = (response.json().get("data") or {}).get(field) or {}
    if data.get("__typename") != typename:
        raise RuntimeError(f"{field} failed: {response.text[:500]}")


Arm = Callable[[int], Awaitable[None]]


def arms(http: httpx.AsyncClient, headers: dict[str, str], c: Class) -> dict[str, Arm]:
    values = "2345"

    async def one(n: int) -> None:
        body = _one_body(c, c.students[n % len(c.students)], values[n % 4])
        _succeeded(await http.post("/graphql", json=body, headers=headers), "gradeCreate", "GradeCreateSuccess")

    async def bulk(n: int) -> None:
        body = _bulk_body(c, values[n % 4])
        _succeeded(await http.post("/graphql", json=body, headers=headers), "gradesCreate", "GradesCreateSuccess")

    async def bare(n: int) -> None:
        await bare_insert(c, c.students[n % len(c.students)])

    async def hand_one(n: int) -> None:
        await hand_transaction(c, [c.students[n % len(c.students)]])

    async def hand_bulk(_n: int) -> None:
        await hand_transaction(c, c.students)

    return {"gradeCreate": one, "gradesCreate": bulk, "bare": bare, "hand_one": hand_one, "hand_bulk": hand_bulk}


async def timed(arm: Arm, seconds: float) -> tuple[list[float], list[float]]:
    """One arm for ``seconds``, one write at a time: each write's time and the CPU time this
    process spent on it (the Python side of the write, whatever else the machine runs: a
    loaded machine delays every round trip, not the CPU a write costs), in seconds."""
    await outbox.settle()  # the previous arm's marking is not this arm's
    gc.collect()
    took: list[float] = []
    cpu: list[float] = []
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        start, start_cpu = time.perf_counter(), time.process_time()
        await arm(n)
        took.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        n += 1
    return took, cpu


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


async def statements(arm: Arm) -> tuple[list[str], list[str]]:
    """The statements one write sends (counted on its own, not while timing), and those its
    process's outbox marker sends after the answer."""
    await outbox.settle()
    with counting() as counter:
        await arm(0)
        await outbox.settle()
    return counter.statements, counter.after


async def measure(all_arms: dict[str, Arm], rounds: int, seconds: float) -> dict[str, Any]:
    names = list(all_arms)
    p50s: dict[str, list[float]] = {name: [] for name in names}
    p99s: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    samples = dict.fromkeys(names, 0)
    for number in range(rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            took, cpu = await timed(all_arms[name], seconds)
            p50s[name].append(statistics.median(took))
            p99s[name].append(p99(took))
            cpus[name].append(statistics.median(cpu))
            samples[name] += len(took)
    figures: dict[str, Any] = {
        name: {
            "p50_ms": report.spread(p50s[name], 1000),
            "p99_ms": report.spread(p99s[name], 1000),
            "cpu_ms": report.spread(cpus[name], 1000),
            "samples": samples[name],
        }
        for name in names
    }
    for name in ("gradeCreate", "gradesCreate"):
        floor = "hand_one" if name == "gradeCreate" else "hand_bulk"
        figures[name]["ratio_bare"] = report.spread(paired_ratios(p50s[name], p50s["bare"]))
        figures[name]["ratio_hand"] = report.spread(paired_ratios(p50s[name], p50s[floor]))
    return figures


@contextlib.asynccontextmanager
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        yield http


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url)
    async with bench_database(url):
        dialect = str(connections.get("default").capabilities.dialect)
        settings = Settings(
            database_url=url,
            redis_url=args.redis_url,
            secret_key=SECRET,
            env="production",
            login_failures_per_address=1000,
            # the limiter still counts every mutation; a teacher would hit 300 a minute in a second
            mutations_per_user=10**9,
            mutations_per_address=10**9,
        )
        app = create_app(settings)
        c = await find_class()
        await core.fetch("ANALYZE", [])
        try:
            async with client(app) as http:
                response = await http.post(
                    "/graphql", json={"query": LOGIN, "variables": {"login": TEACHER, "password": PASSWORD}}
                )
                headers = {"Authorization": f"Bearer {response.json()['data']['login']['accessToken']}"}
                all_arms = arms(http, headers, c)
                for arm in all_arms.values():  # warm up: caches, prepared statements, the pool
                    for n in range(5):
                        await arm(n)
                listed = {name: await statements(arm) for name, arm in all_arms.items()}
                figures = await measure(all_arms, args.rounds, args.seconds)
                grades = await models.Grade.filter(lesson_id=c.lesson.id).count()
        finally:
            await app.state.broker.close()
        database = await server_version()
    return {
        "environment": {
            "dialect": dialect,
            "database": database,
            "broker": "redis" if args.redis_url else "memory",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "packages": {p: version(p) for p in ("strawberry-graphql", "graphql-core", "starlette", "tortoise-orm")},
        },
        "options": {"seconds": args.seconds, "rounds": args.rounds},
        "lesson": {"id": c.lesson.id, "date": c.lesson.date.isoformat(), "students": len(c.students), "grades": grades},
        "statements": {name: len(found) for name, (found, _after) in listed.items()},
        "statement_list": {name: found for name, (found, _after) in listed.items()},
        "after_answer": {name: after for name, (_found, after) in listed.items()},
        "figures": figures,
    }


_LABELS = {
    "gradeCreate": "gradeCreate (whole request, in-process ASGI)",
    "gradesCreate": f"gradesCreate of {CLASS_SIZE} (whole request)",
    "bare": "bare INSERT of one grade row",
    "hand_one": "hand-written transaction, 1 grade (4 rows)",
    "hand_bulk": f"hand-written transaction, {CLASS_SIZE} grades",
}


def render(results: dict[str, Any]) -> str:
    meta, run_, figures, counts = results["environment"], results["options"], results["figures"], results["statements"]
    lines = [
        f"ediary bench.grades - {meta['database']}, broker {meta['broker']}"
        f" - Python {meta['python']}, {meta['cpus']} CPUs",
        f"{run_['rounds']} interleaved rounds of {run_['seconds']:g} s per arm, one write at a time; figures are"
        " medians of the rounds' figures [lowest .. highest round]",
        "",
        f"  {'arm':<46} {'p50 ms':>22} {'p99 ms':>22} {'CPU ms':>8} {'statements':>10}",
    ]
    for name, label in _LABELS.items():
        f = figures[name]
        p50, p99_ = f["p50_ms"], f["p99_ms"]
        lines.append(
            f"  {label:<46} {p50['median']:>7.2f} [{p50['low']:.2f} .. {p50['high']:.2f}]"
            f" {p99_['median']:>7.2f} [{p99_['low']:.2f} .. {p99_['high']:.2f}]"
            f" {f['cpu_ms']['median']:>8.2f} {counts[name]:>10}"
        )
    lines.append("")
    for name, target in (("gradeCreate", TARGET_ONE_MS), ("gradesCreate", TARGET_BULK_MS)):
        f = figures[name]
        ok = f["p50_ms"]["median"] <= target
        lines += [
            f"  {name}: p50 {f['p50_ms']['median']:.2f} ms, target <= {target:g} ms: {'PASS' if ok else 'FAIL'}",
            f"    ratio to the bare INSERT {f['ratio_bare']['median']:.2f}x"
            f" [{f['ratio_bare']['low']:.2f} .. {f['ratio_bare']['high']:.2f}],"
            f" to the hand-written transaction {f['ratio_hand']['median']:.2f}x"
            f" [{f['ratio_hand']['low']:.2f} .. {f['ratio_hand']['high']:.2f}]",
        ]
    lines.append("  CPU ms: this process's CPU time per write (median of the rounds' medians), the Python side alone")
    lines.append("")
    lines.append("statements (Tortoise's log; a transaction adds BEGIN and COMMIT):")
    for name in ("gradeCreate", "gradesCreate"):
        lines.append(f"  {name}:")
        lines += [f"    {i + 1}. {s}" for i, s in enumerate(results["statement_list"][name])]
        lines += [f"    after the answer (the outbox's marker): {s}" for s in results["after_answer"][name]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    results = asyncio.run(run(args))
    results["started_at"] = started.isoformat()
    print(render(results))
    print(f"\nwritten to {report.save(results, 'grades', started)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
