"""GET /metrics: real requests, a real WebSocket subscription and the outbox move the
counters; errors are counted by code; the endpoint is closed to strangers; the Grafana
dashboard queries only metrics that exist."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import models
from edge.settings import ConfigurationError, Settings
from resolvers import outbox
from resolvers.core import now_utc, to_global_id, today_utc
from schema import gates
from schema.tracing import tracing_extensions
from tests.client import Client
from tests.conftest import TEST_SECRET, client_for
from tests.factories import Factory, school_days_before
from tests.helpers import gid, open_socket

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "ediary.json"

VIEWER = "query MetricsViewer { viewer { user { id } } }"
EVENTS = "subscription MetricsEvents { diaryEvents { cursor kind } }"
GRADE = """
mutation MetricsGrade($input: GradeCreateInput!) { gradeCreate(input: $input) { __typename } }
"""


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics by (name, sorted labels)."""
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@dataclass
class Classroom:
    teacher: Client  # teaches mathematics in 5A
    parent: Client  # of the child
    child: models.Student  # in 5A
    lesson: models.Lesson  # 5A mathematics, the last school day before today


async def _classroom(factory: Factory) -> Classroom:
    kit = await factory.school()
    teacher = await factory.teacher(kit, [("5A", "Mathematics")])
    parent = await factory.parent()
    child = await factory.student(kit, "5A", guardians=[parent])
    (day,) = school_days_before(today_utc(), 1)
    lesson = await factory.lesson(kit, "5A", "Mathematics", teacher, day)
    return Classroom(factory.client(teacher), factory.client(parent), child, lesson)


async def _wait_for_sockets(http: httpx.AsyncClient, count: float) -> None:
    """Until the server counts ``count`` open sockets again (a closed socket is counted out
    after the close reaches it), so that no socket of this test is counted by the next."""
    for _ in range(50):
        if value(await scrape(http), "ediary_websockets_open") == count:
            return
        await asyncio.sleep(0.05)


async def _someone(factory: Factory) -> Client:
    """Some logged-in user."""
    return factory.client(await factory.user("viewer"))


async def test_query_is_counted_and_timed_by_operation_name(http: httpx.AsyncClient, factory: Factory) -> None:
    viewer = await _someone(factory)
    before = await scrape(http)
    await viewer.data(VIEWER)
    await viewer.data(VIEWER)
    after = await scrape(http)
    labels = {"operation": "MetricsViewer", "type": "query"}
    total = "ediary_graphql_requests_total"
    assert value(after, total, outcome="ok", **labels) - value(before, total, outcome="ok", **labels) == 2
    count = "ediary_graphql_request_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 2
    assert value(after, "ediary_graphql_request_seconds_sum", **labels) > 0
    assert value(after, "ediary_graphql_request_seconds_bucket", le="+Inf", **labels) >= 2


async def test_unnamed_and_invalid_operations_are_grouped(http: httpx.AsyncClient, factory: Factory) -> None:
    viewer = await _someone(factory)
    before = await scrape(http)
    await viewer.data("{ viewer { user { id } } }")
    body = await viewer.post("query NeverSeenBeforeBroken { viewer { noSuchField } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    body = await viewer.post("query { viewer {")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    after = await scrape(http)
    total = "ediary_graphql_requests_total"
    anonymous = {"operation": "anonymous", "type": "query", "outcome": "ok"}
    assert value(after, total, **anonymous) - value(before, total, **anonymous) == 1
    # A document that failed validation adds no label of its own; nor does one that did not parse.
    assert not any(labels and ("operation", "NeverSeenBeforeBroken") in labels for _, labels in after)
    invalid = {"operation": "other", "type": "query", "outcome": "invalid"}
    assert value(after, total, **invalid) - value(before, total, **invalid) == 1
    unparsed = {"operation": "other", "type": "unknown", "outcome": "invalid"}
    assert value(after, total, **unparsed) - value(before, total, **unparsed) == 1
    code = "ediary_graphql_errors_total"
    for failed in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"):
        assert value(after, code, code=failed) - value(before, code, code=failed) == 1


async def test_operation_names_are_capped(http: httpx.AsyncClient, factory: Factory, monkeypatch: Any) -> None:
    viewer = await _someone(factory)
    monkeypatch.setattr(gates, "MAX_OPERATIONS", len(gates._operations))
    await viewer.data("query MetricsOneNameTooMany { viewer { user { id } } }")
    after = await scrape(http)
    assert not any(("operation", "MetricsOneNameTooMany") in labels for _, labels in after)
    assert value(after, "ediary_graphql_requests_total", operation="other", type="query", outcome="ok") >= 1


async def test_errors_are_counted_by_code(http: httpx.AsyncClient, anonymous: Client, factory: Factory) -> None:
    room = await _classroom(factory)
    before = await scrape(http)
    body = await anonymous.post(VIEWER)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A result-union refusal is counted by its code even when the client selects no `code`.
    refused = await room.teacher.data(
        GRADE,
        input={"studentId": to_global_id("Student", 9_999_999), "lessonId": gid(room.lesson, "Lesson"), "value": "5"},
    )
    assert refused["gradeCreate"]["__typename"] == "NotFoundError"
    after = await scrape(http)
    errors = "ediary_graphql_errors_total"
    assert value(after, errors, code="UNAUTHENTICATED") - value(before, errors, code="UNAUTHENTICATED") == 1
    assert value(after, errors, code="STUDENT_NOT_FOUND") - value(before, errors, code="STUDENT_NOT_FOUND") == 1
    total = "ediary_graphql_requests_total"
    failed = {"operation": "MetricsViewer", "type": "query", "outcome": "error"}
    assert value(after, total, **failed) - value(before, total, **failed) == 1
    ok = {"operation": "MetricsGrade", "type": "mutation", "outcome": "ok"}
    assert value(after, total, **ok) - value(before, total, **ok) == 1


async def test_subscription_over_websocket_moves_socket_subscription_and_event_metrics(
    http: httpx.AsyncClient, server_url: str, factory: Factory
) -> None:
    room = await _classroom(factory)
    before = await scrape(http)
    socket = await open_socket(server_url, room.parent.token)
    await socket.start(EVENTS)
    await asyncio.sleep(0.2)
    during = await scrape(http)
    assert value(during, "ediary_websockets_open") - value(before, "ediary_websockets_open") == 1
    active = "ediary_subscriptions_active"
    assert value(during, active, field="diaryEvents") - value(before, active, field="diaryEvents") == 1

    variables = {"studentId": gid(room.child, "Student"), "lessonId": gid(room.lesson, "Lesson"), "value": "4"}
    result = await room.teacher.data(GRADE, input={**variables, "comment": "metrics"})
    assert result["gradeCreate"]["__typename"] == "GradeCreateSuccess"
    message = await socket.next()
    assert message["type"] == "next", message
    delivered = await scrape(http)
    published = "ediary_events_published_total"
    assert value(delivered, published) - value(before, published) >= 1
    sent = "ediary_events_delivered_total"
    assert value(delivered, sent) - value(before, sent) == 1
    subscription = {"operation": "MetricsEvents", "type": "subscription", "outcome": "ok"}
    assert value(delivered, "ediary_graphql_requests_total", **subscription) == value(
        before, "ediary_graphql_requests_total", **subscription
    )  # counted when the stream ends

    await socket.ws.close()
    for _ in range(50):
        after = await scrape(http)
        if value(after, "ediary_websockets_open") == value(before, "ediary_websockets_open"):
            break
        await asyncio.sleep(0.05)
    assert value(after, "ediary_websockets_open") == value(before, "ediary_websockets_open")
    assert value(after, active, field="diaryEvents") == value(before, active, field="diaryEvents")
    total = "ediary_graphql_requests_total"
    assert value(after, total, **subscription) - value(before, total, **subscription) == 1


async def test_refused_subscription_counts_its_error_code(http: httpx.AsyncClient, server_url: str, factory: Factory):
    kit = await factory.school()
    teacher = factory.client(await factory.teacher(kit, [("5A", "Mathematics")]))
    before = await scrape(http)
    socket = await open_socket(server_url, teacher.token)
    await socket.start('subscription { classEvents(classId: "nope") { cursor } }')
    message = await socket.next()
    assert message["type"] in ("error", "next"), message
    await socket.ws.close()
    after = await scrape(http)
    errors = "ediary_graphql_errors_total"
    assert value(after, errors, code="BAD_USER_INPUT") - value(before, errors, code="BAD_USER_INPUT") == 1
    await _wait_for_sockets(http, value(before, "ediary_websockets_open"))


async def test_outbox_lag_and_pending_are_sampled(http: httpx.AsyncClient, app: Any, factory: Factory) -> None:
    child = await factory.student(await factory.school(), "5A")
    stuck = await models.OutboxEvent.create(kind="GRADE_ADDED", student_id=child.id)
    await models.OutboxEvent.filter(id=stuck.id).update(occurred_at=now_utc() - timedelta(seconds=90))
    try:
        await outbox.sample()
        waiting = await scrape(http)
        assert value(waiting, "ediary_outbox_pending") >= 1
        assert value(waiting, "ediary_outbox_lag_seconds") >= 90
        assert await outbox.relay_pending(app.state.broker) >= 1
        assert (await models.OutboxEvent.get(id=stuck.id)).published_at is not None
        await outbox.sample()
        relayed = await scrape(http)
        # Only what other tests left younger than the relay's 2 s grace period may remain.
        assert value(relayed, "ediary_outbox_pending") < value(waiting, "ediary_outbox_pending")
        assert value(relayed, "ediary_outbox_lag_seconds") < 60
        published = "ediary_events_published_total"
        assert value(relayed, published) - value(waiting, published) >= 1
    finally:
        await models.OutboxEvent.filter(id=stuck.id).delete()


async def test_database_connections_and_process_metrics(http: httpx.AsyncClient) -> None:
    samples = await scrape(http)
    assert value(samples, "ediary_db_connections_max") >= 1
    assert ("ediary_db_connections", (("state", "in_use"),)) in samples
    assert ("ediary_db_connections", (("state", "idle"),)) in samples
    assert value(samples, "process_resident_memory_bytes") > 0
    assert ("ediary_gc_longest_pause_seconds", ()) in samples


async def test_metrics_are_closed_to_strangers(settings: Settings) -> None:
    async with client_for(settings, metrics_enabled=False) as http:
        assert (await http.get("/metrics")).status_code == 404
    async with client_for(settings, address="203.0.113.9") as http:
        assert (await http.get("/metrics")).status_code == 403
    token = "scrape-" + "t" * 30
    async with client_for(settings, address="203.0.113.9", metrics_token=token) as http:
        assert (await http.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403
        ok = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        assert "ediary_graphql_requests_total" in ok.text
    async with client_for(settings, address="10.1.2.3", metrics_allow=("10.0.0.0/8",)) as http:
        assert (await http.get("/metrics")).status_code == 200


def test_metrics_settings_from_environment() -> None:
    secret = TEST_SECRET
    production = Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": secret})
    assert not production.metrics_enabled
    assert Settings.from_env({"EDIARY_ENV": "production", "SECRET_KEY": secret, "METRICS_ENABLED": "1"}).metrics_enabled
    development = Settings.from_env({"SECRET_KEY": secret})
    assert development.metrics_enabled
    assert development.metrics_allow == ("127.0.0.1/32", "::1/128")
    with pytest.raises(ConfigurationError, match="METRICS_ALLOW"):
        Settings.from_env({"SECRET_KEY": secret, "METRICS_ALLOW": "everyone"})


def _dashboard_metrics() -> set[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert exprs, "the dashboard has no queries"
    return {m for expr in exprs for m in re.findall(r"\b((?:ediary|process)_[a-z_]+)\b", expr)}


async def test_every_metric_the_dashboard_queries_exists(
    http: httpx.AsyncClient, server_url: str, anonymous: Client, factory: Factory
) -> None:
    # So that labelled series exist whatever ran before: a request, an error, a subscription.
    room = await _classroom(factory)
    await room.parent.data(VIEWER)
    assert (await anonymous.post(VIEWER))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    sockets = value(await scrape(http), "ediary_websockets_open")
    socket = await open_socket(server_url, room.parent.token)
    try:
        await socket.start(EVENTS)
        for _ in range(50):
            exposed = {name for name, _ in await scrape(http)}
            if "ediary_subscriptions_active" in exposed:
                break
            await asyncio.sleep(0.05)
    finally:
        await socket.ws.close()
        await _wait_for_sockets(http, sockets)
    missing = sorted(_dashboard_metrics() - exposed)
    assert not missing, f"the dashboard queries metrics /metrics does not expose: {missing}"


def test_tracing_is_off_by_default(app: Any) -> None:
    assert tracing_extensions({}) == []
    names = [getattr(e, "__name__", type(e).__name__) for e in app.state.schema.extensions]
    assert not any("OpenTelemetry" in name for name in names)


def test_tracing_without_the_packages_is_off_with_a_warning(caplog: Any, monkeypatch: Any) -> None:
    import importlib

    real = importlib.import_module

    def missing(name: str, package: str | None = None) -> Any:
        if name.startswith("opentelemetry"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", missing)
    with caplog.at_level("WARNING", logger="schema.tracing"):
        assert tracing_extensions({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}) == []
    assert "OpenTelemetry is not installed" in caplog.text
