"""The pure logic of ``bench.mixed``: the arrival schedule, percentiles, the step search, and
the accounting of owed deliveries. Nothing here is timed."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any, cast

import pytest

from bench.mixed_load import Phase, Step, doubling, open_loop, percentile, picker, schedule, step_rates
from bench.mixed_ops import Deliveries
from clients import ws


def test_schedule_is_evenly_spaced_at_the_rate() -> None:
    offsets = schedule(20, 2)
    assert len(offsets) == 40
    assert offsets[0] == 0
    assert offsets[1] == pytest.approx(0.05)
    assert offsets[-1] == pytest.approx(1.95)
    with pytest.raises(ValueError, match="positive"):
        schedule(0, 10)


async def test_open_loop_starts_every_arrival_although_none_has_finished() -> None:
    """A closed loop would wait for the first request forever; the open loop fires them all,
    each with the instant it was due (from which its latency is measured)."""
    never = asyncio.Event()
    started: list[float] = []
    pending: list[asyncio.Task[bool]] = []

    def fire(due: float) -> None:
        started.append(due)
        pending.append(asyncio.get_running_loop().create_task(never.wait()))

    await open_loop(1000, 0.02, fire)
    assert len(started) == 20
    assert [b - a for a, b in itertools.pairwise(started)] == pytest.approx([0.001] * 19)
    assert not any(task.done() for task in pending)
    for task in pending:
        task.cancel()


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 51
    assert percentile(values, 0.99) == 99
    assert percentile([7.0], 0.99) == 7
    assert percentile([], 0.5) != percentile([], 0.5)  # NaN: no figure rather than a made-up one


def test_picker_follows_the_weights_and_repeats_with_the_seed() -> None:
    first, second = picker({"read": 3, "write": 1, "never": 0}, seed=5), picker({"read": 3, "write": 1}, seed=5)
    draws = [first() for _ in range(4000)]
    assert draws[:50] == [second() for _ in range(50)]
    counts = Counter(draws)
    assert set(counts) == {"read", "write"}
    assert 0.7 < counts["read"] / len(draws) < 0.8
    with pytest.raises(ValueError, match="positive weight"):
        picker({"none": 0}, seed=1)


def test_step_rates_grow_by_the_factor() -> None:
    assert step_rates(20, 1.25, 3) == pytest.approx([25, 31.25, 39.0625])
    with pytest.raises(ValueError, match="above 1"):
        step_rates(20, 1.0, 3)


def test_doubling_is_the_first_step_at_twice_the_steady_p99_or_with_errors() -> None:
    steps = [Step(25, 110, 0), Step(31, 190, 0), Step(39, 230, 0), Step(49, 900, 0)]
    knee = doubling(steps, steady_p99_ms=100)
    assert knee is not None
    assert knee.rate == 39
    assert doubling(steps[:2], 100) is None
    failing = doubling([Step(25, 105, 0), Step(31, 120, 3)], 100)
    assert failing is not None
    assert failing.rate == 31


def test_phase_mix_leaves_out_deliveries_and_counts_errors() -> None:
    phase = Phase("steady", 20)
    phase.ok("diary", 10)
    phase.ok("gradeCreate", 30)
    phase.ok("delivery diaryEvents", 500)
    for n in range(7):
        phase.fail("inbox", f"HTTP 500 number {n}")
    summary = phase.summary()
    assert summary["mix"]["count"] == 2
    assert summary["mix"]["p99_ms"] == 30
    assert summary["errors"] == 7
    assert summary["operations"]["inbox"]["errors"] == 7
    assert len(summary["first_errors"]) == 5


def _device(user_id: int) -> ws.Connection:
    return cast(ws.Connection, type("Device", (), {"tag": user_id})())


def _grade(grade_id: str) -> dict[str, Any]:
    event = {"kind": "GRADE_ADDED", "occurredAt": "2026-11-29T10:00:00+00:00", "student": {"id": "S1"}}
    return {"diaryEvents": {**event, "grade": {"id": grade_id}}}


def test_deliveries_match_what_was_owed_in_either_order() -> None:
    deliveries = Deliveries()
    deliveries.on_next(_device(1), _grade("G1"), 0)  # the frame before the mutation's response
    deliveries.owe([1, 2], "grade G1")
    assert deliveries.outstanding() == (1, 0)  # guardian 2 still waits
    deliveries.on_next(_device(2), _grade("G1"), 0)
    assert deliveries.outstanding() == (0, 0)
    deliveries.on_next(_device(2), _grade("G1"), 0)  # none twice
    message = {"chatEvents": {"kind": "MESSAGE_ADDED", "occurredAt": "2026-11-29T10:00:00+00:00"}}
    deliveries.on_next(_device(3), {"chatEvents": {**message["chatEvents"], "chatMessage": {"id": "M9"}}}, 0)
    assert deliveries.outstanding() == (0, 2)
    assert "message M9" in deliveries.examples()
