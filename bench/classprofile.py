"""``python -m bench.classprofile``: one of benchmark 3's and 4's requests (the class journal, a
whole class's progress) sent again and again, one at a time, for a profiler to watch.

It builds the same database and class as ``python -m bench --class-only`` (bench/README.md),
checks the answer against the hand-written statement's once, then sends the request for
``--seconds`` and prints the requests per second. Run it under a sampling profiler:

    .venv/bin/python -m bench.classprofile journal --py-spy /tmp/journal.txt
    .venv/bin/python -m bench.classprofile --summary /tmp/journal.txt

``--py-spy FILE`` starts py-spy on this process once the set-up is done, for the ``--seconds``
of sending, and writes its collapsed stacks there; ``--summary FILE`` prints the functions with
the largest share of those samples, inclusive (on the stack) and self (on top)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import re
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import classwork
from bench.__main__ import client
from bench.database import bench_database, bench_database_url
from bench.diary import LOGIN, PASSWORD
from edge.settings import Settings
from server import create_app

REQUESTS = {
    "journal": (classwork.JOURNAL, classwork.hand_journal, classwork.journal_rows),
    "journal-cells": (classwork.JOURNAL_CELLS, classwork.hand_journal_cells, classwork.journal_rows),
    "progress": (classwork.PROGRESS, classwork.hand_progress, classwork.progress_students),
}
# py-spy's frame: "function (path/to/file.py:line)"; the line is dropped to add up a function's samples.
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


async def loop(request: str, seconds: float, database_url: str | None, profile: Path | None) -> tuple[float, float]:
    query, hand, extract = REQUESTS[request]
    url = bench_database_url(database_url)
    async with bench_database(url):
        app = create_app(Settings(database_url=url, secret_key=secrets.token_urlsafe(48), env="production"))
        try:
            async with client(app) as ours:
                bench = await classwork.build_class()
                login = {"query": LOGIN, "variables": {"login": classwork.ADMIN, "password": PASSWORD}}
                token = (await ours.post("/graphql", json=login)).json()["data"]["login"]["accessToken"]
                headers = {"Authorization": f"Bearer {token}"}
                body: dict[str, Any] = {"query": query, "variables": bench.variables()}
                answer = (await ours.post("/graphql", json=body, headers=headers)).json()
                expected = await hand("postgres" if url.startswith("postgres") else "sqlite", bench)
                if request.startswith("journal"):
                    expected = [{k: v for k, v in r.items() if k != "_id"} for r in expected]
                if "errors" in answer or extract(answer) != expected:
                    raise RuntimeError(f"{request}: the hand-written statement answers differently from GraphQL")
                gc.collect()
                gc.freeze()  # as python -m bench does after its set-up (the server's lifespan after start-up)
                return await send_for(ours, body, headers, seconds, profile)
        finally:
            await app.state.broker.close()


async def send_for(
    ours: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], seconds: float, profile: Path | None
) -> tuple[float, float]:
    """The request again and again for ``seconds`` (under py-spy when ``profile`` is given):
    requests per second, and this process's CPU time per request in milliseconds (the
    figure to compare on a busy machine)."""
    spy = None
    if profile is not None:
        spy_path = Path(sys.executable).parent / "py-spy"  # the venv's, else one on PATH
        command = [str(spy_path) if spy_path.exists() else "py-spy", "record", "--pid", str(os.getpid())]
        command += ["--rate", "250", "--duration", str(math.ceil(seconds)), "--format", "raw", "--output", str(profile)]
        spy = await asyncio.create_subprocess_exec(*command)
        await asyncio.sleep(1)  # py-spy attaching
    sent, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        response = await ours.post("/graphql", json=body, headers=headers)
        if response.status_code != 200 or b'"errors"' in response.content:
            raise RuntimeError(response.text[:2000])
        sent += 1
    rate = sent / (time.perf_counter() - start)
    cpu_ms = (time.process_time() - cpu) * 1000 / sent
    if spy is not None:
        await spy.wait()
    return rate, cpu_ms


def summary(path: Path, top: int) -> str:
    """The ``top`` functions by inclusive and by self share of py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        frames = [_name(f) for f in stack.split(";")]
        if "threading.py" in frames[0]:
            continue  # asyncio's thread waiting for py-spy to end, not the request
        total += samples
        for name in set(frames):
            inclusive[name] += samples
        own[frames[-1]] += samples
    lines = [f"{total} samples", "", "| on the stack | function |", "|---:|---|"]
    lines += [f"| {n / total:.0%} | `{name}` |" for name, n in inclusive.most_common(top)]
    lines += ["", "| on top (self) | function |", "|---:|---|"]
    lines += [f"| {n / total:.1%} | `{name}` |" for name, n in own.most_common(top)]
    return "\n".join(lines)


def _name(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", f"{Path.cwd()}/", "/lib/python3.11/"):
        file = file.split(marker)[-1]
    return f"{match['function']} ({file})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.classprofile", description=__doc__)
    parser.add_argument("request", nargs="?", choices=sorted(REQUESTS), help="the request to send")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to send it (default 20)")
    parser.add_argument("--database-url", help="as for python -m bench (default: PostgreSQL on 127.0.0.1:5432)")
    parser.add_argument("--py-spy", type=Path, help="record the sending with py-spy into this file (collapsed stacks)")
    parser.add_argument("--summary", type=Path, help="summarise py-spy's collapsed stacks (-f raw) instead")
    parser.add_argument("--top", type=int, default=25, help="functions listed by --summary (default 25)")
    args = parser.parse_args(argv)
    if args.summary is not None:
        print(summary(args.summary, args.top))
        return 0
    if args.request is None:
        parser.error("name a request (journal or progress) or --summary FILE")
    rate, cpu_ms = asyncio.run(loop(args.request, args.seconds, args.database_url, args.py_spy))
    print(f"{args.request}: {rate:.1f} requests/s ({1000 / rate:.2f} ms each, {cpu_ms:.2f} ms of this process's CPU)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
