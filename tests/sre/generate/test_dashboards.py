from __future__ import annotations

from pipeline.service import SERVICE
from sre.check.dashboards import lint_dashboard
from sre.generate.dashboards import grafana_dashboards

RUNBOOK_PANELS = {
    "Silver Data Freshness", "Task Success/Failure Rates", "Task latency p95",
    "Rows Processed by Task", "Pipeline Error Logs", "Remediation Activity",
}


def _board() -> dict[str, object]:
    env = SERVICE.environment("prod")
    (board,) = grafana_dashboards(SERVICE.resolved(env), env).values()
    return board


def test_the_dashboard_has_the_panels_the_runbook_names() -> None:
    titles = {p["title"] for p in _board()["panels"]}  # type: ignore[attr-defined]
    assert titles >= RUNBOOK_PANELS


def test_modern_schema_datasource_variables_and_a_short_stable_uid() -> None:
    board = _board()
    assert board["schemaVersion"] >= 39  # type: ignore[operator]
    assert board["uid"] == "potato-pipeline-overview"
    variables = {v["name"]: v["query"] for v in board["templating"]["list"]}  # type: ignore[index]
    assert variables == {"datasource": "prometheus", "loki": "loki"}


def test_error_logs_are_a_logs_panel_on_the_loki_variable() -> None:
    panel = next(p for p in _board()["panels"] if p["title"] == "Pipeline Error Logs")  # type: ignore[attr-defined]
    assert panel["type"] == "logs"
    assert panel["datasource"] == {"type": "loki", "uid": "${loki}"}


def test_slo_panels_draw_the_slo_thresholds() -> None:
    panel = next(p for p in _board()["panels"] if p["title"] == "Task latency p95")  # type: ignore[attr-defined]
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["value"] for s in steps] == [None, 300, 600]


def test_the_generated_dashboard_passes_the_structural_lint() -> None:
    problems, exprs = lint_dashboard("overview.json", _board(), set(SERVICE.metrics))  # type: ignore[arg-type]
    assert problems == []
    assert len(exprs) >= 8


def test_generation_is_deterministic() -> None:
    assert _board() == _board()
