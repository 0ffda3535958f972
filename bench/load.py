"""Closed-loop load in one process, and the statistics the report is made of."""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

Send = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Spread:
    """The median of some figures with their smallest and largest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values))


def sender(client: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], expected: bytes) -> Send:
    """One request as a parent's app sends it; any answer but the expected bytes is a failure
    (the data does not change during a run, so neither may the response)."""

    async def send() -> None:
        response = await client.post("/graphql", json=body, headers=headers)
        if response.status_code != 200 or response.content != expected:
            raise RuntimeError(f"unexpected response {response.status_code}: {response.text[:500]}")

    return send


async def closed_loop(send: Send, concurrency: int, seconds: float) -> float:
    """Requests per second with ``concurrency`` requests always in flight for ``seconds``."""
    gc.collect()
    done = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await send()
            done += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - start)


async def interleaved(arms: dict[str, Send], rounds: int, concurrency: int, seconds: float) -> dict[str, list[float]]:
    """Requests per second of every arm, round by round: A, B, C, then B, C, A, and so on, so
    that drift of the machine (other load, heat, caches) spreads over all arms alike."""
    names = list(arms)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for number in range(rounds):
        shift = number % len(names)
        for name in names[shift:] + names[:shift]:
            rates[name].append(await closed_loop(arms[name], concurrency, seconds))
    return rates


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    return [n / d for n, d in zip(numerators, denominators, strict=True)]
