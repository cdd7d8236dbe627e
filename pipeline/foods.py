"""Food categories of the trial, matched by keyword on the logged food item."""

from __future__ import annotations

import polars as pl

# Order matters: the first category whose keyword appears wins ("potato soup with beans" is
# potato, the dish the trial is about).
CATEGORIES: dict[str, tuple[str, ...]] = {
    "potato": ("potato", "spud", "fries", "hash brown", "tater"),
    "beans": ("bean", "lentil", "chickpea"),
    "rice": ("rice",),
    "oats": ("oat", "porridge"),
    "bread": ("bread", "toast", "bagel", "tortilla"),
    "egg": ("egg",),
    "dairy": ("milk", "yogurt", "yoghurt", "cheese", "butter", "cream"),
    "meat": ("chicken", "beef", "pork", "turkey", "fish", "salmon", "tuna", "ham", "bacon"),
    "nuts": ("almond", "peanut", "walnut", "cashew", "nut"),
    "fruit": ("apple", "banana", "berr", "orange", "grape", "melon", "pear", "fruit"),
    "vegetables": (
        "broccoli",
        "spinach",
        "carrot",
        "tomato",
        "onion",
        "pepper",
        "kale",
        "cabbage",
        "lettuce",
        "salad",
        "vegetable",
        "pea",
    ),
}
OTHER = "other"
ALL = (*CATEGORIES, OTHER)


def category(food_item: pl.Expr) -> pl.Expr:
    """The category of each food item (lower-cased keyword match), 'other' when none matches."""
    lowered = food_item.str.to_lowercase()
    expr: pl.Expr = pl.lit(OTHER)
    for name, keywords in reversed(CATEGORIES.items()):
        expr = pl.when(lowered.str.contains_any(list(keywords))).then(pl.lit(name)).otherwise(expr)
    return expr
