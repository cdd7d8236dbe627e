"""Which committed days a run reads back: the ones its drop can change, so a run costs what its
drop costs, not what the history costs.

A drop changes the daily rows of the days it holds and, through weekly means and the next
week's weight change, the trial weeks those days fall in and the week before the first of
them. `window` gives each touched participant the first committed day to read again; the
whole history (EARLIEST) only when the week numbering or the weight baseline can move.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.engine import parquet
from pipeline.silver import scan
from sre.storage import ObjectStore

__all__ = ["EARLIEST", "of_people", "read_back", "since", "window"]

EARLIEST = date(1, 1, 1)


def window(
    new_days: pl.LazyFrame,
    roster: pl.LazyFrame,
    before: pl.LazyFrame | None,
    baselines: pl.LazyFrame | None,
) -> pl.LazyFrame:
    """Per touched participant, the first day whose committed rows this run must read again
    (`since`): the start of the trial week before the first week this run changes, whose
    `delta_kg_next` moves with it. The whole history (EARLIEST) when the week numbering or the
    baseline may move: no start date, a start date that changed, no committed baseline yet, or
    a day at or before it."""
    frame = (
        new_days.group_by("participant_id")
        .agg(pl.col("date").min().alias("first_new"))
        .join(roster.select("participant_id", "start_date"), on="participant_id", how="left")
    )
    if before is not None:
        was = before.select("participant_id", pl.col("start_date").alias("was_start"))
        frame = frame.join(was, on="participant_id", how="left")
    else:
        frame = frame.with_columns(was_start=pl.lit(None, dtype=pl.Date))
    if baselines is not None:
        frame = frame.join(baselines, on="participant_id", how="left")
    else:
        frame = frame.with_columns(baseline=pl.lit(None, dtype=pl.Date))
    start, first = pl.col("start_date"), pl.col("first_new")
    weeks = (first - start).dt.total_days() // 7 - 1
    full = (
        start.is_null()
        | start.ne_missing(pl.col("was_start"))
        | pl.col("baseline").is_null()
        | (first <= pl.col("baseline"))
    )
    begins = start + pl.duration(days=weeks * 7)
    return frame.select(
        "participant_id", pl.when(full).then(pl.lit(EARLIEST)).otherwise(begins).alias("since")
    )


def since(
    frame: pl.LazyFrame | None, bounds: pl.LazyFrame, keep: pl.Expr | None = None
) -> pl.LazyFrame | None:
    """The rows of `frame` on or after each participant's `since` (and those `keep` selects)."""
    if frame is None:
        return None
    inside = pl.col("date") >= pl.col("since")
    return (
        frame.join(bounds, on="participant_id", how="inner")
        .filter(inside if keep is None else inside | keep)
        .drop("since")
    )


def of_people(frame: pl.LazyFrame | None, people: pl.LazyFrame) -> pl.LazyFrame | None:
    """The rows of `frame` for the participants in `people`."""
    return frame.join(people, on="participant_id", how="semi") if frame is not None else None


def read_back(
    store: ObjectStore,
    base: Mapping[str, int | None],
    people: pl.LazyFrame,
    new_days: list[pl.LazyFrame],
    roster: pl.LazyFrame,
    before: pl.LazyFrame | None,
    work: Path,
) -> tuple[pl.LazyFrame | None, pl.LazyFrame | None, pl.LazyFrame]:
    """The committed weight_daily rows (from `since`, with each baseline row) and
    nutrition_daily rows (from `since`) of the touched `people`, and the window itself.
    Partitions wholly before the earliest `since` are never opened."""
    weights = of_people(scan(store, "weight_daily", base.get("weight_daily")), people)
    baselines = (
        weights.filter("is_baseline").select("participant_id", pl.col("date").alias("baseline"))
        if weights is not None
        else None
    )
    empty = pl.LazyFrame(schema={"participant_id": pl.String, "date": pl.Date})
    days = pl.concat(new_days) if new_days else empty
    window(days, roster, before, baselines).sink_parquet(work / "window.parquet", **parquet.WORK)
    bounds = pl.scan_parquet(work / "window.parquet")
    earliest = bounds.select(pl.col("since").min()).collect().item()
    found = []
    for table, keep in (("weight_daily", pl.col("is_baseline")), ("nutrition_daily", None)):
        frame = of_people(scan(store, table, base.get(table), since=earliest), people)
        found.append(since(frame, bounds, keep))
    return found[0], found[1], bounds
