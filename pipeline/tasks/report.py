"""Report: small CSV summaries of the committed snapshot for analysts, under `reports/`.

Grouping over millions of rows runs in Polars; pandas shapes and writes the small results.
`reports/_snapshot.json` names the snapshot the reports describe, so a rerun regenerates them
only when they are stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import polars as pl

from pipeline.context import RunContext
from pipeline.lake import report_file
from pipeline.silver import scan
from pipeline.tasks.publish import Published
from sre.errors import ObjectNotFound
from sre.storage import ObjectStore

MARKER = report_file("_snapshot.json")


@dataclass(frozen=True, slots=True)
class Reports:
    keys: tuple[str, ...]


def current_for(store: ObjectStore) -> str | None:
    """The snapshot the reports in the lake describe, if any."""
    try:
        marker: dict[str, str] = json.loads(store.read_bytes(MARKER))
    except (ObjectNotFound, ValueError):
        return None
    return marker.get("snapshot")


def weight_trajectories(weights: pl.LazyFrame) -> pd.DataFrame:
    """Per participant: first and latest weight and the change between them."""
    ordered = pl.col("weight_kg").sort_by("date")
    summary = (
        weights.group_by("participant_id")
        .agg(
            pl.col("trial").last(),
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            pl.col("weight_kg").count().alias("days_weighed"),
            ordered.first().round(2).alias("baseline_kg"),
            ordered.last().round(2).alias("latest_kg"),
        )
        .with_columns(change_kg=(pl.col("latest_kg") - pl.col("baseline_kg")).round(2))
        .sort("participant_id")
        .collect(engine="streaming")
    )
    return summary.to_pandas()


def weekly_nutrition(weeks: pl.DataFrame) -> pd.DataFrame:
    frame = weeks.to_pandas()
    columns = [
        "kcal_mean",
        "fiber_g_mean",
        "potato_g_mean",
        "potato_kcal_share_mean",
        "delta_kg_next",
    ]
    out = frame.groupby("week")[columns].mean().round(3)
    out["participants"] = frame.groupby("week")["participant_id"].nunique()
    return out.reset_index()


def food_keywords(entries: pl.LazyFrame) -> pd.DataFrame:
    # Millions of entries hold a few hundred spellings: count per spelling first, so only
    # those are lower-cased and merged.
    spellings = entries.group_by("food_category", "food_item").agg(
        pl.len().alias("entries"), pl.col("calories_kcal").sum().alias("kcal")
    )
    top = (
        spellings.group_by("food_category", pl.col("food_item").str.to_lowercase())
        .agg(pl.col("entries").sum(), pl.col("kcal").sum().round(1))
        # ties in count are broken by name, so the same snapshot always gives the same file
        .sort(["entries", "food_category", "food_item"], descending=[True, False, False])
        .head(50)
        .collect(engine="streaming")
    )
    return top.to_pandas()


def run(ctx: RunContext, published: Published) -> Reports:
    """The analysts' reports of the snapshot just published (or, on a run with nothing new,
    of the committed one when the reports describe an older snapshot)."""
    store, state = ctx.store, published.silver

    def table(name: str) -> pl.LazyFrame:
        frame = scan(store, name, state.tables[name].version)
        assert frame is not None
        return frame

    frames = {
        "weight_trajectories.csv": weight_trajectories(table("weight_daily")),
        "weekly_nutrition.csv": weekly_nutrition(table("participant_week").collect()),
        "food_keywords.csv": food_keywords(table("nutrition_entries")),
    }
    keys = []
    for name, frame in frames.items():
        key = report_file(name)
        store.write_bytes(key, frame.to_csv(index=False).encode())
        keys.append(key)
    store.write_bytes(
        MARKER, json.dumps({"snapshot": state.snapshot, "versions": state.versions}).encode()
    )
    return Reports(tuple(keys))
