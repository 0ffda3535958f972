"""Optional OpenTelemetry traces: one span per GraphQL operation (and its resolvers), exported
over OTLP/HTTP. On only when the ``opentelemetry`` packages are installed (``pip install
'.[otel]'``) and ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; the exporter reads the rest of the
standard ``OTEL_*`` variables (headers, service name) itself."""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

_provider_installed = False


def tracing_extensions(environ: Mapping[str, str] | None = None) -> list[Any]:
    """Strawberry's OpenTelemetry extension, with a tracer provider exporting over OTLP, or
    nothing when tracing is not configured or the packages are missing (said once in the log)."""
    env = os.environ if environ is None else environ
    if not env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return []
    try:
        trace = importlib.import_module("opentelemetry.trace")
        exporter = importlib.import_module("opentelemetry.exporter.otlp.proto.http.trace_exporter")
        resources = importlib.import_module("opentelemetry.sdk.resources")
        sdk = importlib.import_module("opentelemetry.sdk.trace")
        export = importlib.import_module("opentelemetry.sdk.trace.export")
        strawberry_tracing = importlib.import_module("strawberry.extensions.tracing")
    except ImportError as exc:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed (%s): no traces", exc)
        return []
    global _provider_installed
    if not _provider_installed:
        resource = resources.Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "ediary")})
        provider = sdk.TracerProvider(resource=resource)
        provider.add_span_processor(export.BatchSpanProcessor(exporter.OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
        _provider_installed = True
        log.info("OpenTelemetry traces exported to %s", env["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return [strawberry_tracing.OpenTelemetryExtension]
