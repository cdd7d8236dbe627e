"""Burn-rate tiers: "this share of the period's error budget spent within this long window".

A tier is the SRE Workbook's multi-window, multi-burn-rate alert (chapter 5), written the way
Sloth writes it: the factor is not chosen, it follows from the SLO's own period,

    factor = budget_fraction × period / long        short = long / 12

so a tier means the same thing whatever the period. For a 30-day period the defaults are the
workbook's: page when 2 % of the budget burns in 1 h (14.4x) or 5 % in 6 h (6x), open a ticket
when 10 % burns in 1 d (3x) or in 3 d (1x). For another period the same tiers are scaled: every
window by period / 30 d, so the factors stay 14.4, 6, 3 and 1 and no long window exceeds the
period. A tier that cannot work for its SLO is refused by `check_tier` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sre.errors import SpecError
from sre.spec.units import Seconds, human_duration, percent

__all__ = [
    "DEFAULT_MIN_EVENTS",
    "DEFAULT_MIN_WINDOW",
    "WORKBOOK_PERIOD",
    "BurnTier",
    "Severity",
    "check_tier",
    "default_tiers",
]

Severity = Literal["page", "ticket"]

WORKBOOK_PERIOD = 30 * 86400
# A rate window needs at least two samples; at a 30 s scrape interval that is one minute.
DEFAULT_MIN_WINDOW = 60
# A window with fewer events says too little to page on: with 10, one bad event is 10 % of it.
DEFAULT_MIN_EVENTS = 10

_WORKBOOK: tuple[tuple[str, Severity, float, int], ...] = (
    ("page-fast", "page", 0.02, 3600),
    ("page-slow", "page", 0.05, 6 * 3600),
    ("ticket-fast", "ticket", 0.10, 86400),
    ("ticket-slow", "ticket", 0.10, 3 * 86400),
)


@dataclass(frozen=True, slots=True)
class BurnTier:
    """One tier. `name` becomes the alert's `burn_tier` label; `severity` says who hears of it:
    a page tier pages (critical), a ticket tier opens a ticket (warning)."""

    name: str
    severity: Severity
    budget_fraction: float
    long: Seconds

    def __post_init__(self) -> None:
        owner = f"BurnTier {self.name!r}"
        if not self.name or not self.name.replace("-", "").isalnum() or not self.name.isascii():
            raise SpecError("use letters, digits and dashes", owner=owner, field="name")
        if self.severity not in ("page", "ticket"):
            raise SpecError("must be page or ticket", owner=owner, field="severity")
        if not 0 < self.budget_fraction <= 1:
            raise SpecError("must be in (0, 1]", owner=owner, field="budget_fraction")
        if self.long < 12:
            raise SpecError("must be at least 12 seconds", owner=owner, field="long")

    @property
    def short(self) -> int:
        """The short window: 1/12 of the long one (the workbook's and Sloth's ratio)."""
        return max(1, round(self.long / 12))

    def factor(self, period: int) -> float:
        """How many times faster than "exactly the budget over the period" this tier burns."""
        return round(self.budget_fraction * period / self.long, 9)

    def describe(self) -> str:
        """`2% of the budget within 1 hour`."""
        return f"{percent(self.budget_fraction)} of the budget within {human_duration(self.long)}"


def default_tiers(period: int) -> tuple[BurnTier, ...]:
    """The workbook's four tiers, windows scaled from 30 days to `period` (exact at 30 days)."""
    return tuple(
        BurnTier(name, severity, fraction, max(12, round(long * period / WORKBOOK_PERIOD)))
        for name, severity, fraction, long in _WORKBOOK
    )


def check_tier(tier: BurnTier, *, period: int, budget: float, min_window: int) -> str | None:
    """Why `tier` cannot work on an SLO with this period and error budget; None when it can."""
    factor = tier.factor(period)
    if tier.long > period:
        return (
            f"long window {human_duration(tier.long)} is longer than the SLO period "
            f"{human_duration(period)}"
        )
    if tier.short < min_window:
        return (
            f"short window {human_duration(tier.short)} is under min_window "
            f"{human_duration(min_window)}; declare tiers with longer windows for a "
            f"{human_duration(period)} period"
        )
    if tier.severity == "page" and factor < 1:
        return (
            f"factor {factor:g} is below 1: it would page while the error ratio is within "
            "the objective"
        )
    if factor * budget >= 1:
        return f"factor {factor:g} times the budget {budget:g} is >= 1: it can never fire"
    return None
