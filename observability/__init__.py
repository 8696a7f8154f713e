"""What an operator sees of a running process: logs (`logs`), the health and metrics
endpoints (`health`, `health_server`, `metrics`) and traces (`tracing`).

`start_telemetry(settings, process)` is the one call a process makes at start: it sets up
the log, the one Temporal `Runtime` of the process (its SDK metrics into a buffer that
/metrics reads) and the tracing interceptors; the result's `runtime` and `interceptors`
are what `client.connection.connect()` takes, and `close()` flushes the spans at exit."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Interceptor
from temporalio.runtime import (
    LoggingConfig,
    LoggingFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from domain.settings import Settings
from observability.logs import configure_logging
from observability.metrics import SdkMetrics
from observability.tracing import Tracing, start_tracing


@dataclass
class Telemetry:
    runtime: Runtime
    sdk_metrics: SdkMetrics | None  # None: no one would scrape them
    tracing: Tracing

    @property
    def interceptors(self) -> list[Interceptor]:
        return self.tracing.interceptors

    def close(self) -> None:
        """Flush what is still queued (spans) before the process ends."""
        self.tracing.shutdown()


def start_telemetry(settings: Settings, process: str, *, sdk_metrics: bool = False) -> Telemetry:
    """Once per process, first thing. `process` names it in traces (worker, web);
    `sdk_metrics`: keep the SDK's metrics for a /metrics endpoint to show."""
    configure_logging(settings)
    metrics = SdkMetrics() if sdk_metrics else None
    runtime = Runtime(
        telemetry=TelemetryConfig(
            # Core's own warnings on standard output, as JSON when the log is. Not forwarded
            # into Python's log: a forwarding thread deadlocks the interpreter's exit.
            logging=LoggingConfig(
                filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
                format=LoggingFormat.JSON if settings.log_format == "json" else None,
            ),
            metrics=metrics.buffer if metrics else None,
        )
    )
    return Telemetry(runtime=runtime, sdk_metrics=metrics, tracing=start_tracing(settings, process))
