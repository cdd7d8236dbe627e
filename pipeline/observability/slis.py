"""The runbook's three SLIs: silver freshness, run success rate, task latency p95.

From Prometheus when one is given (the runbook's own queries), otherwise computed from the
run ledger, and always saying which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pipeline.ledger import RunRecord
from pipeline.observability import conventions as c

FRESHNESS_QUERY = f"(time() - {c.LAST_SUCCESS}) / 3600"
# The runbook's ratio divides series by series; summing first gives the ratio it means.
SUCCESS_QUERY = (
    f'sum(rate({c.TASKS_TOTAL}{{status="success"}}[24h])) / sum(rate({c.TASKS_TOTAL}[24h]))'
)
LATENCY_QUERY = f"histogram_quantile(0.95, rate({c.TASK_DURATION}_bucket[5m]))"
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class SLIs:
    source: str  # prometheus | ledger
    freshness_hours: float | None
    success_ratio: float | None
    task_p95_seconds: dict[str, float] = field(default_factory=dict)
    window: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def from_ledger(runs: Sequence[RunRecord], last_success: float | None, now: float) -> SLIs:
    """SLIs over the ledger's last 24 h of runs (pure)."""
    recent = [r for r in runs if r.finished_at and now - _seconds(r.finished_at) <= DAY]
    tasks = [t for r in recent for t in r.tasks]
    ok = sum(t.status == "success" for t in tasks)
    durations: dict[str, list[float]] = {}
    for t in tasks:
        durations.setdefault(t.name, []).append(t.duration_seconds)
    return SLIs(
        source="ledger",
        freshness_hours=(now - last_success) / 3600 if last_success is not None else None,
        success_ratio=ok / len(tasks) if tasks else None,
        task_p95_seconds={name: round(_p95(v), 3) for name, v in sorted(durations.items())},
        window=f"last 24 h of the ledger ({len(recent)} runs)",
    )


def from_prometheus(url: str, *, timeout: float = 5.0) -> SLIs:
    """The runbook's queries through the Prometheus HTTP API."""
    from prometheus_api_client import PrometheusConnect

    prom = PrometheusConnect(url=url, disable_ssl=True, timeout=int(timeout))

    def scalar(query: str) -> float | None:
        result = prom.custom_query(query)
        values = [float(s["value"][1]) for s in result]
        finite = [v for v in values if math.isfinite(v)]
        return finite[0] if finite else None

    latency = {
        s["metric"].get(c.TASK, "?"): float(s["value"][1])
        for s in prom.custom_query(LATENCY_QUERY)
        if math.isfinite(float(s["value"][1]))
    }
    return SLIs(
        source="prometheus",
        freshness_hours=scalar(FRESHNESS_QUERY),
        success_ratio=scalar(SUCCESS_QUERY),
        task_p95_seconds=dict(sorted(latency.items())),
        window="success over 24 h, p95 over 5 m",
    )
