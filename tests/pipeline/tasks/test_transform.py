"""Transform: corrections in later drops win, baselines are first days, daily totals merge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline import foods
from pipeline.engine.rollups import SUMS
from pipeline.tasks.transform import nutrition_daily, participants, weight_daily

DROP_1, DROP_2 = date(2026, 10, 5), date(2026, 10, 9)


def parquet(tmp_path: Path, name: str, rows: dict[str, list[object]]) -> Path:
    path = tmp_path / f"{name}.parquet"
    pl.DataFrame(rows).write_parquet(path)
    return path


def weights(tmp_path: Path, name: str, rows: list[tuple[str, int, float, date]]) -> Path:
    """Clean weight_log rows: (participant, day of October, kg, ingest date)."""
    return parquet(
        tmp_path,
        name,
        {
            "participant_id": [r[0] for r in rows],
            "measure_date": [date(2026, 10, r[1]) for r in rows],
            "study_day": pl.Series([r[1] - 1 for r in rows], dtype=pl.Int32),
            "weight_value": [r[2] for r in rows],
            "weight_unit": ["kg"] * len(rows),
            "energy_1_10": pl.Series([5] * len(rows), dtype=pl.Int8),
            "mood_1_10": pl.Series([5] * len(rows), dtype=pl.Int8),
            "broke_diet": [False] * len(rows),
            "note": [f"{r[0]} day {r[1]} {r[2]}" for r in rows],
            "ingest_date": [r[3] for r in rows],
        },
    )


def roster(tmp_path: Path) -> pl.LazyFrame:
    clean = parquet(
        tmp_path,
        "participants",
        {
            "participant_id": ["P1", "P2", "P1"],
            "start_date": [date(2026, 10, 1)] * 3,
            "starting_weight": [90.0, 70.0, 90.0],
            "weight_unit": ["kg"] * 3,
            "trial": ["full", "half", "full"],
            "status": ["completed", "completed", "dropped"],
            "ingest_date": [DROP_1] * 3,
        },
    )
    return participants([clean], []).collect().lazy()


def test_a_participant_appearing_twice_in_one_drop_keeps_the_files_last_row(
    tmp_path: Path,
) -> None:
    people = roster(tmp_path).collect()
    assert people["participant_id"].to_list() == ["P1", "P2"]
    assert people.filter(pl.col("participant_id") == "P1")["status"].item() == "dropped"


def test_a_later_drop_corrects_a_day_and_the_last_row_of_a_day_wins(tmp_path: Path) -> None:
    first = weights(
        tmp_path,
        "drop1",
        [("P1", 2, 90.0, DROP_1), ("P1", 3, 89.0, DROP_1), ("P1", 3, 88.5, DROP_1)],
    )
    previous = weight_daily([first], [], roster(tmp_path)).collect()
    assert previous["weight_kg"].to_list() == [90.0, 88.5]  # the file's last row of day 3

    stored = tmp_path / "weight_daily.parquet"
    previous.write_parquet(stored)
    second = weights(
        tmp_path,
        "drop2",
        [("P1", 3, 88.0, DROP_2), ("P2", 4, 70.0, DROP_2), ("P1", 1, 91.0, DROP_2)],
    )
    daily = weight_daily([second], [stored], roster(tmp_path)).collect()

    p1 = daily.filter(pl.col("participant_id") == "P1")
    assert p1["date"].to_list() == [date(2026, 10, d) for d in (1, 2, 3)]
    assert p1["weight_kg"].to_list() == [91.0, 90.0, 88.0]  # day 3 corrected by drop 2
    # A late first day becomes the baseline, and every change is measured from it.
    assert p1["is_baseline"].to_list() == [True, False, False]
    assert p1["change_from_baseline_kg"].to_list() == pytest.approx([0.0, -1.0, -3.0])
    p2 = daily.filter(pl.col("participant_id") == "P2")
    assert p2.select("is_baseline", "change_from_baseline_kg", "trial").row(0) == (
        True,
        0.0,
        "half",
    )


def daily_sums(tmp_path: Path, name: str, days: list[tuple[str, int, float, str]]) -> Path:
    """One run's daily totals: (participant, day, kcal, a category eaten that day)."""
    return parquet(
        tmp_path,
        name,
        {
            "participant_id": [d[0] for d in days],
            "date": [date(2026, 10, d[1]) for d in days],
            "n_entries": [1] * len(days),
            **{c: [d[2] if c == "calories_kcal" else 1.0 for d in days] for c in SUMS},
            "potato_kcal": [d[2] if d[3] == "potato" else 0.0 for d in days],
            **{f"has_{c}": [d[3] == c for d in days] for c in foods.ALL},
        },
    )


def test_one_runs_totals_pass_through_and_a_merge_adds_them_up(tmp_path: Path) -> None:
    first = daily_sums(tmp_path, "run1", [("P1", 1, 400.0, "potato"), ("P2", 1, 300.0, "rice")])
    alone = nutrition_daily([first], []).collect()
    assert alone["potato_kcal_share"].to_list() == [1.0, 0.0]

    stored = tmp_path / "nutrition_daily.parquet"
    alone.write_parquet(stored)
    second = daily_sums(tmp_path, "run2", [("P1", 1, 100.0, "beans"), ("P1", 2, 50.0, "egg")])
    merged = nutrition_daily([second], [stored]).collect()

    assert merged.select("participant_id", "date").rows() == [
        ("P1", date(2026, 10, 1)),
        ("P1", date(2026, 10, 2)),
        ("P2", date(2026, 10, 1)),
    ]
    day_one = merged.row(0, named=True)
    assert day_one["n_entries"] == 2
    assert day_one["calories_kcal"] == 500.0
    assert (day_one["has_potato"], day_one["has_beans"], day_one["has_rice"]) == (True, True, False)
    assert day_one["potato_kcal_share"] == pytest.approx(0.8)
