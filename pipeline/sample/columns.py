"""The bronze layout: file kinds, exact headers, partition names, and the string-column table."""

from __future__ import annotations

import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

PARTICIPANTS = "participants"
WEIGHT_LOG = "weight_log"
NUTRITION = "nutrition"
KINDS = (PARTICIPANTS, WEIGHT_LOG, NUTRITION)

HEADERS: dict[str, tuple[str, ...]] = {
    PARTICIPANTS: (
        "participant_id",
        "start_date",
        "starting_weight",
        "weight_unit",
        "trial",
        "status",
    ),
    WEIGHT_LOG: (
        "participant_id",
        "measure_date",
        "study_day",
        "weight_value",
        "weight_unit",
        "energy_1_10",
        "mood_1_10",
        "broke_diet",
        "note",
    ),
    NUTRITION: (
        "participant_id",
        "entry_date",
        "meal",
        "food_item",
        "quantity_g",
        "calories_kcal",
        "protein_g",
        "carbs_g",
        "fat_g",
        "fiber_g",
        "soluble_fiber_g",
        "insoluble_fiber_g",
        "sugar_g",
    ),
}

# A file's columns in header order, every one a String series (null for a blank cell).
Table = dict[str, pl.Series]

LB_PER_KG = 1 / 0.45359237


def partition_name(ingest_date: datetime.date) -> str:
    """'ingest_date=YYYY-MM-DD'."""
    return f"ingest_date={ingest_date.isoformat()}"


def tenths(values: npt.NDArray[np.int64]) -> pl.Series:
    """Integer tenths as decimal text with one place: 2505 -> '250.5', 0 -> '0.0'."""
    return pl.Series(values / 10.0).cast(pl.String)


def to_tenths(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Round to one decimal place, kept as integer tenths so text and sums stay exact."""
    return np.rint(values * 10.0).astype(np.int64)


def pick(labels: tuple[str, ...] | list[str], codes: npt.NDArray[np.int64]) -> pl.Series:
    """The label for each code."""
    return pl.Series(labels, dtype=pl.String).gather(codes)


def iso_dates(start: datetime.date, days: int) -> tuple[str, ...]:
    """`start`, the day after, ... as ISO text, one per trial day."""
    return tuple((start + datetime.timedelta(days=d)).isoformat() for d in range(days))


def participant_ids(first: int, count: int) -> pl.Series:
    """'P0001'-style ids for participants numbered first .. first + count - 1."""
    return pl.Series([f"P{n:04d}" for n in range(first, first + count)], dtype=pl.String)
