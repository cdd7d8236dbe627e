"""The run ledger: one JSON record per run under `_state/runs/`, newest last.

The silver tables' commits, not the ledger, say which bronze partitions silver holds (so a
crash between commit and ledger write cannot make a rerun publish twice); the ledger is the
history that `status` shows, with the table versions each run left, and that later runs read
totals from.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from pipeline.lake import RUNS, TOTALS, run_record
from sre.errors import ObjectNotFound
from sre.storage import ObjectStore


@dataclass(frozen=True, slots=True)
class TaskReport:
    name: str
    status: str  # success | failure
    duration_seconds: float
    rows_in: int = 0
    rows_out: int = 0
    bytes: int = 0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    started_at: str
    finished_at: str
    status: str  # success | failure | noop
    snapshot: str | None
    partitions: tuple[str, ...] = ()
    tasks: tuple[TaskReport, ...] = ()
    rejected: Mapping[str, int] = field(default_factory=dict)
    rows: Mapping[str, int] = field(default_factory=dict)
    bytes_read: int = 0
    error: str | None = None
    failed_task: str | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)  # cumulative totals after this run
    versions: Mapping[str, int] = field(default_factory=dict)  # the tables' consistent set

    @property
    def duration_seconds(self) -> float:
        return sum(t.duration_seconds for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["partitions"] = list(self.partitions)
        doc["duration_seconds"] = round(self.duration_seconds, 3)
        return doc

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RunRecord:
        return cls(
            run_id=doc["run_id"],
            started_at=doc["started_at"],
            finished_at=doc["finished_at"],
            status=doc["status"],
            snapshot=doc.get("snapshot"),
            partitions=tuple(doc.get("partitions", ())),
            tasks=tuple(TaskReport(**t) for t in doc.get("tasks", ())),
            rejected=doc.get("rejected", {}),
            rows=doc.get("rows", {}),
            bytes_read=doc.get("bytes_read", 0),
            error=doc.get("error"),
            failed_task=doc.get("failed_task"),
            metrics=doc.get("metrics", {}),
            versions=doc.get("versions", {}),
        )


def append(store: ObjectStore, record: RunRecord) -> str:
    """Write the run's record, and its totals where the next run finds them in one read."""
    stamp = record.started_at.replace(":", "").replace("-", "")
    key = run_record(stamp, record.run_id)
    store.write_bytes(key, json.dumps(record.to_dict(), indent=2).encode())
    if record.metrics:
        store.write_bytes(TOTALS, json.dumps(record.metrics, indent=2).encode())
    return key


def latest_totals(store: ObjectStore) -> dict[str, Any]:
    """The cumulative metric totals after the last recorded run ({} before the first)."""
    try:
        doc: dict[str, Any] = json.loads(store.read_bytes(TOTALS))
    except (ObjectNotFound, ValueError):
        return {}
    return doc


def recent(store: ObjectStore, limit: int = 10) -> list[RunRecord]:
    """The last `limit` runs, oldest first."""
    keys = [info.key for info in store.list(f"{RUNS}/") if info.key.endswith(".json")]
    return [RunRecord.from_dict(json.loads(store.read_bytes(k))) for k in keys[-limit:]]
