"""Prometheus metrics of this process (``GET /metrics``, see README "Observability").

Every server process keeps its own counters in prometheus_client's default registry and
serves them itself; Prometheus scrapes each process (each replica) and sums across them, so
no multiprocess files are needed. Label values are bounded: operation names are the first
``MAX_OPERATIONS`` distinct names this process has seen, later ones count as ``other``
(``schema.gates.operation_label`` chooses the label); error codes are the stable
SCREAMING_SNAKE codes the API returns; subscription fields are the root fields of the schema."""

from __future__ import annotations

import hmac
import ipaddress
import re
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from tortoise import connections

if TYPE_CHECKING:  # annotations only: edge.settings imports resolvers.core, which counts here
    from edge.settings import Settings

OTHER = "other"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")

REQUESTS = Counter(
    "ediary_graphql_requests_total",
    "GraphQL operations handled, by operation name, type (query, mutation, subscription, unknown) and "
    "outcome (ok; error: executed with errors; invalid: refused before execution).",
    ["operation", "type", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "ediary_graphql_request_seconds",
    "Time to answer a query or mutation (parse, validate, execute), by operation name.",
    ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ERRORS = Counter(
    "ediary_graphql_errors_total",
    "Errors answered, by code: GraphQL errors' extensions.code and result-union errors' code.",
    ["code"],
)
SUBSCRIPTIONS = Gauge(
    "ediary_subscriptions_active", "Subscriptions running now in this process, by root field.", ["field"]
)
EVENTS_PUBLISHED = Counter("ediary_events_published", "Outbox events handed to the broker by this process.")
EVENTS_DELIVERED = Counter(
    "ediary_events_delivered", "Live events (every stream) sent to subscribers by this process (one per subscriber)."
)
STREAM_READS = Counter(
    "ediary_stream_reads",
    "Reads of a stream's outbox (one per woken subscriber), by how they went to the database: alone, or in a "
    "statement shared with the other subscribers the same event woke (`resolvers/core.py`, read batches).",
    ["statement"],
)
for _label in ("alone", "shared"):
    STREAM_READS.labels(_label)
OUTBOX_LAG = Gauge(
    "ediary_outbox_lag_seconds",
    "Age of the oldest outbox event not yet published (0 when none), sampled by the outbox relay.",
)
OUTBOX_PENDING = Gauge("ediary_outbox_pending", "Outbox events not yet published, sampled by the outbox relay.")
BROKER_RECONNECTS = Counter(
    "ediary_broker_reconnects",
    "Broker connections re-established after a loss, by who re-established it (library: the Redis client's own "
    "retry; broker: the broker, after giving the connection up). Each is followed at once by a catch-up check.",
    ["by"],
)
CATCH_UPS = Counter(
    "ediary_catchups",
    "Local subscribers woken to read the outbox past their cursor, by cause (reconnect: the broker's connection came "
    "back; check: an event the broker did not announce within the periodic check).",
    ["cause"],
)
for _label in ("library", "broker"):  # every series from the start, at 0
    BROKER_RECONNECTS.labels(_label)
for _label in ("reconnect", "check"):
    CATCH_UPS.labels(_label)
CAUGHT_UP_EVENTS = Counter(
    "ediary_caught_up_events",
    "Events the broker did not announce to a local subscriber in time, found by the periodic check.",
)


def record_error(code: object) -> None:
    """Count one error answered with ``code`` (anything that is not a code counts as ``OTHER``)."""
    label = code if isinstance(code, str) and _CODE.match(code) else "OTHER"
    ERRORS.labels(label).inc()


class SocketCounts(Protocol):
    """What ``schema.websocket.Sockets`` counts (read at scrape time, never counted twice)."""

    open: int
    longest_pause_ms: float
    full_collections: int


_sockets: list[weakref.ref[SocketCounts]] = []


def watch_sockets(counts: SocketCounts) -> None:
    """Expose ``counts`` (one per app; normally one app per process) in ``/metrics``."""
    _sockets[:] = [ref for ref in _sockets if ref() is not None]
    _sockets.append(weakref.ref(counts))


class _SocketCollector(Collector):
    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        live = [c for c in (ref() for ref in _sockets) if c is not None]
        yield GaugeMetricFamily(
            "ediary_websockets_open", "WebSocket connections open now.", value=sum(c.open for c in live)
        )
        yield GaugeMetricFamily(
            "ediary_gc_longest_pause_seconds",
            "The longest cycle-collector pause seen by this process.",
            value=max((c.longest_pause_ms for c in live), default=0.0) / 1000,
        )
        yield CounterMetricFamily(
            "ediary_gc_full_collections",
            "Full (generation 2) collections run by the interpreter since start.",
            value=sum(c.full_collections for c in live),
        )


class _DatabaseCollector(Collector):
    """Connections of the ``default`` database at scrape time. PostgreSQL (asyncpg): the
    pool's connections in use and idle, and its maximum. SQLite has one connection, held
    for the length of a statement or transaction: ``in_use`` is 1 while one runs."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        in_use, idle, limit = _database_connections()
        family = GaugeMetricFamily(
            "ediary_db_connections", "Database connections of this process, by state.", labels=["state"]
        )
        family.add_metric(["in_use"], in_use)
        family.add_metric(["idle"], idle)
        yield family
        yield GaugeMetricFamily("ediary_db_connections_max", "The most connections this process may open.", value=limit)


def _database_connections() -> tuple[int, int, int]:
    try:
        client = connections.get("default")
    except Exception:  # noqa: BLE001 - not initialised (yet): nothing to report
        return 0, 0, 0
    pool = getattr(client, "_pool", None)
    if pool is not None and hasattr(pool, "get_idle_size"):
        size, idle = int(pool.get_size()), int(pool.get_idle_size())
        return size - idle, idle, int(pool.get_max_size())
    if hasattr(client, "pool_maxsize"):  # a PostgreSQL client whose pool is not created yet
        return 0, 0, int(client.pool_maxsize)
    lock = getattr(client, "_lock", None)
    opened = getattr(client, "_connection", None) is not None
    busy = int(lock is not None and lock.locked())
    return busy, int(opened) - busy if opened else 0, 1


_collectors_registered = False


def register_collectors() -> None:
    """Add the scrape-time collectors to the default registry, once per process."""
    global _collectors_registered
    if not _collectors_registered:
        REGISTRY.register(_SocketCollector())
        REGISTRY.register(_DatabaseCollector())
        _collectors_registered = True


def exposition() -> tuple[bytes, str]:
    """The text exposition of every metric of this process, and its media type."""
    register_collectors()
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def may_scrape(settings: Settings, address: str, authorization: str | None) -> bool:
    """Whether this request may read ``/metrics``: it is enabled (METRICS_ENABLED; off by
    default in production) and the request carries ``Bearer <METRICS_TOKEN>`` or comes from
    an address in METRICS_ALLOW (default: loopback only)."""
    if not settings.metrics_enabled:
        return False
    if settings.metrics_token and authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(token.strip(), settings.metrics_token):
            return True
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(n, strict=False) for n in settings.metrics_allow)
