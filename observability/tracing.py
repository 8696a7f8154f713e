"""OpenTelemetry traces of workflows and activities, sent over OTLP/HTTP to a collector
when ALLIANCE_OTEL_ENDPOINT is set; nothing at all when it is not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from temporalio.client import Interceptor
from temporalio.contrib.opentelemetry import TracingInterceptor

from domain.settings import Settings

SERVICE = "anshan-alliance"
EXPORT_EVERY = timedelta(seconds=2)


@dataclass
class Tracing:
    """The interceptors to give `connect()`, and the provider to flush at exit."""

    interceptors: list[Interceptor] = field(default_factory=list)
    provider: TracerProvider | None = None

    def shutdown(self) -> None:
        """Send the spans still queued; the process is about to end."""
        if self.provider is not None:
            self.provider.shutdown()


def start_tracing(settings: Settings, process: str) -> Tracing:
    """Spans named `StartWorkflow:…`, `RunWorkflow:…`, `StartActivity:…`,
    `RunActivity:…`, `HandleUpdate:…` for `process` (worker, web), batched and posted to
    `settings.otel_endpoint` (e.g. http://collector:4318/v1/traces).

    The tracer is handed to the interceptor rather than set as the global provider, so a
    library's own instrumentation is not switched on as a side effect."""
    if not settings.otel_endpoint:
        return Tracing()
    provider = TracerProvider(
        resource=Resource.create(
            {"service.namespace": SERVICE, "service.name": f"{SERVICE}-{process}"}
        )
    )
    provider.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint=settings.otel_endpoint),
            schedule_delay_millis=EXPORT_EVERY.total_seconds() * 1000,
        )
    )
    return Tracing([TracingInterceptor(provider.get_tracer(SERVICE))], provider)
