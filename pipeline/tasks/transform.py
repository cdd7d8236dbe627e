"""Transform: typed bronze rows become this run's changes to the silver tables.

`nutrition_entries` grows by appending this run's rows. The other tables are recomputed for the
participants (and, for daily totals, the days) this run touches, from the rows the committed
tables hold for them plus this run's rows, so late or corrected drops are reflected everywhere;
publish MERGEs only the rows that changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline import foods
from pipeline.context import RunContext
from pipeline.engine import parquet, window
from pipeline.engine.rollups import SUMS, roll_up
from pipeline.engine.window import of_people
from pipeline.silver import KEYS, scan
from pipeline.tasks.validate import Validated

DERIVED = ("participants", "nutrition_daily", "weight_daily", "participant_week")
LB_TO_KG = 0.45359237
Previous = list[Path] | pl.LazyFrame | None


@dataclass(frozen=True, slots=True)
class Transformed:
    """Local Parquet files of this run's tables: `tables` are what the contracts check (every
    row of the touched participants), `changes` what publish merges (rows new or different);
    `appended` tables are appended as they are.

    `checked` names tables whose silver checks were already counted, with the one-row files of
    those counts (see `rollups.entry_checks`), so the check task need not re-read them.
    """

    tables: dict[str, list[Path]]
    appended: frozenset[str]
    checked: dict[str, list[Path]] = field(default_factory=dict)
    validated: Validated = field(default_factory=Validated)  # the rows and rejects it came from
    changes: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(
            pl.scan_parquet(paths).select(pl.len()).collect().item()
            for paths in self.tables.values()
        )


def _frame(previous: Previous) -> pl.LazyFrame | None:
    if isinstance(previous, pl.LazyFrame):
        return previous
    return pl.scan_parquet(previous) if previous else None


def nutrition_daily(new_sums: list[Path], previous: Previous) -> pl.LazyFrame:
    """This run's daily totals (see `rollups.daily_sums`) merged into the previous ones.

    One file of totals, or the previous table alone, is already one row per participant and
    day; only a merge needs to group again.
    """
    flags = [f"has_{name}" for name in foods.ALL]
    additive = ["n_entries", *SUMS, "potato_kcal"]
    frames = [_frame(previous), _frame(new_sums)]
    parts = [f.select("participant_id", "date", *additive, *flags) for f in frames if f is not None]
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


def participants(clean: list[Path], previous: Previous) -> pl.LazyFrame:
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
    before = _frame(previous)
    frames = [before.select(new.collect_schema().names()), new] if before is not None else [new]
    # The newest drop's roster wins: statuses change as people finish or drop out. The sort is
    # stable, so within one drop the file's last row of a participant wins.
    return (
        pl.concat(frames, how="vertical_relaxed")
        .sort("participant_id", "ingest_date", maintain_order=True)
        .filter(last_of_each("participant_id"))
    )


def weight_daily(clean: list[Path], previous: Previous, roster: pl.LazyFrame) -> pl.LazyFrame:
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
    before = _frame(previous)
    frames = [before.select(base_columns), new] if before is not None else [new]
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
    # The calendar day a week starts on (from the roster's start date; the first day logged when
    # the roster has none): the table is partitioned by its month, so a drop rewrites the weeks
    # of the last days only.
    anchor = (
        pl.concat(
            [weights.select("participant_id", "date"), daily.select("participant_id", "date")]
        )
        .group_by("participant_id")
        .agg(pl.col("date").min().alias("first_date"))
        .join(start, on="participant_id", how="left")
        .select("participant_id", pl.coalesce("start_date", "first_date").alias("anchor"))
    )
    return (
        weekly.with_columns(
            delta_kg_next=pl.when(next_week == pl.col("week") + 1).then(
                following - pl.col("weight_kg_mean")
            )
        )
        .join(anchor, on="participant_id", how="left", maintain_order="left")
        .with_columns(
            week_start=pl.col("anchor") + pl.duration(days=pl.col("week").cast(pl.Int64) * 7)
        )
        .drop("anchor")
    )


def touched(validated: Validated) -> pl.LazyFrame:
    """The participants this run has rows for, in any of its files."""
    ids = [
        pl.scan_parquet(paths).select("participant_id")
        for kind in ("participants", "weight_log", "nutrition")
        if (paths := validated.clean(kind))
    ]
    if not ids:
        return pl.LazyFrame(schema={"participant_id": pl.String})
    return pl.concat(ids).unique()


def changed(new: pl.LazyFrame, old: pl.LazyFrame | None) -> pl.LazyFrame:
    """Rows of `new` that `old` lacks or holds with other values."""
    if old is None:
        return new
    schema = new.collect_schema()
    old = old.select(pl.col(name).cast(dtype) for name, dtype in schema.items())
    # Means recomputed over the same days in another order differ in the last bits: compare
    # floats at 9 decimals, or every weekly row would look changed and be rewritten each run.
    floats = [name for name, dtype in schema.items() if dtype.is_float()]

    def rounded(frame: pl.LazyFrame) -> pl.LazyFrame:
        return frame.with_columns(pl.col(floats).round(9)) if floats else frame

    numbered = new.with_row_index("_row")
    differing = rounded(numbered).join(
        rounded(old), on=schema.names(), how="anti", nulls_equal=True
    )
    return numbered.join(differing.select("_row"), on="_row", how="semi").drop("_row")


def run(ctx: RunContext, validated: Validated) -> Transformed:
    store, work, base = ctx.store, ctx.work, ctx.base
    out = work / "silver"
    out.mkdir(parents=True, exist_ok=True)
    people = touched(validated)
    people.sink_parquet(work / "touched.parquet", **parquet.WORK)
    people = pl.scan_parquet(work / "touched.parquet")
    prev = {
        t: of_people(scan(store, t, base.get(t)), people)
        for t in ("participants", "participant_week")
    }
    path = {name: out / f"{name}.parquet" for name in DERIVED}
    change = {name: out / f"{name}.changes.parquet" for name in DERIVED}

    def sink(name: str, frame: pl.LazyFrame) -> pl.LazyFrame:
        frame.sink_parquet(path[name], **parquet.PUBLISHED, engine="streaming")
        written = pl.scan_parquet(path[name])
        changed(written, prev[name]).sink_parquet(change[name], **parquet.WORK)
        return written

    roster = sink(
        "participants", participants(validated.clean("participants"), prev["participants"])
    )

    # Validation already wrote the new entries in their silver shape; they are published as is.
    new_entries = validated.clean("nutrition")
    sums, checks = work / "rollups" / "daily_sums.parquet", work / "rollups" / "checks.parquet"
    if new_entries:
        sums.parent.mkdir(parents=True, exist_ok=True)
        roll_up(new_entries, sums, checks)

    # A run reads back only the committed days it can change, so its cost follows the drop.
    new_days = [
        pl.scan_parquet(p).select("participant_id", pl.col("measure_date").alias("date"))
        for p in validated.clean("weight_log")
    ]
    if new_entries:
        new_days.append(pl.scan_parquet(sums).select("participant_id", "date"))
    read = window.read_back(store, base, people, new_days, roster, prev["participants"], work)
    prev["weight_daily"], prev["nutrition_daily"], bounds = read
    keys = list(KEYS["nutrition_daily"])
    daily_prev = prev["nutrition_daily"]
    touched_days = (
        daily_prev.join(pl.scan_parquet(sums).select(keys), on=keys, how="semi")
        if new_entries and daily_prev is not None
        else None
    )
    days = sink("nutrition_daily", nutrition_daily([sums] if new_entries else [], touched_days))
    weights = sink(
        "weight_daily", weight_daily(validated.clean("weight_log"), prev["weight_daily"], roster)
    )
    # Weekly features need every day of the weeks they change: the untouched days as
    # committed, the touched ones as just recomputed (from `since`, the baseline row aside).
    all_days = (
        pl.concat(
            [daily_prev.join(days.select(keys), on=keys, how="anti"), days],
            how="diagonal_relaxed",
        )
        if daily_prev is not None
        else days
    )
    recent = window.since(weights, bounds)
    assert recent is not None
    sink("participant_week", participant_week(recent, all_days, roster))
    tables = {name: [p] for name, p in path.items()}
    changes = {name: [p] for name, p in change.items()}
    checked = {}
    if new_entries:
        tables["nutrition_entries"] = new_entries
        checked["nutrition_entries"] = [checks]
    return Transformed(tables, frozenset({"nutrition_entries"}), checked, validated, changes)
