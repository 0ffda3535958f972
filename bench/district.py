"""``python -m bench.district``: dashboards over a generated district, and the cost of roll-ups.

1. Generates a district in a fresh PostgreSQL database (``--database``, default
   ``ediary_bench_district``, dropped afterwards unless ``--keep``; ``--reuse`` measures one
   kept): 100 schools x 40 classes x 25 students (100,000 students), 10 subjects each, ~200
   grades per student over last academic year's four terms (~20 million grades, 1% of them
   removed), and one register a week per class (~3.6 million attendance marks), loaded with COPY;
   then the roll-ups are built by one INSERT ... SELECT each (``grades.rebuild``).
   ``--scale 0.05`` makes 5 schools (a quick run).
2. Dashboard latency, p50/p99: one school's (through the GraphQL schema as its admin, and the
   resolver's own statements alone) and the district's, against the same answer computed by
   the same statements over a full recomputation from grades and attendance, in the same run.
3. Grade write throughput through the real resolvers (``gradesCreate`` for a class of 25 and
   ``gradeCreate`` for one), with roll-up maintenance and with it switched off, interleaved.
Figures are printed with the row counts, and written to bench/results/district-<time>.json."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate
from tortoise.transactions import in_transaction

import models
from bench.district_data import generate, reread
from edge.settings import Settings, tortoise_config
from pubsub.broker import MemoryBroker
from resolvers import grades, stats
from resolvers.core import to_global_id
from resolvers.loaders import Loaders
from resolvers.sessions import Context, Viewer
from schema import build_schema

SERVER = "postgres://postgres@127.0.0.1:5432"
DATABASE = "ediary_bench_district"

SCHOOL_QUERY = """query S($id: ID!, $term: ID) { node(id: $id) { ... on School { stats(termId: $term) {
  grades average weightedAverage success quality attendanceRate unexcusedAbsences
  distribution { mark value count }
  byClass { schoolClass { name } grades weightedAverage success quality attendanceRate unexcusedAbsences }
  bySubject { subject { name } grades weightedAverage } byTeacher { teacher { fullName } grades weightedAverage }
  byWeek { weekStart grades weightedAverage attendanceRate }
  atRisk { student { fullName } weightedAverage unexcusedAbsences } } } } }"""
DISTRICT_QUERY = """query D($term: ID) { viewer { districts { stats(termId: $term) {
  grades average weightedAverage success quality attendanceRate unexcusedAbsences distribution { mark count }
  bySchool { school { name } grades weightedAverage success quality attendanceRate }
  bySubject { name grades weightedAverage } byWeek { weekStart grades weightedAverage attendanceRate } } } } }"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.district", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="share of the 100 schools (default 1)")
    parser.add_argument("--server", default=SERVER, help=f"PostgreSQL server (default {SERVER})")
    parser.add_argument("--runs", type=int, default=100, help="dashboard runs per measurement (default 100)")
    parser.add_argument(
        "--scan-runs",
        type=int,
        default=3,
        help="full-scan runs per measurement (default 3; 0: only the check that both answers agree)",
    )
    parser.add_argument("--seconds", type=float, default=4.0, help="one round of one write arm (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved write rounds (default 3)")
    parser.add_argument("--database", default=DATABASE, help=f"the database to create (default {DATABASE})")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a database kept by an earlier --keep run (no load, kept)"
    )
    return parser.parse_args(argv)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def server_cpu(pids: list[int]) -> dict[int, float] | None:
    """Seconds of CPU each of the database's server processes ``pids`` has used (``/proc``: a
    server on this machine), or None where they cannot be read."""
    found = {}
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, IndexError, ValueError):
        return None
    return found


async def timed(runs: int, call: Any, url: str) -> dict[str, float | None]:
    """p50 and p99 of ``runs`` calls, with the CPU each took in this process and (a server on
    this machine) in the database's server processes that served them: figures the other loads
    of a shared machine inflate much less than the time."""
    raw = await asyncpg.connect(url)
    query = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
    database = url.rsplit("/", 1)[1]
    before = server_cpu([r["pid"] for r in await raw.fetch(query, database)])
    spent = []
    cpu = time.process_time()
    for i in range(runs):
        began = time.perf_counter()
        await call(i)
        spent.append((time.perf_counter() - began) * 1000)
    cpu = time.process_time() - cpu
    after = server_cpu([r["pid"] for r in await raw.fetch(query, database)])
    await raw.close()
    db_cpu = None
    if before is not None and after is not None:  # a process that started meanwhile counts from 0
        db_cpu = round(sum(used - before.get(pid, 0.0) for pid, used in after.items()) * 1000 / runs, 2)
    return {
        "p50_ms": round(pct(spent, 0.5), 2),
        "p99_ms": round(pct(spent, 0.99), 2),
        "cpu_ms": round(cpu * 1000 / runs, 2),
        "db_cpu_ms": db_cpu,
        "runs": runs,
    }


def context(user_id: int, broker: MemoryBroker) -> Context:
    viewer = Viewer(user_id)
    return Context(request=None, viewer=viewer, loaders=Loaders(viewer), broker=broker, settings=Settings())


async def dashboards(data: dict[str, Any], args: argparse.Namespace, broker: MemoryBroker) -> dict[str, Any]:
    schools: list[models.School] = data["schools"]
    term_number = 2
    school_scopes = [stats.Scope([data["term_ids"][s.id][term_number - 1][0]], [s]) for s in schools]
    district_term_ids = [data["term_ids"][s.id][term_number - 1][0] for s in schools]
    district_scope = stats.Scope(district_term_ids, schools)
    schema = build_schema()
    first, first_term = schools[0], data["term_ids"][schools[0].id][term_number - 1][0]
    url = f"{args.server}/{args.database}"

    async def school_sql(i: int, full_scan: bool = False) -> None:
        await stats.load(school_scopes[i % len(schools)], district=False, at_risk=True, full_scan=full_scan)

    async def district_sql(_i: int, full_scan: bool = False) -> None:
        await stats.load(district_scope, district=True, at_risk=False, full_scan=full_scan)

    async def school_graphql(_i: int) -> None:
        variables = {"id": to_global_id("School", first.id), "term": to_global_id("Term", first_term)}
        ctx = context(data["admin"], broker)
        result = await schema.execute(SCHOOL_QUERY, variable_values=variables, context_value=ctx)
        if result.errors or not result.data or not result.data["node"]["stats"]:
            raise RuntimeError(f"school dashboard failed: {result.errors}")

    async def district_graphql(_i: int) -> None:
        variables = {"term": to_global_id("Term", first_term)}
        ctx = context(data["district_admin"], broker)
        result = await schema.execute(DISTRICT_QUERY, variable_values=variables, context_value=ctx)
        if result.errors or not result.data or not result.data["viewer"]["districts"][0]["stats"]:
            raise RuntimeError(f"district dashboard failed: {result.errors}")

    fast = await stats.load(district_scope, district=True, at_risk=False)
    slow = await stats.load(district_scope, district=True, at_risk=False, full_scan=True)
    one_fast = await stats.load(school_scopes[0], district=False, at_risk=True)
    one_slow = await stats.load(school_scopes[0], district=False, at_risk=True, full_scan=True)
    if fast != slow or one_fast != one_slow:
        raise RuntimeError("the roll-ups and the full scan disagree")
    found: dict[str, Any] = {
        "district_grades_in_term": fast.total.figures.grades,
        "school_grades_in_term": one_fast.total.figures.grades,
        "school_graphql": await timed(args.runs, school_graphql, url),
        "school_sql": await timed(args.runs, school_sql, url),
        "district_graphql": await timed(args.runs, district_graphql, url),
        "district_sql": await timed(args.runs, district_sql, url),
    }
    if args.scan_runs > 0:  # the baseline's timing (its answer was compared above either way)
        found["school_full_scan"] = await timed(args.scan_runs, lambda i: school_sql(i, True), url)
        found["district_full_scan"] = await timed(args.scan_runs, lambda i: district_sql(i, True), url)
        for what in ("school", "district"):
            ratio = found[f"{what}_sql"]["p50_ms"] / found[f"{what}_full_scan"]["p50_ms"]
            found[f"{what}_ratio_p50"] = round(ratio, 5)
    return found


@contextlib.asynccontextmanager
async def rollups_off() -> AsyncIterator[None]:
    """Grade writes without roll-up maintenance: the baseline arm of the throughput figure."""

    class Nothing:
        async def add(self, _ids: list[int]) -> None:
            return None

        async def remove(self, _ids: list[int]) -> None:
            return None

    @contextlib.asynccontextmanager
    async def skip(_students: Any) -> AsyncIterator[Any]:
        yield Nothing()

    real = grades.grades_changing
    grades.grades_changing = skip  # type: ignore[assignment]
    try:
        yield
    finally:
        grades.grades_changing = real


async def writes(data: dict[str, Any], args: argparse.Namespace, broker: MemoryBroker) -> dict[str, Any]:
    """Grades per second through ``grades.create_grades`` (a class of 25) and ``create_grade``."""
    targets = []
    for _school_id, cid, kids, pairs in data["plan"][:8]:
        lesson = await models.Lesson.filter(school_class_id=cid).order_by("-date").first()
        assert lesson is not None
        targets.append((lesson, pairs[0][1], kids))
    rng = random.Random(5)

    async def arm(many: bool, seconds: float) -> float:
        done, began, i = 0, time.perf_counter(), 0
        while time.perf_counter() - began < seconds:
            lesson, teacher_id, kids = targets[i % len(targets)]
            ctx = context(teacher_id, broker)
            lesson_id = to_global_id("Lesson", lesson.id)
            if many:
                rows = [grades.GradeRow(to_global_id("Student", k), str(rng.randint(2, 5))) for k in kids]
                done += len(await grades.create_grades(ctx, lesson_id, rows))
            else:
                row = grades.GradeRow(to_global_id("Student", rng.choice(kids)), str(rng.randint(2, 5)))
                await grades.create_grade(ctx, lesson_id, row)
                done += 1
            i += 1
        return done / (time.perf_counter() - began)

    found: dict[str, Any] = {}
    await arm(True, 1.0)  # warm up, with roll-ups: and they still equal a full recomputation
    drift = await grades.check() if args.scale <= 0.05 else {}
    found["consistent_after_writes"] = all(v == (0, 0) for v in drift.values()) if drift else "checked at scale <= 0.05"
    for many, name in ((True, "class_of_25"), (False, "one_grade")):
        with_rollups, without = [], []
        for _ in range(args.rounds):
            with_rollups.append(await arm(many, args.seconds))
            async with rollups_off():
                without.append(await arm(many, args.seconds))
        found[name] = {
            "with_rollups_per_s": round(statistics.median(with_rollups), 1),
            "without_per_s": round(statistics.median(without), 1),
            "ratio": round(statistics.median(with_rollups) / statistics.median(without), 3),
        }
    return found


async def build(url: str, args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, float]]:
    """A fresh district: COPY-loaded, then the roll-ups built in one INSERT ... SELECT each."""
    schools = max(1, round(100 * args.scale))
    raw = await asyncpg.connect(url)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    await raw.execute("SET session_replication_role = replica")  # no FK triggers while loading
    data = await generate(raw, schools, random.Random(2026))
    await raw.execute("SET session_replication_role = DEFAULT")
    await raw.execute("ANALYZE")
    timings["load_s"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    async with in_transaction():
        await connections.get("default").execute_script("SET LOCAL work_mem = '256MB'")
        await grades.rebuild()
    await raw.execute("ANALYZE")
    timings["rollups_build_s"] = round(time.perf_counter() - began, 1)
    await raw.close()
    return data, timings


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = f"{args.server}/{args.database}"
    config = tortoise_config(url)
    if not args.reuse:
        await Tortoise.init(config=config, _create_db=True)
        await Tortoise.close_connections()
    try:
        await migrate(config=config)
        await Tortoise.init(config=config, _enable_global_fallback=True)
        data, timings = await (reread(url) if args.reuse else build(url, args))
        raw = await asyncpg.connect(url)
        counts = {}
        tables = ["school", "school_class", "student", "grade", "attendance", *(t.name for t in grades.ALL_TABLES)]
        for table in [*tables, "rollup_lowest_mark"]:
            counts[table] = await raw.fetchval(f"SELECT COUNT(*) FROM {table}")
        await raw.close()
        broker = MemoryBroker()
        result = {
            "scale": args.scale,
            "rows": counts,
            "timings": timings,
            "dashboards": await dashboards(data, args, broker),
            "writes": await writes(data, args, broker) if args.rounds > 0 else "skipped (--rounds 0)",
        }
        await broker.close()
        return result
    finally:
        if not (args.keep or args.reuse):
            await Tortoise._drop_databases()
        else:
            await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2, default=str)
    print(text)
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"district-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
