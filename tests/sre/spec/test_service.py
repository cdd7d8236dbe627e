from __future__ import annotations

import dataclasses

import pytest

from sre.errors import SpecError, SpecFileError
from sre.spec import (
    Alert,
    BurnRate,
    Case,
    Environment,
    Limits,
    Priority,
    RemediationPolicy,
    Threshold,
    load_service,
)
from tests.sre.example_service import SERVICE


def test_specs_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SERVICE.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        SERVICE.labels["pipeline"] = "x"  # type: ignore[index]


def test_priorities_map_to_alertmanager_severities() -> None:
    assert [p.severity for p in Priority] == ["critical", "warning", "warning", "info"]


def test_an_alert_on_an_unknown_slo_is_refused() -> None:
    bad = dataclasses.replace(SERVICE.alerts[0], expr=Threshold("nope", "objective"))
    with pytest.raises(SpecError, match="unknown SLO 'nope'"):
        dataclasses.replace(SERVICE, alerts=(bad, *SERVICE.alerts[1:]))


def test_an_alert_pointing_to_an_unknown_runbook_section_is_refused() -> None:
    bad = dataclasses.replace(SERVICE.alerts[0], section="nowhere")
    with pytest.raises(SpecError, match="unknown runbook section 'nowhere'"):
        dataclasses.replace(SERVICE, alerts=(bad, *SERVICE.alerts[1:]))


def test_a_literal_alert_needs_a_firing_and_a_silent_case() -> None:
    with pytest.raises(SpecError, match="one that stays silent"):
        Alert(
            "X",
            Priority.P2,
            "s",
            "d",
            "failures",
            "up == 0",
            command="x",
            cases=(Case("fires", {"up": "0x5"}, at=60, fires=({},)),),
        )


def test_a_burn_rate_that_can_never_fire_is_refused() -> None:
    slo = dataclasses.replace(SERVICE.slos[1], objective=0.9)  # 14.4 x 10 % > 100 %
    with pytest.raises(SpecError, match=r"tier 'page-fast': factor 14\.4 times the budget"):
        dataclasses.replace(SERVICE, slos=(SERVICE.slos[0], slo, SERVICE.slos[2]))


def test_default_tiers_that_cannot_work_for_a_short_period_are_refused_naming_the_tier() -> None:
    slo = dataclasses.replace(SERVICE.slos[1], window=86400)  # page-fast: 2 min / 10 s windows
    with pytest.raises(SpecError) as err:
        dataclasses.replace(SERVICE, slos=(SERVICE.slos[0], slo, SERVICE.slos[2]))
    assert "SLO 'ok'" in str(err.value)
    assert "tier 'page-fast': short window 10 seconds is under min_window 1 minute" in str(
        err.value
    )


def test_a_page_tier_must_be_a_critical_alert() -> None:
    alert = dataclasses.replace(SERVICE.alerts[1], priority=Priority.P1)
    with pytest.raises(SpecError, match="a page tier is severity critical, but priority P1"):
        dataclasses.replace(SERVICE, alerts=(SERVICE.alerts[0], alert, *SERVICE.alerts[2:]))


def test_an_unknown_tier_is_refused_listing_the_known_ones() -> None:
    alert = dataclasses.replace(SERVICE.alerts[1], expr=BurnRate("ok", "fastest"))
    with pytest.raises(SpecError, match=r"unknown tier 'fastest' \(known: page-fast, page-slow"):
        dataclasses.replace(SERVICE, alerts=(SERVICE.alerts[0], alert, *SERVICE.alerts[2:]))


def test_a_policy_for_an_unknown_alert_is_refused() -> None:
    policy = RemediationPolicy("Ghost", "quarantine", params={"prefix": "silver/x/"})
    with pytest.raises(SpecError, match="unknown alert 'Ghost'"):
        dataclasses.replace(SERVICE, remediation=(*SERVICE.remediation, policy))


def test_a_quarantine_prefix_must_stay_under_silver() -> None:
    with pytest.raises(SpecError, match=r"params\.prefix: .*'\.\.' part"):
        RemediationPolicy("JobBroken", "quarantine", params={"prefix": "silver/../bronze/"})
    with pytest.raises(SpecError, match="cooldown: must be 0"):
        Limits(cooldown=-1)
    with pytest.raises(SpecError, match="max_attempts_per_day: must be positive"):
        Limits(max_attempts_per_day=0)
    assert Limits(cooldown=0).cooldown == 0  # no cooldown: the episode alone dedups


def test_dashboard_uids_stay_within_forty_characters() -> None:
    board = dataclasses.replace(
        SERVICE.dashboards[0], slug="a-very-long-dashboard-name-that-overflows"
    )
    with pytest.raises(SpecError, match="longer than 40"):
        dataclasses.replace(SERVICE, dashboards=(board,))


def test_demo_shrinks_hours_to_seconds() -> None:
    demo = SERVICE.resolved(SERVICE.environment("demo"))
    assert demo.slo("fresh").objective == 20 and demo.slo("fresh").unit == 1
    assert demo.alerts[0].for_ == 5  # 5m -> 5s


def test_environment_urls_must_be_http() -> None:
    with pytest.raises(SpecError, match="runbook_base_url"):
        dataclasses.replace(SERVICE.environments[0], runbook_base_url="ftp://x/")


def test_runbook_urls_map_to_the_built_site_page_and_anchor() -> None:
    prod, demo = (SERVICE.environment(n) for n in ("prod", "demo"))
    assert prod.site_target(prod.runbook_url("freshness")) == (
        "ops/runbook/index.html",
        "freshness",
    )
    assert demo.site_target(demo.runbook_url("freshness")) == (
        "ops/runbook/index.html",
        "freshness",
    )
    assert prod.site_target("https://elsewhere.example/x") is None
    assert isinstance(prod, Environment)


def test_the_service_is_loaded_by_import_path() -> None:
    assert load_service("tests.sre.example_service:SERVICE") is SERVICE
    with pytest.raises(SpecFileError, match="MODULE:ATTR"):
        load_service("tests.sre.example_service")
    with pytest.raises(SpecFileError, match="not an sre Service"):
        load_service("tests.sre.example_service:CONTENT")
