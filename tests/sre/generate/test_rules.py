"""The rule files carry the runbook's four alerts exactly, plus SLO burn rates."""

from __future__ import annotations

import re

import pytest

from pipeline.service import SERVICE
from sre.generate.rules import prometheus_rules

SEED = "https://github.com/example/potato-weight-nutrition/blob/main/ops/runbook.md"
RUNBOOK_ALERTS = {
    "PipelineDataStale": (
        "(time() - potato_pipeline_last_successful_run_timestamp) / 3600 > 2", "5m", "warning",
        "Silver data is stale (> 2 hours old)", "data-freshness-issues",
    ),
    "PipelineDataCritical": (
        "(time() - potato_pipeline_last_successful_run_timestamp) / 3600 > 4", "0m", "critical",
        "Silver data is critically stale (> 4 hours old)", "data-freshness-issues",
    ),
    "PipelineFailureRate": (
        'rate(potato_pipeline_tasks_total{status="failure"}[1h]) / '
        "rate(potato_pipeline_tasks_total[1h]) > 0.05", "10m", "warning",
        "Pipeline failure rate > 5% over 1 hour", "pipeline-failures",
    ),
    "PipelineTaskLatency": (
        "histogram_quantile(0.95, rate(potato_pipeline_task_duration_seconds_bucket[5m])) > 600",
        "15m", "warning", "Pipeline task p95 latency > 10 minutes", "performance-issues",
    ),
}


def _rules(env: str = "prod") -> dict[str, dict[str, object]]:
    environment = SERVICE.environment(env)
    files = prometheus_rules(SERVICE.resolved(environment), environment)
    return {
        str(rule.get("alert") or rule.get("record")): rule
        for doc in files.values()
        for group in doc["groups"]
        for rule in group["rules"]
    }


@pytest.mark.parametrize("name", sorted(RUNBOOK_ALERTS))
def test_the_runbook_alert_is_generated_exactly(name: str) -> None:
    expr, for_, severity, summary, anchor = RUNBOOK_ALERTS[name]
    rule = _rules()[name]
    assert rule["expr"] == expr
    assert rule["for"] == for_
    assert rule["labels"]["severity"] == severity  # type: ignore[index]
    notes = rule["annotations"]
    assert notes["summary"] == summary  # type: ignore[index]
    assert notes["runbook_url"] == notes["runbook"] == f"{SEED}#{anchor}"  # type: ignore[index]
    assert notes["dashboard_url"].startswith("https://grafana.example.com/d/")  # type: ignore[index]
    assert notes["description"]  # type: ignore[index]


def test_the_seed_alerts_keep_their_group_name() -> None:
    environment = SERVICE.environment("prod")
    files = prometheus_rules(SERVICE.resolved(environment), environment)
    groups = files["alerts/potato-pipeline.rules.yml"]["groups"]
    assert groups[0]["name"] == "potato-pipeline"
    assert set(RUNBOOK_ALERTS) <= {r["alert"] for r in groups[0]["rules"]}


def test_recording_rules_follow_level_metric_operations() -> None:
    records = [name for name, rule in _rules().items() if "record" in rule]
    assert records
    assert all(re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z0-9_]+", name) for name in records)


def test_burn_rate_alerts_use_the_workbook_windows_and_factors() -> None:
    rules = _rules()
    ratio = "job:potato_pipeline_tasks_failure_per_tasks:ratio_rate"
    assert rules["PipelineErrorBudgetBurnFast"]["expr"] == (
        f"{ratio}1h > (14.4 * 0.05) and {ratio}5m > (14.4 * 0.05)"
    )
    assert f"{ratio}6h > (6 * 0.05) and {ratio}30m" in str(
        rules["PipelineErrorBudgetBurnMedium"]["expr"]
    )
    assert f"{ratio}3d > (1 * 0.05) and {ratio}6h" in str(
        rules["PipelineErrorBudgetBurnSlow"]["expr"]
    )


def test_the_error_ratio_divides_only_by_a_positive_rate_so_idle_is_silent() -> None:
    rule = _rules()["job:potato_pipeline_tasks_failure_per_tasks:ratio_rate1h"]
    assert str(rule["expr"]).endswith("/ (job:potato_pipeline_tasks:rate1h > 0)")


def test_the_remediation_service_is_watched() -> None:
    rules = _rules()
    assert (
        rules["RemediatorDown"]["expr"]
        == 'up{job="sre-remediator"} == 0 or absent(up{job="sre-remediator"})'
    )
    assert "sre_circuit_open" in str(rules["RemediationCircuitOpen"]["expr"])
    assert "sre_remediations_total" in str(rules["RemediationActionsFailing"]["expr"])


def test_corruption_is_a_p0_page_on_the_integrity_gauge() -> None:
    rule = _rules()["PipelineDataCorrupted"]
    assert rule["expr"] == "potato_pipeline_silver_integrity_ok == 0"
    assert rule["labels"] == {
        "pipeline": "potato-pipeline",
        "priority": "P0",
        "severity": "critical",
    }


def test_demo_turns_hours_into_seconds() -> None:
    rules = _rules("demo")
    stale = rules["PipelineDataStale"]
    assert stale["expr"] == "time() - potato_pipeline_last_successful_run_timestamp > 20"
    assert stale["for"] == "5s"
    assert rules["PipelineDataCritical"]["expr"].endswith("> 40")  # type: ignore[union-attr]
    assert (
        stale["annotations"]["runbook_url"]
        == "http://127.0.0.1:8000/ops/runbook/#data-freshness-issues"
    )  # type: ignore[index]
