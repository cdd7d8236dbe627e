"""Contracts of the three bronze files of a drop.

Rows are judged in rule order and rejected with the first rule they break. Cleaning that loses
nothing happens in the typed columns and is not a rejection: units written into numeric cells
('2.4 g'), lb and kg in any case, stray non-UTF-8 bytes in free text (replaced on read).
"""

from __future__ import annotations

import polars as pl

from pipeline import foods
from pipeline.contracts.base import (
    FileContract,
    Rule,
    date,
    number,
    one_of,
    parses,
    present,
    raw,
    within,
)

LB_TO_KG = 0.45359237
ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
TRIALS = ("full", "half", "potassium", "riffs")
STATUSES = ("completed", "closed_early", "dropped")
MEALS = ("breakfast", "lunch", "dinner", "snack")
MIN_KG, MAX_KG = 30.0, 300.0


def _unit(name: str) -> pl.Expr:
    """'lb', 'LBS', 'Kg ' -> 'lb' / 'kg'; anything else -> null."""
    cleaned = raw(name).str.strip_chars().str.to_lowercase()
    return (
        pl.when(cleaned.is_in(["lb", "lbs", "pound", "pounds"]))
        .then(pl.lit("lb"))
        .when(cleaned.is_in(["kg", "kgs", "kilogram", "kilograms"]))
        .then(pl.lit("kg"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def _kg(value: str, unit: str) -> pl.Expr:
    return pl.when(pl.col(unit) == "lb").then(pl.col(value) * LB_TO_KG).otherwise(pl.col(value))


def _participant_id() -> Rule:
    return Rule(
        "participant_id_valid",
        raw("participant_id").str.strip_chars().str.contains(ID_PATTERN).fill_null(False),
        "participant_id must be 1-32 letters, digits, '_' or '-'",
    )


def _score(name: str) -> pl.Expr:
    return number(name).cast(pl.Int8, strict=False)


def _bool(name: str) -> pl.Expr:
    cleaned = raw(name).str.strip_chars().str.to_lowercase()
    return (
        pl.when(cleaned.is_in(["true", "yes", "y", "1", "t"]))
        .then(pl.lit(True))
        .when(cleaned.is_in(["false", "no", "n", "0", "f"]))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def _text(name: str) -> pl.Expr:
    return raw(name).str.strip_chars()


PARTICIPANTS = FileContract(
    name="participants",
    required=("participant_id", "start_date", "starting_weight", "weight_unit", "trial", "status"),
    optional=(),
    typed={
        "participant_id": _text("participant_id"),
        "start_date": date("start_date"),
        "starting_weight": number("starting_weight"),
        "weight_unit": _unit("weight_unit"),
        "trial": raw("trial").str.strip_chars().str.to_lowercase(),
        "status": raw("status").str.strip_chars().str.to_lowercase(),
    },
    rules=(
        _participant_id(),
        present("start_date"),
        parses("start_date", "date"),
        parses("starting_weight", "number"),
        one_of("weight_unit", ("lb", "kg")),
        Rule(
            "starting_weight_in_range",
            _kg("starting_weight", "weight_unit").is_between(MIN_KG, MAX_KG).fill_null(False),
            f"starting weight must lie within [{MIN_KG:g}, {MAX_KG:g}] kg",
        ),
        one_of("trial", TRIALS),
        one_of("status", STATUSES),
    ),
    max_reject_ratio=0.05,
)

WEIGHT_LOG = FileContract(
    name="weight_log",
    required=("participant_id", "measure_date", "weight_value", "weight_unit"),
    optional=("study_day", "energy_1_10", "mood_1_10", "broke_diet", "note"),
    typed={
        "participant_id": _text("participant_id"),
        "measure_date": date("measure_date"),
        "study_day": number("study_day").cast(pl.Int32, strict=False),
        "weight_value": number("weight_value"),
        "weight_unit": _unit("weight_unit"),
        "energy_1_10": _score("energy_1_10"),
        "mood_1_10": _score("mood_1_10"),
        "broke_diet": _bool("broke_diet"),
        "note": _text("note"),
    },
    rules=(
        _participant_id(),
        present("measure_date"),
        parses("measure_date", "date"),
        present("weight_value"),
        parses("weight_value", "number"),
        one_of("weight_unit", ("lb", "kg")),
        Rule(
            "weight_value_in_range",
            _kg("weight_value", "weight_unit").is_between(MIN_KG, MAX_KG).fill_null(False),
            f"weight must lie within [{MIN_KG:g}, {MAX_KG:g}] kg once converted",
        ),
        parses("study_day", "number"),
        within("study_day", 0, 3650),
        within("energy_1_10", 1, 10),
        within("mood_1_10", 1, 10),
    ),
    max_reject_ratio=0.2,
    text_columns=("note",),
)

MACROS = (
    "protein_g",
    "carbs_g",
    "fat_g",
    "fiber_g",
    "soluble_fiber_g",
    "insoluble_fiber_g",
    "sugar_g",
)

NUTRITION = FileContract(
    name="nutrition",
    required=("participant_id", "entry_date", "food_item", "quantity_g", "calories_kcal"),
    optional=("meal", *MACROS),
    typed={
        "participant_id": _text("participant_id"),
        "entry_date": date("entry_date"),
        "meal": raw("meal").str.strip_chars().str.to_lowercase(),
        "food_item": _text("food_item"),
        "quantity_g": number("quantity_g"),
        "calories_kcal": number("calories_kcal"),
        **{name: number(name) for name in MACROS},
    },
    derived=(
        ("food_category", foods.category(pl.col("food_item"))),
        (
            "potato_g",
            pl.when(pl.col("food_category") == "potato").then(pl.col("quantity_g")).otherwise(0.0),
        ),
    ),
    rules=(
        _participant_id(),
        present("entry_date"),
        parses("entry_date", "date"),
        present("food_item"),
        present("quantity_g"),
        parses("quantity_g", "number"),
        Rule(
            "quantity_g_in_range",
            pl.col("quantity_g").is_between(0, 5000, closed="right").fill_null(False),
            "quantity_g must lie within (0, 5000]",
        ),
        present("calories_kcal"),
        parses("calories_kcal", "number"),
        within("calories_kcal", 0, 5000),
        *(parses(name, "number") for name in MACROS),
        *(within(name, 0, 1000) for name in MACROS),
    ),
    max_reject_ratio=0.2,
    text_columns=("food_item",),
)

CONTRACTS: dict[str, FileContract] = {c.name: c for c in (PARTICIPANTS, WEIGHT_LOG, NUTRITION)}
