"""The integrity check of committed silver, and the metrics that let an alert page on it."""

from __future__ import annotations

import logging
import urllib.error
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway

from pipeline.lake import METRICS_TEXTFILE
from pipeline.observability import conventions as c
from sre.storage import ObjectStore
from sre.storage.manifest import Problem, read_current, verify

INTEGRITY_TEXTFILE = METRICS_TEXTFILE.replace(
    "potato_pipeline.prom", "potato_pipeline_integrity.prom"
)
GROUP = {"check": "integrity"}  # its own Pushgateway group: a push must not wipe the run's metrics
log = logging.getLogger("pipeline.integrity")


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    snapshot: str | None
    files: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check(store: ObjectStore) -> IntegrityReport:
    """Every file of the committed snapshot: present, right size, right sha256."""
    manifest = read_current(store, "silver")
    if manifest is None:
        return IntegrityReport(None, 0, ())
    return IntegrityReport(manifest.snapshot, len(manifest.files()), tuple(verify(store, manifest)))


def registry_for(report: IntegrityReport, checked_at: float) -> CollectorRegistry:
    registry = CollectorRegistry()
    Gauge(
        c.INTEGRITY_OK, "1 when every silver file matches its manifest, else 0.", registry=registry
    ).set(1 if report.ok else 0)
    Gauge(
        c.INTEGRITY_PROBLEMS,
        "Silver files missing or differing from the manifest.",
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
