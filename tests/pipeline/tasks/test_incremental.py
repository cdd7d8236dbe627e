"""A run reads back only the committed days it can change (`pipeline.engine.window`): drop by drop,
the tables end up exactly as one run over every drop makes them, on the generator's dirty data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.engine.window import EARLIEST, window
from pipeline.runner import run_pipeline
from sre.storage import LocalStore

CLI = str(Path(sys.executable).parent / "potato-pipeline")
DERIVED = ("participants", "nutrition_daily", "weight_daily", "participant_week")


def rows(lake: Path, table: str) -> pl.DataFrame:
    frame = pl.read_delta(str(lake / "silver" / table))
    columns = sorted(frame.columns)
    floats = [c for c, dtype in frame.schema.items() if dtype.is_float()]
    return frame.select(columns).with_columns(pl.col(floats).round(6)).sort(columns)


def test_drop_by_drop_gives_the_tables_one_run_over_every_drop_gives(tmp_path: Path) -> None:
    source = tmp_path / "source"
    made = subprocess.run(
        [CLI, "sample-data", "--out", str(source), "--participants", "60", "--days", "12",
         "--seed", "3"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    drops = sorted((source / "bronze").glob("ingest_date=*"))
    daily, once = tmp_path / "daily", tmp_path / "once"
    for drop in drops:
        shutil.copytree(drop, daily / "bronze" / drop.name)
        assert run_pipeline(LocalStore(daily)).status == "success"
        shutil.copytree(drop, once / "bronze" / drop.name)
    assert run_pipeline(LocalStore(once)).status == "success"

    for table in DERIVED:
        assert rows(daily, table).equals(rows(once, table)), table


def frame(**columns: list[object]) -> pl.LazyFrame:
    return pl.LazyFrame(columns)


def test_the_window_starts_a_week_before_the_first_week_a_drop_changes() -> None:
    new = frame(participant_id=["a", "a", "b", "c", "d"], date=[
        date(2026, 10, 20), date(2026, 10, 22), date(2026, 10, 20), date(2026, 10, 20),
        date(2026, 10, 1)])  # fmt: skip
    roster = frame(
        participant_id=["a", "b", "c", "d"],
        start_date=[date(2026, 10, 1), None, date(2026, 10, 1), date(2026, 10, 1)],
    )
    before = frame(
        participant_id=["a", "b", "c", "d"],
        start_date=[date(2026, 10, 1), None, date(2026, 9, 30), date(2026, 10, 1)],
    )
    baselines = frame(participant_id=["a", "b", "c", "d"], baseline=[date(2026, 10, 1)] * 4)

    got = dict(window(new, roster, before, baselines).collect().iter_rows())

    # a: first new day 10-20 is in trial week 2 (from 10-15); its week before starts 10-08
    assert got["a"] == date(2026, 10, 8)
    # no start date (b), a start date that moved (c), a day on the baseline (d): everything
    assert got["b"] == got["c"] == got["d"] == EARLIEST
