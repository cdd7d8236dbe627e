"""Our YAML front end: the example loads; every problem is one line naming file and path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sre.errors import SpecFileError
from sre.spec import Alert, Threshold
from sre.spec.formats.yaml_spec import load_yaml_spec
from sre.spec.load import load_service

EXAMPLE = Path("examples/orders-etl/sre.yaml")


def doc() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def problems(data: dict) -> list[str]:
    with pytest.raises(SpecFileError) as err:
        load_yaml_spec(data, "orders.yaml")
    return list(err.value.problems)


def test_example_loads_durations_and_percentages():
    service = load_service(str(EXAMPLE))
    fresh, runs = service.slos
    assert (fresh.unit, fresh.objective, fresh.critical) == (3600, 26, 50)
    assert (runs.objective, runs.window, runs.tiers[0].long) == (0.95, 30 * 86400, 7 * 86400)
    stale = service.alerts[0]
    assert isinstance(stale, Alert) and stale.for_ == 600
    assert stale.expr == Threshold("orders-freshness", "objective")
    assert [e.name for e in service.environments] == ["prod"]
    assert [p.priority.value for p in service.priorities] == ["P0", "P1", "P2", "P3"]


def test_bad_duration_is_one_line_with_file_and_path():
    data = doc()
    data["slos"][1]["window"] = "7x"
    assert problems(data) == [
        'orders.yaml: slos[1].window: "7x" is not a duration (write e.g. "10m", "26h")'
    ]


def test_every_problem_is_reported_not_only_the_first():
    data = doc()
    data["slos"][0]["colour"] = "red"
    data["alerts"][0]["priority"] = "P9"
    data["alerts"][1]["for"] = -5
    lines = problems(data)
    assert len(lines) == 3
    assert lines[0].startswith("orders.yaml: slos[0].colour: unknown field of SLO (known: name,")
    assert lines[1] == 'orders.yaml: alerts[0].priority: "P9" is not one of P0, P1, P2, P3'
    assert lines[2].startswith("orders.yaml: alerts[1].for: -5 is not a duration")


def test_the_spec_types_own_validation_lands_on_the_field():
    data = doc()
    data["slos"][1]["objective"] = 150
    assert problems(data) == [
        "orders.yaml: slos[1].objective: a success ratio objective must be in (0, 1)"
    ]


def test_cross_references_name_the_field_of_the_service():
    data = doc()
    data["alerts"][0]["section"] = "nowhere"
    (line,) = problems(data)
    assert line.startswith("orders.yaml: alerts: OrdersStale: unknown runbook section")


def test_percent_string_and_ratio_mean_the_same():
    a, b = doc(), doc()
    a["slos"][1]["objective"] = "95%"
    b["slos"][1]["objective"] = 0.95
    assert load_yaml_spec(a, "a").slos[1] == load_yaml_spec(b, "b").slos[1]


def test_missing_api_version_is_refused():
    data = doc()
    del data["apiVersion"]
    assert problems(data) == ["orders.yaml: apiVersion: must be sre/v1"]


def test_required_fields_are_named():
    data = doc()
    del data["slos"][0]["metric"]
    assert problems(data) == ["orders.yaml: slos[0].metric: required"]


def test_yaml_syntax_error_gives_the_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: sre/v1\nname: [unclosed\n")
    with pytest.raises(SpecFileError) as err:
        load_service(str(bad))
    (line,) = err.value.problems
    assert line.startswith(f"{bad}: line ")


def test_a_latency_budget_over_a_histogram_bucket_as_the_guide_writes_it():
    data = doc()
    data["slos"][1].update(metric="orders_etl_run_seconds", le="0.3")
    slo = load_yaml_spec(data, "orders.yaml").slo("run-success")
    assert slo.series == ("orders_etl_run_seconds_bucket", "orders_etl_run_seconds_count")
    data["slos"][1]["le"] = 0.3
    assert problems(data) == ["orders.yaml: slos[1].le: 0.3 is not a string"]
