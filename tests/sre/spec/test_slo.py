from __future__ import annotations

import pytest

from sre.errors import SpecError
from sre.spec import SLO
from sre.spec.units import human_duration, number, prom_duration


def test_freshness_query_is_the_runbooks_age_in_hours() -> None:
    slo = SLO("f", "F", "freshness", "m", objective=2, critical=4, unit=3600)
    assert slo.query() == "(time() - m) / 3600"
    assert slo.condition("critical") == (
        "(time() - m) / 3600 > 4 or (absent_over_time(m[4h]) and on () count(up offset 4h))"
    )
    assert slo.describe("objective") == "2 hours"


def test_freshness_in_seconds_drops_the_division() -> None:
    assert (
        SLO("f", "F", "freshness", "m", objective=20).condition("objective")
        == "time() - m > 20 or (absent_over_time(m[20s]) and on () count(up offset 20s))"
    )


def test_error_budget_is_one_minus_the_objective_without_float_noise() -> None:
    slo = SLO("s", "S", "success_ratio", "t_total", objective=0.95, window=86400)
    assert number(slo.threshold("budget")) == "0.05"
    assert slo.query() == (
        'sum by (job) (rate(t_total{status="success"}[24h])) / sum by (job) (rate(t_total[24h]))'
    )


def test_ratios_and_quantiles_aggregate_by_the_slo_labels_before_dividing() -> None:
    ratio = SLO("s", "S", "success_ratio", "t_total", objective=0.95, window=3600, group_by=())
    assert ratio.condition("budget") == (
        'sum(rate(t_total{status="failure"}[1h])) / sum(rate(t_total[1h])) > 0.05'
    )
    latency = SLO("l", "L", "latency", "d", objective=1, window=300, group_by=("job", "task"))
    assert latency.query() == (
        "histogram_quantile(0.95, sum by (job, task, le) (rate(d_bucket[5m])))"
    )


@pytest.mark.parametrize("labels", [("le",), ("job", "job"), ("bad-name",)])
def test_grouping_labels_must_be_label_names_each_once_never_le(labels: tuple[str, ...]) -> None:
    with pytest.raises(SpecError) as err:
        SLO("s", "S", "success_ratio", "t", objective=0.9, window=60, group_by=labels)
    assert err.value.field == "group_by"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "success_ratio", "objective": 1.5, "window": 60}, "objective"),
        ({"kind": "latency", "objective": 300}, "window"),
        ({"kind": "freshness", "objective": -1}, "objective"),
        ({"kind": "weird", "objective": 1}, "kind"),
    ],
)
def test_an_invalid_slo_is_refused_naming_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SpecError) as err:
        SLO("x", "X", metric="m", **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_a_missing_threshold_level_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match="no critical threshold"):
        SLO("l", "L", "latency", "h", objective=1, window=60).threshold("critical")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0m"), (300, "5m"), (3600, "1h"), (86400, "24h"), (259200, "3d"), (90, "90s")],
)
def test_prometheus_durations_read_as_the_runbook_writes_them(seconds: int, text: str) -> None:
    assert prom_duration(seconds) == text


def test_human_durations() -> None:
    assert [human_duration(s) for s in (600, 3600, 20)] == ["10 minutes", "1 hour", "20 seconds"]


def test_a_histogram_bucket_bound_needs_a_success_ratio_and_a_number() -> None:
    def objective(kind: str, le: str) -> SLO:
        return SLO("fast", "Fast", kind, "req_seconds", 0.99, window=86400, le=le)  # type: ignore[arg-type]

    with pytest.raises(SpecError, match="needs a success_ratio SLO"):
        objective("latency", "0.3")
    with pytest.raises(SpecError, match="not a bucket bound"):
        objective("success_ratio", "fast")
    with pytest.raises(SpecError, match="finite"):
        objective("success_ratio", "+Inf")
    slo = objective("success_ratio", "0.3")
    assert slo.series == ("req_seconds_bucket", "req_seconds_count")
