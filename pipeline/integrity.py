"""The integrity check of committed silver, and the metrics that let an alert page on it."""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from pipeline import silver
from pipeline.lake import METRICS_TEXTFILE
from pipeline.observability import conventions as c
from sre.storage import ObjectStore
from sre.storage.delta import FileCheck, location, open_table, verify_table

INTEGRITY_TEXTFILE = METRICS_TEXTFILE.replace(
    "potato_pipeline.prom", "potato_pipeline_integrity.prom"
)
GROUP = {"check": "integrity"}  # its own Pushgateway group: a push must not wipe the run's metrics
# The label naming a damaged prefix on the integrity gauge. The corruption alert keeps it, and
# the remediation engine reads the quarantine target from it (sre.remediation.decide.target),
# where it still has to pass the silver/ allow-list.
PREFIX = "prefix"
log = logging.getLogger("pipeline.integrity")


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    snapshot: str | None
    files: int
    problems: tuple[FileCheck, ...]
    versions: dict[str, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def damaged_prefixes(self) -> tuple[str, ...]:
        """The damaged files themselves: what quarantine moves (see `damaged_prefix`)."""
        return tuple(sorted({damaged_prefix(p.key) for p in self.problems}))


def damaged_prefix(key: str) -> str:
    """The prefix quarantine moves for a damaged silver file: the file itself. A Delta table's
    folder (or partition folder) also holds healthy files of the same and older versions, and
    the table's folder its log, none of which may be moved aside with it."""
    return key


def check(store: ObjectStore) -> IntegrityReport:
    """Every data file of each table's current version: present, the size its Delta log says,
    the sha256 recorded when it was written."""
    state = silver.read(store)
    if state is None:
        return IntegrityReport(None, 0, ())
    problems: list[FileCheck] = []
    files = 0
    for name in state.tables:
        loc = location(store, silver.table_key(name))
        table = open_table(loc)
        if table is None:
            continue
        files += len(state.tables[name].files)
        problems.extend(verify_table(loc, table))
    return IntegrityReport(state.snapshot, files, tuple(problems), state.versions)


class _OkCollector(Collector):
    # prometheus_client's Gauge has one label set per metric; this one is unlabelled when whole.
    def __init__(self, report: IntegrityReport) -> None:
        self.report = report

    def collect(self) -> Iterator[Metric]:
        metric = Metric(
            c.INTEGRITY_OK,
            "1 when every silver file matches its recorded checksum; else 0 per damaged prefix.",
            "gauge",
        )
        if self.report.ok:
            metric.add_sample(c.INTEGRITY_OK, {}, 1.0)
        for prefix in self.report.damaged_prefixes:
            metric.add_sample(c.INTEGRITY_OK, {PREFIX: prefix}, 0.0)
        yield metric


def registry_for(report: IntegrityReport, checked_at: float) -> CollectorRegistry:
    """One `ok` series when silver is intact (1); when not, one 0 per damaged prefix, labelled
    with it, so each alert names what to quarantine. The Pushgateway replaces the group on
    every push, so the labelled series disappear (and the alerts resolve) once silver is whole."""
    registry = CollectorRegistry()
    registry.register(_OkCollector(report))
    Gauge(
        c.INTEGRITY_PROBLEMS,
        "Silver files missing or differing from their recorded checksums.",
        registry=registry,
    ).set(len(report.problems))
    Gauge(
        c.INTEGRITY_CHECKED, "Unix time of the last silver integrity check.", registry=registry
    ).set(checked_at)
    return registry


def export(
    report: IntegrityReport, checked_at: float, store: ObjectStore, pushgateway: str | None
) -> None:
    """Push to the Pushgateway (own group), else write a textfile in the lake; never raise."""
    registry = registry_for(report, checked_at)
    if not pushgateway:
        store.write_bytes(INTEGRITY_TEXTFILE, generate_latest(registry))
        return
    try:
        push_to_gateway(pushgateway, job=c.JOB, registry=registry, grouping_key=GROUP, timeout=5)
    except (urllib.error.URLError, OSError) as exc:
        log.warning(
            "integrity: Pushgateway %s unreachable, metric not pushed: %s", pushgateway, exc
        )
