"""Rollups: daily totals and silver-check counts of new entries come from one scan of them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipeline.context import RunContext
from pipeline.engine.rollups import ROWS, roll_up
from pipeline.errors import ContractViolation
from pipeline.tasks import check
from pipeline.tasks.transform import Transformed
from sre.storage import LocalStore


def entries(tmp_path: Path, potato_g: float = 300.0) -> Path:
    frame = pl.DataFrame(
        {
            "participant_id": ["P1", "P1", "P2"],
            "entry_date": [date(2026, 10, 1)] * 3,
            "quantity_g": [300.0, 100.0, 50.0],
            **{c: [100.0, 50.0, 25.0] for c in ("calories_kcal", "protein_g", "carbs_g")},
            **{c: [1.0, 2.0, 3.0] for c in ("fat_g", "fiber_g", "soluble_fiber_g")},
            **{c: [0.5, 0.5, 0.5] for c in ("insoluble_fiber_g", "sugar_g")},
            "food_category": ["potato", "beans", "rice"],
            "potato_g": [potato_g, 0.0, 0.0],
        }
    )
    path = tmp_path / "entries.parquet"
    frame.write_parquet(path)
    return path


def test_daily_totals_and_check_counts_come_from_one_pass(tmp_path: Path) -> None:
    sums, checks = tmp_path / "sums.parquet", tmp_path / "checks.parquet"
    roll_up([entries(tmp_path)], sums, checks)
    daily = pl.read_parquet(sums).sort("participant_id")
    assert daily["n_entries"].to_list() == [2, 1]
    assert daily["potato_kcal"].to_list() == [100.0, 0.0]
    assert daily["has_beans"].to_list() == [True, False]
    counts = pl.read_parquet(checks).row(0, named=True)
    assert counts[ROWS] == 3
    assert counts["potato_g_within_quantity"] == 0


def _context(tmp_path: Path) -> RunContext:
    lake = LocalStore(tmp_path / "lake", create=True)
    return RunContext(lake, tmp_path, "run-1", datetime(2026, 12, 2, tzinfo=UTC), None)


def test_a_violation_counted_upstream_fails_the_check_without_rereading(tmp_path: Path) -> None:
    sums, checks = tmp_path / "sums.parquet", tmp_path / "checks.parquet"
    path = entries(tmp_path, potato_g=999.0)
    roll_up([path], sums, checks)
    transformed = Transformed(
        {"nutrition_entries": [path]}, frozenset(), {"nutrition_entries": [checks]}
    )
    with pytest.raises(ContractViolation, match="potato_g_within_quantity: 1 row"):
        check.run(_context(tmp_path), transformed)


def test_rows_counted_upstream_are_the_checked_rows(tmp_path: Path) -> None:
    sums, checks = tmp_path / "sums.parquet", tmp_path / "checks.parquet"
    path = entries(tmp_path)
    roll_up([path], sums, checks)
    transformed = Transformed(
        {"nutrition_entries": [path]}, frozenset(), {"nutrition_entries": [checks]}
    )
    assert check.run(_context(tmp_path), transformed).rows == {"nutrition_entries": 3}
