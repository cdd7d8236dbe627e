"""Food diaries: 3-6 entries per participant-day, drawn from the participant's trial menu."""

from __future__ import annotations

import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline.sample.columns import HEADERS, NUTRITION, iso_dates, pick, tenths, to_tenths
from pipeline.sample.foods import (
    FOODS,
    MEAL_MENU,
    MEALS,
    TRIALS,
    menu_probabilities,
    per_100g,
    portions,
    soluble_shares,
)
from pipeline.sample.roster import Roster
from pipeline.sample.weights import DAY

_MENUS = tuple(dict.fromkeys(MEAL_MENU))
_MENU_OF_MEAL = np.array([_MENUS.index(m) for m in MEAL_MENU])
_EXTRA_MEAL_SHARES = (0.10, 0.20, 0.20, 0.50)
_SKIPPED_DIARY = 0.02


def nutrition_frame(
    roster: Roster, start: datetime.date, days: range, rng: np.random.Generator
) -> pl.DataFrame:
    """Diary rows for trial days `days`, in participant, day and meal order, plus `DAY`.

    No two rows of a participant-day share both meal and food, so clean rows never repeat.
    """
    day_numbers = np.arange(days.start, days.stop)
    logged = (day_numbers[None, :] <= roster.last_day[:, None]) & (
        rng.random((roster.size, len(day_numbers))) >= _SKIPPED_DIARY
    )
    who, column = np.nonzero(logged)
    counts = rng.integers(3, 7, len(who))
    owner = np.repeat(np.arange(len(who)), counts)
    position = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    extra_meal = rng.choice(len(MEALS), size=len(owner), p=_EXTRA_MEAL_SHARES)
    meal = np.where(position < 3, position, extra_meal)
    order = np.lexsort((meal, owner))
    owner, meal = owner[order], meal[order]
    food = _foods(rng, roster.trial[who[owner]], _MENU_OF_MEAL[meal])
    key = (owner * len(MEALS) + meal) * len(FOODS) + food
    keep = np.sort(np.unique(key, return_index=True)[1])
    owner, meal, food = owner[keep], meal[keep], food[keep]

    portion = portions()[food]
    grams = portion * np.clip(rng.lognormal(0.0, 0.3, len(food)), 0.3, 3.0)
    quantity = np.maximum(to_tenths(grams), 1)
    # Nutrients scale with the written (rounded) quantity, so they agree with what is shown.
    amounts = np.rint(per_100g()[food] * quantity[:, None] / 100.0).astype(np.int64)
    fiber = amounts[:, 4]
    soluble = np.rint(fiber * soluble_shares()[food]).astype(np.int64)
    participant, day = who[owner], day_numbers[column[owner]]
    dates = pl.Series(iso_dates(start, days.stop), dtype=pl.String)
    columns = (
        roster.ids().gather(participant),
        dates.gather(day),
        pick(MEALS, meal),
        pick([f.name for f in FOODS], food),
        tenths(quantity),
        tenths(amounts[:, 0]),
        tenths(amounts[:, 1]),
        tenths(amounts[:, 2]),
        tenths(amounts[:, 3]),
        tenths(fiber),
        tenths(soluble),
        tenths(fiber - soluble),
        tenths(amounts[:, 5]),
    )
    frame = pl.DataFrame(dict(zip(HEADERS[NUTRITION], columns, strict=True)))
    return frame.with_columns(pl.Series(DAY, day, dtype=pl.Int64))


def _foods(
    rng: np.random.Generator, trial: npt.NDArray[np.int64], menu: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """One food per entry, drawn from the menu of the entry's trial arm and meal."""
    food = np.zeros(len(trial), dtype=np.int64)
    for t, arm in enumerate(TRIALS):
        for m, name in enumerate(_MENUS):
            rows = np.flatnonzero((trial == t) & (menu == m))
            if len(rows):
                food[rows] = rng.choice(len(FOODS), size=len(rows), p=menu_probabilities(arm, name))
    return food
