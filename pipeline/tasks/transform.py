"""Transform: typed bronze rows become the silver tables.

`nutrition_entries` grows by appending this run's rows; the other tables are small and are
recomputed from the previous snapshot plus this run's rows, so late or corrected drops are
reflected everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import foods
from pipeline.context import RunContext
from pipeline.engine import parquet
from pipeline.engine.rollups import SUMS, roll_up
from pipeline.tasks.validate import Validated
from sre.storage import ObjectStore
from sre.storage.manifest import Manifest

DERIVED = ("participants", "nutrition_daily", "weight_daily", "participant_week")
LB_TO_KG = 0.45359237


@dataclass(frozen=True, slots=True)
class Transformed:
    """Local Parquet files of this run's tables; `appended` tables add to the previous files.

    `checked` names tables whose silver checks were already counted, with the one-row files of
    those counts (see `rollups.entry_checks`), so the check task need not re-read them.
    """

    tables: dict[str, list[Path]]
    appended: frozenset[str]
    checked: dict[str, list[Path]] = field(default_factory=dict)
    validated: Validated = field(default_factory=Validated)  # the rows and rejects it came from

    @property
    def rows(self) -> int:
        return sum(
            pl.scan_parquet(paths).select(pl.len()).collect().item()
            for paths in self.tables.values()
        )


def previous_table(
    store: ObjectStore, manifest: Manifest | None, table: str, work: Path
) -> list[Path]:
    """Local paths of a committed table's files (downloaded when the lake is remote)."""
    if manifest is None or table not in manifest.tables:
        return []
    paths = []
    for entry in manifest.tables[table].files:
        local = store.local_path(entry.key)
        if local is None:
            local = work / "previous" / entry.key
            local.parent.mkdir(parents=True, exist_ok=True)
            store.download(entry.key, local)
        paths.append(local)
    return paths


def nutrition_daily(new_sums: list[Path], previous: list[Path]) -> pl.LazyFrame:
    """This run's daily totals (see `rollups.daily_sums`) merged into the previous ones.

    One file of totals, or the previous table alone, is already one row per participant and
    day; only a merge needs to group again.
    """
    flags = [f"has_{name}" for name in foods.ALL]
    additive = ["n_entries", *SUMS, "potato_kcal"]
    parts = [
        pl.scan_parquet(paths).select("participant_id", "date", *additive, *flags)
        for paths in (previous, new_sums)
        if paths
    ]
    merged = pl.concat(parts, how="vertical_relaxed")
    if len(parts) > 1:
        merged = merged.group_by("participant_id", "date").agg(
            *(pl.col(c).sum() for c in additive), *(pl.col(f).any() for f in flags)
        )
    return merged.with_columns(
        # clip: summing a subset and the whole in different orders can differ in the last bit
        potato_kcal_share=pl.when(pl.col("calories_kcal") > 0)
        .then((pl.col("potato_kcal") / pl.col("calories_kcal")).clip(0.0, 1.0))
        .otherwise(None)
    ).sort("participant_id", "date")


def last_of_each(*keys: str) -> pl.Expr:
    """True on the last row of each run of equal `keys` in a frame sorted by them."""
    return pl.any_horizontal(pl.col(k) != pl.col(k).shift(-1) for k in keys).fill_null(True)


def participants(clean: list[Path], previous: list[Path]) -> pl.LazyFrame:
    new = pl.scan_parquet(clean).select(
        "participant_id",
        "start_date",
        pl.when(pl.col("weight_unit") == "lb")
        .then(pl.col("starting_weight") * LB_TO_KG)
        .otherwise(pl.col("starting_weight"))
        .alias("starting_weight_kg"),
        "weight_unit",
        "trial",
        "status",
        "ingest_date",
    )
    frames = [pl.scan_parquet(previous), new] if previous else [new]
    # The newest drop's roster wins: statuses change as people finish or drop out. The sort is
    # stable, so within one drop the file's last row of a participant wins.
    return (
        pl.concat(frames, how="vertical_relaxed")
        .sort("participant_id", "ingest_date", maintain_order=True)
        .filter(last_of_each("participant_id"))
    )


def weight_daily(clean: list[Path], previous: list[Path], roster: pl.LazyFrame) -> pl.LazyFrame:
    base_columns = (
        "participant_id",
        "date",
        "study_day",
        "weight_kg",
        "energy_1_10",
        "mood_1_10",
        "broke_diet",
        "note",
        "ingest_date",
    )
    new = pl.scan_parquet(clean).select(
        "participant_id",
        pl.col("measure_date").alias("date"),
        "study_day",
        pl.when(pl.col("weight_unit") == "lb")
        .then(pl.col("weight_value") * LB_TO_KG)
        .otherwise(pl.col("weight_value"))
        .alias("weight_kg"),
        "energy_1_10",
        "mood_1_10",
        "broke_diet",
        "note",
        "ingest_date",
    )
    frames = [pl.scan_parquet(previous).select(base_columns), new] if previous else [new]
    # Sorted by participant, day and drop (stable, so rows of one drop keep their file order),
    # the row a day keeps is the last of its run, and a participant's baseline is the first.
    ordered = pl.concat(frames, how="vertical_relaxed").sort(
        "participant_id", "date", "ingest_date", maintain_order=True
    )
    latest = ordered.filter(last_of_each("participant_id", "date"))
    person = pl.col("participant_id")
    first = (person != person.shift(1)).fill_null(True)
    return latest.join(
        roster.select("participant_id", "trial"),
        on="participant_id",
        how="left",
        maintain_order="left",
    ).with_columns(
        is_baseline=first,
        change_from_baseline_kg=(
            pl.col("weight_kg") - pl.when(first).then(pl.col("weight_kg")).forward_fill()
        ),
    )


def participant_week(
    weights: pl.LazyFrame, daily: pl.LazyFrame, roster: pl.LazyFrame
) -> pl.LazyFrame:
    start = roster.select("participant_id", "start_date")

    def week_of(frame: pl.LazyFrame) -> pl.LazyFrame:
        first = pl.col("date").min().over("participant_id")
        return frame.join(start, on="participant_id", how="left").with_columns(
            week=((pl.col("date") - pl.coalesce("start_date", first)).dt.total_days() // 7).cast(
                pl.Int32
            )
        )

    w = (
        week_of(weights)
        .group_by("participant_id", "week")
        .agg(
            pl.col("weight_kg").mean().alias("weight_kg_mean"),
            pl.len().alias("days_weighed"),
            pl.col("energy_1_10").mean().alias("energy_mean"),
            pl.col("mood_1_10").mean().alias("mood_mean"),
        )
    )
    n = (
        week_of(daily)
        .group_by("participant_id", "week")
        .agg(
            pl.len().alias("days_logged"),
            pl.col("calories_kcal").mean().alias("kcal_mean"),
            pl.col("fiber_g").mean().alias("fiber_g_mean"),
            pl.col("potato_g").mean().alias("potato_g_mean"),
            pl.col("potato_kcal_share").mean().alias("potato_kcal_share_mean"),
        )
    )
    weekly = w.join(n, on=["participant_id", "week"], how="full", coalesce=True).sort(
        "participant_id", "week"
    )
    following = pl.col("weight_kg_mean").shift(-1).over("participant_id", order_by="week")
    next_week = pl.col("week").shift(-1).over("participant_id", order_by="week")
    return weekly.with_columns(
        delta_kg_next=pl.when(next_week == pl.col("week") + 1).then(
            following - pl.col("weight_kg_mean")
        )
    )


def run(ctx: RunContext, validated: Validated) -> Transformed:
    store, previous, work = ctx.store, ctx.previous, ctx.work
    out = work / "silver"
    out.mkdir(parents=True, exist_ok=True)
    prev = {
        t: previous_table(store, previous, t, work)
        for t in ("participants", "weight_daily", "nutrition_daily")
    }
    path = {name: out / f"{name}.parquet" for name in DERIVED}

    roster = participants(validated.clean("participants"), prev["participants"])
    roster.sink_parquet(path["participants"], **parquet.PUBLISHED, engine="streaming")
    roster = pl.scan_parquet(path["participants"])

    # Validation already wrote the new entries in their silver shape; they are published as is.
    new_entries = validated.clean("nutrition")
    sums, checks = work / "rollups" / "daily_sums.parquet", work / "rollups" / "checks.parquet"
    if new_entries:
        sums.parent.mkdir(parents=True, exist_ok=True)
        roll_up(new_entries, sums, checks)
    nutrition_daily([sums] if new_entries else [], prev["nutrition_daily"]).sink_parquet(
        path["nutrition_daily"], **parquet.PUBLISHED, engine="streaming"
    )
    weight_daily(validated.clean("weight_log"), prev["weight_daily"], roster).sink_parquet(
        path["weight_daily"], **parquet.PUBLISHED, engine="streaming"
    )
    participant_week(
        pl.scan_parquet(path["weight_daily"]), pl.scan_parquet(path["nutrition_daily"]), roster
    ).sink_parquet(path["participant_week"], **parquet.PUBLISHED, engine="streaming")
    tables = {name: [p] for name, p in path.items()}
    checked = {}
    if new_entries:
        tables["nutrition_entries"] = new_entries
        checked["nutrition_entries"] = [checks]
    return Transformed(tables, frozenset({"nutrition_entries"}), checked, validated)
