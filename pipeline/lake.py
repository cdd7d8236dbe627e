"""Where things live in the lake: one place for every key the pipeline reads or writes."""

from __future__ import annotations

import re
from dataclasses import dataclass

BRONZE = "bronze"
SILVER = "silver"
REJECTS = "rejects"
REPORTS = "reports"
RUNS = "_state/runs"
TOTALS = "_state/metrics.json"
METRICS_TEXTFILE = "_metrics/potato_pipeline.prom"
LINEAGE = "_lineage"
FILE_KINDS = ("participants", "weight_log", "nutrition")
TABLES = (
    "participants",
    "nutrition_entries",
    "nutrition_daily",
    "weight_daily",
    "participant_week",
)

_PARTITION = re.compile(r"^ingest_date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Partition:
    """One bronze drop: `bronze/ingest_date=YYYY-MM-DD/`."""

    name: str

    @classmethod
    def parse(cls, name: str) -> Partition | None:
        return cls(name) if _PARTITION.match(name) else None

    @property
    def ingest_date(self) -> str:
        return self.name.split("=", 1)[1]

    def key(self, kind: str) -> str:
        return f"{BRONZE}/{self.name}/{kind}.csv"


def reject_file(kind: str, snapshot: str) -> str:
    return f"{REJECTS}/snapshot={snapshot}/{kind}.parquet"


def report_file(name: str) -> str:
    return f"{REPORTS}/{name}"


def run_record(started_at: str, run_id: str) -> str:
    return f"{RUNS}/{started_at}-{run_id}.json"
