"""The food catalogue and what each trial arm eats at each meal.

Every food name carries exactly one keyword the pipeline categorises by (potato, bean, rice, oat,
bread, a fruit, a vegetable, a dairy food, a meat, egg, a nut, or coffee / hot sauce / salt).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TRIALS = ("full", "half", "potassium", "riffs")
MEALS = ("breakfast", "lunch", "dinner", "snack")
# Lunch and dinner draw from the same menu.
MEAL_MENU = ("breakfast", "main", "main", "snack")


@dataclass(frozen=True, slots=True)
class Food:
    """Nutrients per 100 g and a typical portion; `soluble` is the soluble share of the fibre."""

    name: str
    kcal: float
    protein: float
    carbs: float
    fat: float
    fiber: float
    soluble: float
    sugar: float
    portion_g: float


FOODS: tuple[Food, ...] = (
    Food("boiled potatoes", 77, 2.0, 17.0, 0.1, 2.2, 0.40, 0.8, 300),
    Food("baked potato", 93, 2.5, 21.2, 0.1, 2.2, 0.40, 1.2, 300),
    Food("mashed potatoes", 83, 1.9, 17.5, 0.6, 1.8, 0.40, 1.0, 280),
    Food("potato soup", 55, 1.5, 11.0, 0.4, 1.2, 0.45, 0.9, 350),
    Food("roasted potatoes", 110, 2.4, 21.0, 2.0, 2.4, 0.40, 1.0, 250),
    Food("hash brown potatoes", 105, 2.3, 22.5, 0.6, 2.3, 0.40, 0.7, 180),
    Food("sweet potato", 90, 2.0, 20.7, 0.2, 3.3, 0.35, 6.5, 250),
    Food("black beans", 132, 8.9, 23.7, 0.5, 8.7, 0.25, 0.3, 150),
    Food("baked beans", 94, 4.8, 21.0, 0.4, 5.5, 0.30, 8.0, 150),
    Food("white rice", 130, 2.7, 28.2, 0.3, 0.4, 0.20, 0.1, 180),
    Food("brown rice", 112, 2.3, 23.5, 0.8, 1.8, 0.15, 0.4, 180),
    Food("oatmeal", 71, 2.5, 12.0, 1.5, 1.7, 0.55, 0.5, 250),
    Food("whole wheat bread", 247, 13.0, 41.0, 3.4, 7.0, 0.20, 6.0, 60),
    Food("sourdough bread", 274, 10.8, 51.9, 2.4, 2.4, 0.30, 4.3, 60),
    Food("apple", 52, 0.3, 13.8, 0.2, 2.4, 0.35, 10.4, 180),
    Food("banana", 89, 1.1, 22.8, 0.3, 2.6, 0.30, 12.2, 120),
    Food("berries", 57, 0.7, 14.5, 0.3, 2.4, 0.30, 10.0, 120),
    Food("orange", 47, 0.9, 11.8, 0.1, 2.4, 0.60, 9.4, 150),
    Food("steamed broccoli", 35, 2.4, 7.2, 0.4, 3.3, 0.40, 1.4, 120),
    Food("spinach", 23, 2.9, 3.6, 0.4, 2.2, 0.25, 0.4, 80),
    Food("carrot sticks", 41, 0.9, 9.6, 0.2, 2.8, 0.45, 4.7, 100),
    Food("tomato", 18, 0.9, 3.9, 0.2, 1.2, 0.20, 2.6, 120),
    Food("skim milk", 34, 3.4, 5.0, 0.1, 0.0, 0.0, 5.0, 250),
    Food("greek yogurt", 59, 10.2, 3.6, 0.4, 0.0, 0.0, 3.2, 170),
    Food("cheddar cheese", 403, 24.9, 1.3, 33.1, 0.0, 0.0, 0.5, 30),
    Food("grilled chicken", 165, 31.0, 0.0, 3.6, 0.0, 0.0, 0.0, 150),
    Food("ground beef", 250, 26.0, 0.0, 15.0, 0.0, 0.0, 0.0, 120),
    Food("pork loin", 242, 27.3, 0.0, 13.9, 0.0, 0.0, 0.0, 130),
    Food("turkey breast", 135, 30.0, 0.0, 1.0, 0.0, 0.0, 0.0, 120),
    Food("boiled egg", 155, 12.6, 1.1, 10.6, 0.0, 0.0, 1.1, 50),
    Food("scrambled eggs", 149, 10.0, 1.6, 11.0, 0.0, 0.0, 1.4, 120),
    Food("almonds", 579, 21.2, 21.6, 49.9, 12.5, 0.10, 4.4, 30),
    Food("peanuts", 567, 25.8, 16.1, 49.2, 8.5, 0.10, 4.7, 30),
    Food("walnuts", 654, 15.2, 13.7, 65.2, 6.7, 0.10, 2.6, 28),
    Food("black coffee", 2, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 240),
    Food("hot sauce", 12, 0.5, 1.8, 0.4, 0.3, 0.30, 1.0, 10),
    Food("salt", 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2),
)

_POTATO_MAIN = {
    "boiled potatoes": 4,
    "baked potato": 5,
    "mashed potatoes": 4,
    "potato soup": 3,
    "roasted potatoes": 3,
    "sweet potato": 1,
    "hot sauce": 1,
    "salt": 1,
}
_MIXED_MAIN = {
    "baked potato": 5,
    "mashed potatoes": 3,
    "roasted potatoes": 3,
    "potato soup": 2,
    "black beans": 1,
    "baked beans": 1,
    "white rice": 1,
    "brown rice": 1,
    "steamed broccoli": 2,
    "spinach": 1,
    "tomato": 1,
    "grilled chicken": 2,
    "ground beef": 1,
    "pork loin": 1,
    "turkey breast": 1,
    "whole wheat bread": 1,
    "cheddar cheese": 1,
}
MENUS: Mapping[str, Mapping[str, Mapping[str, float]]] = {
    "full": {
        "breakfast": {
            "hash brown potatoes": 4,
            "boiled potatoes": 3,
            "baked potato": 2,
            "black coffee": 3,
            "salt": 1,
        },
        "main": _POTATO_MAIN,
        "snack": {
            "boiled potatoes": 4,
            "baked potato": 3,
            "roasted potatoes": 2,
            "black coffee": 2,
            "hot sauce": 1,
        },
    },
    "half": {
        "breakfast": {
            "hash brown potatoes": 3,
            "oatmeal": 3,
            "scrambled eggs": 2,
            "boiled egg": 1,
            "sourdough bread": 2,
            "berries": 1,
            "skim milk": 1,
            "black coffee": 2,
            "banana": 1,
        },
        "main": _MIXED_MAIN,
        "snack": {
            "apple": 2,
            "banana": 2,
            "orange": 1,
            "greek yogurt": 2,
            "almonds": 1,
            "peanuts": 1,
            "walnuts": 1,
            "carrot sticks": 1,
            "boiled potatoes": 2,
        },
    },
    "potassium": {
        "breakfast": {
            "hash brown potatoes": 3,
            "boiled potatoes": 3,
            "banana": 2,
            "black coffee": 2,
        },
        "main": {**_POTATO_MAIN, "spinach": 2, "black beans": 1, "tomato": 1},
        "snack": {"banana": 3, "baked potato": 2, "boiled potatoes": 2, "orange": 1},
    },
    "riffs": {
        "breakfast": {
            "hash brown potatoes": 3,
            "boiled potatoes": 2,
            "boiled egg": 1,
            "black coffee": 2,
            "skim milk": 1,
        },
        "main": {
            **_POTATO_MAIN,
            "steamed broccoli": 1,
            "greek yogurt": 1,
            "grilled chicken": 1,
            "white rice": 1,
        },
        "snack": {"baked potato": 2, "apple": 1, "carrot sticks": 1, "boiled potatoes": 2},
    },
}

_INDEX = {food.name: i for i, food in enumerate(FOODS)}


def menu_probabilities(trial: str, menu: str) -> npt.NDArray[np.float64]:
    """The probability of each food in `FOODS` for one trial arm and menu."""
    weights = np.zeros(len(FOODS))
    for name, weight in MENUS[trial][menu].items():
        weights[_INDEX[name]] = weight
    probabilities: npt.NDArray[np.float64] = weights / weights.sum()
    return probabilities


def per_100g() -> npt.NDArray[np.float64]:
    """Nutrients per 100 g as a (foods, 6) array: kcal, protein, carbs, fat, fibre, sugar."""
    return np.array([[f.kcal, f.protein, f.carbs, f.fat, f.fiber, f.sugar] for f in FOODS])


def soluble_shares() -> npt.NDArray[np.float64]:
    """The soluble share of each food's fibre."""
    return np.array([f.soluble for f in FOODS])


def portions() -> npt.NDArray[np.float64]:
    """The typical portion of each food in grams."""
    return np.array([f.portion_g for f in FOODS])
