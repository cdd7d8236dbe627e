"""Every metric name and label the pipeline emits, in one place.

The metrics code and the service spec (alerts, dashboards, runbook queries) both import these,
so renaming a metric fails a test instead of silently breaking a page at 3 a.m. The first five
names come from the operational runbook and must not change.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "potato_pipeline"
JOB = "potato-pipeline"  # the Pushgateway job label, and the `job` an alert matches on

# Labels
TASK = "task"
STATUS = "status"
RULE = "rule"
TABLE = "table"
SUCCESS = "success"
FAILURE = "failure"

# The runbook's five
LAST_SUCCESS = f"{PREFIX}_last_successful_run_timestamp"
TASKS_TOTAL = f"{PREFIX}_tasks_total"
TASK_DURATION = f"{PREFIX}_task_duration_seconds"
ROWS_PROCESSED = f"{PREFIX}_rows_processed_total"
ROWS_REJECTED = f"{PREFIX}_rows_rejected_total"

# What an operator needs beyond them
RUNS_TOTAL = f"{PREFIX}_runs_total"
LAST_RUN = f"{PREFIX}_last_run_timestamp"
LAST_RUN_SUCCESS = f"{PREFIX}_last_run_success"
BYTES_READ = f"{PREFIX}_bytes_read_total"
TABLE_ROWS = f"{PREFIX}_silver_rows"
TABLE_UPDATED = f"{PREFIX}_silver_last_updated_timestamp"
INTEGRITY_OK = f"{PREFIX}_silver_integrity_ok"
INTEGRITY_CHECKED = f"{PREFIX}_silver_integrity_checked_timestamp"
INTEGRITY_PROBLEMS = f"{PREFIX}_silver_integrity_problems"
BACKUP_LAST = f"{PREFIX}_backup_last_success_timestamp"

# Task latency buckets reach past the runbook's 600 s warning threshold.
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: str  # counter | gauge | histogram
    labels: tuple[str, ...]
    help: str

    @property
    def series_names(self) -> tuple[str, ...]:
        """The names that appear in PromQL for this metric."""
        if self.kind == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)


METRICS: tuple[Metric, ...] = (
    Metric(
        LAST_SUCCESS, "gauge", (), "Unix time of the last run that published or found nothing new."
    ),
    Metric(TASKS_TOTAL, "counter", (TASK, STATUS), "Tasks finished, by task and status."),
    Metric(TASK_DURATION, "histogram", (TASK,), "Task duration in seconds."),
    Metric(ROWS_PROCESSED, "counter", (TASK,), "Rows a task produced."),
    Metric(ROWS_REJECTED, "counter", (TASK, RULE), "Rows rejected by a contract rule."),
    Metric(RUNS_TOTAL, "counter", (STATUS,), "Pipeline runs, by outcome."),
    Metric(LAST_RUN, "gauge", (), "Unix time the last run finished, whatever its outcome."),
    Metric(LAST_RUN_SUCCESS, "gauge", (), "1 when the last run succeeded, 0 when it failed."),
    Metric(BYTES_READ, "counter", (), "Bronze bytes read."),
    Metric(TABLE_ROWS, "gauge", (TABLE,), "Rows of each silver table in its current version."),
    Metric(TABLE_UPDATED, "gauge", (TABLE,), "Unix time each silver table was last published."),
    Metric(
        INTEGRITY_OK, "gauge", (), "1 when every silver file matches its recorded checksum, else 0."
    ),
    Metric(INTEGRITY_CHECKED, "gauge", (), "Unix time of the last silver integrity check."),
    Metric(
        INTEGRITY_PROBLEMS,
        "gauge",
        (),
        "Silver files missing or differing from their recorded checksums.",
    ),
    Metric(BACKUP_LAST, "gauge", (), "Unix time of the last validated silver backup."),
)
