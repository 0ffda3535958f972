"""``python -m bench.timetable``: generating a school's year of lessons from its timetable.

What an admin waits for when a timetable goes in (every slot of School No. 1 of the demo
district, from today to the end of the academic year), the way ``resolvers.lesson_plan`` does
it (a few reads, one bulk INSERT per 2,000 lessons), against the baseline measured in the same
run: the same lessons inserted one statement each. Arms alternate round by round; each round
runs in a transaction that is rolled back, so every round starts from the seeded database.
Default: a fresh database on the local PostgreSQL (``--database-url`` for another)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from tortoise.transactions import in_transaction

import models
from bench.database import bench_database, bench_database_url, server_version
from resolvers import lesson_plan, school_days
from resolvers.core import today_utc


class _Rollback(Exception):
    """Raised to undo a measured round."""


async def _slots() -> tuple[list[models.TimetableSlot], int]:
    school = await models.School.get(name="School No. 1")
    slots = await models.TimetableSlot.filter(school_class__school_id=school.id).order_by("id")
    return list(slots), school.id


async def set_based() -> int:
    slots, _school = await _slots()
    year = await models.AcademicYear.get(school_id=_school, start_date__lte=today_utc(), end_date__gte=today_utc())
    report = await lesson_plan.sync_lessons(slots, today_utc(), year.end_date, reshape=True)
    return report.created


async def one_by_one() -> int:
    """The baseline: the same lessons, planned the same way, each inserted by its own statement."""
    slots, school = await _slots()
    year = await models.AcademicYear.get(school_id=school, start_date__lte=today_utc(), end_date__gte=today_utc())
    plans = await lesson_plan.slot_plans(slots)
    calendars = await school_days.load_calendars([school])
    existing = set(
        await models.Lesson.filter(slot_id__in=[s.id for s in slots], date__gte=today_utc()).values_list(
            "slot_id", "date"
        )
    )
    created = 0
    for lesson in lesson_plan.plan_lessons(plans, calendars, today_utc(), year.end_date):
        if (lesson.slot_id, lesson.date) not in existing:
            await lesson.save()
            created += 1
    return created


async def _round(arm: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    created = 0
    start = time.perf_counter()
    try:
        async with in_transaction():
            created = await arm()
            elapsed = time.perf_counter() - start
            raise _Rollback
    except _Rollback:
        pass
    return elapsed, created


async def run(url: str, rounds: int) -> None:
    async with bench_database(url):
        print(f"{await server_version()}; School No. 1, every slot, today ({today_utc()}) to the year's end")
        arms: dict[str, Callable[[], Awaitable[int]]] = {"set-based": set_based, "one INSERT a lesson": one_by_one}
        times: dict[str, list[float]] = {name: [] for name in arms}
        lessons: dict[str, int] = {}
        for _ in range(rounds):
            for name, arm in arms.items():
                elapsed, created = await _round(arm)
                times[name].append(elapsed)
                lessons[name] = created
        base = statistics.median(times["one INSERT a lesson"])
        for name in arms:
            median = statistics.median(times[name])
            print(f"{name:>22}: {lessons[name]:5d} lessons, median {median * 1000:8.1f} ms ({base / median:5.1f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timetable", description=__doc__)
    parser.add_argument("--database-url", help="as for python -m bench (default: local PostgreSQL)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per arm (default 5)")
    args = parser.parse_args()
    asyncio.run(run(bench_database_url(args.database_url), max(1, args.rounds)))


if __name__ == "__main__":
    main()
