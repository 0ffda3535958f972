"""``bench.mixed``'s figures as markdown tables on stdout and as JSON under ``bench/results/``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
# The generator is not the bottleneck while it uses less than this share of a core and starts
# its requests within this many milliseconds of their schedule (p99).
GENERATOR_CORES = 0.7
GENERATOR_LAG_MS = 10.0


def _cpu(phase: dict[str, Any]) -> str:
    cpu = phase["cpu_cores_busy"]
    servers = " + ".join(f"{v:.2f}" for k, v in cpu.items() if k.startswith("server"))
    return (
        f"CPU (cores busy): generator {cpu['generator']:.2f}, servers {servers}, PostgreSQL backends"
        f" {cpu['postgres']:.2f}, whole machine {cpu['machine']:.2f}; generator's start lag p99"
        f" {phase['generator_lag_p99_ms']:.1f} ms"
    )


def _operations(phase: dict[str, Any]) -> list[str]:
    lines = ["| operation | count | errors | p50 ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|---:|"]
    for name, op in phase["operations"].items():
        worst = "" if op["max_ms"] is None else f"{op['max_ms']:.1f}"
        lines.append(f"| {name} | {op['count']} | {op['errors']} | {op['p50_ms']:.1f} | {op['p99_ms']:.1f} | {worst} |")
    mix = phase["mix"]
    lines.append(f"| **all requests** | {mix['count']} | | {mix['p50_ms']:.1f} | {mix['p99_ms']:.1f} | |")
    return lines


def _steps(results: dict[str, Any]) -> list[str]:
    steady = results["steady"]
    lines = [
        "| phase | rate /s | x steady | requests | errors | p50 ms | p99 ms | p99 / steady p99 | delivery p99 ms"
        " | cores: generator | servers | PostgreSQL | machine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in [steady, *results["steps"]]:
        deliveries = [v["p99_ms"] for k, v in phase["operations"].items() if k.startswith("delivery")]
        cpu = phase["cpu_cores_busy"]
        lines.append(
            f"| {phase['name']} | {phase['rate']:.1f} | {phase['rate'] / steady['rate']:.2f} | {phase['mix']['count']}"
            f" | {phase['errors']} | {phase['mix']['p50_ms']:.1f} | {phase['mix']['p99_ms']:.1f}"
            f" | {phase['mix']['p99_ms'] / steady['mix']['p99_ms']:.2f}"
            f" | {max(deliveries, default=float('nan')):.1f} | {cpu['generator']:.2f}"
            f" | {sum(v for k, v in cpu.items() if k.startswith('server')):.2f} | {cpu['postgres']:.2f}"
            f" | {cpu['machine']:.2f} |"
        )
    return lines


def generator_verdict(phases: list[dict[str, Any]]) -> str:
    """Whether the load generator held requests back: its own CPU (saturated near one core), and
    how late it started requests (late with CPU to spare: the machine's cores were busy)."""
    busy = max(p["cpu_cores_busy"]["generator"] for p in phases)
    late = max(p["generator_lag_p99_ms"] for p in phases)
    verdict = f"load generator: at most {busy:.2f} core, start lag p99 at most {late:.1f} ms: "
    if busy >= GENERATOR_CORES:
        return verdict + f"SATURATED (>= {GENERATOR_CORES} core): the figures include its own queueing"
    if late >= GENERATOR_LAG_MS:
        return verdict + (
            "not saturated, but it started requests late because the machine's cores were busy"
            " (the latencies count that wait, as they are measured from the schedule)"
        )
    return verdict + "not the bottleneck"


def render(results: dict[str, Any]) -> str:
    steady, population, options = results["steady"], results["population"], results["options"]
    knee = results["doubling"]
    last = results["steps"][-1]["rate"] if results["steps"] else steady["rate"]
    lines = [
        "",
        f"## Mixed load: 2 server processes, {results['environment']['database']}, Redis;"
        f" {population['parents_subscribed']} parents subscribed (diaryEvents + chatEvents),"
        f" {population['teachers']} teachers, {population['class_chats']} class chats",
        "",
        f"Steady phase: {steady['rate']:g} requests/s for {steady['seconds']:.0f} s (open loop, latency from each"
        " request's scheduled start; deliveries from the event's occurredAt to the parent's socket)",
        "",
        *_operations(steady),
        "",
        _cpu(steady),
        "",
        f"Step phase: x{options['step_factor']:g} every {options['step_seconds']:g} s until p99 >= 2x the steady p99",
        "",
        *_steps(results),
        "",
    ]
    if knee:
        lines.append(f"p99 doubles at {knee['rate']:.1f} requests/s: {knee['ratio_to_steady']:.2f}x the steady rate")
    else:
        lines.append(f"p99 did not double up to {last:.1f} requests/s ({last / steady['rate']:.2f}x the steady rate)")
    errors = steady["errors"]
    lines.append(f"errors in the steady phase: {errors} ({'PASS' if errors == 0 else 'FAIL'}, target 0)")
    for phase in [results["warmup"], steady, *results["steps"]]:
        for error in phase["first_errors"]:
            lines.append(f"  {phase['name']}: {error}")
    lines.append(generator_verdict([steady, *results["steps"]]))
    d = results["deliveries"]
    lines.append(
        f"deliveries over the whole run: {d['owed']} owed, {d['received']} received,"
        f" {d['missing_at_end']} missing at the end"
    )
    return "\n".join(lines)


def write(results: dict[str, Any], started: datetime, kind: str = "mixed") -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{kind}-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path


# Issue 24 part 6's targets for the district's day (bench/README.md, "A district's real day").
DAY_P99_MS = 250.0
DAY_DOUBLING_RATE = 100.0


def _day_operations(phase: dict[str, Any], model: dict[str, float]) -> list[str]:
    lines = [
        f"**{phase['name']}** ({phase['seconds']:.0f} s)",
        "",
        "| operation | model /s | measured /s | count | errors | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, op in phase["operations"].items():
        rate = "" if name not in model else f"{model[name]:.2f}"
        worst = "" if op["max_ms"] is None else f"{op['max_ms']:.1f}"
        lines.append(
            f"| {name} | {rate} | {op['count'] / phase['seconds']:.2f} | {op['count']} | {op['errors']}"
            f" | {op['p50_ms']:.1f} | {op['p99_ms']:.1f} | {worst} |"
        )
    return [*lines, ""]


def _day_phases(phases: list[dict[str, Any]], reference: float) -> list[str]:
    lines = [
        "| phase | model /s | measured /s | requests | errors | p50 ms | p99 ms | p99 / evening p99 | deliveries"
        " | delivery p99 ms | cores: generator | servers | PostgreSQL | machine | CPU ms a request: servers"
        " | PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases:
        ops = phase["operations"]
        delivered = sum(v["count"] for k, v in ops.items() if k.startswith("delivery"))
        worst = max((v["p99_ms"] for k, v in ops.items() if k.startswith("delivery") and v["count"]), default=None)
        cpu = phase["cpu_cores_busy"]
        servers = sum(v for k, v in cpu.items() if k.startswith("server"))
        # CPU time is what waiting for a core does not inflate: core-seconds over the requests.
        # Requests that failed (timed out) were served too: they count.
        served = sum(v["count"] + v["errors"] for k, v in ops.items() if not k.startswith("deliver") and k != "sockets")
        per = 1000 * phase["seconds"] / max(1, served)
        lines.append(
            f"| {phase['name']} | {phase['rate']:.1f} | {phase['mix']['count'] / phase['seconds']:.1f}"
            f" | {phase['mix']['count']} | {phase['errors']} | {phase['mix']['p50_ms']:.1f}"
            f" | {phase['mix']['p99_ms']:.1f} | {phase['mix']['p99_ms'] / reference:.2f} | {delivered}"
            f" | {'' if worst is None else f'{worst:.1f}'} | {cpu['generator']:.2f}"
            f" | {servers:.2f} | {cpu['postgres']:.2f} | {cpu['machine']:.2f} | {servers * per:.1f}"
            f" | {cpu['postgres'] * per:.1f} |"
        )
    return lines


def render_day(results: dict[str, Any]) -> str:
    """The district's day: each period's model rates beside what was measured, then the steps."""
    model, population, phases = results["model"], results["population"], results["phases"]
    reference = phases[-1]["mix"]["p99_ms"]
    lines = [
        "",
        f"## A district's day: 2 server processes, {results['environment']['database']}, Redis;"
        f" {population['students']:,} students in {population['classes']:,} classes, {population['guardians']:,}"
        f" guardians, {population['teachers']:,} teachers, {population['grades']:,} grades;"
        f" {population['sockets']:,} families with their app open (the model: {model['sockets']:,})",
        "",
        f"Model: registers {model['rates']['first bell']['attendanceMark']:.1f}/s after the first bell"
        f" ({model['classes']:,} in {model['register_minutes']:g} min; {model['live_marks_per_s']:.0f} families"
        " notified a second, those with a socket live); requests are timed from their scheduled start,"
        " sessionRefresh (apps renewing tokens) comes on top of the model's rates",
        "",
    ]
    for phase in phases:
        lines += _day_operations(phase, model["rates"].get(phase["name"], {}))
    lines += [*_day_phases([*phases, *results["steps"]], reference), ""]
    worst = max(p["mix"]["p99_ms"] for p in phases)
    errors = sum(p["errors"] for p in phases)
    lines.append(
        f"the day's p99 at most {worst:.1f} ms ({'PASS' if worst <= DAY_P99_MS else 'FAIL'}, target"
        f" {DAY_P99_MS:g}); errors {errors} ({'PASS' if errors == 0 else 'FAIL'}, target 0)"
    )
    knee = results["doubling"]
    last = results["steps"][-1]["rate"] if results["steps"] else phases[-1]["rate"]
    if knee:
        verdict = "PASS" if knee["rate"] >= DAY_DOUBLING_RATE else "FAIL"
        lines.append(f"p99 doubles at {knee['rate']:.1f} requests/s ({verdict}, target {DAY_DOUBLING_RATE:g})")
    else:
        verdict = "PASS" if last >= DAY_DOUBLING_RATE else "not reached"
        lines.append(f"p99 did not double up to {last:.1f} requests/s ({verdict}, target {DAY_DOUBLING_RATE:g})")
    for phase in [results["warmup"], *phases, *results["steps"]]:
        for error in phase["first_errors"]:
            lines.append(f"  {phase['name']}: {error}")
    lines.append(generator_verdict([*phases, *results["steps"]]))
    d = results["deliveries"]
    exact = d["owed"] == d["received"] and d["missing_at_end"] == 0 and d["extra_at_end"] == 0
    lines.append(
        f"deliveries over the whole run: {d['owed']} owed, {d['received']} received, {d['missing_at_end']} missing,"
        f" {d['extra_at_end']} twice or unasked ({'exactly once: PASS' if exact else 'FAIL'})"
    )
    return "\n".join(lines)
