"""``python -m bench.fanout``: live fan-out of diary events (see bench/README.md, "Live fan-out")."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import uvloop

from bench import brokers, churn, memory
from bench.database import bench_database, bench_database_url, server_version
from bench.live import (
    HOST,
    SECRET,
    SUBSCRIPTION,
    Family,
    Plan,
    Pool,
    Receiver,
    ServerProcess,
    Writer,
    free_port,
    in_process_server,
    percentile,
    redis_ports,
    server_process,
)
from clients import ws
from edge.settings import Settings
from pubsub.broker import RedisBroker
from resolvers.outbox import decode_cursor
from server import create_app

RESULTS = Path(__file__).parent / "results"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
P99_TARGET_MS = 50.0
GROWTH_TARGET = 1.5
BROKER_TARGET = 0.4
MEMORY_TARGET_KIB = 15.0
PHASES = ("shared", "broker", "targeted", "memory", "churn")


def _sizes(text: str) -> list[int]:
    sizes = [int(s) for s in text.split(",") if s.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive numbers")
    return sizes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    add = parser.add_argument
    add("--connections", type=_sizes, default=[1000, 5000, 10000], help="idle connections per step (1000,5000,10000)")
    add("--rate", type=float, default=100.0, help="grades posted per second while measuring (100)")
    add("--seconds", type=float, default=10.0, help="seconds of posting per step (10)")
    add("--active-families", type=int, default=100, help="guardians (one device each) the grades go to (100)")
    add("--broker-subscribers", type=_sizes, default=[1000, 5000], help="subscribers in benchmark 2 (1000,5000)")
    add("--broker-rounds", type=int, default=7, help="interleaved rounds per size in benchmark 2 (7)")
    add("--second-server", type=int, default=1000, help="connections to the second server of benchmark 4 (1000)")
    add("--shared-events", type=int, default=20, help="events in benchmark 5 (20)")
    add("--devices", type=int, default=2, help="devices per guardian in benchmark 5 (2)")
    add("--trace-connections", type=int, default=500, help="idle connections traced in the memory phase (500)")
    add("--churn-connections", type=int, default=10000, help="sockets opened and dropped per churn round (10000)")
    add("--churn-rounds", type=int, default=4, help="churn rounds, the first two warm up the allocator (4)")
    add(
        "--phases",
        default="shared,broker,targeted",
        help="which to run, comma-separated: shared (5), broker (2), targeted (1, 3, 4), memory (where an idle"
        " connection's memory goes, tracemalloc), churn (6, memory after sockets come and go); the last two not"
        " by default. Default shared,broker,targeted",
    )
    add("--redis-url", default=DEFAULT_REDIS, help=f"Redis for the servers and benchmark 2 ({DEFAULT_REDIS})")
    add("--database-url", help="as for python -m bench (default: a fresh database on PostgreSQL at 127.0.0.1:5432)")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    if set(args.phases) - set(PHASES):
        parser.error(f"--phases: choose from {', '.join(PHASES)}")
    if args.rate <= 0 or args.seconds <= 0 or args.active_families < 1 or args.broker_rounds < 1:
        parser.error("--rate, --seconds, --active-families and --broker-rounds must be positive")
    if args.churn_connections < 1 or args.churn_rounds < churn.WARMUP + 1:
        parser.error(f"--churn-connections must be positive and --churn-rounds at least {churn.WARMUP + 1}")
    return args


def _summary(latencies: list[float]) -> dict[str, Any]:
    if not latencies:
        return {"deliveries": 0}
    return {
        "deliveries": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "max_ms": round(max(latencies), 3),
    }


async def _until(done: Callable[[], bool], seconds: float) -> None:
    """Poll ``done`` until it holds or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while True:
        if done() or time.monotonic() >= deadline:
            return
        await asyncio.sleep(0.005)


# 5. Shared executions ---------------------------------------------------------------------


async def shared_executions(plan: Plan, url: str, after: str, events: int, devices: int) -> dict[str, Any]:
    """Two guardians of one child (with the same children, so the same family view), each on
    ``devices`` devices, against the app served in this process (its counters are readable
    here without adding an endpoint to the server)."""
    pair = next(
        (
            (child, gs)
            for child, gs in sorted(plan.guardians.items())
            if len(gs) >= 2 and len({plan.families[g].children for g in gs}) == 1
        ),
        None,
    )
    if pair is None:
        raise RuntimeError("no child with two guardians who follow the same children")
    child, guardians = pair
    # No REDIS_URL: the in-memory broker; no per-user cap (devices are many per guardian).
    settings = Settings(database_url=url, secret_key=SECRET, env="production", max_sockets_per_user=0)
    app = create_app(settings)
    port = free_port()
    server = in_process_server(app, port)
    serving = asyncio.create_task(server.serve())
    writer = Writer(app.state.broker)
    received: dict[int | None, int] = {}

    def on_next(connection: ws.Connection, data: dict[str, Any], now: float) -> None:
        event_id = decode_cursor(str((data.get("diaryEvents") or {}).get("cursor", "")))
        received[event_id] = received.get(event_id, 0) + 1

    try:
        await _until(lambda: bool(server.started), 10)
        connections = [
            await ws.connect(HOST, port, plan.families[g].token, SUBSCRIPTION, {"after": after}, on_next)
            for g in guardians
            for _ in range(devices)
        ]
        await asyncio.sleep(0.2)
        execution = app.state.schema.execution_context_class
        executions, hits = execution.executions, app.state.subscriptions.frames.hits
        subscribers = len(connections)
        delivered = 0
        for _ in range(events):
            event_id = await writer.grade(plan.children[child])
            await _until(lambda: received.get(event_id, 0) >= subscribers, 10)  # noqa: B023 - awaited here
            delivered += received.get(event_id, 0)
        executed = execution.executions - executions
        reused = app.state.subscriptions.frames.hits - hits
        for c in connections:
            c.close()
    finally:
        server.should_exit = True
        await serving
        await app.state.broker.close()
    naive = events * subscribers
    return {
        "guardians": len(guardians),
        "devices_each": devices,
        "subscribers": subscribers,
        "events": events,
        "frames_received": delivered,
        "executions_unshared": naive,
        "executions": executed,
        "frames_encoded": naive - reused,
        "frame_reuses": reused,
    }


# 1 + 3 + 4. A real server --------------------------------------------------------------------


async def _settle(seconds: float = 2.0) -> None:
    gc.collect()
    await asyncio.sleep(seconds)


@contextlib.contextmanager
def _no_gc_here() -> Iterator[None]:
    """No garbage collection in the benchmark's own process while it times frames: a full
    collection here (tens of ms with the ORM's objects) would show up as the server's latency.
    The server process collects as usual."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _post(writer: Writer, receiver: Receiver, children: list[Any], rate: float, seconds: float) -> int:
    """Grades at ``rate`` per second for ``seconds``, each to the next child in turn."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    tasks: list[asyncio.Task[int]] = []
    for number in range(int(rate * seconds)):
        delay = start + number / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(writer.grade(children[number % len(children)])))
    await asyncio.gather(*tasks)
    return len(tasks)


async def targeted(args: argparse.Namespace, plan: Plan, url: str, after: str) -> dict[str, Any]:
    active, idle, children = plan.split(args.active_families)
    # The baseline: as many families again whom no socket follows, their children graded alike.
    quiet, idle, quiet_children = plan.set_aside(idle, len(active))
    if not idle or not quiet:
        raise RuntimeError("every family receives events; lower --active-families")
    broker = RedisBroker(args.redis_url)
    writer = Writer(broker)
    receiver = Receiver(writer)
    recipients = {c.id: len(plan.guardians[c.id]) for c in children}
    steps: list[dict[str, Any]] = []
    ladder = sorted(set(args.connections))
    sequence = ladder + ([ladder[0]] if len(ladder) > 1 else [])
    result: dict[str, Any] = {
        "active_families": len(active),
        "idle_families": len(idle),
        "children_graded": len(children),
        "recipients_per_event": round(statistics.mean(recipients.values()), 2),
        "baseline_families": len(quiet),
        "baseline_children": len(quiet_children),
        "client_open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }
    try:
        async with server_process(url, args.redis_url) as server:
            pool = Pool(server.port, receiver, after)
            await _settle(1.0)
            rss_empty = server.rss_kib()
            await pool.open(active)
            idle_open = 0
            for step, size in enumerate(sequence):
                size = max(size, len(active))
                wanted = size - len(active)
                started = time.monotonic()
                try:
                    if wanted > idle_open:
                        await pool.open([idle[i % len(idle)] for i in range(idle_open, wanted)])
                    else:
                        pool.close(idle_open - wanted)
                except RuntimeError as exc:
                    result["stopped"] = f"could not open {size} connections: {exc}"
                    break
                idle_open = wanted
                opening = time.monotonic() - started
                await _settle()
                rss = server.rss_kib()
                # The baseline, the same grades to children nobody follows: the server's CPU for
                # everything but delivering (the notifier, the collector, keepalive pings).
                cpu_before = server.cpu_seconds()
                with _no_gc_here():
                    quiet_events = await _post(writer, receiver, quiet_children, args.rate, args.seconds)
                    await asyncio.sleep(1.0)  # as the step's wait for its last frames
                baseline_cpu = server.cpu_seconds() - cpu_before
                receiver.start()
                frames_before = receiver.frames
                cpu_before = server.cpu_seconds()
                reads_before = await server.counters("ediary_stream_reads")
                with _no_gc_here():
                    posted = await _post(writer, receiver, children, args.rate, args.seconds)
                    posted_at = time.monotonic()
                    expected = sum(recipients[children[n % len(children)].id] for n in range(posted))
                    await _until(lambda: len(receiver.latencies) >= expected, 5)  # noqa: B023 - awaited here
                    await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - posted_at)))
                cpu = server.cpu_seconds() - cpu_before
                delivered = max(len(receiver.latencies), 1)
                baseline_per_event = baseline_cpu / max(quiet_events, 1)
                reads = await server.counters("ediary_stream_reads")
                reads = {k: v - reads_before.get(k, 0) for k, v in reads.items()}
                first_sent = min((x[0] for x in receiver.samples), default=0.0)
                slowest = sorted(receiver.samples, key=lambda x: -x[1])[:10]
                steps.append(
                    {
                        "slowest": [
                            {"at_s": round(t0 - first_sent, 3), "ms": round(ms, 1), "event": e} for t0, ms, e in slowest
                        ],
                        "connections": len(pool.connections),
                        "direction": "up" if step < len(ladder) else "down again",
                        "open_seconds": round(opening, 1),
                        "events": posted,
                        "expected_deliveries": expected,
                        "frames": receiver.frames - frames_before,
                        **_summary(receiver.latencies),
                        # server CPU time / deliveries; the baseline's per event; what delivering
                        # adds: (CPU - the baseline's CPU for as many events) / deliveries
                        "server_cpu_ms_per_delivery": round(cpu * 1000 / delivered, 3),
                        "baseline_cpu_ms_per_event": round(baseline_per_event * 1000, 3),
                        "delivery_cpu_ms": round((cpu - baseline_per_event * posted) * 1000 / delivered, 3),
                        # stream reads that shared a statement with others the same event woke
                        "stream_reads": {k.split('"')[1]: int(v) for k, v in reads.items()},
                        "server_rss_kib": rss,
                        "broken_connections": len(pool.broken()),
                    }
                )
                print(f"  targeted: {steps[-1]}", flush=True)
            up = [s for s in steps if s["direction"] == "up"]
            result["memory"] = {
                "rss_no_connections_kib": rss_empty,
                "per_connection_kib": [
                    {
                        "connections": s["connections"],
                        "kib": round((s["server_rss_kib"] - rss_empty) / s["connections"], 2),
                    }
                    for s in up
                ],
            }
            if len(up) > 1:
                first, last = up[0], up[-1]
                result["memory"]["slope_kib"] = round(
                    (last["server_rss_kib"] - first["server_rss_kib"]) / (last["connections"] - first["connections"]), 2
                )
            result["steps"] = steps
            result["redis"] = await two_processes(args, url, server, pool, idle)
            pool.close(len(pool.connections))
    finally:
        await broker.close()
    return result


async def two_processes(
    args: argparse.Namespace, url: str, first: ServerProcess, first_pool: Pool, idle: list[Family]
) -> dict[str, Any]:
    """A second server process with its own subscribers; Redis's CLIENT LIST, attributed to
    each process by the local ports of its connections to Redis."""
    redis_port = int(aioredis.Redis.from_url(args.redis_url).connection_pool.connection_kwargs.get("port", 6379))
    async with server_process(url, args.redis_url) as second:
        pool = Pool(second.port, first_pool.receiver, first_pool.after)
        await pool.open([idle[-1 - i % len(idle)] for i in range(args.second_server)])
        await _settle(1.0)
        client = aioredis.Redis.from_url(args.redis_url, decode_responses=True)
        try:
            clients = await client.client_list()
        finally:
            await client.aclose()
        processes = []
        for server, subscribers in ((first, len(first_pool.connections)), (second, len(pool.connections))):
            ports = redis_ports(server.pid, redis_port)
            mine = [c for c in clients if int(str(c["addr"]).rsplit(":", 1)[1]) in ports]
            processes.append(
                {
                    "pid": server.pid,
                    "subscribers": subscribers,
                    "redis_connections": len(mine),
                    "pubsub_connections": sum(1 for c in mine if int(c.get("sub", 0)) + int(c.get("psub", 0)) > 0),
                    "channels": sum(int(c.get("sub", 0)) for c in mine),
                }
            )
        pool.close(len(pool.connections))
    return {"processes": processes, "redis_clients_total": len(clients)}


# Run and report ------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url)
    results: dict[str, Any] = {}
    async with bench_database(url):
        plan = await Plan.load()
        after = await Writer(RedisBroker(args.redis_url)).markers(list(plan.children.values()))
        if "shared" in args.phases:
            print("5. shared executions ...", flush=True)
            results["shared"] = await shared_executions(plan, url, after, args.shared_events, args.devices)
        if "broker" in args.phases:
            print("2. school-wide message, our broker vs one connection per subscriber ...", flush=True)
            results["broker"] = await brokers.measure(args.redis_url, args.broker_subscribers, args.broker_rounds)
        if "targeted" in args.phases:
            print("1. targeted events on a server process (with 3. memory and 4. Redis connections) ...", flush=True)
            results["targeted"] = await targeted(args, plan, url, after)
        if "memory" in args.phases:
            print("3b. where an idle connection's memory goes (tracemalloc, in process) ...", flush=True)
            _active, idle, _children = plan.split(args.active_families)
            results["memory_trace"] = await memory.trace(url, after, idle, args.trace_connections, top=60)
        if "churn" in args.phases:
            print("6. socket churn ...", flush=True)
            _active, idle, _children = plan.split(args.active_families)
            results["churn"] = await churn.measure(
                url, args.redis_url, idle, after, args.churn_connections, args.churn_rounds
            )
        database = await server_version()
    results["environment"] = {
        "database": database,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "packages": {p: version(p) for p in ("strawberry-graphql", "uvicorn", "websockets", "redis", "tortoise-orm")},
        "families": len(plan.families),
        "children": len(plan.children),
    }
    results["options"] = {k: v for k, v in vars(args).items() if k != "database_url"}
    return results


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def render(results: dict[str, Any]) -> str:
    env = results["environment"]
    lines = [
        f"ediary live fan-out bench - {env['database']}, Redis - Python {env['python']}, {env['cpus']} CPUs,"
        f" {env['families']} guardians of {env['children']} children",
    ]
    if "targeted" in results:
        lines += _targeted(results["targeted"], results["options"]["rate"])
    if "broker" in results:
        lines += _broker(results["broker"])
    if "targeted" in results:
        lines += _memory(results["targeted"]["memory"]) + _redis(results["targeted"]["redis"])
    if "memory_trace" in results:
        lines += _trace(results["memory_trace"])
    if "shared" in results:
        lines += _shared(results["shared"])
    if "churn" in results:
        lines += churn.render(results["churn"])
    return "\n".join(lines)


def _targeted(t: dict[str, Any], rate: float) -> list[str]:
    lines = [
        "",
        f"### 1. Targeted events: commit to socket, {rate:g} grades/s",
        "",
        f"{t['active_families']} guardians (1 device each) receive the grades ({t['recipients_per_event']} sockets"
        f" per event); the other connections are {t['idle_families']} guardians' idle devices. Before each"
        f" step, its baseline: as many grades to the children of {t['baseline_families']} guardians whom no"
        " socket follows (the server's CPU for all but delivering: the notifier, the collector, pings);"
        " delivering = (the step's CPU - the baseline's for as many events) / deliveries.",
        "",
        "| connections | step | open s | events | deliveries/expected | p50 ms | p99 ms | max ms | server CPU ms"
        " / delivery | baseline CPU ms / event | delivering, CPU ms / delivery | server RSS MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in t["steps"]:
        lines.append(
            f"| {s['connections']} | {s['direction']} | {s['open_seconds']} | {s['events']} |"
            f" {s['deliveries']}/{s['expected_deliveries']} | {s.get('p50_ms', '-')} | {s.get('p99_ms', '-')} |"
            f" {s.get('max_ms', '-')} | {s.get('server_cpu_ms_per_delivery', '-')} |"
            f" {s.get('baseline_cpu_ms_per_event', '-')} | {s.get('delivery_cpu_ms', '-')} |"
            f" {s['server_rss_kib'] / 1024:.0f} |"
        )
    if "stopped" in t:
        lines.append(f"\nstopped: {t['stopped']}")
    up = [s for s in t["steps"] if s["direction"] == "up" and "p99_ms" in s]
    if up:
        largest = up[-1]
        lines += [
            "",
            f"- p99 at {largest['connections']}: {largest['p99_ms']:.1f} ms, target <= {P99_TARGET_MS:g}:"
            f" {_verdict(largest['p99_ms'] <= P99_TARGET_MS)}",
        ]
    measured = [s for s in t["steps"] if "p99_ms" in s]
    if measured:
        worst = max(measured, key=lambda s: s["p99_ms"])
        lines.append(
            f"- p99 at every step <= {P99_TARGET_MS:g} ms (the worst: {worst['p99_ms']:.1f} ms at"
            f" {worst['connections']}, {worst['direction']}): {_verdict(worst['p99_ms'] <= P99_TARGET_MS)}"
        )
    if len(up) > 1:
        # Both on the way up: the "down again" step measures the churn that just happened, not the size.
        growth = up[-1]["p99_ms"] / up[0]["p99_ms"]
        lines.append(
            f"- p99({up[-1]['connections']}) / p99({up[0]['connections']}), both on the way up:"
            f" {growth:.2f}, target <= {GROWTH_TARGET:g}: {_verdict(growth <= GROWTH_TARGET)}"
        )
    return lines


def _broker(b: list[dict[str, Any]]) -> list[str]:
    med = statistics.median
    lines = [
        "",
        "### 2. School-wide message to every subscriber (from PUBLISH to each subscriber having it)",
        "",
        "| subscribers | ours p50 ms | ours p99 ms | naive p50 ms | naive p99 ms | ours/naive p99 (per round) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for size in b:
        ratio = size["ratio_p99"]
        lines.append(
            f"| {size['subscribers']} | {med(size['ours']['p50']):.2f} | {med(size['ours']['p99']):.2f} |"
            f" {med(size['naive']['p50']):.2f} | {med(size['naive']['p99']):.2f} |"
            f" {med(ratio):.3f} [{min(ratio):.3f} .. {max(ratio):.3f}] |"
        )
    ratio = med(b[-1]["ratio_p99"])
    lines.append(
        f"\n- ours p99 / naive p99 at {b[-1]['subscribers']}: {ratio:.3f}, target <= {BROKER_TARGET:g}:"
        f" {_verdict(ratio <= BROKER_TARGET)}"
    )
    return lines


def _memory(mem: dict[str, Any]) -> list[str]:
    lines = ["", "### 3. Server memory per idle subscribed connection (VmRSS)", ""]
    for m in mem["per_connection_kib"]:
        lines.append(f"- (RSS with {m['connections']} - RSS with none) / {m['connections']}: {m['kib']:.1f} KiB")
    if "slope_kib" in mem:
        lines.append(
            f"- between the smallest and the largest step: {mem['slope_kib']:.1f} KiB per connection,"
            f" target <= {MEMORY_TARGET_KIB:g}: {_verdict(mem['slope_kib'] <= MEMORY_TARGET_KIB)}"
        )
    return lines


def _redis(redis: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "### 4. Redis connections of two server processes",
        "",
        "| process | subscribers | Redis connections | of them pub/sub | channels subscribed |",
        "|---|---:|---:|---:|---:|",
    ]
    for p in redis["processes"]:
        lines.append(
            f"| pid {p['pid']} | {p['subscribers']} | {p['redis_connections']} | {p['pubsub_connections']} |"
            f" {p['channels']} |"
        )
    return lines


def _trace(trace: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"### 3b. Python allocations per idle connection (tracemalloc, {trace['connections']} connections,"
        f" app in process): {trace['python_bytes_per_connection']} bytes",
        "",
        f"{trace['gc_objects_per_connection']} objects tracked by the cycle collector per connection; a full"
        f" collection (which pauses every connection) took {trace['full_collection_ms']['before']} ms before"
        f" and {trace['full_collection_ms']['after']} ms after opening them.",
        "",
        "| bytes per connection | allocated in (file) |",
        "|---:|---|",
    ]
    lines += [f"| {t['bytes_per_connection']} | {t['where']} |" for t in trace["top_files"]]
    lines += ["", "| bytes per connection | allocated at (line, from our code) |", "|---:|---|"]
    lines += [f"| {t['bytes_per_connection']} | {t['where']} |" for t in trace["top"]]
    return lines


def _shared(shared: dict[str, Any]) -> list[str]:
    return [
        "",
        "### 5. Payload executions shared between subscribers who see the same data",
        "",
        f"{shared['guardians']} guardians of one child (the same children) x {shared['devices_each']} devices ="
        f" {shared['subscribers']} subscribers, {shared['events']} events, {shared['frames_received']} frames"
        f" received: {shared['executions']} executions (unshared: {shared['executions_unshared']}),"
        f" {shared['frames_encoded']} frames encoded, {shared['frame_reuses']} reused.",
    ]


def raise_open_files() -> int:
    """Every socket is a descriptor, here and in the server: the soft limit raised to the hard
    one (the servers this process starts inherit it). Returns the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_open_files()
    started = datetime.now(UTC)
    results = uvloop.run(run(args))
    results["started_at"] = started.isoformat()
    print(render(results))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"fanout-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
