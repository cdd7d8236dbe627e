"""The PrometheusRule and ServiceMonitor validate against the prometheus-operator 0.93 CRD
schemas, and the PrometheusRule holds exactly the groups of the plain rule file."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from pipeline.service import SERVICE
from sre.generate import artefacts
from sre.generate.prometheus_operator import prometheus_rule_file, service_monitor_file
from tests.sre.example_service import CONTENT
from tests.sre.example_service import SERVICE as JOB

CRDS = Path(__file__).resolve().parents[2] / "support" / "schemas" / "prometheus-operator-0.93"
REPO = Path(__file__).resolve().parents[3]


@cache
def _schema(kind: str) -> dict[str, Any]:
    crd = yaml.safe_load((CRDS / f"{kind.lower()}s.yaml").read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def _problems(doc: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(_schema(doc["kind"]))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def _files(env: str, service: Any = SERVICE) -> dict[str, Any]:
    from sre.cli.generate import read_content

    content = CONTENT if service is JOB else read_content(REPO / "runbooks")
    return artefacts(service, env, content)


@pytest.mark.parametrize("env", ["prod", "demo"])
def test_the_prometheus_rule_validates_and_holds_every_group(env: str) -> None:
    files = _files(env)
    rule = files[prometheus_rule_file(SERVICE)]
    assert _problems(rule) == []
    plain = files[f"alerts/{SERVICE.name}.rules.yml"]
    assert rule["spec"]["groups"] == plain["groups"]
    assert rule["metadata"]["labels"]["app.kubernetes.io/part-of"] == "potato-pipeline"


def test_the_service_monitor_scrapes_sre_serve_and_validates() -> None:
    monitor = _files("prod")[service_monitor_file(SERVICE)]
    assert _problems(monitor) == []
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics",
                                             "interval": "30s"}]  # fmt: skip
    service = yaml.safe_load((REPO / "infra" / "k8s" / "service.yaml").read_text())
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"][
        "labels"
    ].items()
    assert [p["name"] for p in service["spec"]["ports"]] == ["http"]


def test_the_committed_objects_validate() -> None:
    committed = sorted((REPO / "k8s").glob("*.yaml"))
    assert len(committed) == 2
    for path in committed:
        assert _problems(yaml.safe_load(path.read_text())) == [], path


def test_a_bad_rule_is_caught_by_the_crd_schema() -> None:
    rule = _files("prod")[prometheus_rule_file(SERVICE)]
    rule["spec"]["groups"][0]["rules"][0]["for"] = "ten minutes"
    assert any("does not match" in p for p in _problems(rule))
