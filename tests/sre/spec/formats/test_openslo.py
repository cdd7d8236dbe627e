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
