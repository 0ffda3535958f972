"""The open-loop part of ``bench.mixed``: a fixed arrival schedule, what each phase records,
and the search for the rate at which p99 doubles. Pure logic apart from ``open_loop``."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

FIRST_ERRORS = 5  # errors kept verbatim per phase; the rest are only counted


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile (``q`` in 0..1) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def schedule(rate: float, seconds: float) -> list[float]:
    """Start offsets (seconds from the phase's start) of ``rate`` arrivals per second, evenly
    spaced: a fixed arrival rate that does not depend on how fast earlier requests finish."""
    if rate <= 0 or seconds <= 0:
        raise ValueError("rate and seconds must be positive")
    return [i / rate for i in range(round(rate * seconds))]


def picker(weights: dict[str, float] | dict[str, int], seed: int) -> Callable[[], str]:
    """Draw operation names in proportion to ``weights``, reproducibly for one ``seed``."""
    names = [name for name, weight in weights.items() if weight > 0]
    if not names:
        raise ValueError("no operation has a positive weight")
    shares = [float(weights[n]) for n in names]
    rng = random.Random(seed)
    return lambda: rng.choices(names, weights=shares)[0]


@dataclass
class Phase:
    """What one phase (warm-up, steady, one step) saw: latencies per operation in ms, measured
    from each request's *scheduled* start (so time spent waiting behind a slow server or a
    busy generator counts: no coordinated omission), errors, and the generator's own lag."""

    name: str
    rate: float
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)  # ms between the scheduled and the actual start
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # process -> cores busy (1.0: one core)

    def ok(self, operation: str, latency_ms: float) -> None:
        self.latencies.setdefault(operation, []).append(latency_ms)

    def fail(self, operation: str, reason: str, count: int = 1) -> None:
        self.errors[operation] += count
        self.latencies.setdefault(operation, [])
        if len(self.first_errors) < FIRST_ERRORS:
            self.first_errors.append(f"{operation}: {reason[:300]}")

    def mix(self) -> list[float]:
        """Every request's latency, all HTTP operations together (deliveries are not requests)."""
        return [x for op, values in self.latencies.items() if not op.startswith("delivery") for x in values]

    def summary(self) -> dict[str, Any]:
        operations = {
            op: {
                "count": len(values),
                "errors": self.errors[op],
                "p50_ms": round(percentile(values, 0.5), 2),
                "p99_ms": round(percentile(values, 0.99), 2),
                "max_ms": round(max(values), 2) if values else None,
            }
            for op, values in sorted(self.latencies.items())
        }
        mix = self.mix()
        return {
            "name": self.name,
            "rate": round(self.rate, 2),
            "seconds": round(self.seconds, 1),
            "operations": operations,
            "mix": {
                "count": len(mix),
                "p50_ms": round(percentile(mix, 0.5), 2),
                "p99_ms": round(percentile(mix, 0.99), 2),
            },
            "errors": sum(self.errors.values()),
            "first_errors": self.first_errors,
            "generator_lag_p99_ms": round(percentile(self.lag, 0.99), 2),
            "cpu_cores_busy": {k: round(v, 3) for k, v in self.cpu.items()},
        }


async def open_loop(rate: float, seconds: float, fire: Callable[[float], None]) -> None:
    """Call ``fire(scheduled)`` at every arrival of the schedule, on time whether or not the
    requests fired before have finished; ``scheduled`` is the ``time.perf_counter()`` instant the
    arrival was due, from which the request's latency is measured."""
    start = time.perf_counter()
    for offset in schedule(rate, seconds):
        due = start + offset
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        fire(due)


@dataclass(frozen=True)
class Step:
    rate: float
    p99_ms: float
    errors: int


def step_rates(start: float, factor: float, steps: int) -> list[float]:
    """The step phase's arrival rates: ``start`` times ``factor``, ``factor``², ..."""
    if factor <= 1:
        raise ValueError("the step factor must be above 1")
    return [start * factor**k for k in range(1, steps + 1)]


def doubling(steps: Sequence[Step], steady_p99_ms: float) -> Step | None:
    """The first step whose p99 is at least twice the steady phase's, or that had errors (a
    server that fails has passed its knee too); None if no step got there."""
    for step in steps:
        if step.errors or step.p99_ms >= 2 * steady_p99_ms:
            return step
    return None


class CpuClock:
    """CPU time of groups of processes (this one and others by pid; pid 0 is the whole machine),
    in cores busy over the wall time between ``start`` and ``read`` (1.0 is one core). A process
    that appears in a group during the interval (a new database connection) counts whole; one
    that ends in it is lost."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._start: dict[int, float] = {}
        self._wall = 0.0

    def _cpu(self, pid: int) -> float | None:
        if pid == 0:  # the whole machine: busy time of every core (/proc/stat), in core-seconds
            with open("/proc/stat") as stat:
                ticks = [int(x) for x in stat.readline().split()[1:]]
            return (sum(ticks[:8]) - ticks[3] - ticks[4]) / self._ticks  # less idle and iowait
        if pid == os.getpid():
            t = os.times()
            return t.user + t.system
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self._ticks  # utime, stime

    def start(self) -> None:
        self._wall = time.perf_counter()
        pids = {pid for group in self.groups.values() for pid in group}
        self._start = {pid: cpu for pid in pids if (cpu := self._cpu(pid)) is not None}

    def read(self) -> dict[str, float]:
        wall = time.perf_counter() - self._wall
        cores = {}
        for name, group in self.groups.items():
            used = 0.0
            for pid in group:
                cpu = self._cpu(pid)
                if cpu is not None:
                    used += cpu - self._start.get(pid, 0.0)
            cores[name] = used / wall
        return cores
