"""Burn-rate tiers: the factor follows from the SLO's period, as Sloth and the workbook do."""

from __future__ import annotations

import pytest

from sre.errors import SpecError
from sre.spec import SLO, BurnTier, default_tiers
from sre.spec.burn import WORKBOOK_PERIOD, check_tier

DAY = 86400


def _table(tiers: tuple[BurnTier, ...], period: int) -> list[tuple[str, str, int, int, float]]:
    return [(t.name, t.severity, t.long, t.short, t.factor(period)) for t in tiers]


def test_a_thirty_day_period_gets_the_workbook_and_sloth_tiers() -> None:
    # SRE Workbook table 5-8 and Sloth's defaults: 2 % in 1 h, 5 % in 6 h page; 10 % in 1 d
    # and in 3 d open tickets; short windows 5 m, 30 m, 2 h, 6 h.
    assert _table(default_tiers(30 * DAY), 30 * DAY) == [
        ("page-fast", "page", 3600, 300, 14.4),
        ("page-slow", "page", 6 * 3600, 1800, 6.0),
        ("ticket-fast", "ticket", DAY, 7200, 3.0),
        ("ticket-slow", "ticket", 3 * DAY, 6 * 3600, 1.0),
    ]


@pytest.mark.parametrize("period", [7 * DAY, 28 * DAY, 90 * DAY])
def test_other_periods_scale_the_windows_and_keep_the_factors(period: int) -> None:
    tiers = default_tiers(period)
    assert [t.factor(period) for t in tiers] == pytest.approx([14.4, 6, 3, 1], rel=1e-3)
    assert all(t.long <= period for t in tiers)
    assert [t.budget_fraction for t in tiers] == [0.02, 0.05, 0.10, 0.10]


def test_a_999_slo_over_thirty_days_pages_at_the_workbook_error_ratios() -> None:
    slo = SLO("api", "API", "success_ratio", "req_total", objective=0.999, window=WORKBOOK_PERIOD)
    limits = [round(slo.tier(t.name).factor(slo.window) * 0.001, 6) for t in slo.burn_tiers]
    assert limits == [0.0144, 0.006, 0.003, 0.001]


@pytest.mark.parametrize(
    ("tier", "reason"),
    [
        (BurnTier("t", "page", 0.5, 2 * DAY), "longer than the SLO period"),
        (BurnTier("t", "page", 0.01, 3600), "factor 0.24 is below 1"),
        (BurnTier("t", "page", 0.9, 3600), "can never fire"),
        (BurnTier("t", "ticket", 0.1, 120), "short window 10 seconds is under min_window"),
    ],
)
def test_a_tier_that_cannot_work_says_why(tier: BurnTier, reason: str) -> None:
    problem = check_tier(tier, period=DAY, budget=0.05, min_window=60)
    assert problem is not None and reason in problem


def test_a_ticket_tier_may_burn_slower_than_the_budget() -> None:
    assert (
        check_tier(BurnTier("t", "ticket", 0.2, DAY), period=DAY, budget=0.05, min_window=60)
        is None
    )


def test_a_declared_tier_that_cannot_work_is_a_spec_error_naming_slo_and_tier() -> None:
    with pytest.raises(SpecError) as err:
        SLO(
            "runs",
            "Runs",
            "success_ratio",
            "runs_total",
            objective=0.95,
            window=DAY,
            tiers=(BurnTier("blink", "page", 0.01, 3600),),
        )
    assert str(err.value).startswith("SLO 'runs'")
    assert "tier 'blink': factor 0.24 is below 1" in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"severity": "pager"}, "severity"),
        ({"budget_fraction": 0}, "budget_fraction"),
        ({"budget_fraction": 1.5}, "budget_fraction"),
        ({"long": 5}, "long"),
        ({"name": "fast tier"}, "name"),
    ],
)
def test_a_malformed_tier_is_refused_naming_the_field(
    kwargs: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "name": "t",
        "severity": "page",
        "budget_fraction": 0.1,
        "long": 3600,
    }
    with pytest.raises(SpecError) as err:
        BurnTier(**{**values, **kwargs})  # type: ignore[arg-type]
    assert err.value.field == field
