"""Runs as a whole: crash safety at every task boundary, idempotent and incremental reruns."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from pipeline import ledger
from pipeline.errors import TaskFailed
from pipeline.ledger import TaskReport
from pipeline.runner import TASKS, Observer, run_pipeline
from sre.storage import LocalStore
from sre.storage.manifest import read_current, verify

from .conftest import DropWriter, nutrition_rows, weight_rows


class Crash(Exception):
    """Stands for the process dying at a task boundary."""


class CrashAt(Observer):
    def __init__(self, task: str, *, when: str = "finished") -> None:
        self.task, self.when = task, when

    def task_started(self, run_id: str, task: str) -> None:
        if self.when == "started" and task == self.task:
            raise Crash(f"crash before {task}")

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        if self.when == "finished" and report.name == self.task:
            raise Crash(f"crash after {report.name}")


def committed_state(lake: Path) -> dict[str, str]:
    """Every file under silver/ and rejects/ with its sha256: what readers can see."""
    state = {}
    for top in ("silver", "rejects"):
        for path in sorted((lake / top).rglob("*")):
            if path.is_file():
                state[path.relative_to(lake).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return state


def table_rows(store: LocalStore) -> dict[str, int]:
    manifest = read_current(store, "silver")
    assert manifest is not None
    return {name: table.rows for name, table in manifest.tables.items()}


def test_first_run_publishes_every_silver_table_with_a_verifiable_manifest(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11")
    record = run_pipeline(store)
    assert record.status == "success"
    assert [t.name for t in record.tasks] == list(TASKS)
    manifest = read_current(store, "silver")
    assert manifest is not None and manifest.snapshot == record.snapshot
    assert set(manifest.tables) == {
        "participants",
        "nutrition_entries",
        "nutrition_daily",
        "weight_daily",
        "participant_week",
    }
    assert table_rows(store)["nutrition_entries"] == 20
    assert verify(store, manifest) == []
    assert store.exists("reports/weight_trajectories.csv")


def test_rerun_without_new_bronze_publishes_nothing_and_says_so(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    drop("2026-10-11")
    first = run_pipeline(store)
    before = committed_state(lake)
    again = run_pipeline(store)
    assert again.status == "noop"
    assert again.snapshot == first.snapshot
    assert committed_state(lake) == before
    assert [r.status for r in ledger.recent(store)] == ["success", "noop"]


def test_a_new_partition_appends_entries_and_recomputes_the_aggregates(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    first = run_pipeline(store)
    drop("2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    second = run_pipeline(store)
    assert second.partitions == ("ingest_date=2026-10-21",)
    rows = table_rows(store)
    assert rows["nutrition_entries"] == 40
    assert rows["weight_daily"] == 40
    manifest = read_current(store, "silver")
    assert manifest is not None and manifest.parent == first.snapshot
    assert len(manifest.tables["nutrition_entries"].files) == 2  # the first file is reused
    weeks = pl.read_parquet([lake / f.key for f in manifest.tables["participant_week"].files])
    assert (
        weeks.filter(pl.col("participant_id") == "P0001")["delta_kg_next"].drop_nulls().len() >= 2
    )


@pytest.mark.parametrize(
    ("task", "when"),
    [(t, "finished") for t in TASKS if t not in ("publish", "report")]
    + [("publish", "started"), ("report", "started")],
)
def test_a_crash_before_the_commit_leaves_committed_silver_exactly_as_it_was(
    store: LocalStore, lake: Path, drop: DropWriter, task: str, when: str
) -> None:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    run_pipeline(store)
    drop("2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    before = committed_state(lake)

    committed = task == "report"  # publish finished before the report task started
    with pytest.raises(Crash):
        run_pipeline(store, observers=[CrashAt(task, when=when)])
    if not committed:
        assert committed_state(lake) == before
    assert ledger.recent(store)[-1].status == "failure"

    rerun = run_pipeline(store)
    assert rerun.status == ("noop" if committed else "success")
    assert table_rows(store)["nutrition_entries"] == 40
    manifest = read_current(store, "silver")
    assert manifest is not None and verify(store, manifest) == []
    assert manifest.extra["partitions"] == ["ingest_date=2026-10-11", "ingest_date=2026-10-21"]


def test_a_crash_after_publish_is_healed_by_the_rerun_rewriting_stale_reports(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11")
    with pytest.raises(Crash):
        run_pipeline(store, observers=[CrashAt("publish")])
    assert not store.exists("reports/_snapshot.json")
    rerun = run_pipeline(store)
    assert rerun.status == "noop"
    assert [t.name for t in rerun.tasks] == ["ingest", "report"]
    assert store.exists("reports/_snapshot.json")


class FailingUploads(LocalStore):
    """A lake whose third upload fails, as a network error would in the middle of publish."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.uploads = 0

    def upload(self, src: Path, key: str, *, metadata: object = None) -> object:  # type: ignore[override]
        self.uploads += 1
        if self.uploads == 3:
            raise OSError("connection reset by peer")
        return super().upload(src, key)


def test_an_upload_failure_in_the_middle_of_publish_removes_what_it_uploaded(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    run_pipeline(store)
    drop("2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    before = committed_state(lake)
    with pytest.raises(TaskFailed) as caught:
        run_pipeline(FailingUploads(lake))
    assert caught.value.task == "publish"
    assert committed_state(lake) == before
    assert run_pipeline(store).status == "success"


def test_a_broken_file_fails_the_run_naming_the_file_and_loses_nothing(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    drop("2026-10-11")
    run_pipeline(store)
    before = committed_state(lake)
    drop("2026-10-21", raw={"nutrition": b"participant_id,entry_date\nP0001,2026-10-20\n"})
    with pytest.raises(TaskFailed) as caught:
        run_pipeline(store)
    assert caught.value.task == "validate"
    assert "bronze/ingest_date=2026-10-21/nutrition.csv" in str(caught.value)
    assert "missing required column(s): food_item, quantity_g, calories_kcal" in str(caught.value)
    assert committed_state(lake) == before
    last = ledger.recent(store)[-1]
    assert (last.status, last.failed_task) == ("failure", "validate")


def test_too_many_rejects_fail_the_run_and_publish_nothing(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    bad = [r.replace("2026-10-", "2026-13-") for r in nutrition_rows(1)]
    drop("2026-10-11", nutrition=bad[:8] + nutrition_rows(1)[8:])
    with pytest.raises(TaskFailed) as caught:
        run_pipeline(store)
    assert "8 of 20 rows rejected" in str(caught.value)
    assert read_current(store, "silver") is None
    assert committed_state(lake) == {}
