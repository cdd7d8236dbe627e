"""Rollups of new nutrition entries, computed in one pass over them.

Reading millions of typed rows back from Parquet costs about as much as a group-by over them,
so the daily totals and the silver checks of the entries share a single scan, and later steps
read only their small results.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline import foods
from pipeline.contracts.bronze import MACROS
from pipeline.contracts.silver import CONTRACTS as SILVER
from pipeline.contracts.silver import violations
from pipeline.engine import parquet

SUMS = ("calories_kcal", *MACROS, "potato_g")
ROWS = "_rows"


def daily_sums(entries: pl.LazyFrame) -> pl.LazyFrame:
    """Per participant and day: additive totals, so new days merge into old ones exactly."""
    potato = pl.col("food_category") == "potato"
    return entries.group_by("participant_id", pl.col("entry_date").alias("date")).agg(
        pl.len().cast(pl.Int64).alias("n_entries"),
        *(pl.col(c).sum() for c in SUMS),
        pl.col("calories_kcal").filter(potato).sum().alias("potato_kcal"),
        *((pl.col("food_category") == name).any().alias(f"has_{name}") for name in foods.ALL),
    )


def entry_checks(entries: pl.LazyFrame) -> pl.LazyFrame:
    """One row: the rows, and the violations of each `nutrition_entries` silver check."""
    return entries.select(pl.len().alias(ROWS), *violations(SILVER["nutrition_entries"]))


def roll_up(entries: list[Path], sums: Path, checks: Path) -> None:
    """Write the daily totals and the check counts of `entries` with one scan of them."""
    frame = pl.scan_parquet(entries)
    pl.collect_all(
        [
            daily_sums(frame).sink_parquet(sums, **parquet.WORK, lazy=True),
            entry_checks(frame).sink_parquet(checks, lazy=True),
        ],
        engine="streaming",
    )
