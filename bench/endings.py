"""``python -m bench.endings``: how long a socket outlives its session (README "WebSocket
sessions", bench/README.md "Session endings").

Two ``server.py serve`` processes (production mode) share a fresh database and Redis. Each run
opens a session of one user (``sessions.start_session``, as a login does), connects a socket with
its access token and subscribes it to ``notificationEvents``, then ends the session and times the
socket's close frame (4401):

- ``same``: ``logout`` over HTTP on the process that holds the socket;
- ``cross``: ``logout`` on the other process (the ending crosses Redis);
- ``lost``: the ending written as a mutation writes it, but never announced on the broker, at a
  random moment: the socket's process finds it in its check of the sessions ended lately (every
  second).

For ``same`` and ``cross`` the time runs from the logout's response arriving at the client (the
close frame may come first: then it is negative) and, second, from its request being sent; for
``lost`` from the commit. p50 / p99 / max over ``--runs`` runs of each."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from tortoise.transactions import in_transaction
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

import models
from bench import report
from bench.database import bench_database, bench_database_url, server_version
from bench.live import HOST, SECRET, ServerProcess, percentile, server_process
from edge.settings import Settings
from resolvers import sessions
from resolvers.core import now_utc
from schema.websocket import CHECK_EVERY

DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
MODES = ("same", "cross", "lost")
SUBSCRIBE = {"id": "1", "type": "subscribe", "payload": {"query": "subscription { notificationEvents { cursor } }"}}
LOGOUT = "mutation L($t: String!) { logout(input: {refreshToken: $t}) { __typename } }"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.endings", description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="endings timed per mode (100)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--database-url", help="as for `python -m bench` (default: PostgreSQL on 127.0.0.1:5432)")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS, help=f"shared by both processes ({DEFAULT_REDIS})")
    args = parser.parse_args(argv)
    args.modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.runs < 1 or not set(args.modes) <= set(MODES):
        parser.error(f"--runs must be positive and --modes of {', '.join(MODES)}")
    return args


async def _socket(process: ServerProcess, token: str) -> ClientConnection:
    """A socket of the session, acknowledged, its subscription started and parked."""
    ws = await connect(f"ws://{HOST}:{process.port}/graphql", subprotocols=["graphql-transport-ws"])  # type: ignore[list-item]
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    await ws.send(json.dumps(SUBSCRIBE))
    await asyncio.sleep(0.05)  # the subscription reads its outbox, then parks
    return ws


async def _closed(ws: ClientConnection) -> tuple[float, int | None]:
    """When the server's close frame arrived, and its code."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed as closed:
        return time.perf_counter(), closed.rcvd.code if closed.rcvd else None


# One run: end the session (``pair``) and say when the ending happened, as (from, from-sent).
Ending = Callable[[sessions.TokenPair], Awaitable[tuple[float, float]]]


def _logout(http: httpx.AsyncClient) -> Ending:
    async def end(pair: sessions.TokenPair) -> tuple[float, float]:
        sent = time.perf_counter()
        response = await http.post(
            "/graphql",
            json={"query": LOGOUT, "variables": {"t": pair.refresh_token}},
            headers={"Authorization": f"Bearer {pair.access_token}"},
        )
        answered = time.perf_counter()
        if response.json()["data"]["logout"]["__typename"] != "LogoutSuccess":
            raise RuntimeError(f"logout failed: {response.text}")
        return answered, sent

    return end


async def _unannounced(pair: sessions.TokenPair) -> tuple[float, float]:
    # At a random moment of the processes' check period: each run's set-up takes about as long
    # every time, and would otherwise always land at the same point of it.
    await asyncio.sleep(random.uniform(0, CHECK_EVERY))
    async with in_transaction():
        await sessions.end(sessions.EndReason.REVOKED, session_ids=[pair.session_id])
    committed = time.perf_counter()
    return committed, committed


async def _measure(user: models.User, process: ServerProcess, end: Ending, runs: int) -> dict[str, Any]:
    minting = Settings(secret_key=SECRET)
    since_ending: list[float] = []
    since_sent: list[float] = []
    codes: dict[str, int] = {}
    for _ in range(runs):
        pair = await sessions.start_session(minting, user)
        ws = await _socket(process, pair.access_token)
        closing = asyncio.create_task(_closed(ws))
        ended, sent = await end(pair)
        arrived, code = await asyncio.wait_for(closing, 10)
        since_ending.append((arrived - ended) * 1000)
        since_sent.append((arrived - sent) * 1000)
        codes[str(code)] = codes.get(str(code), 0) + 1

    def figures(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(percentile(values, 0.5), 2),
            "p99_ms": round(percentile(values, 0.99), 2),
            "max_ms": round(max(values), 2),
        }

    return {
        "runs": runs,
        "close_codes": codes,
        "since_ending": figures(since_ending),
        "since_sent": figures(since_sent),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url = bench_database_url(args.database_url)
    results: dict[str, Any] = {"options": {k: v for k, v in vars(args).items() if k != "database_url"}}
    async with bench_database(url, seed=False):
        full_name = "Bench Endings"
        user = await models.User.create(
            login="bench-endings",
            password_hash="!",  # noqa: S106 - no password: sessions are opened directly
            full_name=full_name,
            name_folded=models.fold_name(full_name),
        )
        async with (
            server_process(url, args.redis_url) as a,
            server_process(url, args.redis_url) as b,
            httpx.AsyncClient(base_url=f"http://{HOST}:{a.port}") as http,
        ):
            plans: dict[str, tuple[ServerProcess, Ending]] = {
                "same": (a, _logout(http)),
                "cross": (b, _logout(http)),
                "lost": (b, _unannounced),
            }
            for mode in args.modes:
                print(f"{mode} ...", flush=True)
                process, end = plans[mode]
                results[mode] = await _measure(user, process, end, args.runs)
        results["database"] = await server_version()
    return results


def render(results: dict[str, Any]) -> str:
    lines = [
        f"ediary session endings - {results['database']}, Redis, two server processes,"
        f" {results['options']['runs']} runs per mode",
        "",
        "| mode | from | p50 ms | p99 ms | max ms | close codes |",
        "|---|---|---:|---:|---:|---|",
    ]
    label = {"same": "logout's response", "cross": "logout's response", "lost": "the commit"}
    for mode in MODES:
        if mode not in results:
            continue
        r = results[mode]
        codes = ", ".join(f"{code} x{n}" for code, n in sorted(r["close_codes"].items()))
        rows = [(label[mode], r["since_ending"])]
        if mode != "lost":
            rows.append(("logout's request", r["since_sent"]))
        for origin, f in rows:
            lines.append(f"| {mode} | {origin} | {f['p50_ms']} | {f['p99_ms']} | {f['max_ms']} | {codes} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = now_utc()
    results = asyncio.run(run(args))
    results["started_at"] = started.isoformat()
    print(render(results))
    print(f"\nwritten to {report.save(results, 'endings', started)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
