"""Prometheus metrics of the pipeline, rendered from the cumulative totals of the ledger.

One collector serves three outlets: a push to a Pushgateway after each one-shot run, a
node_exporter textfile in the lake when no Pushgateway is configured, and `/metrics` while
`run --every` keeps the process alive.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Iterator
from datetime import datetime

from deltalake.exceptions import DeltaError
from prometheus_client import CollectorRegistry, generate_latest, push_to_gateway
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from pipeline import silver
from pipeline.lake import METRICS_TEXTFILE
from pipeline.ledger import RunRecord, latest_totals
from pipeline.observability import conventions as c
from pipeline.observability.totals import Histogram, Totals
from pipeline.runner import TASKS, Observer
from pipeline.silver import Silver
from sre.errors import SreError
from sre.storage import ObjectStore

log = logging.getLogger("pipeline.metrics")
RUN_STATUSES = ("success", "failure", "noop")


def _help(name: str) -> str:
    return next(m.help for m in c.METRICS if m.name == name)


def _base(name: str) -> str:
    """prometheus_client adds `_total` to counter families itself."""
    return name.removesuffix("_total")


class PipelineMetrics(Collector):
    """The pipeline's metric families, as of the last `update`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.totals = Totals()
        self.manifest: Silver | None = None
        if registry is not None:
            registry.register(self)

    def update(self, totals: Totals, manifest: Silver | None) -> None:
        self.totals, self.manifest = totals, manifest

    def collect(self) -> Iterator[Metric]:
        t = self.totals
        if t.last_success is not None:
            yield GaugeMetricFamily(c.LAST_SUCCESS, _help(c.LAST_SUCCESS), value=t.last_success)
        if t.last_run is not None:
            yield GaugeMetricFamily(c.LAST_RUN, _help(c.LAST_RUN), value=t.last_run)
        if t.last_run_success is not None:
            yield GaugeMetricFamily(
                c.LAST_RUN_SUCCESS, _help(c.LAST_RUN_SUCCESS), value=t.last_run_success
            )
        tasks = CounterMetricFamily(
            _base(c.TASKS_TOTAL), _help(c.TASKS_TOTAL), labels=[c.TASK, c.STATUS]
        )
        # Every known series exists from the start at 0, so rate() counts the first increments.
        zeros = {(task, status): 0 for task in TASKS for status in (c.SUCCESS, c.FAILURE)}
        for (task, status), n in sorted({**zeros, **t.tasks}.items()):
            tasks.add_metric([task, status], n)
        yield tasks
        durations = HistogramMetricFamily(c.TASK_DURATION, _help(c.TASK_DURATION), labels=[c.TASK])
        for task, h in sorted({**{task: Histogram() for task in TASKS}, **t.durations}.items()):
            bounds = [str(float(b)) for b in c.DURATION_BUCKETS]
            durations.add_metric(
                [task],
                [*zip(bounds, map(float, h.buckets), strict=True), ("+Inf", float(h.count))],
                h.sum,
            )
        yield durations
        rows = CounterMetricFamily(
            _base(c.ROWS_PROCESSED), _help(c.ROWS_PROCESSED), labels=[c.TASK]
        )
        for task, n in sorted({**dict.fromkeys(TASKS, 0), **t.rows_processed}.items()):
            rows.add_metric([task], n)
        yield rows
        rejected = CounterMetricFamily(
            _base(c.ROWS_REJECTED), _help(c.ROWS_REJECTED), labels=[c.TASK, c.RULE]
        )
        for (task, rule), n in sorted(t.rows_rejected.items()):
            rejected.add_metric([task, rule], n)
        yield rejected
        runs = CounterMetricFamily(_base(c.RUNS_TOTAL), _help(c.RUNS_TOTAL), labels=[c.STATUS])
        for status, n in sorted({**dict.fromkeys(RUN_STATUSES, 0), **t.runs}.items()):
            runs.add_metric([status], n)
        yield runs
        yield CounterMetricFamily(_base(c.BYTES_READ), _help(c.BYTES_READ), value=t.bytes_read)
        if self.manifest is not None:
            yield from self._silver(self.manifest)

    def _silver(self, manifest: Silver) -> Iterator[Metric]:
        created = manifest.created_at or "1970-01-01T00:00:00Z"
        updated_at = datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
        rows = GaugeMetricFamily(c.TABLE_ROWS, _help(c.TABLE_ROWS), labels=[c.TABLE])
        updated = GaugeMetricFamily(c.TABLE_UPDATED, _help(c.TABLE_UPDATED), labels=[c.TABLE])
        for name, table in sorted(manifest.tables.items()):
            rows.add_metric([name], table.rows)
            updated.add_metric([name], updated_at)
        yield rows
        yield updated


def exposition(totals: Totals, manifest: Silver | None) -> bytes:
    """The text exposition format of the given state (pure)."""
    registry = CollectorRegistry()
    PipelineMetrics(registry).update(totals, manifest)
    return generate_latest(registry)


class MetricsExporter(Observer):
    """After each run: push to the Pushgateway, or write the textfile into the lake.

    A Pushgateway that is down makes the run warn, never fail: the data work is done.
    """

    def __init__(self, *, pushgateway: str | None, live: PipelineMetrics | None = None) -> None:
        self.pushgateway = pushgateway
        self.live = live
        self.store: ObjectStore | None = None

    def run_started(self, run_id: str, store: ObjectStore) -> None:
        self.store = store

    def publish_initial(self, store: ObjectStore) -> None:
        """Export the totals as they stand before any run (zeros on a new lake)."""
        self.store = store
        self._export(Totals.from_dict(latest_totals(store)))

    def run_finished(self, record: RunRecord) -> None:
        self._export(Totals.from_dict(record.metrics))

    def _export(self, totals: Totals) -> None:
        assert self.store is not None
        try:
            manifest = silver.read(self.store)
        except (SreError, DeltaError) as exc:
            log.warning("metrics: cannot read the silver tables: %s", exc)
            manifest = None
        if self.live is not None:
            self.live.update(totals, manifest)
        if self.pushgateway:
            self._push(totals, manifest)
        else:
            self.store.write_bytes(METRICS_TEXTFILE, exposition(totals, manifest))

    def _push(self, totals: Totals, manifest: Silver | None) -> None:
        assert self.pushgateway is not None
        registry = CollectorRegistry()
        PipelineMetrics(registry).update(totals, manifest)
        try:
            push_to_gateway(self.pushgateway, job=c.JOB, registry=registry, timeout=5)
        except (urllib.error.URLError, OSError) as exc:
            log.warning(
                "metrics: Pushgateway %s unreachable, metrics not pushed: %s", self.pushgateway, exc
            )
