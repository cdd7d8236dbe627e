"""Morning weigh-ins: a slow, flattening loss with daily noise, plus energy, mood and notes."""

from __future__ import annotations

import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline.sample.columns import (
    HEADERS,
    LB_PER_KG,
    WEIGHT_LOG,
    iso_dates,
    pick,
    tenths,
    to_tenths,
)
from pipeline.sample.roster import Roster

DAY = "_day"  # the 0-based trial day of each row, dropped before writing

NOTES = (
    "felt great, slept well",
    "hungry at night",
    "more energy today",
    "tired after work",
    "cravings in the afternoon",
    "weighed after coffee",
    "slept badly",
    "no hunger at all",
    "a bit bloated",
    "long walk today",
    "headache in the morning",
    "easy day, no cravings",
    "clothes fit better",
    "missed breakfast",
)
SLIP_NOTES = ("pizza at a party", "cake at work", "dinner out with friends", "had a beer or two")
# Early loss in kg/day is drawn from [0.1, 0.3] and scaled by the arm's strictness.
_ARM_PACE = np.array([1.0, 0.6, 0.9, 0.8])
_ARM_SLIPS = np.array([0.05, 0.12, 0.06, 0.10])
_MISSED_WEIGH_IN = 0.04


def weight_log_frame(
    roster: Roster, start: datetime.date, days: int, rng: np.random.Generator
) -> pl.DataFrame:
    """One row per participant and logged day, in participant then day order, plus `DAY`."""
    n, t = roster.size, np.arange(days)
    pace = rng.uniform(0.1, 0.3, n) * _ARM_PACE[roster.trial]
    tau = rng.uniform(12.0, 25.0, n)
    trend = roster.start_kg[:, None] - (pace * tau)[:, None] * (1 - np.exp(-t / tau[:, None]))
    slipped = rng.random((n, days)) < _ARM_SLIPS[roster.trial][:, None]
    # A slip shows on the scale the next morning.
    rebound = np.zeros((n, days))
    rebound[:, 1:] = 0.4 * slipped[:, :-1]
    kg = trend + rebound + rng.normal(0.0, 0.3, (n, days))
    logged = (t[None, :] <= roster.last_day[:, None]) & (
        (rng.random((n, days)) >= _MISSED_WEIGH_IN) | (t[None, :] == 0)
    )
    energy = _score(rng, n, days, t, 6.0, 2.0)
    mood = _score(rng, n, days, t, 8.0, 1.5) - slipped
    who, day = np.nonzero(logged)
    value = np.where(roster.lb[who], kg[who, day] * LB_PER_KG, kg[who, day])
    slips = slipped[who, day]
    dates = pl.Series(iso_dates(start, days), dtype=pl.String)
    columns = (
        roster.ids().gather(who),
        dates.gather(day),
        pl.Series(day + 1).cast(pl.String),
        tenths(to_tenths(value)),
        pick(("kg", "lb"), roster.lb[who].astype(np.int64)),
        _blanked(rng, np.clip(energy[who, day], 1, 10), 0.05),
        _blanked(rng, np.clip(mood[who, day], 1, 10), 0.05),
        pick(("false", "true"), slips.astype(np.int64)),
        _notes(rng, slips),
    )
    frame = pl.DataFrame(dict(zip(HEADERS[WEIGHT_LOG], columns, strict=True)))
    return frame.with_columns(pl.Series(DAY, day, dtype=pl.Int64))


def _score(
    rng: np.random.Generator, n: int, days: int, t: npt.NDArray[np.int64], scale: float, lift: float
) -> npt.NDArray[np.int64]:
    """A 1-10 score that starts around a personal base and lifts over the first week or so."""
    base = rng.uniform(4.0, 7.0, n)[:, None]
    raw = base + lift * (1 - np.exp(-t / scale))[None, :] + rng.normal(0.0, 1.2, (n, days))
    return np.rint(raw).astype(np.int64)


def _blanked(rng: np.random.Generator, scores: npt.NDArray[np.int64], share: float) -> pl.Series:
    text = pl.Series(scores).cast(pl.String)
    return text.scatter(np.flatnonzero(rng.random(len(scores)) < share), None)


def _notes(rng: np.random.Generator, slips: npt.NDArray[np.bool_]) -> pl.Series:
    n = len(slips)
    code = rng.integers(0, len(NOTES), n)
    slip_code = rng.integers(0, len(SLIP_NOTES), n)
    written = rng.random(n) < np.where(slips, 0.7, 0.4)
    labels = (*NOTES, *SLIP_NOTES)
    chosen = np.where(slips, len(NOTES) + slip_code, code)
    return pick(labels, chosen).scatter(np.flatnonzero(~written), None)
