"""Run the tasks in order, time each one, and record the run in the ledger.

Observers see every task start and finish (progress bars now; metrics, traces and lineage
later). An observer that raises fails the run at that task boundary, which is how the tests
prove that a crash anywhere leaves committed silver untouched.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import polars as pl
from deltalake.exceptions import DeltaError

from pipeline import ledger, silver
from pipeline.context import RunContext
from pipeline.errors import PipelineError, TaskFailed
from pipeline.ledger import RunRecord, TaskReport
from pipeline.observability.totals import Totals, advance
from pipeline.tasks import check, ingest, publish, report, transform, validate
from sre.errors import SreError
from sre.storage import ObjectStore

T = TypeVar("T")
TASKS = ("ingest", "validate", "transform", "check", "publish", "report")
log = logging.getLogger("pipeline.run")


class Observer:
    """Sees a run from the side: progress, metrics, traces, lineage. Every hook is optional.

    `result` is the finished task's return value (None when it failed), for observers that
    describe datasets, such as lineage.
    """

    def run_started(self, run_id: str, store: ObjectStore) -> None:
        """Called once before the first task."""

    def task_started(self, run_id: str, task: str) -> None:
        """Called before each task."""

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        """Called after each task, successful or not."""

    def run_finished(self, record: RunRecord) -> None:
        """Called once with the final ledger record, after it was written."""


@dataclass
class _Run:
    """The mutable bookkeeping of one run in progress (never leaves this module)."""

    run_id: str
    observers: Sequence[Observer]
    record: RunRecord
    reports: list[TaskReport] = field(default_factory=list)

    def task(
        self, name: str, body: Callable[[], T], measure: Callable[[T], tuple[int, int, int]]
    ) -> T:
        for observer in self.observers:
            observer.task_started(self.run_id, name)
        start = time.perf_counter()
        try:
            result = body()
        except (
            PipelineError,
            SreError,
            OSError,
            ValueError,
            pl.exceptions.PolarsError,
            DeltaError,
        ) as exc:
            failed = TaskReport(name, "failure", time.perf_counter() - start, error=str(exc))
            self._finish(failed, None)
            raise TaskFailed(name, exc) from exc
        rows_in, rows_out, nbytes = measure(result)
        report = TaskReport(name, "success", time.perf_counter() - start, rows_in, rows_out, nbytes)
        self._finish(report, result)
        return result

    def _finish(self, report: TaskReport, result: object) -> None:
        self.reports.append(report)
        for observer in self.observers:
            observer.task_finished(self.run_id, report, result)


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_pipeline(
    store: ObjectStore,
    *,
    observers: Sequence[Observer] = (),
    work_dir: Path | None = None,
    clock: Callable[[], datetime] = _now,
) -> RunRecord:
    """Process every new bronze partition into the silver tables; return the ledger record.

    Raises TaskFailed (after recording the failed run) when a task fails.
    """
    started = clock()
    run_id = str(uuid.uuid4())
    run = _Run(run_id, observers, RunRecord(run_id, _stamp(started), "", "failure", None))
    totals = Totals.from_dict(ledger.latest_totals(store))
    for observer in observers:
        observer.run_started(run_id, store)
    with tempfile.TemporaryDirectory(prefix="potato-run-", dir=work_dir) as tmp:
        try:
            previous = silver.read(store)
            _execute(RunContext(store, Path(tmp), run_id, started, previous), run)
        except TaskFailed as exc:
            run.record = replace(
                run.record, status="failure", error=str(exc.__cause__ or exc), failed_task=exc.task
            )
            raise
        except Exception as exc:
            # An observer or a bug interrupted the run: record it, then let it propagate.
            run.record = replace(run.record, status="failure", error=repr(exc))
            raise
        finally:
            finished = clock()
            run.record = replace(run.record, finished_at=_stamp(finished), tasks=tuple(run.reports))
            run.record = replace(
                run.record, metrics=advance(totals, run.record, finished.timestamp()).to_dict()
            )
            ledger.append(store, run.record)
            for observer in observers:
                observer.run_finished(run.record)
    return run.record


def _execute(ctx: RunContext, run: _Run) -> None:
    previous = ctx.previous
    ingested = run.task(
        "ingest", lambda: ingest.run(ctx), lambda r: (len(r.files), len(r.files), r.bytes)
    )
    record = run.record = replace(
        run.record,
        partitions=tuple(p.name for p in ingested.partitions),
        bytes_read=ingested.bytes,
        snapshot=previous.snapshot if previous else None,
        versions=previous.versions if previous else {},
    )
    if not ingested.partitions:
        run.record = replace(record, status="noop")
        if previous is not None and report.current_for(ctx.store) != previous.snapshot:
            committed = publish.Published(previous, 0)
            run.task("report", lambda: report.run(ctx, committed), lambda r: (0, len(r.keys), 0))
        return
    validated = run.task(
        "validate",
        lambda: validate.run(ctx, ingested),
        lambda r: (r.rows_in, r.rows_ok, ingested.bytes),
    )
    record = run.record = replace(record, rejected=validated.rejected())
    for rule, count in validated.rejected().items():
        log.warning(
            "expectation %s failed: %d rows rejected",
            rule,
            count,
            extra={"run_id": run.run_id, "task": "validate", "rule": rule, "rows": count},
        )
    transformed = run.task(
        "transform",
        lambda: transform.run(ctx, validated),
        lambda r: (validated.rows_ok, r.rows, 0),
    )
    checked = run.task(
        "check",
        lambda: check.run(ctx, transformed),
        lambda r: (sum(r.rows.values()), sum(r.rows.values()), 0),
    )
    published = run.task(
        "publish",
        lambda: publish.run(ctx, checked),
        lambda r: (sum(checked.rows.values()), sum(checked.rows.values()), r.uploaded_bytes),
    )
    run.record = replace(
        record,
        snapshot=ctx.snapshot,
        rows=checked.rows,
        status="success",
        versions=published.silver.versions,
    )
    run.task("report", lambda: report.run(ctx, published), lambda r: (0, len(r.keys), 0))
