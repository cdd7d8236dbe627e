"""Runs as a whole: crash safety at every task boundary, idempotent and incremental reruns."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline import integrity, ledger, silver
from pipeline.context import Bookkeeping
from pipeline.errors import TaskFailed
from pipeline.lake import TABLES
from pipeline.ledger import TaskReport
from pipeline.runner import TASKS, Observer, run_pipeline
from sre.storage import LocalStore

from .conftest import DropWriter, crash_between_commits, nutrition_rows, weight_rows


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
    """Rows of each table as any Delta reader sees them."""
    return {
        name: pl.read_delta(str(store.root / "silver" / name)).height
        for name in TABLES
        if (store.root / "silver" / name / "_delta_log").is_dir()
    }


def test_first_run_publishes_every_silver_table_as_a_verifiable_delta_table(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11")
    record = run_pipeline(store)
    assert record.status == "success"
    assert [t.name for t in record.tasks] == list(TASKS)
    state = silver.read(store)
    assert state is not None and state.snapshot == record.snapshot
    assert set(state.tables) == set(TABLES)
    assert state.sequence == 1 and state.pending is None
    assert record.versions == state.versions == dict.fromkeys(sorted(TABLES), 0)
    assert table_rows(store)["nutrition_entries"] == 20
    assert integrity.check(store).ok
    assert store.exists("reports/weight_trajectories.csv")
    # nutrition tables are partitioned by month
    assert (store.root / "silver/nutrition_daily/month=2026-10").is_dir()


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
    state = silver.read(store)
    assert state is not None and state.sequence == 2 and first.versions != second.versions
    assert len(state.tables["nutrition_entries"].files) == 2  # appended: the first file stays
    weeks = pl.read_delta(str(lake / "silver/participant_week"))
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
    assert integrity.check(store).ok
    state = silver.read(store)
    assert state is not None
    assert Bookkeeping.of(state).partitions == (
        "ingest_date=2026-10-11",
        "ingest_date=2026-10-21",
    )


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


@pytest.mark.parametrize("after", range(1, len(TABLES)))
def test_a_crash_between_table_commits_is_completed_by_the_rerun_without_duplicates(
    store: LocalStore, lake: Path, drop: DropWriter, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    run_pipeline(store)
    expected = table_rows(store)
    drop("2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    crash_between_commits(monkeypatch, after)
    with pytest.raises(TaskFailed):
        run_pipeline(store)
    state = silver.read(store)
    assert state is not None and state.pending == 2 and state.sequence == 1
    # each table is at its previous version or at the run's, never partial
    assert {t.sequence for t in state.tables.values()} == {1, 2}
    assert Bookkeeping.of(state).partitions == ("ingest_date=2026-10-11",)

    drop("2026-10-31", weight_log=weight_rows(21), nutrition=nutrition_rows(21))
    completion = run_pipeline(store)
    assert completion.status == "success"
    assert completion.partitions == ("ingest_date=2026-10-21",)  # exactly the crashed run's
    state = silver.read(store)
    assert state is not None and state.pending is None and state.sequence == 2
    rows = table_rows(store)
    assert rows["nutrition_entries"] == 2 * expected["nutrition_entries"]
    assert rows["weight_daily"] == 2 * expected["weight_daily"]
    daily = pl.read_delta(str(lake / "silver/nutrition_daily"))
    assert daily["n_entries"].sum() == rows["nutrition_entries"]  # no day counted twice
    assert integrity.check(store).ok

    assert run_pipeline(store).partitions == ("ingest_date=2026-10-31",)
    assert table_rows(store)["nutrition_entries"] == 3 * expected["nutrition_entries"]


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
    assert silver.read(store) is None
    assert committed_state(lake) == {}


def test_a_late_corrected_drop_corrects_every_table_through_merge(
    store: LocalStore, lake: Path, drop: DropWriter
) -> None:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    run_pipeline(store)
    before = pl.read_delta(str(lake / "silver/participant_week"))
    # A late drop: P0001's day 3 weighed again (corrected), a second meal on day 3, and a day 0
    # that becomes the new baseline.
    corrected = [
        "P0001,2026-10-03,2,150.0,lb,7,8,false,re-weighed",
        "P0001,2026-09-30,0,212.0,lb,7,8,false,late first day",
    ]
    meal = ["P0001,2026-10-03,dinner,black beans,150,200,13,36,0.8,13,3,10,0.5"]
    drop("2026-10-12", weight_log=corrected, nutrition=meal)
    assert run_pipeline(store).status == "success"

    weights = pl.read_delta(str(lake / "silver/weight_daily")).filter(
        pl.col("participant_id") == "P0001"
    )
    assert weights.height == 11  # one row per day, no duplicate from the MERGE
    day3 = weights.filter(pl.col("date") == pl.date(2026, 10, 3)).row(0, named=True)
    assert day3["weight_kg"] == pytest.approx(150.0 * 0.45359237)
    baseline = weights.filter(pl.col("is_baseline"))
    assert baseline["date"].to_list() == [date(2026, 9, 30)]
    assert day3["change_from_baseline_kg"] == pytest.approx((150.0 - 212.0) * 0.45359237)

    daily = pl.read_delta(str(lake / "silver/nutrition_daily"))
    day = daily.filter(
        (pl.col("participant_id") == "P0001") & (pl.col("date") == date(2026, 10, 3))
    )
    assert day.height == 1 and day["n_entries"].item() == 2
    assert day["calories_kcal"].item() == pytest.approx(431.0)
    assert daily.height == 20

    weeks = pl.read_delta(str(lake / "silver/participant_week"))
    assert weeks.select("participant_id", "week").is_duplicated().sum() == 0
    assert not weeks.filter(pl.col("participant_id") == "P0001").equals(
        before.filter(pl.col("participant_id") == "P0001")
    )
    # P0002 was not in the late drop: its weeks are exactly as they were
    p2 = pl.col("participant_id") == "P0002"
    assert weeks.filter(p2).sort("week").equals(before.filter(p2).sort("week"))
    assert integrity.check(store).ok
