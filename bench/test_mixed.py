"""The pure logic of ``bench.mixed``: the arrival schedule, percentiles, the step search, and
the accounting of owed deliveries. Nothing here is timed."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
from collections import Counter
from dataclasses import asdict
from typing import Any, cast

import pytest

from bench.mixed_day import READS, DayModel, periods
from bench.mixed_district import address
from bench.mixed_load import Phase, Step, doubling, open_loop, percentile, picker, schedule, step_rates
from bench.mixed_ops import MIX, Deliveries
from bench.mixed_report import render_day
from bench.mixed_world import CLIENTS, Poster
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


def test_the_day_model_gives_the_district_rates() -> None:
    """100,000 students: 4,000 registers in the 3 minutes after the first bell, the day's two
    grades a student spread over school hours and the evening, and the evening's busiest hour
    of families reading (their apps, and sockets, open for 10 minutes a visit)."""
    model = DayModel()
    assert model.classes == 4000
    bell = model.first_bell()
    assert bell["attendanceMark"] == pytest.approx(4000 / 180)
    assert sum(bell[op] for op in READS) == pytest.approx(100_000 * 0.1 * 4 / 3600)
    day = model.school_day()
    assert day["gradeCreate"] + model.evening()["gradeCreate"] * 4 / 6 == pytest.approx(200_000 / 21_600)
    assert day["attendanceMark"] == pytest.approx(4000 * 5 / 21_600)
    evening = model.evening()
    assert sum(evening[op] for op in READS) == pytest.approx(100_000 * 0.7 * 0.35 * 4 / 3600)
    assert evening["diary"] / evening["inbox"] == pytest.approx(MIX["diary"] / MIX["inbox"])
    assert model.sockets() == round(100_000 * 0.7 * 0.35 / 3600 * 600)
    assert model.live_marks() == pytest.approx(4000 / 180 * 25 * 1.4)
    named = periods(model, day_seconds=120, evening_seconds=180)
    assert [(name, seconds) for name, seconds, _ in named] == [
        ("first bell", 180),
        ("school day", 120),
        ("evening peak", 180),
    ]


def test_picker_takes_the_model_rates_as_weights() -> None:
    pick = picker({"attendanceMark": 22.2, "diary": 5.6}, seed=3)
    draws = Counter(pick() for _ in range(4000))
    assert 0.76 < draws["attendanceMark"] / 4000 < 0.84


def test_every_person_gets_a_benchmark_address() -> None:
    addresses = {address(user_id) for user_id in range(1, 140_001)}
    assert len(addresses) == 1 << 17  # the whole 198.18.0.0/15; beyond it people share (as behind a NAT)
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("198.18.0.0/15") for a in addresses)


def _phase(name: str, rate: float, p99: float, errors: int = 0) -> dict[str, Any]:
    phase = Phase(name, rate, seconds=10)
    phase.cpu = {"generator": 0.1, "server 1": 0.3, "server 2": 0.3, "postgres": 0.2, "machine": 1.0}
    for _ in range(round(rate * 10)):
        phase.ok("diary", p99)
    for _ in range(errors):
        phase.fail("diary", "no answer within 30 s")
    return phase.summary()


def test_the_day_report_puts_the_model_beside_the_figures_and_judges_the_targets() -> None:
    model = DayModel()
    rates = {name: r for name, _s, r in periods(model, 120, 180)}
    results: dict[str, Any] = {
        "environment": {"database": "PostgreSQL"},
        "model": {
            **asdict(model),
            "classes": model.classes,
            "sockets": model.sockets(),
            "live_marks_per_s": model.live_marks(),
            "rates": rates,
        },
        "population": {"students": 100_000, "classes": 4000, "guardians": 1, "teachers": 1, "grades": 1, "sockets": 9},
        "warmup": _phase("warm-up", 1, 10),
        "phases": [_phase("first bell", 33.3, 120), _phase("school day", 14.8, 90), _phase("evening peak", 28.6, 100)],
        "steps": [_phase("step 1", 80, 150), _phase("step 2", 110, 210)],
        "doubling": {"rate": 110, "reference_p99_ms": 100},
        "deliveries": {"owed": 5, "received": 5, "missing_at_end": 0, "extra_at_end": 0},
    }
    text = render_day(results)
    assert "| diary | 5.56 | 33.30 |" in text  # the model's rate beside the measured one
    assert "the day's p99 at most 120.0 ms (PASS" in text
    assert "p99 doubles at 110.0 requests/s (PASS" in text
    assert "exactly once: PASS" in text
    results["phases"][0] = _phase("first bell", 33.3, 300, errors=1)
    results["deliveries"]["extra_at_end"] = 1
    text = render_day(results)
    assert "the day's p99 at most 300.0 ms (FAIL" in text
    assert "errors 1 (FAIL" in text
    assert "(FAIL)" in text.splitlines()[-1]


async def test_the_poster_alternates_between_the_servers_over_several_clients_each() -> None:
    post = Poster(["http://127.0.0.1:1", "http://127.0.0.1:2"], timeout=1)
    try:
        bases = [str(next(post._next).base_url) for _ in range(6)]
        assert bases == ["http://127.0.0.1:1", "http://127.0.0.1:2"] * 3
        assert len(post.clients) == 2 * CLIENTS
    finally:
        await post.close()
