"""``python -m bench.mixed``: issue 7's mixed load on 2 server processes (bench/README.md,
"Mixed load").

Parents read diaries, children, grades and their inbox; teachers post grades and mark
registers; parents and teachers write in class chats; every parent's phone is subscribed to
``diaryEvents`` and ``chatEvents``. Requests arrive at a fixed rate whether or not earlier
ones have finished (open loop), spread over two ``server.py serve`` processes sharing one
PostgreSQL database and one Redis. A steady phase at ``--rate`` gives p50/p99 per operation
and per delivery; then the rate rises by ``--step-factor`` every ``--step-seconds`` until the
mix's p99 is twice the steady phase's (or errors appear)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import time
from datetime import UTC, datetime
from typing import Any

from tortoise import connections

from bench.database import bench_database, bench_database_url, server_version
from bench.diary import diary_range
from bench.live import HOST, server_process
from bench.mixed_load import CpuClock, Phase, Step, doubling, open_loop, picker, step_rates
from bench.mixed_ops import MIX, Deliveries, Operations, subscribe
from bench.mixed_report import render, write
from bench.mixed_world import Failure, Poster, World, log_in

DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
DEFAULT_RATE = 20.0  # requests per second: comfortable for 2 processes on 2 shared cores (README)


class Runner:
    """Fires the mix's requests on schedule and keeps, per phase, what they and the sockets saw."""

    def __init__(self, ops: Operations, deliveries: Deliveries, cpu: CpuClock, args: argparse.Namespace) -> None:
        self.ops, self.deliveries, self.cpu, self.args = ops, deliveries, cpu, args
        self.pick = picker(MIX, args.seed)
        self.inflight: set[asyncio.Task[None]] = set()
        self.missing = self.extra = 0
        self.reported: set[str] = set()  # socket failures already counted

    def _start(self, phase: Phase, name: str, call: Any, due: float) -> None:
        async def timed() -> None:
            try:
                await asyncio.wait_for(call(), self.args.timeout)
            except Failure as exc:
                phase.fail(name, str(exc))
                return
            except TimeoutError:
                phase.fail(name, f"no answer within {self.args.timeout:g} s")
                return
            except Exception as exc:  # noqa: BLE001 - an answer of an unexpected shape is an error too
                phase.fail(name, f"{type(exc).__name__}: {exc}")
                return
            phase.ok(name, (time.perf_counter() - due) * 1000)

        task = asyncio.get_running_loop().create_task(timed())
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    async def _refresher(self, phase: Phase) -> None:
        """Apps renew their access tokens before they expire: part of the load, not of the mix."""
        while True:
            now = time.perf_counter()
            for user in self.ops.due_for_refresh(now):
                self._start(phase, "sessionRefresh", lambda u=user: self.ops.refresh(u), now)
            await asyncio.sleep(1)

    async def phase(self, name: str, rate: float, seconds: float, mix: dict[str, float] | None = None) -> Phase:
        """``rate`` arrivals a second for ``seconds``, drawn from ``mix`` (default: ``MIX``)."""
        phase = Phase(name, rate)
        self.deliveries.phase = phase
        pick = self.pick if mix is None else picker(mix, self.args.seed)

        def fire(due: float) -> None:
            phase.lag.append((time.perf_counter() - due) * 1000)
            operation = pick()
            self._start(phase, operation, self.ops.run[operation], due)

        refresher = asyncio.get_running_loop().create_task(self._refresher(phase))
        self.cpu.groups["postgres"] = await database_backends()
        self.cpu.start()
        started = time.perf_counter()
        await open_loop(rate, seconds, fire)
        phase.seconds = time.perf_counter() - started
        self.cpu.groups["postgres"] = await database_backends()
        phase.cpu = self.cpu.read()
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        if self.inflight:  # every request of the phase ends (answer, failure or timeout)
            await asyncio.wait(set(self.inflight))
        missing, extra = await self.deliveries.settle(self.args.settle)
        if missing > self.missing:
            phase.fail("deliveries", f"{missing - self.missing} owed did not arrive", missing - self.missing)
        if extra > self.extra:
            phase.fail("deliveries", f"{extra - self.extra} arrived twice or unasked", extra - self.extra)
        if missing > self.missing or extra > self.extra:
            phase.first_errors.append(f"deliveries: {self.deliveries.examples()}")
        self.missing, self.extra = max(missing, self.missing), max(extra, self.extra)
        for reason in self.deliveries.broken():
            if reason not in self.reported:
                self.reported.add(reason)
                phase.fail("sockets", reason)
        self.deliveries.phase = None
        print(
            f"  {name}: {rate:.1f}/s for {phase.seconds:.0f} s, mix p99 {phase.summary()['mix']['p99_ms']} ms,"
            f" errors {sum(phase.errors.values())}",
            flush=True,
        )
        return phase


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url, prefix="ediary_mixed")
    started = datetime.now(UTC)
    ports: list[int | None] = [int(p) for p in args.ports.split(",")] if args.ports else [None, None]
    # A namespace of this run's own for the shared rate-limit counters (the limits stay the
    # production defaults; each simulated person has their own forwarded client address).
    extra_env = {"EDIARY_RATE_LIMIT_NAMESPACE": f"bench-mixed-{os.getpid()}"}
    async with bench_database(url), contextlib.AsyncExitStack() as stack:
        database = await server_version()
        world = await World.load()
        days = await diary_range()
        servers = [
            await stack.enter_async_context(server_process(url, args.redis_url, port, extra_env)) for port in ports
        ]
        post = Poster([f"http://{HOST}:{s.port}" for s in servers], args.timeout)
        stack.push_async_callback(post.close)
        print(f"{len(world.guardians)} parents and {len(world.teachers)} teachers log in ...", flush=True)
        clock = time.perf_counter()
        await log_in(post, [*world.guardians, *world.teachers])
        login_seconds = time.perf_counter() - clock
        await world.class_chats(post)
        deliveries = Deliveries()
        await subscribe([s.port for s in servers], world.guardians, deliveries, HOST)
        stack.callback(hang_up, deliveries)
        await asyncio.sleep(1)  # the subscriptions are sent with the acknowledgement; let them start
        ops = Operations(world, post, deliveries, days, args.seed)
        pids = {"generator": [os.getpid()], **{f"server {i + 1}": [s.pid] for i, s in enumerate(servers)}}
        runner = Runner(ops, deliveries, CpuClock({**pids, "postgres": [], "machine": [0]}), args)
        print(
            f"warm-up, then {args.minutes:g} min at {args.rate:g}/s, then steps of {args.step_seconds:g} s", flush=True
        )
        warmup = await runner.phase("warm-up", args.rate, args.warmup)
        steady = await runner.phase("steady", args.rate, args.minutes * 60)
        steady_p99 = steady.summary()["mix"]["p99_ms"]
        steps: list[Phase] = []
        for number, rate in enumerate(step_rates(args.rate, args.step_factor, args.max_steps), start=1):
            steps.append(await runner.phase(f"step {number}", rate, args.step_seconds))
            if doubling([step_of(steps[-1])], steady_p99) is not None:
                break
    knee = doubling([step_of(s) for s in steps], steady_p99)
    results = {
        "started": started.isoformat(),
        "options": {k: v for k, v in vars(args).items() if k != "database_url"},
        "environment": {"database": database, "python": platform.python_version(), "cpus": os.cpu_count()},
        "population": {
            "parents_subscribed": len(deliveries.devices),
            "teachers": len(world.teachers),
            "lessons_to_write": sum(len(a.lessons) for a in world.assignments),
            "class_chats": len(world.chats),
            "login_seconds": round(login_seconds, 1),
            "diary_days": [d.isoformat() for d in days],
        },
        "mix": MIX,
        "warmup": warmup.summary(),
        "steady": steady.summary(),
        "steps": [s.summary() for s in steps],
        "doubling": None
        if knee is None
        else {"rate": round(knee.rate, 2), "ratio_to_steady": round(knee.rate / args.rate, 2)},
        "deliveries": {
            "owed": sum(deliveries.owed.values()),
            "received": sum(deliveries.received.values()),
            "missing_at_end": deliveries.outstanding()[0],
        },
    }
    print(render(results))
    print(f"\nresults: {write(results, started)}")
    return results


async def database_backends() -> list[int]:
    """The PostgreSQL backends serving the bench database (the servers' pools, and ours)."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
    )
    return [int(row["pid"]) for row in rows]


def hang_up(deliveries: Deliveries) -> None:
    for device in deliveries.devices:
        device.close()


def step_of(phase: Phase) -> Step:
    """A phase as a step of the search for the rate at which p99 doubles."""
    summary = phase.summary()
    return Step(phase.rate, summary["mix"]["p99_ms"], summary["errors"])


def servers_options(parser: argparse.ArgumentParser) -> None:
    """Where the run's database, Redis and two servers are (``bench.mixed`` and ``bench.mixed_day``)."""
    parser.add_argument("--database-url", default=None, help="PostgreSQL server (a fresh ediary_mixed_* is made on it)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"Redis of both servers ({DEFAULT_REDIS})")
    parser.add_argument("--ports", default="", help="the two servers' ports, e.g. 8400,8401 (default: free ports)")


def steps_options(parser: argparse.ArgumentParser, max_steps: int, reach: str) -> None:
    """The steps after the measured phases, what counts as an error, and the seed."""
    parser.add_argument("--step-seconds", type=float, default=30, help="length of each step (30)")
    parser.add_argument("--step-factor", type=float, default=1.25, help="rate increase per step (1.25)")
    parser.add_argument("--max-steps", type=int, default=max_steps, help=f"steps at most ({max_steps}: {reach})")
    parser.add_argument("--timeout", type=float, default=30, help="a request unanswered this long is an error (30)")
    parser.add_argument("--settle", type=float, default=10, help="seconds owed deliveries get after a phase (10)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")


def parsed(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """The options, refused when --ports does not name two ports."""
    args = parser.parse_args(argv)
    if args.ports and len(args.ports.split(",")) != 2:
        parser.error("--ports takes two ports")
    return args


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__)
    servers_options(parser)
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help=f"steady arrivals per second ({DEFAULT_RATE:g})"
    )
    parser.add_argument("--minutes", type=float, default=10, help="length of the steady phase (10)")
    parser.add_argument("--warmup", type=float, default=30, help="seconds at --rate before measuring (30)")
    steps_options(parser, 12, "up to 14.6x the rate")
    asyncio.run(run(parsed(parser, argv)))


if __name__ == "__main__":
    main()
