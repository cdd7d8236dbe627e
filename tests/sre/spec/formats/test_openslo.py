"""OpenSLO v1 front end: the checkout-api example is a complete spec; the rest is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sre.errors import SpecFileError
from sre.spec import BurnRate
from sre.spec.formats.openslo import load_openslo
from sre.spec.load import load_service

EXAMPLE = Path("examples/checkout-api/openslo.yaml")


def docs() -> list[dict]:
    return list(yaml.safe_load_all(EXAMPLE.read_text()))


def test_example_is_a_complete_spec():
    service = load_service(str(EXAMPLE))
    assert service.name == "checkout-api"
    availability = service.slo("availability")
    assert (availability.metric, availability.status_label, availability.good) == (
        "checkout_requests_total",
        "outcome",
        "success",
    )
    assert availability.objective == 0.999 and availability.window == 28 * 86400
    burn = [a for a in service.alerts if isinstance(a.expr, BurnRate)]
    assert len(burn) == 8 and {a.page for a in burn} == {"slos/availability.md", "slos/latency.md"}
    assert [p.slo for p in service.dashboards[0].panels] == ["availability", "latency"]


def test_unsupported_field_is_refused_by_name():
    data = docs()
    data[1]["spec"]["alerting"] = {"name": "x"}
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "checkout.yaml")
    assert err.value.problems == (
        "checkout.yaml: [1].spec.alerting: is not in the supported OpenSLO subset (docs/spec.md)",
    )


def test_calendar_budgeting_and_a_non_selector_query_are_refused():
    data = docs()
    data[1]["spec"]["budgetingMethod"] = "Timeslices"
    data[2]["spec"]["indicator"]["spec"]["ratioMetric"]["good"]["metricSource"]["spec"]["query"] = (
        "histogram_quantile(0.9, x)"
    )
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "c.yaml")
    lines = err.value.problems
    assert "c.yaml: [1].spec.budgetingMethod: only Occurrences is supported" in lines
    assert any(
        line.startswith("c.yaml: [2].spec.indicator.spec.ratioMetric.good.metricSource.spec.query:")
        for line in lines
    )


def test_a_file_of_unknown_kinds_says_so():
    data = docs()
    data.append({"apiVersion": "openslo/v1", "kind": "AlertPolicy"})
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "c.yaml")
    assert err.value.problems == (
        'c.yaml: [3].kind: "AlertPolicy" is not supported (Service, SLO)',
    )


def test_histogram_latency_is_a_ratio_of_its_bucket_over_its_count():
    latency = load_service(str(EXAMPLE)).slo("latency")
    assert (latency.kind, latency.metric, latency.le) == (
        "success_ratio",
        "checkout_request_duration_seconds",
        "0.3",
    )
    assert latency.query(300) == (
        'sum by (job) (rate(checkout_request_duration_seconds_bucket{le="0.3"}[5m])) / '
        "sum by (job) (rate(checkout_request_duration_seconds_count[5m]))"
    )
    assert latency.failure_ratio(300).startswith(
        "(sum by (job) (rate(checkout_request_duration_seconds_count[5m])) - "
    )
    assert {
        "checkout_request_duration_seconds_bucket",
        "checkout_request_duration_seconds_count",
    } <= set(load_service(str(EXAMPLE)).metrics)


def _latency(data: list[dict]) -> dict:
    return data[2]["spec"]["indicator"]["spec"]


def test_threshold_metric_is_refused_naming_the_field_and_the_way_out():
    data = docs()
    _latency(data).clear()
    _latency(data)["thresholdMetric"] = {
        "metricSource": {"type": "Prometheus", "spec": {"query": "histogram_quantile(0.99, x)"}}
    }
    data[2]["spec"]["objectives"] = [{"op": "lte", "value": 0.3, "target": 0.99}]
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "c.yaml")
    lines = err.value.problems
    assert any(
        line.startswith("c.yaml: [2].spec.indicator.spec.thresholdMetric: is not supported")
        and 'metric_bucket{le="0.3"}' in line
        for line in lines
    ), lines
    subset = "is not in the supported OpenSLO subset (docs/spec.md)"
    assert f"c.yaml: [2].spec.objectives[0].op: {subset}" in lines
    assert f"c.yaml: [2].spec.objectives[0].value: {subset}" in lines
    assert not any("ratioMetric is required" in line for line in lines)


def test_unsupported_keys_deep_in_an_slo_are_refused_by_path():
    data = docs()
    data[1]["spec"]["timeWindow"][0]["calendar"] = {"startTime": "2026-01-01"}
    good = data[1]["spec"]["indicator"]["spec"]["ratioMetric"]["good"]
    good["metricSource"]["metricSourceRef"] = "thanos"
    data[1]["spec"]["objectives"][0]["timeSliceTarget"] = 0.9
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "c.yaml")
    subset = "is not in the supported OpenSLO subset (docs/spec.md)"
    assert set(err.value.problems) == {
        f"c.yaml: [1].spec.timeWindow[0].calendar: {subset}",
        f"c.yaml: [1].spec.indicator.spec.ratioMetric.good.metricSource.metricSourceRef: {subset}",
        f"c.yaml: [1].spec.objectives[0].timeSliceTarget: {subset}",
    }


def test_a_histogram_ratio_needs_the_bucket_as_good_over_the_same_histograms_count():
    data = docs()
    total = _latency(data)["ratioMetric"]["total"]["metricSource"]["spec"]
    total["query"] = "sum(rate(other_seconds_count[{{.window}}]))"
    with pytest.raises(SpecFileError) as err:
        load_openslo(data, "c.yaml")
    assert err.value.problems == (
        "c.yaml: [2].spec.indicator.spec.ratioMetric: a histogram ratio is good "
        '`checkout_request_duration_seconds_bucket{le="..."}` over total '
        "`checkout_request_duration_seconds_count`",
    )
    data = docs()
    ratio = _latency(data)["ratioMetric"]
    ratio["bad"] = ratio.pop("good")
    with pytest.raises(SpecFileError, match="a histogram ratio is good"):
        load_openslo(data, "c.yaml")
