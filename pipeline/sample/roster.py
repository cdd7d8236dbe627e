"""Who takes part: ids, starting weights and units, trial arms, and when they stop logging."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline.sample.columns import (
    HEADERS,
    LB_PER_KG,
    PARTICIPANTS,
    Table,
    participant_ids,
    pick,
    tenths,
    to_tenths,
)
from pipeline.sample.foods import TRIALS

STATUSES = ("completed", "closed_early", "dropped")
COMPLETED = 0
_TRIAL_SHARES = (0.55, 0.20, 0.15, 0.10)
_STATUS_SHARES = (0.75, 0.15, 0.10)
_LB_SHARE = 1 / 3


@dataclass(frozen=True, slots=True, eq=False)
class Roster:
    """A block of participants numbered `first` onwards; arrays hold one value per participant."""

    first: int
    start_kg: npt.NDArray[np.float64]
    lb: npt.NDArray[np.bool_]
    trial: npt.NDArray[np.int64]
    status: npt.NDArray[np.int64]
    last_day: npt.NDArray[np.int64]

    @property
    def size(self) -> int:
        """How many participants the block holds."""
        return len(self.start_kg)

    def ids(self) -> pl.Series:
        """The participants' ids in block order."""
        return participant_ids(self.first, self.size)


def make_roster(first: int, count: int, days: int, rng: np.random.Generator) -> Roster:
    """Draw `count` participants for a trial of `days` days.

    Completed participants log every day; closed_early ones stop in the second half, dropped
    ones in the first half. Trials too short to stop early leave everyone completed.
    """
    start_kg = np.clip(rng.normal(96.0, 17.0, count), 55.0, 190.0)
    lb = rng.random(count) < _LB_SHARE
    trial = rng.choice(len(TRIALS), size=count, p=_TRIAL_SHARES).astype(np.int64)
    status = rng.choice(len(STATUSES), size=count, p=_STATUS_SHARES).astype(np.int64)
    low = np.select([status == 1, status == 2], [days // 2, 0], default=days - 1)
    high = np.select([status == 1, status == 2], [days - 2, days // 2 - 1], default=days - 1)
    stops = rng.random(count)
    status = np.where(low > high, COMPLETED, status)
    last_day = np.where(low > high, days - 1, low + (stops * (high - low + 1)).astype(np.int64))
    return Roster(first, start_kg, lb, trial, status, last_day.astype(np.int64))


def status_after(roster: Roster, day: int | None) -> npt.NDArray[np.int64]:
    """Each status as known in the drop after trial day `day` (None: the final status).

    The contract has no 'active' status, so anyone still logging shows as completed until
    the drop where they first go quiet.
    """
    if day is None:
        return roster.status
    return np.where(roster.last_day < day, roster.status, COMPLETED)


def participants_table(roster: Roster, start: datetime.date, day: int | None) -> Table:
    """The roster as `participants.csv` rows, with statuses as known after `day`."""
    weight = np.where(roster.lb, roster.start_kg * LB_PER_KG, roster.start_kg)
    columns = (
        roster.ids(),
        pl.Series([start.isoformat()] * roster.size, dtype=pl.String),
        tenths(to_tenths(weight)),
        pick(("kg", "lb"), roster.lb.astype(np.int64)),
        pick(TRIALS, roster.trial),
        pick(STATUSES, status_after(roster, day)),
    )
    return dict(zip(HEADERS[PARTICIPANTS], columns, strict=True))
