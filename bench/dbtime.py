"""Benchmark 2: the database time of one diary request against one hand-written statement."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tortoise import connections

from bench import report
from bench.load import paired_ratios
from bench.timer import Sample, Statement, StatementTimer

TARGET = 1.5  # ours / the hand-written statement (issue 24, 3)
STATEMENTS = 2  # account standing with the children, lessons with marks, homework, grades and the days off
# The session's ``last_seen_at``, written by the first request of each minute (``sessions.admit``,
# ``SEEN_EVERY``): counted apart, as it is not the diary's (a run lasts more than a minute).
_TOUCH = 'UPDATE "user_session" SET "last_seen_at"'


@dataclass
class _Round:
    live: list[Sample] = field(default_factory=list)
    request: list[float] = field(default_factory=list)
    replay: list[Sample] = field(default_factory=list)
    hand: list[Sample] = field(default_factory=list)
    hand_call: list[float] = field(default_factory=list)  # the whole hand-written call, shaping included

    def median(self, arm: str, figure: Callable[[Sample], float]) -> float:
        samples: list[Sample] = getattr(self, arm)
        return statistics.median(figure(s) for s in samples)


async def measure(
    send: Callable[[], Awaitable[httpx.Response]],
    hand: Callable[[], Awaitable[Any]],
    rounds: int,
    seconds: float,
    statements_target: int = STATEMENTS,
) -> dict[str, Any]:
    """Three arms in turn, one thing at a time, for ``seconds`` per round: a live request,
    its statements replayed, the hand-written statement. ``statements_target`` is the exact
    number of statements a live request must send."""
    timer = StatementTimer(connections.get("default"))
    timer.install()
    try:
        statements = (await _live(timer, send))[0].statements
        done: list[_Round] = []
        for _ in range(rounds):
            current = _Round()
            deadline = time.perf_counter() + seconds
            turn = 0
            while time.perf_counter() < deadline:
                for arm in ("live", "replay", "hand")[turn % 3 :] + ("live", "replay", "hand")[: turn % 3]:
                    await _wake(timer)
                    if arm == "live":
                        sample, took = await _live(timer, send)
                        current.live.append(sample)
                        current.request.append(took)
                    elif arm == "replay":
                        current.replay.append(await timer.replay(statements))
                    else:
                        timer.reset()
                        start = time.perf_counter()
                        await hand()
                        current.hand_call.append(time.perf_counter() - start)
                        current.hand.append(timer.sample())
                turn += 1
            done.append(current)
    finally:
        timer.uninstall()
    return _figures(done, statements, statements_target)


async def _wake(timer: StatementTimer) -> None:
    """One untimed statement before each arm, so that every arm starts with the database's
    connection awake. The first statement after a live request's tens of milliseconds of Python
    waited for the idle backend to be scheduled again (on a loaded machine 1.5 to 5 ms against 0.6
    right after another statement); the rotation puts the replay after a live request in two turns
    of three and the hand-written call in one, so that wait fell mostly on ours."""
    await timer.client.execute_query("SELECT 1")
    timer.reset()


async def _live(timer: StatementTimer, send: Callable[[], Awaitable[httpx.Response]]) -> tuple[Sample, float]:
    timer.reset()
    start = time.perf_counter()
    response = await send()
    took = time.perf_counter() - start
    if response.status_code != 200 or b'"errors"' in response.content:
        raise RuntimeError(f"request failed: {response.text[:500]}")
    return timer.sample(), took


def _nth(index: int) -> Callable[[Sample], float]:
    return lambda sample: sample.durations[index]


def _figures(done: list[_Round], statements: list[Statement], target: int) -> dict[str, Any]:
    counts = {sum(not x.query.startswith(_TOUCH) for x in s.statements) for r in done for s in r.live}
    touches = sum(x.query.startswith(_TOUCH) for r in done for s in r.live for x in s.statements)
    if {len(s.statements) for r in done for s in r.hand} != {1}:
        raise RuntimeError("the hand-written arm sent more than one statement")

    def per_round(arm: str, figure: Callable[[Sample], float]) -> list[float]:
        return [r.median(arm, figure) for r in done]

    hand = per_round("hand", lambda s: s.total)
    replay = per_round("replay", lambda s: s.total)
    busy = per_round("live", lambda s: s.busy)
    total = per_round("live", lambda s: s.total)
    ratio = report.spread(paired_ratios(replay, hand))
    request = [statistics.median(r.request) for r in done]
    hand_call = [statistics.median(r.hand_call) for r in done]
    return {
        "samples": sum(len(r.hand) for r in done),
        "statements": sorted(counts),
        "statements_target": target,
        "touches": touches,
        "live_requests": sum(len(r.live) for r in done),
        "pass_statements": counts == {target},
        "replay_ms": report.spread(replay, 1000),
        "hand_ms": report.spread(hand, 1000),
        "ratio": ratio,
        "target": TARGET,
        "pass": ratio["median"] <= TARGET,
        "per_statement_ms": {
            f"{i + 1}. {s.label}": report.spread(per_round("replay", _nth(i)), 1000) for i, s in enumerate(statements)
        },
        "live_busy_ms": report.spread(busy, 1000),
        "live_total_ms": report.spread(total, 1000),
        "live_request_ms": report.spread(request, 1000),
        "hand_call_ms": report.spread(hand_call, 1000),
        "ratio_request": report.spread(paired_ratios(request, hand_call)),
        "ratio_live_busy": report.spread(paired_ratios(busy, hand)),
        "ratio_live_total": report.spread(paired_ratios(total, hand)),
    }
