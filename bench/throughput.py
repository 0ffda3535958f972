"""Benchmark 1: diary requests per second, ours against a plain graphql-core endpoint."""

from __future__ import annotations

import statistics
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench import report
from bench.load import interleaved, paired_ratios, sender

TARGET = 1.0  # ours / the baseline (issue 24, 3)


def canned_app(body: bytes) -> Starlette:
    """What the harness (httpx, the ASGI transport, Starlette's routing) costs without GraphQL."""

    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])])


async def measure(
    ours: tuple[httpx.AsyncClient, bytes],
    baseline: tuple[httpx.AsyncClient, bytes],
    body: dict[str, Any],
    headers: dict[str, str],
    *,
    rounds: int,
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    """Each client with the response it must give every time, after a short warm-up round."""
    transport = httpx.ASGITransport(app=canned_app(baseline[1]))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as harness:
        arms = {
            "ours": sender(ours[0], body, headers, ours[1]),
            "baseline": sender(baseline[0], body, headers, baseline[1]),
            "harness": sender(harness, body, headers, baseline[1]),
        }
        await interleaved(arms, 1, concurrency, min(1.0, seconds / 3))
        rates = await interleaved(arms, rounds, concurrency, seconds)
    ms = {name: 1000 / statistics.median(values) for name, values in rates.items()}
    ratio = report.spread(paired_ratios(rates["ours"], rates["baseline"]))
    return {
        "ours_rps": report.spread(rates["ours"]),
        "baseline_rps": report.spread(rates["baseline"]),
        "harness_rps": report.spread(rates["harness"]),
        "ours_ms": ms["ours"],
        "baseline_ms": ms["baseline"],
        "harness_ms": ms["harness"],
        "ratio": ratio,
        "ratio_net": report.spread(
            [
                (1 / b - 1 / h) / (1 / a - 1 / h)
                for a, b, h in zip(rates["ours"], rates["baseline"], rates["harness"], strict=True)
            ]
        ),
        "target": TARGET,
        "pass": ratio["median"] >= TARGET,
    }
