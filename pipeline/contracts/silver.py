"""Contracts of the silver tables: expectations checked before anything is published.

A silver contract failing is a bug in the pipeline, not dirt in the data, so the limit is zero.
"""

from __future__ import annotations

import polars as pl

from pipeline.contracts.base import TableCheck, TableContract
from pipeline.contracts.bronze import MAX_KG, MIN_KG


def _nulls(column: str) -> TableCheck:
    return TableCheck(
        f"{column}_not_null", pl.col(column).is_null().sum(), f"{column} is never null"
    )


def _outside(column: str, low: float, high: float) -> TableCheck:
    return TableCheck(
        f"{column}_in_range",
        (~pl.col(column).is_between(low, high)).fill_null(False).sum(),
        f"{column} lies within [{low:g}, {high:g}]",
    )


CONTRACTS: dict[str, TableContract] = {
    "participants": TableContract(
        "participants", key=("participant_id",), checks=(_nulls("trial"), _nulls("status"))
    ),
    "nutrition_entries": TableContract(
        "nutrition_entries",
        key=(),
        checks=(
            _nulls("participant_id"),
            _nulls("entry_date"),
            _nulls("food_category"),
            _outside("calories_kcal", 0, 5000),
            TableCheck(
                "potato_g_within_quantity",
                (pl.col("potato_g") > pl.col("quantity_g")).sum(),
                "potato_g never exceeds quantity_g",
            ),
        ),
    ),
    "nutrition_daily": TableContract(
        "nutrition_daily",
        key=("participant_id", "date"),
        checks=(_outside("potato_kcal_share", 0, 1),),
    ),
    "weight_daily": TableContract(
        "weight_daily",
        key=("participant_id", "date"),
        checks=(
            _outside("weight_kg", MIN_KG, MAX_KG),
            TableCheck(
                "one_baseline_per_participant",
                (pl.col("is_baseline").sum().over("participant_id") != 1).sum(),
                "each participant has exactly one baseline day",
            ),
        ),
    ),
    "participant_week": TableContract("participant_week", key=("participant_id", "week")),
}


def violations(contract: TableContract) -> list[pl.Expr]:
    """One aggregate per check, named after it; the key's uniqueness is a check too."""
    exprs = [check.violations.alias(check.name) for check in contract.checks]
    if contract.key:
        exprs.append((pl.len() - pl.struct(contract.key).n_unique()).alias("key_unique"))
    return exprs


def failures(contract: TableContract, frame: pl.LazyFrame) -> dict[str, int]:
    """Violations per check (only the failing ones)."""
    exprs = violations(contract)
    if not exprs:
        return {}
    row = frame.select(exprs).collect(engine="streaming").row(0, named=True)
    return failing(row)


def failing(row: dict[str, int]) -> dict[str, int]:
    """The checks of a row of violation counts that failed."""
    return {name: int(n) for name, n in row.items() if n}
