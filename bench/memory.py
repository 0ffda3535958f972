"""Where an idle subscribed connection's memory goes: the app served in this process, a
tracemalloc snapshot before and after opening idle connections, the difference grouped by the
line that allocated it. The client's side (``clients/ws.py``) runs in the same process and is
left out by its traceback."""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.live import HOST, SECRET, SUBSCRIPTION, Family, free_port, in_process_server
from clients import ws
from edge.settings import Settings
from server import create_app

ROOT = str(Path(__file__).resolve().parent.parent)
CLIENT = ("clients/ws.py", "bench/memory.py")


def _place(traceback: tracemalloc.Traceback) -> str:
    """The innermost frame worth naming: the allocating line, and the first frame of our
    code above it when the allocation happened inside a library."""
    frames = list(traceback)  # most recent call last
    inner = frames[-1]
    where = f"{_short(inner.filename)}:{inner.lineno}"
    for frame in reversed(frames):
        ours = frame.filename.startswith(ROOT) and "/.venv/" not in frame.filename and "/bench/" not in frame.filename
        if ours and frame is not inner:
            return f"{where} (from {_short(frame.filename)}:{frame.lineno})"
    return where


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/lib/python3."):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.removeprefix(ROOT + "/")


def _full_collection() -> tuple[int, float]:
    """Objects the cycle collector tracks, and how long a full collection takes (the pause
    every task of the process waits for), best of three."""
    gc.collect()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - start) * 1000)
    return len(gc.get_objects()), min(times)


async def trace(url: str, after: str, families: list[Family], connections: int, top: int = 15) -> dict[str, Any]:
    # Devices are opened round-robin over the guardians, many each: no per-user cap.
    app = create_app(Settings(database_url=url, secret_key=SECRET, env="production", max_sockets_per_user=0))
    port = free_port()
    server = in_process_server(app, port)
    serving = asyncio.create_task(server.serve())
    opened: list[ws.Connection] = []

    def ignore(connection: ws.Connection, data: dict[str, Any], now: float) -> None:
        return None

    async def open_some(count: int) -> None:
        for number in range(count):
            family = families[number % len(families)]
            opened.append(await ws.connect(HOST, port, family.token, SUBSCRIPTION, {"after": after}, ignore))

    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.02)
        await open_some(50)  # warm every cache (documents, validation, loaders' code paths)
        await asyncio.sleep(0.5)
        objects_before, collection_before = _full_collection()
        tracemalloc.start(40)
        before = tracemalloc.take_snapshot()
        await open_some(connections)
        await asyncio.sleep(1.0)
        gc.collect()
        after_snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        objects_after, collection_after = _full_collection()
    finally:
        for connection in opened:
            connection.close()
        server.should_exit = True
        await serving
        await app.state.broker.close()

    server_side = [tracemalloc.Filter(False, f"*{c}", all_frames=True) for c in CLIENT]
    stats = after_snapshot.filter_traces(server_side).compare_to(before.filter_traces(server_side), "traceback")
    lines: dict[str, int] = {}
    files: dict[str, int] = {}
    for stat in stats:
        if stat.size_diff > 0:
            key = _place(stat.traceback)
            lines[key] = lines.get(key, 0) + stat.size_diff
            module = _short(stat.traceback[-1].filename)
            files[module] = files.get(module, 0) + stat.size_diff
    total = sum(lines.values())

    def biggest(grouped: dict[str, int]) -> list[dict[str, Any]]:
        ranked = sorted(grouped.items(), key=lambda item: -item[1])[:top]
        return [{"where": where, "bytes_per_connection": round(size / connections)} for where, size in ranked]

    return {
        "connections": connections,
        "python_bytes_per_connection": round(total / connections),
        "gc_objects_per_connection": round((objects_after - objects_before) / connections),
        "full_collection_ms": {"before": round(collection_before, 1), "after": round(collection_after, 1)},
        "top_files": biggest(files),
        "top": biggest(lines),
    }
