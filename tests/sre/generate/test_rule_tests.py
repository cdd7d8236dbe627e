"""The generated promtool tests: each alert fires in one case and stays silent in another, and
the tests catch a rule that was changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pipeline.service import SERVICE
from sre.cli.generate import read_content, render, write
from sre.generate.rule_tests import rule_tests
from sre.generate.rules import prometheus_rules

REPO = Path(__file__).resolve().parents[3]


def _tests(env: str = "prod") -> dict[str, dict[str, object]]:
    environment = SERVICE.environment(env)
    resolved = SERVICE.resolved(environment)
    return rule_tests(resolved, environment, list(prometheus_rules(resolved, environment)))


def test_every_alert_has_a_test_file_with_a_firing_and_a_silent_case() -> None:
    files = _tests()
    assert set(files) == {f"alerts/tests/{a.name}.test.yml" for a in SERVICE.alerts}
    for doc in files.values():
        results = [t["alert_rule_test"][0]["exp_alerts"] for t in doc["tests"]]  # type: ignore[attr-defined]
        assert any(results) and not all(results)


def test_freshness_cases_count_from_time_zero() -> None:
    doc = _tests()["alerts/tests/PipelineDataStale.test.yml"]
    fires, silent = doc["tests"]  # type: ignore[misc]
    # Last success at t=0; the alert holds after 2 h + for 5 m (+ two evaluations).
    assert fires["input_series"][0]["values"].startswith("0x")
    assert fires["alert_rule_test"][0]["eval_time"] == "127m"
    assert silent["alert_rule_test"][0]["exp_alerts"] == []


# prod is exercised by `sre check` in tests/sre/check; demo's seconds-long windows here.
@pytest.mark.parametrize("env", ["demo"])
def test_generated_tests_pass_under_promtool(env: str, promtool: str, tmp_path: Path) -> None:
    write(tmp_path, render("pipeline.service:SERVICE", env, read_content(REPO / "runbooks")))
    tests = sorted(str(p) for p in (tmp_path / "alerts" / "tests").glob("*.test.yml"))
    done = subprocess.run(
        [promtool, "test", "rules", *tests], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_changed_threshold_fails_the_generated_test(promtool: str, tmp_path: Path) -> None:
    write(tmp_path, render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks")))
    rules = tmp_path / "alerts" / "potato-pipeline.rules.yml"
    rules.write_text(rules.read_text().replace("/ 3600 > 2\n", "/ 3600 > 3\n"))
    test = tmp_path / "alerts" / "tests" / "PipelineDataStale.test.yml"
    done = subprocess.run(
        [promtool, "test", "rules", str(test)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "PipelineDataStale" in done.stdout + done.stderr
