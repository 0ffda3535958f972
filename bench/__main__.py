"""``python -m bench``: the diary benchmarks (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import secrets
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Any

import httpx
from starlette.applications import Starlette
from tortoise import connections

import models
from bench import classwork, dbtime, report, throughput
from bench.baseline import create_baseline_app
from bench.database import bench_database, bench_database_url, server_version
from bench.diary import (
    DIARY,
    LOGIN,
    PARENT,
    PASSWORD,
    diary_range,
    hand_written,
    lessons_from_response,
    lessons_from_rows,
)
from edge.settings import Settings
from server import create_app

SECRET = secrets.token_urlsafe(48)  # made per run: no secret is written in the repository


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one round of one arm (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per benchmark (default 5)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight in benchmark 1 (default 8)")
    parser.add_argument(
        "--database-url",
        help="postgres://... (a fresh ediary_bench_* database is created on that server) or sqlite://PATH"
        " (a new file; sqlite:// alone for a temporary one). Default: PostgreSQL on 127.0.0.1:5432",
    )
    parser.add_argument(
        "--class-only", action="store_true", help="run only benchmarks 3 and 4 (class journal, class progress)"
    )
    parser.add_argument("--diary-only", action="store_true", help="run only benchmarks 1 and 2 (the parent's diary)")
    args = parser.parse_args(argv)
    if args.class_only and args.diary_only:
        parser.error("--class-only and --diary-only leave nothing to run")
    if args.seconds <= 0 or args.rounds < 1 or args.concurrency < 1:
        parser.error("--seconds, --rounds and --concurrency must be positive")
    return args


@contextlib.asynccontextmanager
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        yield http


async def log_in(ours: httpx.AsyncClient) -> dict[str, str]:
    """The parent's headers, with a token from the real ``login`` mutation."""
    credentials = {"login": PARENT, "password": PASSWORD}
    response = await ours.post("/graphql", json={"query": LOGIN, "variables": credentials})
    result = response.json()["data"]["login"]
    if result["__typename"] != "LoginSuccess":
        raise RuntimeError(f"cannot log in as {PARENT}: {result}")
    return {"Authorization": f"Bearer {result['accessToken']}"}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url)
    async with bench_database(url):
        dialect = str(connections.get("default").capabilities.dialect)
        settings = Settings(database_url=url, secret_key=SECRET, env="production", login_failures_per_address=1000)
        app = create_app(settings)
        parent = await models.User.get(login=PARENT)
        start, end = await diary_range()
        body: dict[str, Any] = {"query": DIARY, "variables": {"from": start.isoformat(), "to": end.isoformat()}}

        async def hand() -> Sequence[Any]:
            return await hand_written(dialect, parent.id, start, end)

        try:
            async with client(app) as ours, client(create_baseline_app(parent.id)) as baseline:
                headers = await log_in(ours)
                expected = (await ours.post("/graphql", json=body, headers=headers)).content
                expected_baseline = (await baseline.post("/graphql", json=body, headers=headers)).content
                answer = json.loads(expected)
                # The data only: ours also answers extensions.cost (issue 18), which the bare server has no part of.
                if "errors" in answer or answer["data"] != json.loads(expected_baseline).get("data"):
                    raise RuntimeError("ours and the baseline answer differently:\n" + expected.decode()[:2000])
                lessons = lessons_from_response(answer)
                if not lessons:
                    raise RuntimeError(f"the diary from {start} to {end} has no lessons")
                # Not with --class-only: the diary is not measured then.
                if not args.class_only and lessons_from_rows(await hand()) != lessons:
                    raise RuntimeError("the hand-written statement answers differently from the diary")

                rates = (
                    {}
                    if args.class_only
                    else await throughput.measure(
                        (ours, expected),
                        (baseline, expected_baseline),
                        body,
                        headers,
                        rounds=args.rounds,
                        concurrency=args.concurrency,
                        seconds=args.seconds,
                    )
                )

                async def diary() -> httpx.Response:
                    return await ours.post("/graphql", json=body, headers=headers)

                db = {} if args.class_only else await dbtime.measure(diary, hand, args.rounds, args.seconds)
                classwork_results = {} if args.diary_only else await run_classwork(ours, dialect, args)
        finally:
            await app.state.broker.close()
        database = await server_version()

    return {
        "environment": {
            "dialect": dialect,
            "database": database,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "packages": {p: version(p) for p in ("strawberry-graphql", "graphql-core", "starlette", "tortoise-orm")},
        },
        "options": {"seconds": args.seconds, "rounds": args.rounds, "concurrency": args.concurrency},
        "diary": {
            "children": len(answer["data"]["viewer"]["children"]),
            "from": start.isoformat(),
            "to": end.isoformat(),
            "lessons": len(lessons),
            "response_bytes": len(expected),
        },
        "throughput": rates,
        "database_time": db,
        **classwork_results,
    }


async def run_classwork(ours: httpx.AsyncClient, dialect: str, args: argparse.Namespace) -> dict[str, Any]:
    """Benchmarks 3 and 4: a class's journal and progress as the school admin reads them,
    each checked equal to its hand-written statement's answer before measuring."""
    bench = await classwork.build_class()
    response = await ours.post(
        "/graphql", json={"query": LOGIN, "variables": {"login": classwork.ADMIN, "password": PASSWORD}}
    )
    headers = {"Authorization": f"Bearer {response.json()['data']['login']['accessToken']}"}
    # What the set-up made lives to the end of the run: out of the collector's reach, as the
    # server's lifespan puts what start-up made (server.py, ``freeze_collector``, on by default),
    # so that a request's collections walk what requests make, not the seeded district.
    gc.collect()
    gc.freeze()
    results: dict[str, Any] = {
        "class": {
            "students": classwork.STUDENTS,
            "subjects": len(classwork.SUBJECTS),
            "lessons_per_subject": bench.lessons,
            "term": f"{bench.term.name} {bench.term.start_date}..{bench.term.end_date}",
            "grades": await models.Grade.filter(school_class_id=bench.school_class.id).count(),
        }
    }
    arms = (
        ("class_journal", classwork.JOURNAL, classwork.hand_journal, classwork.journal_rows),
        ("class_journal_cells", classwork.JOURNAL_CELLS, classwork.hand_journal_cells, classwork.journal_rows),
        ("class_progress", classwork.PROGRESS, classwork.hand_progress, classwork.progress_students),
    )
    targets = {
        "class_journal": classwork.JOURNAL_STATEMENTS,
        "class_journal_cells": classwork.JOURNAL_STATEMENTS,
        "class_progress": classwork.PROGRESS_STATEMENTS,
    }
    for name, query, hand_written_fn, extract in arms:
        body = {"query": query, "variables": bench.variables()}
        answer = (await ours.post("/graphql", json=body, headers=headers)).json()
        if "errors" in answer:
            raise RuntimeError(f"{name}: {answer['errors']}")
        expected = await hand_written_fn(dialect, bench)
        if name.startswith("class_journal"):
            expected = [{k: v for k, v in r.items() if k != "_id"} for r in expected]
        if extract(answer) != expected:
            raise RuntimeError(f"{name}: the hand-written statement answers differently from GraphQL")

        async def send(body: dict[str, Any] = body) -> httpx.Response:
            return await ours.post("/graphql", json=body, headers=headers)

        async def hand_arm(fn: Any = hand_written_fn) -> Any:
            return await fn(dialect, bench)

        results[name] = await dbtime.measure(send, hand_arm, args.rounds, args.seconds, targets[name])
        results[name]["response_bytes"] = len(json.dumps(answer))
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now(UTC)
    results = asyncio.run(run(args))
    results["started_at"] = started.isoformat()
    print(report.render(results))
    print(f"\nwritten to {report.write(results, started)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
