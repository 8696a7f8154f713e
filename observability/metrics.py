"""/metrics in Prometheus text: the system's own counters (from the registry and
Temporal's visibility, read at scrape time), the SDK's metrics (drained from Temporal
Core's metric buffer) and the process's (CPU, memory, open files, GC)."""

from __future__ import annotations

import asyncio
import bisect
import logging
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    BUFFERED_METRIC_KIND_HISTOGRAM,
    MetricBuffer,
    MetricBufferDurationFormat,
)
from temporalio.service import RPCError

from domain import search_attributes
from registry.metrics_queries import RegistryCounts, registry_counts

log = logging.getLogger("metrics")
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # the text format every Prometheus version reads
OPEN_INCIDENTS = SearchAttributeKey.for_int(search_attributes.OPEN_INCIDENTS)
TEMPORAL_TIMEOUT = timedelta(seconds=5)


# ---- the system's own counters


@dataclass
class SystemMetrics:
    """One scrape's reading; a part whose source did not answer is left out, and
    `alliance_metrics_source_up` says which."""

    registry: RegistryCounts | None
    open_incidents: int | None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "alliance_metrics_source_up",
            "1 when this scrape could read the source (registry, temporal), else 0",
            labels=["source"],
        )
        up.add_metric(["registry"], int(self.registry is not None))
        up.add_metric(["temporal"], int(self.open_incidents is not None))
        yield up
        if self.registry is not None:
            yield from _registry_families(self.registry)
        if self.open_incidents is not None:
            yield GaugeMetricFamily(
                "alliance_open_incidents",
                "incidents (故障) of running alliance workflows not yet re-queued by staff",
                value=self.open_incidents,
            )


def _registry_families(counts: RegistryCounts) -> Iterator[Metric]:
    notices = GaugeMetricFamily(
        "alliance_notices",
        "notices (通知邮件) in the registry by purpose and delivery status: sending "
        "(pending), sent, partly_failed, failed",
        labels=["purpose", "status"],
    )
    for purpose, status, count in counts.notices:
        notices.add_metric([purpose, status], count)
    yield notices
    yield GaugeMetricFamily(
        "alliance_notices_retrying",
        "notices still sending after more than one attempt: the mail relay is refusing "
        "or unreachable",
        value=counts.notices_retrying,
    )
    actions = CounterMetricFamily(
        "alliance_actions",
        "recorded actions (audit entries) by action and the actor's role",
        labels=["action", "role"],
    )
    for action, role, count in counts.actions:
        actions.add_metric([action, role], count)
    yield actions


async def system_metrics(registry_url: str, client: Client | None) -> SystemMetrics:
    """Read the registry and Temporal's visibility; either may be down."""
    registry, incidents = await asyncio.gather(
        asyncio.to_thread(_registry_or_none, registry_url), _open_incidents(client)
    )
    return SystemMetrics(registry=registry, open_incidents=incidents)


def _registry_or_none(url: str) -> RegistryCounts | None:
    try:
        return registry_counts(url)
    except Exception:
        log.debug("metrics: the registry did not answer", exc_info=True)
        return None


async def _open_incidents(client: Client | None) -> int | None:
    """The sum of AllianceOpenIncidents over running workflows (the incidents page's
    query); None when Temporal cannot answer it (down, or the time-skipping test server)."""
    if client is None:
        return None
    total = 0
    try:
        async with asyncio.timeout(TEMPORAL_TIMEOUT.total_seconds()):
            async for execution in client.list_workflows(search_attributes.WITH_OPEN_INCIDENTS):
                total += execution.typed_search_attributes.get(OPEN_INCIDENTS) or 0
    except (RPCError, RuntimeError, TimeoutError):
        log.debug("metrics: Temporal did not list the open incidents", exc_info=True)
        return None
    return total


# ---- the SDK's metrics

# seconds: from a workflow task of a few milliseconds to an SMTP send that waits a minute
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BUCKETS) + 1))
    total: float = 0.0
    count: int = 0

    def observe(self, value: float) -> None:
        self.buckets[bisect.bisect_left(LATENCY_BUCKETS, value)] += 1
        self.total += value
        self.count += 1


@dataclass
class _Series:
    kind: str  # counter | gauge | histogram
    description: str
    values: dict[tuple[tuple[str, str], ...], float | _Histogram] = field(default_factory=dict)


class SdkMetrics:
    """Temporal Core's metrics (workflow task latency, activity failures, sticky cache,
    slots, pollers…), recorded into a buffer by the process's `Runtime` and turned here
    into Prometheus families: counters add up their deltas, gauges keep the last value,
    histograms count into latency buckets (seconds).

    Drained at each scrape and every few seconds between (`keep_drained`), so the buffer
    never fills while no one scrapes."""

    BUFFER_SIZE = 100_000
    DRAIN_EVERY = timedelta(seconds=5)

    def __init__(self) -> None:
        self.buffer = MetricBuffer(self.BUFFER_SIZE, MetricBufferDurationFormat.SECONDS)
        self._series: dict[str, _Series] = {}
        self._lock = threading.Lock()  # a scrape and the periodic drain may overlap

    def drain(self) -> None:
        with self._lock:
            for update in self.buffer.retrieve_updates():
                metric = update.metric
                series = self._series.get(metric.name)
                if series is None:
                    series = self._series[metric.name] = _Series(
                        _KINDS[metric.kind], metric.description or metric.name
                    )
                labels = tuple(sorted((k, str(v)) for k, v in update.attributes.items()))
                if series.kind == "counter":
                    previous = series.values.get(labels, 0.0)
                    assert isinstance(previous, float | int)
                    series.values[labels] = previous + update.value
                elif series.kind == "gauge":
                    series.values[labels] = update.value
                else:
                    histogram = series.values.setdefault(labels, _Histogram())
                    assert isinstance(histogram, _Histogram)
                    histogram.observe(update.value)

    async def keep_drained(self) -> None:
        """Run until cancelled."""
        while True:
            await asyncio.sleep(self.DRAIN_EVERY.total_seconds())
            self.drain()

    def collect(self) -> Iterator[Metric]:
        self.drain()
        with self._lock:
            for name, series in sorted(self._series.items()):
                yield _family(name, series)


_KINDS = {
    BUFFERED_METRIC_KIND_COUNTER: "counter",
    BUFFERED_METRIC_KIND_GAUGE: "gauge",
    BUFFERED_METRIC_KIND_HISTOGRAM: "histogram",
}


def _family(name: str, series: _Series) -> Metric:
    family = Metric(name, series.description, series.kind)
    for labels, value in series.values.items():
        tags = dict(labels)
        if isinstance(value, _Histogram):
            cumulative = 0
            for bound, count in zip((*LATENCY_BUCKETS, float("inf")), value.buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else repr(float(bound))
                family.add_sample(f"{name}_bucket", {**tags, "le": le}, cumulative)
            family.add_sample(f"{name}_sum", tags, value.total)
            family.add_sample(f"{name}_count", tags, value.count)
        elif series.kind == "counter":
            family.add_sample(f"{family.name}_total", tags, value)
        else:
            family.add_sample(name, tags, value)
    return family


# ---- the exposition


def exposition(*collectors: SystemMetrics | SdkMetrics | None) -> bytes:
    """The Prometheus text of the given collectors (None: left out), then the process's
    own metrics."""
    parts: Iterable[object] = (
        *(c for c in collectors if c is not None),
        PROCESS_COLLECTOR,
        PLATFORM_COLLECTOR,
        GC_COLLECTOR,
    )
    return b"".join(generate_latest(part) for part in parts)  # type: ignore[arg-type]
