"""Independent random streams: changing how one part draws leaves every other part as it was."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """What a random stream is for."""

    ROSTER = 1
    WEIGHTS = 2
    DIARY = 3
    ROW_DIRT = 4
    FILE_DIRT = 5
    CALIBRATION = 6


def stream(seed: int, purpose: Stream, index: int = 0, part: int = 0) -> np.random.Generator:
    """The random stream for one purpose and place (a day, a block, a file)."""
    # The spawn key always has three entries: keys of different lengths could collide.
    key = (int(purpose), index, part)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))
