"""The rule files carry the runbook's four alerts exactly, plus SLO burn rates."""

from __future__ import annotations

import re

import pytest

from pipeline.service import SERVICE
from sre.generate.rules import prometheus_rules

SEED = "https://github.com/example/potato-weight-nutrition/blob/main/ops/runbook.md"
GAUGE = "potato_pipeline_last_successful_run_timestamp"
TASKS = "potato_pipeline_tasks_total"


def absent(window: str) -> str:
    """The freshness alerts' absent arm, once Prometheus has that much history."""
    return f"(absent_over_time({GAUGE}[{window}]) and on () count(up offset {window}))"


# The runbook's four alerts: its names, thresholds, `for`, severities and summaries, with the
# expressions made correct (aggregated before dividing; an absent arm on freshness).
RUNBOOK_ALERTS = {
    "PipelineDataStale": (
        f"(time() - {GAUGE}) / 3600 > 2 or {absent('2h')}", "5m", "warning",
        "Silver data is stale (> 2 hours old)", "data-freshness-issues",
    ),
    "PipelineDataCritical": (
        f"(time() - {GAUGE}) / 3600 > 4 or {absent('4h')}", "0m", "critical",
        "Silver data is critically stale (> 4 hours old)", "data-freshness-issues",
    ),
    "PipelineFailureRate": (
        f'sum by (job) (rate({TASKS}{{status="failure"}}[1h])) / '
        f"sum by (job) (rate({TASKS}[1h])) > 0.05", "10m", "warning",
        "Pipeline failure rate > 5% over 1 hour", "pipeline-failures",
    ),
    "PipelineTaskLatency": (
        "histogram_quantile(0.95, sum by (job, task, le) "
        "(rate(potato_pipeline_task_duration_seconds_bucket[5m]))) > 600",
        "15m", "warning", "Pipeline task p95 latency > 10 minutes", "performance-issues",
    ),
}  # fmt: skip
# ... and as the runbook writes them, kept on each alert's page.
ORIGINS = {
    "PipelineDataStale": f"(time() - {GAUGE}) / 3600 > 2",
    "PipelineDataCritical": f"(time() - {GAUGE}) / 3600 > 4",
    "PipelineFailureRate": f'rate({TASKS}{{status="failure"}}[1h]) / rate({TASKS}[1h]) > 0.05',
    "PipelineTaskLatency": (
        "histogram_quantile(0.95, rate(potato_pipeline_task_duration_seconds_bucket[5m])) > 600"
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


@pytest.mark.parametrize("name", sorted(ORIGINS))
def test_each_runbook_alert_keeps_the_source_expression_for_its_page(name: str) -> None:
    assert next(a for a in SERVICE.alerts if a.name == name).origin == ORIGINS[name]


def test_the_seed_alerts_keep_their_group_name() -> None:
    environment = SERVICE.environment("prod")
    files = prometheus_rules(SERVICE.resolved(environment), environment)
    assert list(files) == ["alerts/potato-pipeline.rules.yml"]  # one file per service
    groups = {g["name"]: g for g in files["alerts/potato-pipeline.rules.yml"]["groups"]}
    assert set(groups) == {"potato-pipeline", "potato-pipeline-slo", "sre-remediator"}
    assert set(RUNBOOK_ALERTS) <= {r["alert"] for r in groups["potato-pipeline"]["rules"]}


def test_recording_rules_follow_level_metric_operations() -> None:
    records = [name for name, rule in _rules().items() if "record" in rule]
    assert records
    assert all(re.fullmatch(r"[a-z_]+:[a-z_]+:[a-z0-9_]+", name) for name in records)


def test_burn_rate_tiers_follow_from_the_one_day_period() -> None:
    rules = _rules()
    ratio = "job:potato_pipeline_tasks_failure_per_tasks:ratio_rate"
    events = "job:potato_pipeline_tasks:rate"
    # 10 % of the day's budget in 30 min: 0.10 x 24 h / 30 min = 4.8; short = 30 min / 12.
    assert rules["PipelineErrorBudgetBurnFast"]["expr"] == (
        f"{ratio}30m > (4.8 * 0.05) and {ratio}150s > (4.8 * 0.05) and {events}30m * 1800 >= 12"
    )
    assert rules["PipelineErrorBudgetBurnMedium"]["expr"] == (
        f"{ratio}2h > (2.4 * 0.05) and {ratio}10m > (2.4 * 0.05) and {events}2h * 7200 >= 12"
    )
    assert rules["PipelineErrorBudgetBurnSlow"]["expr"] == (
        f"{ratio}24h > (1 * 0.05) and {ratio}2h > (1 * 0.05) and {events}24h * 86400 >= 12"
    )


def test_page_tiers_page_and_ticket_tiers_open_tickets_each_naming_slo_and_tier() -> None:
    rules = _rules()
    labels = {n: rules[f"PipelineErrorBudgetBurn{n}"]["labels"] for n in ("Fast", "Medium", "Slow")}
    assert [labels[n]["severity"] for n in ("Fast", "Medium", "Slow")] == [  # type: ignore[index]
        "critical",
        "critical",
        "warning",
    ]
    assert {(v["slo"], v["burn_tier"]) for v in labels.values()} == {  # type: ignore[index]
        ("task-success", "fast"),
        ("task-success", "medium"),
        ("task-success", "slow"),
    }


def test_recording_rules_sum_by_the_slo_labels_before_dividing() -> None:
    rules = _rules()
    assert rules["job:potato_pipeline_tasks_failure:rate30m"]["expr"] == (
        'sum by (job) (rate(potato_pipeline_tasks_total{status="failure"}[30m]))'
    )


def test_the_error_ratio_divides_only_by_a_positive_rate_so_idle_is_silent() -> None:
    rule = _rules()["job:potato_pipeline_tasks_failure_per_tasks:ratio_rate2h"]
    assert str(rule["expr"]).endswith("/ (job:potato_pipeline_tasks:rate2h > 0)")


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
    assert stale["expr"] == f"time() - {GAUGE} > 20 or {absent('20s')}"
    assert stale["for"] == "5s"
    critical = str(rules["PipelineDataCritical"]["expr"])
    assert critical.endswith(f"> 40 or {absent('40s')}")
    assert rules["PipelineErrorBudgetBurnFast"]["expr"].startswith(  # type: ignore[union-attr]
        "job:potato_pipeline_tasks_failure_per_tasks:ratio_rate30s > (4.8 * 0.05)"
    )
    assert (
        stale["annotations"]["runbook_url"]
        == "http://127.0.0.1:8000/potato-pipeline/runbook/#data-freshness-issues"
    )  # type: ignore[index]
