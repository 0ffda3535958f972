"""Socket churn (``python -m bench.fanout --phases churn``): subscribed sockets connected and
dropped again and again on a production server process; does its memory come back?

Each round opens ``connections`` sockets (idle guardians' devices, each subscribed to
``diaryEvents`` and past its first replayed event, so its subscription is in place), reads the
server's RSS, drops them all, waits until the server has closed every one (no TCP connection
on its port is left in the kernel's table), lets the server's collector
re-arm (``schema/websocket.py``: it unfreezes and collects after churn, within a few of its 1 s
steps), and reads the RSS again.

Freed memory stays with the process's allocator, so RSS hardly falls when sockets close; what
matters is that later rounds reuse it. The baseline is the RSS after the ``warmup`` rounds
(the allocator grown to its working size), measured in the same run; each later round is
reported as a ratio to it, and what it added as a share of the memory one round's sockets
took. Target: after the last round at most 10 % of that (the same rule as
``tests/faults/test_faults_churn.py`` with 1,000 sockets)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.live import HOST, SUBSCRIPTION, Family, server_process
from clients import ws

LISTEN, TIME_WAIT, CLOSE = "0A", "06", "07"
LEFTOVER_TARGET = 0.10
SETTLE_SECONDS = 3.0
WARMUP = 2  # rounds before the baseline


def _server_sockets(port: int) -> int:
    """TCP connections whose server end (local ``port``) the server still holds: established,
    or closed by the client and not yet by the server (Linux, IPv4)."""
    held = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            local, state = line.split()[1], line.split()[3]
            if int(local.rsplit(":", 1)[1], 16) == port and state not in (LISTEN, TIME_WAIT, CLOSE):
                held += 1
    return held


async def _open(port: int, families: list[Family], after: str, count: int) -> list[ws.Connection]:
    gate = asyncio.Semaphore(100)

    def ignore(connection: ws.Connection, data: dict[str, Any], now: float) -> None:
        return None

    async def one(family: Family) -> ws.Connection:
        async with gate:
            return await ws.connect(HOST, port, family.token, SUBSCRIPTION, {"after": after}, ignore, family)

    opened = await asyncio.gather(*(one(families[i % len(families)]) for i in range(count)), return_exceptions=True)
    connections = [c for c in opened if isinstance(c, ws.Connection)]
    failures = [c for c in opened if isinstance(c, BaseException)]
    if failures:
        for c in connections:
            c.close()
        raise RuntimeError(f"{len(failures)} of {count} connections failed, e.g. {failures[0]!r}")
    return connections


async def measure(
    database_url: str, redis_url: str, families: list[Family], after: str, connections: int, rounds: int
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    async with server_process(database_url, redis_url) as server:
        await asyncio.sleep(1.0)
        rss_empty = server.rss_kib()
        for number in range(1, rounds + 1):
            started = time.monotonic()
            opened = await _open(server.port, families, after, connections)
            open_seconds = time.monotonic() - started
            rss_open = server.rss_kib()
            for connection in opened:
                connection.close()
            del opened
            started = time.monotonic()
            while _server_sockets(server.port) > 0:
                if time.monotonic() - started > 300:
                    raise RuntimeError("the server did not close the dropped sockets in 5 minutes")
                await asyncio.sleep(0.2)
            close_seconds = time.monotonic() - started
            await asyncio.sleep(SETTLE_SECONDS)
            steps.append(
                {
                    "round": number,
                    "open_seconds": round(open_seconds, 1),
                    "close_seconds": round(close_seconds, 1),
                    "rss_open_kib": rss_open,
                    "rss_closed_kib": server.rss_kib(),
                }
            )
            print(f"  churn: {steps[-1]}", flush=True)
    took = steps[0]["rss_open_kib"] - rss_empty
    baseline = steps[WARMUP - 1]["rss_closed_kib"]
    for step in steps:
        step["closed_to_baseline"] = round(step["rss_closed_kib"] / baseline, 3)
        step["added_share_of_one_round"] = round((step["rss_closed_kib"] - baseline) / took, 3)
    return {
        "connections": connections,
        "rounds": rounds,
        "warmup": WARMUP,
        "rss_empty_kib": rss_empty,
        "rss_baseline_kib": baseline,
        "one_round_kib": took,
        "per_connection_kib": round(took / connections, 1),
        "steps": steps,
    }


def render(churn: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"### 6. Socket churn: {churn['connections']} subscribed sockets opened and dropped, {churn['rounds']} rounds",
        "",
        f"RSS before any socket {churn['rss_empty_kib'] / 1024:.0f} MiB; the first round's sockets took"
        f" {churn['one_round_kib'] / 1024:.0f} MiB ({churn['per_connection_kib']} KiB each); baseline: the RSS after"
        f" round {churn['warmup']}, {churn['rss_baseline_kib'] / 1024:.0f} MiB.",
        "",
        "| round | open s | closed s | RSS open MiB | RSS closed MiB | closed / baseline | added / one round |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in churn["steps"]:
        lines.append(
            f"| {s['round']} | {s['open_seconds']} | {s['close_seconds']} | {s['rss_open_kib'] / 1024:.0f} |"
            f" {s['rss_closed_kib'] / 1024:.0f} | {s['closed_to_baseline']:.3f} | {s['added_share_of_one_round']:.3f} |"
        )
    last = churn["steps"][-1]["added_share_of_one_round"]
    verdict = "PASS" if last <= LEFTOVER_TARGET else "FAIL"
    lines.append(
        f"\n- added after the last round / one round's sockets: {last:.3f}, target <= {LEFTOVER_TARGET:g}: {verdict}"
    )
    return lines
