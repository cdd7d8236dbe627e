"""Row-level dirt: each dirty row gets exactly one defect, written into one or two cells.

Every kind has a patcher per file kind; a patcher reads the chosen rows' cells and returns the
replacement text. Duplicates are the exception: they are made when the rows are laid out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from pipeline.sample.columns import LB_PER_KG, NUTRITION, WEIGHT_LOG, Table
from pipeline.sample.dirt import (
    BAD_DATE,
    BAD_DATES,
    DUPLICATE,
    IMPOSSIBLE_VALUE,
    NON_UTF8,
    QUOTED_NEWLINE,
    UNIT_MIXED,
    UNIT_SUFFIX,
    mark_latin1,
)

Rows = npt.NDArray[np.int64]
Patch = tuple[str, Rows, list[str]]
Patcher = Callable[[Table, Rows, np.random.Generator], list[Patch]]


def spoil_rows(
    table: Table, kind: str, fraction: float, rng: np.random.Generator
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Give about `fraction` of the rows exactly one row-level defect each.

    Returns the rows as written (a duplicated row appears twice in a row) and the number of
    rows carrying each kind; the second copy of a duplicate is the dirty one.
    """
    patchers = _PATCHERS.get(kind, {})
    kinds = tuple(patchers)
    n = len(next(iter(table.values())))
    counts = dict.fromkeys(kinds, 0)
    if not kinds or fraction <= 0 or n == 0:
        return pl.DataFrame(table), counts
    dirty = rng.random(n) < fraction
    chosen = np.where(dirty, rng.integers(0, len(kinds), n), -1)
    for code, name in enumerate(kinds):
        rows = np.flatnonzero(chosen == code)
        counts[name] = len(rows)
        if len(rows) and name != DUPLICATE:
            for column, at, values in patchers[name](table, rows, rng):
                table[column] = table[column].scatter(at, values)
    frame = pl.DataFrame(table)
    doubled = chosen == kinds.index(DUPLICATE)
    if doubled.any():
        frame = frame[np.repeat(np.arange(n), 1 + doubled.astype(np.int64))]
    return frame, counts


def _cells(table: Table, column: str, rows: Rows) -> list[str]:
    return [v if v is not None else "" for v in table[column].gather(rows).to_list()]


def _numbers(table: Table, column: str, rows: Rows) -> list[float]:
    return [float(v) for v in _cells(table, column, rows)]


def _draw(rng: np.random.Generator, options: tuple[str, ...], n: int) -> list[str]:
    return [options[i] for i in rng.integers(0, len(options), n)]


def _bad_date(column: str) -> Patcher:
    def patch(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
        return [(column, rows, _draw(rng, BAD_DATES, len(rows)))]

    return patch


def _free_text(column: str, templates: tuple[str, ...], *, latin1: bool) -> Patcher:
    """Rewrite a free-text cell from templates; '{}' stands for the cell's current text."""

    def patch(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
        current = _cells(table, column, rows)
        chosen = _draw(rng, templates, len(rows))
        text = [t.replace("{}", c or "slept ok") for t, c in zip(chosen, current, strict=True)]
        return [(column, rows, [mark_latin1(t) for t in text] if latin1 else text)]

    return patch


def _suffixed(
    table: Table, column: str, rows: Rows, units: Sequence[str], rng: np.random.Generator
) -> Patch:
    """'201.3' -> '201.3 lb' or '201.3lb': the pipeline strips units it knows."""
    gaps = _draw(rng, (" ", ""), len(rows))
    cells = _cells(table, column, rows)
    return column, rows, [f"{c}{g}{u}" for c, g, u in zip(cells, gaps, units, strict=True)]


def _weight_suffix(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    return [_suffixed(table, "weight_value", rows, _cells(table, "weight_unit", rows), rng)]


def _weight_impossible(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    """Negative, or over 1000 in either unit: a sign slip, a decimal slip, a sentinel."""
    values = _numbers(table, "weight_value", rows)
    styles = rng.integers(0, 3, len(rows)).tolist()
    spoiled = [(f"-{v:.1f}", f"{v * 100:.1f}", "9999.9")[styles[i]] for i, v in enumerate(values)]
    return [("weight_value", rows, spoiled)]


def _weight_unit_mixed(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    """The other unit, value converted, in whatever case the app felt like."""
    values = _numbers(table, "weight_value", rows)
    in_lb = [u == "lb" for u in _cells(table, "weight_unit", rows)]
    as_kg = _draw(rng, ("kg", "KG", "Kg", "kgs"), len(rows))
    as_lb = _draw(rng, ("lb", "LB", "Lbs", "lbs", "LBS"), len(rows))
    converted = [
        f"{v / LB_PER_KG if lb else v * LB_PER_KG:.1f}" for v, lb in zip(values, in_lb, strict=True)
    ]
    units = [k if lb else p for k, p, lb in zip(as_kg, as_lb, in_lb, strict=True)]
    return [("weight_value", rows, converted), ("weight_unit", rows, units)]


_NUTRIENT_UNITS = (
    ("quantity_g", "g"),
    ("calories_kcal", "kcal"),
    ("protein_g", "g"),
    ("carbs_g", "g"),
    ("fat_g", "g"),
    ("fiber_g", "g"),
    ("sugar_g", "g"),
)


def _nutrient_suffix(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    which = rng.integers(0, len(_NUTRIENT_UNITS), len(rows))
    patches = []
    for code, (column, unit) in enumerate(_NUTRIENT_UNITS):
        mine = rows[which == code]
        if len(mine):
            patches.append(_suffixed(table, column, mine, [unit] * len(mine), rng))
    return patches


def _nutrient_impossible(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    """A negative quantity, negative calories, or more than 20,000 kcal in one entry."""
    which = rng.integers(0, 3, len(rows))
    grams, negative, huge = rows[which == 0], rows[which == 1], rows[which == 2]
    # '-0.0' would pass a range check, so near-zero-calorie foods get a plainly negative value.
    return [
        ("quantity_g", grams, [f"-{v}" for v in _cells(table, "quantity_g", grams)]),
        (
            "calories_kcal",
            negative,
            [f"-{v if v >= 1 else 100.0:.1f}" for v in _numbers(table, "calories_kcal", negative)],
        ),
        (
            "calories_kcal",
            huge,
            [f"{v * 100 + 20_001:.1f}" for v in _numbers(table, "calories_kcal", huge)],
        ),
    ]


_NOTE_NEWLINES = (
    "felt great, slept well\nhungry by noon",
    "long day, ate late\nslept ok",
    "weighed twice, same number\nscale moved?",
)
_NOTE_LATIN1 = ("lunch at the café", "crème brûlée after dinner", "{}, jalapeño", "{} ÿ")
_FOOD_NEWLINES = ("{}, leftover\nfrom last night", "{}, no oil\nair fryer", "{}, large\nportion")
_FOOD_LATIN1 = ("{} (café)", "{} à la crème", "{} jalapeño", "{}ÿ")


def _made_in_layout(table: Table, rows: Rows, rng: np.random.Generator) -> list[Patch]:
    return []


_PATCHERS: dict[str, dict[str, Patcher]] = {
    WEIGHT_LOG: {
        UNIT_SUFFIX: _weight_suffix,
        QUOTED_NEWLINE: _free_text("note", _NOTE_NEWLINES, latin1=False),
        NON_UTF8: _free_text("note", _NOTE_LATIN1, latin1=True),
        IMPOSSIBLE_VALUE: _weight_impossible,
        BAD_DATE: _bad_date("measure_date"),
        DUPLICATE: _made_in_layout,
        UNIT_MIXED: _weight_unit_mixed,
    },
    NUTRITION: {
        UNIT_SUFFIX: _nutrient_suffix,
        QUOTED_NEWLINE: _free_text("food_item", _FOOD_NEWLINES, latin1=False),
        NON_UTF8: _free_text("food_item", _FOOD_LATIN1, latin1=True),
        IMPOSSIBLE_VALUE: _nutrient_impossible,
        BAD_DATE: _bad_date("entry_date"),
        DUPLICATE: _made_in_layout,
    },
}
