"""`sre check --metrics-url/--metrics-file`: the spec's declared metrics compared with what a
real process exposes (the pipeline's own exposition and a live `/metrics` endpoint)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest, start_http_server

from pipeline.observability.metrics import exposition
from pipeline.observability.totals import Totals
from pipeline.service import SERVICE
from sre.check.metrics import compare
from sre.cli import main
from sre.remediation.metrics import RemediationMetrics
from sre.spec import Metric
from tests.support.prometheus import free_port

SPEC = "pipeline.service:SERVICE"


def _pipeline_text() -> str:
    totals = Totals(
        tasks={("ingest", "success"): 3, ("clean", "failure"): 1},
        rows_processed={"ingest": 10},
        rows_rejected={("clean", "weight_range"): 2},
        runs={"success": 3},
        bytes_read=100,
        last_success=1.0,
        last_run=2.0,
        last_run_success=1,
    )
    return exposition(totals, None).decode()


def _remediator_text() -> str:
    registry = CollectorRegistry()
    RemediationMetrics(registry, actions=("command",))
    return generate_latest(registry).decode()


def test_the_pipeline_and_its_remediator_expose_what_the_spec_declares() -> None:
    texts = {"pipeline": _pipeline_text(), "sre serve": _remediator_text()}
    missing = {p.where for p in compare(SERVICE.declared_metrics, texts)}
    # Silver tables, integrity and backups appear once a snapshot exists; durations once a
    # task has been timed: absent here, not wrong.
    assert all("not in" in str(p) for p in compare(SERVICE.declared_metrics, texts))
    assert "potato_pipeline_tasks_total" not in missing
    assert "sre_remediations_total" not in missing


def test_a_wrong_type_missing_metric_and_other_labels_are_each_named() -> None:
    registry = CollectorRegistry()
    Counter("app_jobs_total", "jobs", ["queue", "host"], registry=registry).labels("a", "b").inc()
    Gauge("app_depth", "depth", registry=registry).set(3)
    declared = (
        Metric("app_jobs_total", "counter", ("queue", "status")),
        Metric("app_depth", "counter"),
        Metric("app_lag_seconds", "gauge"),
    )
    problems = [str(p) for p in compare(declared, {"f.prom": generate_latest(registry).decode()})]
    assert problems == [
        "metrics: app_jobs_total: missing labels ['status']; undeclared labels ['host']",
        "metrics: app_depth: declared counter, exposed as gauge",
        "metrics: app_lag_seconds: declared gauge, not in f.prom",
    ]


def test_metrics_file_on_the_command_line(tmp_path: Path) -> None:
    good = tmp_path / "pipeline.prom"
    good.write_text(_pipeline_text() + _remediator_text())
    args = ["check", "--service", SPEC, "--metrics-only", "--metrics-file", str(good)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1  # the snapshot metrics are absent without a lake
    assert "metrics: potato_pipeline_silver_rows: declared gauge, not in" in result.output
    assert "potato_pipeline_tasks_total" not in result.output
    bad = tmp_path / "bad.prom"
    bad.write_text("this is { not an exposition\n")
    result = CliRunner().invoke(main, [*args[:-1], str(bad)])
    assert result.exit_code == 1 and "not Prometheus text format" in result.output


def test_a_live_scrape_is_compared(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    Counter("potato_pipeline_tasks_total", "t", ["task"], registry=registry).labels("a").inc()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        result = CliRunner().invoke(main, ["check", "--service", SPEC, "--metrics-only",
                                           "--metrics-url", f"http://127.0.0.1:{port}/metrics"])
    finally:
        server.shutdown()
        thread.join(5)
    assert result.exit_code == 1
    assert "metrics: potato_pipeline_tasks_total: missing labels ['status']" in result.output


def test_metrics_only_without_a_source_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["check", "--service", SPEC, "--metrics-only"])
    assert result.exit_code == 2 and "needs --metrics-url or --metrics-file" in result.output


@pytest.mark.parametrize("env", ["prod", "demo"])
def test_generated_promtool_tests_use_only_declared_labels(env: str) -> None:
    """Every input series of every generated test carries only labels its metric declares
    (plus what Prometheus or the metric type adds)."""
    from sre.generate.rule_tests import rule_tests
    from sre.generate.rules import prometheus_rules

    environment = SERVICE.environment(env)
    resolved = SERVICE.resolved(environment)
    declared = {}
    for metric in SERVICE.declared_metrics:
        for name in metric.series_names:
            declared[name] = {*metric.labels, "job", "instance", "le", "quantile"}
    tests = rule_tests(resolved, environment, list(prometheus_rules(resolved, environment)))
    checked = 0
    for doc in tests.values():
        for group in doc["tests"]:
            for series in group["input_series"]:
                name, _, rest = series["series"].partition("{")
                labels = {pair.split("=")[0] for pair in rest.rstrip("}").split(",") if pair}
                if name in declared:
                    assert labels <= declared[name], series["series"]
                    checked += 1
    assert checked > 20
