"""Reports: food keywords merge the spellings of a food whatever their case."""

from __future__ import annotations

import polars as pl

from pipeline.tasks.report import food_keywords


def test_food_keywords_merge_spellings_that_differ_only_in_case() -> None:
    entries = pl.LazyFrame(
        {
            "food_category": ["potato", "potato", "potato", "rice"],
            "food_item": ["Baked Potato", "baked potato", "baked potato", "rice"],
            "calories_kcal": [100.04, 100.04, 100.04, 50.0],
        }
    )
    top = food_keywords(entries)
    assert top.to_dict("records") == [
        {"food_category": "potato", "food_item": "baked potato", "entries": 3, "kcal": 300.1},
        {"food_category": "rice", "food_item": "rice", "entries": 1, "kcal": 50.0},
    ]


def test_food_keywords_with_equal_counts_always_come_in_the_same_order() -> None:
    foods = [("bread", "toast"), ("fruit", "apple"), ("rice", "rice"), ("bread", "bagel")]
    for rows in (foods, foods[::-1]):
        entries = pl.LazyFrame(
            {
                "food_category": [category for category, _ in rows],
                "food_item": [item for _, item in rows],
                "calories_kcal": [1.0] * len(rows),
            }
        )
        top = food_keywords(entries)
        assert list(zip(top["food_category"], top["food_item"], strict=True)) == [
            ("bread", "bagel"),
            ("bread", "toast"),
            ("fruit", "apple"),
            ("rice", "rice"),
        ]
