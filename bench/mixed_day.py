"""``python -m bench.mixed_day``: a 100,000-student district's real day on two server processes
(bench/README.md, "A district's real day"; issue 24 part 6).

``DayModel`` turns a few figures about a district (students, class size, when families read,
how many grades a day) into the arrival rates of its three busy periods: the first bell (every
class marks its register within 3 minutes, each mark notifying the family live), the school day
(teachers grading), and the evening peak (families reading diaries, their sockets open). The
run plays each period at the model's rates on the generated district (``bench.mixed_district``),
then steps the evening's mix up until its p99 doubles. Everything else (open loop, latency
from the schedule, exactly-once deliveries, CPU) is ``bench.mixed``'s."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate
from tortoise.transactions import in_transaction

from bench import mixed, mixed_district
from bench.database import DEFAULT_SERVER, bench_database, bench_database_url, server_version
from bench.district_data import STATUSES
from bench.live import HOST, SECRET, server_process
from bench.mixed import Runner, hang_up
from bench.mixed_load import CpuClock, Phase, doubling
from bench.mixed_ops import ATTENDANCE_MARK, MIX, Deliveries, Operations, subscribe
from bench.mixed_report import render_day, write
from bench.mixed_world import Assignment, Poster, User, World
from edge.settings import normalize_database_url, tortoise_config
from resolvers import grades
from resolvers.core import to_global_id, today_utc

READS = {op: float(MIX[op]) for op in ("diary", "children", "grades", "inbox")}  # a family's visit
HOUR = 3600.0


@dataclass(frozen=True)
class DayModel:
    """A district's day in a few figures; every rate of the run is derived from them."""

    students: int = 100_000
    class_size: int = 25
    guardians_per_student: float = 1.4
    register_minutes: float = 3.0  # every class marks its first register within 3 min of the bell
    lessons_a_day: int = 6
    school_hours: float = 6.0
    grades_per_student_day: float = 2.0
    evening_grading: float = 0.1  # share of the day's grades given in the evening (homework)
    evening_hours: float = 4.0
    morning_readers: float = 0.1  # share of families who open the diary in the first bell's hour
    day_readers: float = 0.3  # ... during school hours
    evening_readers: float = 0.7  # ... in the evening,
    peak_share: float = 0.35  # ... of whom this share in its busiest hour
    requests_per_visit: float = 4.0  # diary, children, a child's grades, the inbox
    visit_minutes: float = 10.0  # the app (and its socket) open per visit

    @property
    def classes(self) -> int:
        return round(self.students / self.class_size)

    def _reads(self, visits_per_second: float) -> dict[str, float]:
        total = sum(READS.values())
        return {op: visits_per_second * self.requests_per_visit * w / total for op, w in READS.items()}

    def first_bell(self) -> dict[str, float]:
        """Requests a second in the 3 minutes after the first bell."""
        return {
            "attendanceMark": self.classes / (self.register_minutes * 60),
            **self._reads(self.students * self.morning_readers / HOUR),
        }

    def school_day(self) -> dict[str, float]:
        seconds = self.school_hours * HOUR
        return {
            "gradeCreate": self.students * self.grades_per_student_day * (1 - self.evening_grading) / seconds,
            "attendanceMark": self.classes * (self.lessons_a_day - 1) / seconds,
            **self._reads(self.students * self.day_readers / seconds),
        }

    def evening(self) -> dict[str, float]:
        seconds = self.evening_hours * HOUR
        return {
            "gradeCreate": self.students * self.grades_per_student_day * self.evening_grading / seconds,
            **self._reads(self.students * self.evening_readers * self.peak_share / HOUR),
        }

    def sockets(self) -> int:
        """Apps open at once in the evening's busiest hour (one socket each): visits a second
        times how long a visit lasts."""
        return round(self.students * self.evening_readers * self.peak_share / HOUR * self.visit_minutes * 60)

    def live_marks(self) -> float:
        """Families notified a second after the first bell (each mark of a first register)."""
        return self.first_bell()["attendanceMark"] * self.class_size * self.guardians_per_student


def periods(model: DayModel, day_seconds: float, evening_seconds: float) -> list[tuple[str, float, dict[str, float]]]:
    """(name, seconds, rates) of the day's three periods; the first bell lasts what the model says."""
    return [
        ("first bell", model.register_minutes * 60, model.first_bell()),
        ("school day", day_seconds, model.school_day()),
        ("evening peak", evening_seconds, model.evening()),
    ]


class DayOperations(Operations):
    """``Operations`` on the generated district: registers are today's, in the order they are
    due (the first bell's first, each marked once), and only families with a socket are owed."""

    def __init__(self, district: mixed_district.District, world: World, post: Poster, seed: int) -> None:
        today = today_utc()
        super().__init__(world, post, Deliveries(), (today - timedelta(days=6), today), seed)
        self.district = district
        self.due: list[tuple[int, int, int]] = []  # (lesson, class, teacher) registers still to mark
        self.teacher = {u.id: u for u in world.teachers}

    def registers(self, periods: range) -> None:
        """The registers of today's ``periods``, in a random order, next to be marked."""
        due = [r for p in periods for r in self.district.today.get(p, [])]
        self.rng.shuffle(due)
        self.due = due

    async def attendance_mark(self) -> None:
        if not self.due:
            self.registers(range(1, mixed_district.PERIODS + 1))  # all marked: saved again
        lesson, class_id, teacher = self.due.pop()
        students = self.district.classes[class_id]
        marks = self.rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES], k=len(students))
        rows, changed = [], []
        for student, status in zip(students, marks, strict=True):
            late = 5 if status == "LATE" else None
            rows.append({"studentId": to_global_id("Student", student), "status": status, "lateMinutes": late})
            if self.world.registers.get((lesson, student)) != (status, late, None):
                changed.append(student)
            self.world.registers[(lesson, student)] = (status, late, None)
        variables = {"input": {"lessonId": to_global_id("Lesson", lesson), "marks": rows}}
        await self.post.mutation(self.teacher[teacher], ATTENDANCE_MARK, variables)
        for student in changed:
            what = f"ATTENDANCE_MARKED {to_global_id('Student', student)}"
            self.deliveries.owe(self.world.guardians_of.get(student, []), what)


def day_world(district: mixed_district.District, people: dict[int, User], holders: list[int]) -> World:
    """``bench.mixed``'s ``World`` for the district: the families with their app open (a socket
    each), every teacher, and the lessons each may grade."""
    assignments = [
        Assignment(people[teacher], key[0], dict.fromkeys(district.lessons[key], district.classes[key[0]]))
        for key, teacher in district.assignments.items()
    ]
    open_apps = set(holders)
    children: dict[int, list[int]] = {}
    guardians_of: dict[int, list[int]] = {}
    for student, family in district.guardians_of.items():
        for guardian in family:
            if guardian in open_apps:
                children.setdefault(guardian, []).append(student)
                guardians_of.setdefault(student, []).append(guardian)
    return World(
        guardians=[people[g] for g in holders],
        teachers=[people[t] for t in sorted(district.teachers)],
        assignments=assignments,
        children=children,
        guardians_of=guardians_of,
        registers={},
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    model = DayModel()
    url = bench_database_url(args.database_url, prefix="ediary_mixed")
    started = datetime.now(UTC)
    ports: list[int | None] = [int(p) for p in args.ports.split(",")] if args.ports else [None, None]
    extra_env = {"EDIARY_RATE_LIMIT_NAMESPACE": f"bench-day-{os.getpid()}"}
    rng = random.Random(args.seed)
    async with bench_database(url, seed=False), contextlib.AsyncExitStack() as stack:
        database = await server_version()
        print(f"generating {args.schools} schools ...", flush=True)
        clock = time.perf_counter()
        raw = await asyncpg.connect(url)
        district = await mixed_district.generate(raw, args.schools, rng)
        async with in_transaction():
            await connections.get("default").execute_script("SET LOCAL work_mem = '256MB'")
            await grades.rebuild()
        await raw.execute("ANALYZE")
        sockets = min(args.sockets or model.sockets(), len(district.guardians_of))
        families = sorted({g for family in district.guardians_of.values() for g in family})
        holders = sorted(rng.sample(families, sockets))
        people = await mixed_district.sign_in(raw, [*sorted(district.teachers), *holders], SECRET)
        await raw.close()
        setup_seconds = time.perf_counter() - clock
        print(f"  {district.rows} in {setup_seconds:.0f} s", flush=True)
        servers = [
            await stack.enter_async_context(server_process(url, args.redis_url, port, extra_env)) for port in ports
        ]
        post = Poster([f"http://{HOST}:{s.port}" for s in servers], args.timeout)
        stack.push_async_callback(post.close)
        world = day_world(district, people, holders)
        ops = DayOperations(district, world, post, args.seed)
        for user in [*world.guardians, *world.teachers]:  # renewals spread over the first 10 minutes
            user.refresh_due = time.perf_counter() + rng.uniform(0, 600)
        print(f"{sockets} families open their app (one socket each) ...", flush=True)
        await subscribe([s.port for s in servers], world.guardians, ops.deliveries, HOST)
        stack.callback(hang_up, ops.deliveries)
        await asyncio.sleep(1)
        pids = {"generator": [os.getpid()], **{f"server {i + 1}": [s.pid] for i, s in enumerate(servers)}}
        runner = Runner(ops, ops.deliveries, CpuClock({**pids, "postgres": [], "machine": [0]}), args)
        evening = model.evening()
        warmup = await runner.phase("warm-up", sum(evening.values()) / 2, args.warmup, evening)
        phases: list[Phase] = []
        for name, seconds, rates in periods(model, args.day_seconds, args.evening_seconds):
            ops.registers(range(1, 2) if name == "first bell" else range(2, mixed_district.PERIODS + 1))
            phases.append(await runner.phase(name, sum(rates.values()), seconds, rates))
        reference = phases[-1].summary()["mix"]["p99_ms"]
        steps: list[Phase] = []
        for number in range(1, args.max_steps + 1):
            factor = args.step_factor**number
            rates = {op: r * factor for op, r in evening.items()}
            steps.append(await runner.phase(f"step {number}", sum(rates.values()), args.step_seconds, rates))
            if doubling([mixed.step_of(steps[-1])], reference) is not None:
                break
    knee = doubling([mixed.step_of(s) for s in steps], reference)
    deliveries = ops.deliveries
    results = {
        "started": started.isoformat(),
        "options": {k: v for k, v in vars(args).items() if k != "database_url"},
        "environment": {"database": database, "python": platform.python_version(), "cpus": os.cpu_count()},
        "model": {
            **asdict(model),
            "classes": model.classes,
            "sockets": model.sockets(),
            "live_marks_per_s": round(model.live_marks(), 1),
            "rates": {name: rates for name, _s, rates in periods(model, args.day_seconds, args.evening_seconds)},
        },
        "population": {**district.rows, "sockets": sockets, "setup_seconds": round(setup_seconds, 1)},
        "warmup": warmup.summary(),
        "phases": [p.summary() for p in phases],
        "steps": [s.summary() for s in steps],
        "doubling": None if knee is None else {"rate": round(knee.rate, 2), "reference_p99_ms": reference},
        "deliveries": {
            "owed": sum(deliveries.owed.values()),
            "received": sum(deliveries.received.values()),
            "missing_at_end": deliveries.outstanding()[0],
            "extra_at_end": deliveries.outstanding()[1],
        },
    }
    print(render_day(results))
    print(f"\nresults: {write(results, started, 'day')}")
    return results


async def build(url: str, schools: int, seed: int) -> None:
    """Create the database at ``url`` (PostgreSQL, a name not in use) and leave in it the district
    the run generates (``--build-only``), roll-ups and statistics included: for EXPLAIN ANALYZE of
    the policy's statements at this size without the run. Whoever builds it drops it."""
    config = tortoise_config(url)
    await Tortoise.init(config=config, _create_db=True)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.init(config=config, _enable_global_fallback=True)
    try:
        clock = time.perf_counter()
        raw = await asyncpg.connect(url)
        try:
            district = await mixed_district.generate(raw, schools, random.Random(seed))
            async with in_transaction():
                await connections.get("default").execute_script("SET LOCAL work_mem = '256MB'")
                await grades.rebuild()
            await raw.execute("ANALYZE")
        finally:
            await raw.close()
        print(f"{url}: {district.rows} in {time.perf_counter() - clock:.0f} s (kept)", flush=True)
    finally:
        await Tortoise.close_connections()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed_day", description=__doc__)
    mixed.servers_options(parser)
    parser.add_argument("--schools", type=int, default=mixed_district.SCHOOLS, help="schools of 1,000 students (100)")
    parser.add_argument("--sockets", type=int, default=0, help="families with their app open (default: the model's)")
    parser.add_argument("--day-seconds", type=float, default=120, help="length of the school-day phase (120)")
    parser.add_argument("--evening-seconds", type=float, default=180, help="length of the evening phase (180)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds at half the evening's rate first (30)")
    parser.add_argument(
        "--build-only",
        metavar="NAME",
        default="",
        help="only generate the district into a new PostgreSQL database NAME on --database-url's server, keep it, exit",
    )
    mixed.steps_options(parser, 8, "6x the evening's rate")
    args = mixed.parsed(parser, argv)
    if args.build_only:
        server = normalize_database_url(args.database_url or DEFAULT_SERVER)
        if not server.startswith("postgres://"):
            parser.error("--build-only needs a PostgreSQL server")
        asyncio.run(build(f"{server.partition('?')[0].rpartition('/')[0]}/{args.build_only}", args.schools, args.seed))
        return
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
