"""Size mode: one drop whose three files total about `size_mb`, streamed in bounded chunks.

The participant count is chosen from the target size: a calibration sample (its own random
stream, never written) gives the bytes per participant, dirt included.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterator

import numpy as np

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
from pipeline.sample.weights import weight_log_frame

# About 6,000 participant-days (~27,000 diary rows, ~2.5 MB of CSV) per chunk keeps memory flat.
CHUNK_PARTICIPANT_DAYS = 6_000
CALIBRATION_PARTICIPANT_DAYS = 6_000


def bulk_files(spec: SampleSpec) -> Iterator[SampleFile]:
    """The three files of the single drop, each streamed block by block of participants."""
    partition = Partition(partition_name(spec.start + datetime.timedelta(days=spec.days)))
    file_dirt = choose_file_dirt(len(KINDS), 1, spec.dirt, stream(spec.seed, Stream.FILE_DIRT))
    total = participants_for_size(spec, dict(zip(KINDS, file_dirt, strict=True)))
    block = max(1, CHUNK_PARTICIPANT_DAYS // spec.days)
    for index, kind in enumerate(KINDS):
        chunks = _chunks(spec, kind, file_dirt[index], index, total, block)
        yield SampleFile(partition.key(kind), partition.name, kind, file_dirt[index], chunks)


def participants_for_size(spec: SampleSpec, file_dirt: dict[str, frozenset[str]]) -> int:
    """How many participants make the three files total about `spec.size_mb`."""
    target = spec.size_bytes
    if target is None:
        raise ValueError("participants_for_size needs a spec with size_mb set")
    sample = min(300, max(20, math.ceil(CALIBRATION_PARTICIPANT_DAYS / spec.days)))
    roster = make_roster(1, sample, spec.days, stream(spec.seed, Stream.CALIBRATION))
    size = 0
    for index, kind in enumerate(KINDS):
        table = _table(spec, kind, roster, stream(spec.seed, Stream.CALIBRATION, index, 1))
        rng = stream(spec.seed, Stream.CALIBRATION, index, 2)
        size += len(render(table, kind, file_dirt[kind], spec.dirt, rng, first=False).data)
    return max(1, round(target * sample / max(size, 1)))


def _chunks(
    spec: SampleSpec, kind: str, file_dirt: frozenset[str], index: int, total: int, block: int
) -> Iterator[Chunk]:
    for number, first in enumerate(range(1, total + 1, block)):
        count = min(block, total + 1 - first)
        # All three files rebuild a block's roster from the same stream, so they agree on it.
        roster = make_roster(first, count, spec.days, stream(spec.seed, Stream.ROSTER, number))
        table = _table(spec, kind, roster, stream(spec.seed, _STREAMS[kind], number))
        rng = stream(spec.seed, Stream.ROW_DIRT, index, number)
        yield render(table, kind, file_dirt, spec.dirt, rng, first=number == 0)


_STREAMS = {PARTICIPANTS: Stream.ROSTER, WEIGHT_LOG: Stream.WEIGHTS, NUTRITION: Stream.DIARY}


def _table(spec: SampleSpec, kind: str, roster: Roster, rng: np.random.Generator) -> Table:
    """One block's rows of `kind`; `rng` draws the weights or diaries (unused for the roster)."""
    if kind == PARTICIPANTS:
        return participants_table(roster, spec.start, None)
    if kind == WEIGHT_LOG:
        return as_table(weight_log_frame(roster, spec.start, spec.days, rng), HEADERS[WEIGHT_LOG])
    frame = nutrition_frame(roster, spec.start, range(spec.days), rng)
    return as_table(frame, HEADERS[NUTRITION])
