"""The contract machinery: rules are Polars expressions evaluated inside the engine.

A bronze file contract names its required columns, how each raw string column becomes a typed
column, and the rules a row must satisfy. A row that breaks a rule is rejected with the name of
the first rule it breaks (rules are ordered), so per-rule counts add up to the rejected rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

RAW = "raw."  # raw string columns are renamed raw.<name>; typed columns keep the plain name
REJECT = "_rule"
ROW = "_row"
LINE = "_line"


def raw(name: str) -> pl.Expr:
    return pl.col(RAW + name)


@dataclass(frozen=True, slots=True)
class Rule:
    """`ok` is True for a row that satisfies the rule; it must never be null."""

    name: str
    ok: pl.Expr
    description: str


@dataclass(frozen=True, slots=True)
class FileContract:
    """What one bronze CSV must look like, and how its rows become typed silver rows.

    `typed` turns raw cells into typed columns; `derived` computes further columns, in order,
    from the typed ones (a food's category), so good rows leave validation in their silver shape.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    typed: Mapping[str, pl.Expr]
    rules: tuple[Rule, ...]
    max_reject_ratio: float
    text_columns: tuple[str, ...] = ()
    dedupe: bool = True
    derived: tuple[tuple[str, pl.Expr], ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.max_reject_ratio <= 1:
            raise ValueError(f"{self.name}: max_reject_ratio must be within [0, 1]")
        names = [r.name for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: rule names must be unique")

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional

    @property
    def rule_names(self) -> tuple[str, ...]:
        return (*(r.name for r in self.rules), *(("duplicate_row",) if self.dedupe else ()))


def first_broken_rule(rules: Sequence[Rule], duplicate: pl.Expr | None) -> pl.Expr:
    """The index (into `rule_names`) of the first rule a row breaks, or null for a good row.

    An integer keeps this cheap on millions of rows; names are attached to the few rejects.
    """
    checks = [~rule.ok for rule in rules]
    if duplicate is not None:
        checks.append(duplicate)
    if not checks:
        return pl.lit(None, dtype=pl.UInt8)
    chain: Any = pl.when(checks[0]).then(pl.lit(0, dtype=pl.UInt8))
    for index, broken in enumerate(checks[1:], start=1):
        chain = chain.when(broken).then(pl.lit(index, dtype=pl.UInt8))
    result: pl.Expr = chain.otherwise(pl.lit(None, dtype=pl.UInt8))
    return result


def rule_name(contract: FileContract, code: pl.Expr) -> pl.Expr:
    """Turn the index from `first_broken_rule` back into the rule's name."""
    names = contract.rule_names
    return code.replace_strict(list(range(len(names))), list(names), return_dtype=pl.String)


def apply(contract: FileContract, frame: pl.LazyFrame, present: Sequence[str]) -> pl.LazyFrame:
    """Add the typed columns, the physical line number and the broken-rule column.

    `frame` has `_row` (0-based record index) and `raw.<col>` for each column in `present`;
    optional columns missing from the file are added as nulls first.
    """
    missing = [c for c in contract.optional if c not in present]
    frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(RAW + c) for c in missing)
    # A quoted newline makes one record span several lines: the record's first line is its
    # index plus the header plus every embedded newline before it.
    newlines = (
        pl.sum_horizontal(
            raw(c).str.count_matches("\n").fill_null(0) for c in contract.text_columns
        )
        if contract.text_columns
        else pl.lit(0, dtype=pl.UInt32)
    )
    frame = frame.with_columns(_nl=newlines.cast(pl.Int64))
    frame = frame.with_columns(
        (pl.col(ROW).cast(pl.Int64) + 2 + pl.col("_nl").cum_sum() - pl.col("_nl")).alias(LINE),
        *(expr.alias(name) for name, expr in contract.typed.items()),
    )
    duplicate = (
        # A 64-bit hash of the raw cells halves the cost of comparing whole rows; a collision
        # (about 1e-6 odds in 5M rows) would send a row to rejects, never lose it silently.
        ~pl.struct([raw(c) for c in contract.columns]).hash(seed=0).is_first_distinct()
        if contract.dedupe
        else None
    )
    return frame.with_columns(first_broken_rule(contract.rules, duplicate).alias(REJECT))


# --- rule and parser builders shared by the contracts -------------------------------------------

# Whitespace and the letters of the units people type into numeric cells (g, kcal, kg, lb, lbs).
UNIT_CHARS = " \tgGkKcCaAlLbBsS"


def number(name: str) -> pl.Expr:
    """A numeric raw cell, tolerating a unit such as '2.4 g' or '153 kcal' (one strip, one cast)."""
    return raw(name).str.strip_chars(UNIT_CHARS).cast(pl.Float64, strict=False)


def date(name: str) -> pl.Expr:
    return raw(name).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def present(name: str) -> Rule:
    return Rule(f"{name}_present", raw(name).is_not_null(), f"{name} must not be empty")


def parses(name: str, kind: str) -> Rule:
    return Rule(
        f"{name}_is_{kind}",
        raw(name).is_null() | pl.col(name).is_not_null(),
        f"{name}, when given, must be a {kind}",
    )


def within(name: str, low: float, high: float, column: str | None = None) -> Rule:
    col = pl.col(column or name)
    return Rule(
        f"{name}_in_range",
        (col.is_null() | col.is_between(low, high)).fill_null(True),
        f"{name} must lie within [{low:g}, {high:g}]",
    )


def one_of(name: str, allowed: Sequence[str]) -> Rule:
    return Rule(
        f"{name}_allowed",
        pl.col(name).is_in(list(allowed)).fill_null(False),
        f"{name} must be one of {', '.join(allowed)}",
    )


@dataclass(frozen=True, slots=True)
class TableCheck:
    """A silver-table expectation: `violations` counts the rows that break it (0 passes)."""

    name: str
    violations: pl.Expr
    description: str


@dataclass(frozen=True, slots=True)
class TableContract:
    table: str
    key: tuple[str, ...]
    checks: tuple[TableCheck, ...] = field(default=())
