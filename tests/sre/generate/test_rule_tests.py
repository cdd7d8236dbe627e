"""The generated promtool tests: each alert fires in one case and stays silent in another, and
the tests catch a rule that was changed."""

from __future__ import annotations

import shutil
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
    assert set(files) == {
        f"alerts/tests/potato-pipeline/{a.name}.test.yml" for a in SERVICE.alerts
    }
    for doc in files.values():
        results = [t["alert_rule_test"][0]["exp_alerts"] for t in doc["tests"]]  # type: ignore[attr-defined]
        assert any(results) and not all(results)


def test_freshness_cases_count_from_time_zero() -> None:
    doc = _tests()["alerts/tests/potato-pipeline/PipelineDataStale.test.yml"]
    fires, under, pending, absent, not_yet, restarted = doc["tests"]  # type: ignore[misc]
    # Last success at t=0; the alert holds after 2 h + for 5 m (+ two evaluations).
    assert fires["input_series"][0]["values"].startswith("0x")
    assert fires["alert_rule_test"][0]["eval_time"] == "127m"
    # Just under: 1 minute short of 2 h old at the same time; past 2 h but for less than 5 m.
    assert under["input_series"][0]["values"].startswith(f"{127 * 60 - 7200 + 60}x")
    assert pending["input_series"][0]["values"].startswith(f"{127 * 60 - 7200 - 300 + 60}x")
    silent = (under, pending, not_yet, restarted)
    assert [t["alert_rule_test"][0]["exp_alerts"] for t in silent] == [[]] * 4
    # The gauge goes stale at 10 min; absent for 2 h + 5 m (+ two evaluations) it fires.
    assert absent["input_series"][0]["values"] == "0+60x9 stale"
    assert absent["alert_rule_test"][0]["eval_time"] == "137m"


def test_generated_series_carry_only_the_labels_the_slo_declares() -> None:
    failing = _tests()["alerts/tests/potato-pipeline/PipelineFailureRate.test.yml"]
    series = {s["series"] for t in failing["tests"] for s in t["input_series"]}  # type: ignore[index]
    assert series == {
        'potato_pipeline_tasks_total{job="potato-pipeline",status="failure"}',
        'potato_pipeline_tasks_total{job="potato-pipeline",status="success"}',
    }
    latency = _tests()["alerts/tests/potato-pipeline/PipelineTaskLatency.test.yml"]
    first = latency["tests"][0]["input_series"][0]["series"]  # type: ignore[index]
    assert first.startswith('potato_pipeline_task_duration_seconds_bucket{job="potato-pipeline",')
    assert 'task="task-a"' in first


def test_burn_rate_cases_cover_the_objective_a_burst_and_low_traffic() -> None:
    doc = _tests()["alerts/tests/potato-pipeline/PipelineErrorBudgetBurnFast.test.yml"]
    names = [t["name"] for t in doc["tests"]]  # type: ignore[index]
    assert names == [
        "fires at a steady 4.896x burn, just over 4.8x",
        "silent at a steady 4.704x burn, just under",
        "silent at a steady error ratio equal to the objective (1x)",
        "fires within 732 seconds of a 100% error burst after a clean window",
        "silent when every event fails but the window saw under 12",
    ]


# prod is exercised by `sre check` in tests/sre/check; demo's seconds-long windows here.
@pytest.mark.parametrize("env", ["demo"])
def test_generated_tests_pass_under_promtool(env: str, promtool: str, tmp_path: Path) -> None:
    write(tmp_path, render("pipeline.service:SERVICE", env, read_content(REPO / "runbooks")))
    tests = sorted(str(p) for p in (tmp_path / "alerts" / "tests").glob("*/*.test.yml"))
    done = subprocess.run(
        [promtool, "test", "rules", *tests], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_changed_threshold_fails_the_generated_test(promtool: str, tmp_path: Path) -> None:
    write(tmp_path, render("pipeline.service:SERVICE", "prod", read_content(REPO / "runbooks")))
    rules = tmp_path / "alerts" / "potato-pipeline.rules.yml"
    rules.write_text(rules.read_text().replace("/ 3600 > 2 or", "/ 3600 > 3 or"))
    test = tmp_path / "alerts" / "tests" / "potato-pipeline" / "PipelineDataStale.test.yml"
    done = subprocess.run(
        [promtool, "test", "rules", str(test)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert "PipelineDataStale" in done.stdout + done.stderr


GAUGE = "potato_pipeline_last_successful_run_timestamp"
MUTANTS = {
    "the absent arm removed": (
        "potato-pipeline.rules.yml",
        f" or (absent_over_time({GAUGE}[2h]) and on () count(up offset 2h))",
        "",
        "PipelineDataStale",
    ),
    "the source's series-by-series ratio": (
        "potato-pipeline.rules.yml",
        'sum by (job) (rate(potato_pipeline_tasks_total{status="failure"}[1h])) / sum by (job) '
        "(rate(potato_pipeline_tasks_total[1h]))",
        'rate(potato_pipeline_tasks_total{status="failure"}[1h]) / '
        "rate(potato_pipeline_tasks_total[1h])",
        "PipelineFailureRate",
    ),
    "the latency quantile per series": (
        "potato-pipeline.rules.yml",
        "sum by (job, task, le) (rate(potato_pipeline_task_duration_seconds_bucket[5m]))",
        "rate(potato_pipeline_task_duration_seconds_bucket[5m])",
        "PipelineTaskLatency",
    ),
    "a burn factor 3 % low": (
        "potato-pipeline.rules.yml",
        "(4.8 * 0.05)",
        "(4.65 * 0.05)",
        "PipelineErrorBudgetBurnFast",
    ),
    "a burn factor 3 % high": (
        "potato-pipeline.rules.yml",
        "(2.4 * 0.05)",
        "(2.47 * 0.05)",
        "PipelineErrorBudgetBurnMedium",
    ),
    "absence trusted on a Prometheus that has just started": (
        "potato-pipeline.rules.yml",
        " and on () count(up offset 2h)",
        "",
        "PipelineDataStale",
    ),
    "the low-traffic guard removed": (
        "potato-pipeline.rules.yml",
        " and job:potato_pipeline_tasks:rate30m * 1800 >= 12",
        "",
        "PipelineErrorBudgetBurnFast",
    ),
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_the_committed_cases_catch_a_wrong_rule(mutant: str, promtool: str, tmp_path: Path) -> None:
    rule_file, before, after, alert = MUTANTS[mutant]
    shutil.copytree(REPO / "alerts", tmp_path / "alerts")
    path = tmp_path / "alerts" / rule_file
    text = path.read_text()
    assert before in text
    path.write_text(text.replace(before, after))
    test = tmp_path / "alerts" / "tests" / "potato-pipeline" / f"{alert}.test.yml"
    done = subprocess.run(
        [promtool, "test", "rules", str(test)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, f"{mutant} survived: {done.stdout}"
