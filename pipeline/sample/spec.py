"""What to generate (`SampleSpec`) and what was written (`SampleSummary`)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass

MAX_PARTICIPANTS = 1_000_000
MAX_DAYS = 3650
MAX_DIRT = 0.5
MAX_SEED = 2**63 - 1


@dataclass(frozen=True, slots=True)
class SampleSpec:
    """A seeded, deterministic sample of bronze drops.

    `dirt` is the fraction of data rows that carry exactly one row-level defect. With `size_mb`
    set, one partition is written whose three files total about that many megabytes
    (10**6 bytes); the participant count is then derived from the size and `participants` is
    ignored.
    """

    participants: int = 40
    days: int = 21
    seed: int = 7
    dirt: float = 0.05
    size_mb: float | None = None
    start: datetime.date = datetime.date(2026, 10, 1)

    def __post_init__(self) -> None:
        _check_int("participants", self.participants, 1, MAX_PARTICIPANTS)
        _check_int("days", self.days, 1, MAX_DAYS)
        _check_int("seed", self.seed, 0, MAX_SEED)
        if isinstance(self.dirt, bool) or not isinstance(self.dirt, int | float):
            raise ValueError(f"dirt must be a number, got {self.dirt!r}")
        if not 0.0 <= self.dirt <= MAX_DIRT:
            raise ValueError(f"dirt must be a fraction within [0, {MAX_DIRT}], got {self.dirt!r}")
        if self.size_mb is not None:
            if isinstance(self.size_mb, bool) or not isinstance(self.size_mb, int | float):
                raise ValueError(f"size_mb must be a number of megabytes, got {self.size_mb!r}")
            if not (math.isfinite(self.size_mb) and self.size_mb > 0):
                raise ValueError(f"size_mb must be greater than 0, got {self.size_mb!r}")
        if not isinstance(self.start, datetime.date) or isinstance(self.start, datetime.datetime):
            raise ValueError(f"start must be a datetime.date, got {self.start!r}")

    @property
    def size_bytes(self) -> int | None:
        """The target size in bytes, or None outside size mode."""
        return None if self.size_mb is None else round(self.size_mb * 1_000_000)


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What `write_sample` wrote.

    `rows` counts data rows per file kind (duplicated rows included); `dirt` counts rows per
    row-level dirt kind and files per file-level dirt kind, with every kind present.
    """

    partitions: tuple[str, ...]
    files: int
    rows: Mapping[str, int]
    bytes: int
    dirt: Mapping[str, int]


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be within [{low}, {high}], got {value}")
