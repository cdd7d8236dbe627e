"""Cumulative metric totals, carried from run to run in the ledger.

A one-shot run pushes to a Pushgateway, which replaces the whole group on each push. If each
run pushed only its own counts, `rate(potato_pipeline_tasks_total[1h])` would see counters
reset every run and mean nothing. So every run adds its counts to the previous run's totals
and pushes the sums: counters stay monotonic across processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.ledger import RunRecord
from pipeline.observability.conventions import DURATION_BUCKETS, FAILURE, SUCCESS

VALIDATE = "validate"


@dataclass(frozen=True, slots=True)
class Histogram:
    buckets: tuple[int, ...] = (0,) * len(DURATION_BUCKETS)  # cumulative counts per bound
    sum: float = 0.0
    count: int = 0

    def observe(self, value: float) -> Histogram:
        buckets = tuple(
            n + (value <= bound) for n, bound in zip(self.buckets, DURATION_BUCKETS, strict=True)
        )
        return Histogram(buckets, self.sum + value, self.count + 1)


@dataclass(frozen=True, slots=True)
class Totals:
    tasks: Mapping[tuple[str, str], int] = field(default_factory=dict)
    durations: Mapping[str, Histogram] = field(default_factory=dict)
    rows_processed: Mapping[str, int] = field(default_factory=dict)
    rows_rejected: Mapping[tuple[str, str], int] = field(default_factory=dict)
    runs: Mapping[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    last_success: float | None = None
    last_run: float | None = None
    last_run_success: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "tasks": [[t, s, n] for (t, s), n in sorted(self.tasks.items())],
            "durations": {
                t: {"buckets": list(h.buckets), "sum": h.sum, "count": h.count}
                for t, h in sorted(self.durations.items())
            },
            "rows_processed": dict(sorted(self.rows_processed.items())),
            "rows_rejected": [[t, r, n] for (t, r), n in sorted(self.rows_rejected.items())],
            "runs": dict(sorted(self.runs.items())),
            "bytes_read": self.bytes_read,
            "last_success": self.last_success,
            "last_run": self.last_run,
            "last_run_success": self.last_run_success,
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Totals:
        return cls(
            tasks={(t, s): int(n) for t, s, n in doc.get("tasks", [])},
            durations={
                t: Histogram(tuple(h["buckets"]), float(h["sum"]), int(h["count"]))
                for t, h in doc.get("durations", {}).items()
                if len(h["buckets"]) == len(DURATION_BUCKETS)
            },
            rows_processed={t: int(n) for t, n in doc.get("rows_processed", {}).items()},
            rows_rejected={(t, r): int(n) for t, r, n in doc.get("rows_rejected", [])},
            runs={s: int(n) for s, n in doc.get("runs", {}).items()},
            bytes_read=int(doc.get("bytes_read", 0)),
            last_success=doc.get("last_success"),
            last_run=doc.get("last_run"),
            last_run_success=doc.get("last_run_success"),
        )


def _add(counts: Mapping[Any, int], key: Any, value: int) -> dict[Any, int]:
    return {**counts, key: counts.get(key, 0) + value}


def advance(totals: Totals, record: RunRecord, finished: float) -> Totals:
    """The totals after `record` (pure). A failed run never moves the last-success time."""
    tasks, durations, processed = (
        dict(totals.tasks),
        dict(totals.durations),
        dict(totals.rows_processed),
    )
    for report in record.tasks:
        status = SUCCESS if report.status == "success" else FAILURE
        tasks = _add(tasks, (report.name, status), 1)
        durations[report.name] = durations.get(report.name, Histogram()).observe(
            report.duration_seconds
        )
        processed = _add(processed, report.name, report.rows_out if status == SUCCESS else 0)
    rejected = dict(totals.rows_rejected)
    for rule, count in record.rejected.items():
        rejected = _add(rejected, (VALIDATE, rule), count)
    ok = record.status in ("success", "noop")
    return Totals(
        tasks=tasks,
        durations=durations,
        rows_processed=processed,
        rows_rejected=rejected,
        runs=_add(totals.runs, record.status, 1),
        bytes_read=totals.bytes_read + record.bytes_read,
        last_success=finished if ok else totals.last_success,
        last_run=finished,
        last_run_success=1 if ok else 0,
    )
