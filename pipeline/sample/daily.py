"""Normal mode: one drop per trial day, each holding that day's rows and the roster as known."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import polars as pl

from pipeline.lake import Partition
from pipeline.sample.columns import (
    HEADERS,
    KINDS,
    NUTRITION,
    PARTICIPANTS,
    WEIGHT_LOG,
    Table,
    partition_name,
)
from pipeline.sample.dirt import choose_file_dirt
from pipeline.sample.nutrition import nutrition_frame
from pipeline.sample.render import Chunk, SampleFile, as_table, render
from pipeline.sample.roster import Roster, make_roster, participants_table
from pipeline.sample.spec import SampleSpec
from pipeline.sample.streams import Stream, stream
from pipeline.sample.weights import DAY, weight_log_frame


def daily_files(spec: SampleSpec) -> Iterator[SampleFile]:
    """The files of every daily drop, oldest drop first; a drop lands the day after its data."""
    roster = make_roster(1, spec.participants, spec.days, stream(spec.seed, Stream.ROSTER))
    weights = weight_log_frame(roster, spec.start, spec.days, stream(spec.seed, Stream.WEIGHTS))
    file_dirt = choose_file_dirt(
        len(KINDS) * spec.days, spec.days, spec.dirt, stream(spec.seed, Stream.FILE_DIRT)
    )
    for day in range(spec.days):
        partition = Partition(partition_name(spec.start + datetime.timedelta(days=day + 1)))
        for offset, kind in enumerate(KINDS):
            index = day * len(KINDS) + offset
            chunks = _chunks(spec, roster, weights, day, kind, file_dirt[index], index)
            yield SampleFile(partition.key(kind), partition.name, kind, file_dirt[index], chunks)


def _chunks(
    spec: SampleSpec,
    roster: Roster,
    weights: pl.DataFrame,
    day: int,
    kind: str,
    file_dirt: frozenset[str],
    index: int,
) -> Iterator[Chunk]:
    table: Table
    if kind == PARTICIPANTS:
        table = participants_table(roster, spec.start, day)
    elif kind == WEIGHT_LOG:
        table = as_table(weights.filter(pl.col(DAY) == day), HEADERS[WEIGHT_LOG])
    else:
        rng = stream(spec.seed, Stream.DIARY, day)
        table = as_table(
            nutrition_frame(roster, spec.start, range(day, day + 1), rng), HEADERS[NUTRITION]
        )
    yield render(
        table, kind, file_dirt, spec.dirt, stream(spec.seed, Stream.ROW_DIRT, index), first=True
    )
