"""`read` gives every engine's rows and time travel; `vacuum` bounds history, never a pin."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from deltalake import DeltaTable

from pipeline import integrity, silver
from pipeline.cli import main
from pipeline.lake import TABLES
from pipeline.runner import run_pipeline
from sre.storage import LocalStore
from sre.storage.delta import location, pin

from .conftest import DropWriter, nutrition_rows, weight_rows


def invoke(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture
def two_runs(store: LocalStore, drop: DropWriter) -> LocalStore:
    drop("2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    run_pipeline(store)
    drop("2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    run_pipeline(store)
    return store


def sort(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns)


@pytest.mark.parametrize("table", TABLES)
def test_read_prints_the_rows_polars_and_deltalake_read(two_runs: LocalStore, table: str) -> None:
    path = str(two_runs.root / "silver" / table)
    code, out, _ = invoke("read", table, "--lake", str(two_runs.root), "--format", "parquet")
    assert code == 0
    printed = pl.read_parquet(io.BytesIO(out))
    by_polars = pl.read_delta(path)
    by_deltalake = pl.from_arrow(DeltaTable(path).to_pyarrow_table())
    assert isinstance(by_deltalake, pl.DataFrame)
    assert sort(printed).equals(sort(by_polars))
    assert sort(printed).equals(sort(by_deltalake.select(printed.columns)))
    assert DeltaTable(path).protocol().min_reader_version == 1


def test_read_travels_back_by_version_and_time_and_prints_csv_and_json(
    two_runs: LocalStore,
) -> None:
    lake = str(two_runs.root)
    code, out, _ = invoke("read", "weight_daily", "--lake", lake, "--as-of-version", "0")
    assert code == 0 and pl.read_csv(io.BytesIO(out)).height == 20
    code, out, _ = invoke("read", "weight_daily", "--lake", lake, "--format", "json")
    assert code == 0 and len(out.splitlines()) == 40
    assert {"participant_id", "date", "weight_kg"} <= set(json.loads(out.splitlines()[0]))
    code, out, _ = invoke("read", "weight_daily", "--lake", lake, "--as-of", "2999-01-01T00:00Z")
    assert code == 0 and pl.read_csv(io.BytesIO(out)).height == 40
    code, _, err = invoke("read", "weight_daily", "--lake", lake, "--as-of-version", "9")
    assert code == 1 and err.startswith("error: cannot read weight_daily")


def test_vacuum_lists_then_removes_old_files_and_keeps_current_and_pinned(
    two_runs: LocalStore,
) -> None:
    lake = two_runs.root
    week = location(two_runs, "silver/participant_week")
    files = {p for p in (lake / "silver/participant_week").glob("start_week=*/*.parquet")}
    # partitioned by the calendar week a trial week starts in: the second run rewrote the two
    # weeks it changed (the one both runs have days in, and the one before, whose next-week
    # change is known now) and added one
    assert len(files) == 5

    code, out, err = invoke("vacuum", "--lake", str(lake), "--retain", "0h", "--dry-run", "--json")
    assert code == 0 and "shorter than 7 days" in err
    listed = json.loads(out)["files"]["participant_week"]
    assert len(listed) == 2 and all((lake / "silver/participant_week" / f).exists() for f in listed)

    pin(week, "backup-2026-10-21", [0], "a kept backup")
    code, out, _ = invoke("vacuum", "--lake", str(lake), "--retain", "0h", "--json")
    assert code == 0 and json.loads(out)["files"]["participant_week"] == []  # pinned: kept
    (lake / "silver/participant_week/_pins/backup-2026-10-21.json").unlink()

    code, out, _ = invoke("vacuum", "--lake", str(lake), "--retain", "0h", "--json")
    assert code == 0 and len(json.loads(out)["files"]["participant_week"]) == 2
    state = silver.read(two_runs)
    assert state is not None
    on_disk = sum(
        p.stat().st_size
        for p in (lake / "silver").rglob("*.parquet")
        if "_delta_log" not in p.parts
    )
    assert on_disk == sum(t.bytes for t in state.tables.values())
    assert integrity.check(two_runs).ok
    assert list((lake / "silver/participant_week/_delta_log").glob("*.checkpoint.parquet"))
    assert run_pipeline(two_runs).status == "noop"


def test_vacuum_defaults_to_seven_days_and_removes_nothing_recent(two_runs: LocalStore) -> None:
    code, out, err = invoke("vacuum", "--lake", str(two_runs.root), "--json")
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert doc["retain_hours"] == 168 and all(files == [] for files in doc["files"].values())


def test_read_of_a_table_not_yet_written_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "lake").mkdir()
    code, _, err = invoke("read", "weight_daily", "--lake", str(tmp_path / "lake"))
    assert code == 1 and err.strip().count("\n") == 0 and "no silver table" in err
