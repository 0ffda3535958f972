"""The run's figures as a table on stdout and as JSON under ``bench/results/``."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.load import Spread

RESULTS = Path(__file__).parent / "results"


def spread(values: list[float], scale: float = 1.0) -> dict[str, Any]:
    s = Spread.of([v * scale for v in values])
    return {**asdict(s), "rounds": [round(v * scale, 4) for v in values]}


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _row(label: str, figure: dict[str, Any], unit: str, extra: str = "") -> str:
    return (
        f"  {label:<44} {figure['median']:>9.2f} {unit:<6}"
        f" [{figure['low']:.2f} .. {figure['high']:.2f}]{'  ' + extra if extra else ''}"
    )


def _ratio(label: str, figure: dict[str, Any], target: str, ok: bool) -> str:
    return (
        f"  {label:<44} {figure['median']:>9.2f} {'':<6}"
        f" [{figure['low']:.2f} .. {figure['high']:.2f}]  target {target:<6} {_verdict(ok)}"
    )


def _x(ratio: dict[str, Any]) -> str:
    return f"{ratio['median']:.2f}x hand-written"


def _classwork(number: int | str, title: str, db: dict[str, Any]) -> list[str]:
    return [
        "",
        f"{number}. {title}, one thing at a time ({db['samples']} samples per arm and figure)",
        _row("GraphQL request (in-process ASGI, whole request)", db["live_request_ms"], "ms"),
        _row("hand-written statement + shaping in Python", db["hand_call_ms"], "ms"),
        _row("ratio GraphQL / hand-written, time", db["ratio_request"], ""),
        _row(f"ours: its {len(db['per_statement_ms'])} statements replayed one by one", db["replay_ms"], "ms"),
        *(_row(f"  {label}", figure, "ms") for label, figure in db["per_statement_ms"].items()),
        _row("hand-written: one statement", db["hand_ms"], "ms"),
        _row("ratio database time ours / hand-written", db["ratio"], ""),
        f"  {'statements per request, ours / hand-written':<44} {'/'.join(map(str, db['statements'])):>9} / 1"
        f" {'':<10}  target {db['statements_target']:<6} {_verdict(db['pass_statements'])}",
        f"  {'response bytes':<44} {db['response_bytes']:>9}",
    ]


def render(results: dict[str, Any]) -> str:
    lines = [] if not results["throughput"] else _render_diary(results)
    if "class" in results:
        c = results["class"]
        lines += [
            "",
            f"class of {c['students']} students, {c['subjects']} subjects x {c['lessons_per_subject']} lessons"
            f" in {c['term']}, {c['grades']} grades; GraphQL and hand-written answers checked equal before measuring",
            *_classwork(3, "Class journal (one subject, the whole term; rows' `line`)", results["class_journal"]),
            *(
                _classwork("3b", "The same journal with an object per cell (rows' `cells`)", cells)
                if (cells := results.get("class_journal_cells"))
                else []
            ),
            *_classwork(4, "Progress of every student of the class (all subjects)", results["class_progress"]),
        ]
    return "\n".join(lines)


def _render_diary(results: dict[str, Any]) -> list[str]:
    meta, run, diary = results["environment"], results["options"], results["diary"]
    tp, db = results["throughput"], results["database_time"]
    lines = [
        f"ediary bench - {meta['database']} - Python {meta['python']}, {meta['cpus']} CPUs",
        f"diary of {diary['children']} children, {diary['from']} .. {diary['to']}: {diary['lessons']} lessons,"
        f" {diary['response_bytes']} response bytes; both answers checked equal before measuring",
        f"{run['rounds']} interleaved rounds of {run['seconds']:g} s per arm; figures are medians of the"
        " rounds' figures [lowest .. highest round]",
        "",
        f"1. Diary throughput, {run['concurrency']} requests in flight (in-process ASGI, client cost included)",
        _row("A ours: Strawberry + auth + policy", tp["ours_rps"], "req/s", f"{tp['ours_ms']:.2f} ms/req"),
        _row("B plain graphql-core, no auth/policy", tp["baseline_rps"], "req/s", f"{tp['baseline_ms']:.2f} ms/req"),
        _row("  (harness alone: canned response)", tp["harness_rps"], "req/s", f"{tp['harness_ms']:.2f} ms/req"),
        _ratio("ratio A/B (per round)", tp["ratio"], f">= {tp['target']:g}", tp["pass"]),
        _row("ratio A/B without the harness cost", tp["ratio_net"], ""),
        "",
        f"2. Database time per diary request, one thing at a time ({db['samples']} samples per arm and figure)",
        _row(f"ours: its {len(db['per_statement_ms'])} statements replayed one by one", db["replay_ms"], "ms"),
        *(_row(f"  {label}", figure, "ms") for label, figure in db["per_statement_ms"].items()),
        _row("hand-written: one statement", db["hand_ms"], "ms"),
        _ratio("ratio ours / hand-written", db["ratio"], f"<= {db['target']:g}", db["pass"]),
        f"  {'statements per request':<44} {'/'.join(map(str, db['statements'])):>9} {'':<6}"
        f" {'':<14}  target {db['statements_target']:<6} {_verdict(db['pass_statements'])}",
        f"    (besides: {db['touches']} last-seen touches, once a minute, in {db['live_requests']} requests)",
        "  as seen inside a live request (includes waits for the event loop and, on SQLite, the client's lock):",
        _row("  statements in flight, overlaps merged", db["live_busy_ms"], "ms", _x(db["ratio_live_busy"])),
        _row("  statements' durations added up", db["live_total_ms"], "ms", _x(db["ratio_live_total"])),
        _row("  the whole request, for scale", db["live_request_ms"], "ms"),
    ]
    return lines


def write(results: dict[str, Any], started: datetime) -> Path:
    return save(results, f"diary-{results['environment']['dialect']}", started)


def save(results: dict[str, Any], name: str, started: datetime) -> Path:
    """``results`` as ``bench/results/<name>-<when it started>.json`` (not committed)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
