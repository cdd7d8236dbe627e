"""The generated dashboards load in Grafana's own model (grafana-foundation-sdk, 11.6, and the
SDK's build of Grafana's main branch) and validate against its 11.6 JSON schemas, and a round
trip through the model loses no query field."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pipeline.service import SERVICE
from sre.generate.dashboards import grafana_dashboards
from tests.support.components import require
from tests.support.grafana import GRAFANA, model_problems, schema_problems

REPO = Path(__file__).resolve().parents[3]
COMMITTED = sorted(
    [
        *(REPO / "dashboards").glob("*.json"),
        *(REPO / "docker" / "generated" / "dashboards").glob("*.json"),
        *(REPO / "examples").glob("*/dashboards/*.json"),
        *(REPO / "tests" / "sre" / "generate" / "golden").glob("*/dashboards/*.json"),
    ]
)


@pytest.fixture(autouse=True)
def _schemas() -> None:
    require("Grafana 11.6 schemas", GRAFANA.is_dir(), f"{GRAFANA} is missing")


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{path}[{i}]")]
    return []


def _all(env: str) -> list[dict[str, Any]]:
    environment = SERVICE.environment(env)
    return list(grafana_dashboards(SERVICE.resolved(environment), environment).values())


def test_there_are_committed_dashboards_to_check() -> None:
    assert len(COMMITTED) >= 5


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: str(p.relative_to(REPO)))
def test_a_committed_dashboard_loads_in_grafanas_model_and_schema(path: Path) -> None:
    doc = json.loads(path.read_text())
    assert schema_problems(doc) == []
    assert model_problems(doc) == []


@pytest.mark.parametrize("env", ["prod", "demo", "compose"])
def test_no_null_where_grafana_wants_a_value(env: str) -> None:
    for doc in _all(env):
        nulls = _nulls(doc)
        # Only the base threshold step (-Infinity, written as null, as Grafana writes it).
        assert nulls and all(n.endswith(".steps[0].value") for n in nulls), nulls


def test_threshold_steps_are_arrays_and_targets_are_typed() -> None:
    (doc,) = _all("prod")
    for panel in doc["panels"]:
        thresholds = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds")
        if thresholds is not None:
            assert isinstance(thresholds["steps"], list)
        for target in panel["targets"]:
            assert target["datasource"]["type"] in ("prometheus", "loki")
            assert "step" not in target or isinstance(target["step"], str)
            assert not {"target", "metric", "query", "intervalFactor"} & set(target)
    logs = next(p for p in doc["panels"] if p["type"] == "logs")
    assert logs["targets"][0]["queryType"] == "range"


def test_the_checks_catch_what_grafana_rejects() -> None:
    (doc,) = _all("prod")
    doc["panels"][0]["fieldConfig"]["defaults"]["color"] = None
    doc["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"] = ""
    logs = next(p for p in doc["panels"] if p["type"] == "logs")
    logs["targets"][0]["step"] = 10
    problems = schema_problems(doc)
    assert any("defaults.color: None is not of type 'object'" in p for p in problems)
    assert any("thresholds.steps: '' is not of type 'array'" in p for p in problems)
    assert any(p.endswith("step: 10 is not of type 'string'") for p in problems)
    assert model_problems(doc)[0].startswith("does not load")


def test_a_query_field_the_model_drops_is_named() -> None:
    (doc,) = _all("prod")
    doc["panels"][0]["targets"][0]["metric"] = "legacy"  # not a field of Grafana's model
    assert model_problems(doc) == [
        "panels[0].targets[0].metric: 'legacy' came back as None"
    ]


def test_sre_checks_own_shape_check_agrees_with_grafanas_model() -> None:
    """`sre check` cannot import Grafana's SDK where sre is installed; its own shape check
    passes what Grafana accepts and names what grafanalib used to write."""
    from sre.check.grafana_shape import shape_problems

    for path in COMMITTED:
        assert shape_problems(json.loads(path.read_text())) == [], path
    (doc,) = _all("prod")
    doc["__inputs"] = []
    doc["panels"][0]["fieldConfig"]["defaults"]["color"] = None
    doc["panels"][0]["fieldConfig"]["defaults"]["thresholds"]["steps"] = ""
    logs = next(p for p in doc["panels"] if p["type"] == "logs")
    logs["targets"][0]["step"] = 10
    assert shape_problems(doc) == [
        "top-level key '__inputs' is not in Grafana's dashboard model",
        "panels[0].fieldConfig.defaults.color is null (leave it out, or give a value)",
        "panels[0]: thresholds.steps must be an array",
        "panels[6].targets[0].step: 10 must be a string (e.g. \"1m\")",
    ]


# The SDK's "next" build (Grafana's main branch, 2026-01-29), installed beside the pinned 11.6
# by `make setup`: the package index has no 12.x-labelled build. One interpreter cannot import
# two versions of a package, so it runs in a child process.
NEXT = REPO / ".venv" / "grafana-next"
_NEXT_SCRIPT = """
import json, sys
import grafana_foundation_sdk
assert grafana_foundation_sdk.__file__.startswith(sys.argv[1]), grafana_foundation_sdk.__file__
from tests.support.grafana import model_problems
print(json.dumps({p: model_problems(json.load(open(p))) for p in sys.argv[2:]}))
"""


def _next_model(paths: list[Path]) -> dict[str, list[str]]:
    require("grafana-foundation-sdk next", NEXT.is_dir(), f"{NEXT} is missing: run make setup")
    done = subprocess.run(
        [sys.executable, "-c", _NEXT_SCRIPT, str(NEXT), *map(str, paths)],
        env={**os.environ, "PYTHONPATH": f"{NEXT}{os.pathsep}{REPO}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, list[str]] = json.loads(done.stdout)
    return result


def test_every_committed_dashboard_also_loads_in_grafanas_next_model() -> None:
    assert _next_model(COMMITTED) == {str(p): [] for p in COMMITTED}


def test_the_next_model_check_finds_a_dashboard_it_cannot_load(tmp_path: Path) -> None:
    (doc,) = _all("prod")
    doc["panels"] = "not a list"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(doc))
    (problems,) = _next_model([broken]).values()
    assert problems and problems[0].startswith("does not load"), problems
