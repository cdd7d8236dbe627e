"""Breaking a cross-reference makes `sre check` fail with a message that names it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.observability.conventions import LAST_SUCCESS
from pipeline.service import SERVICE
from sre.check import run_checks
from sre.check.alertmanager import check_config
from sre.check.dashboards import lint_dashboards
from sre.check.prometheus import test_rules as promtool_test_rules
from sre.check.rules import check_rule_references, load_alert_rules, recorded_names
from sre.check.runbooks import check_runbooks
from sre.check.site import build_site
from sre.cli import main


def _site_and_runbooks(root: Path) -> list[str]:
    site = root / "site"
    built = build_site(root, site)
    rules = load_alert_rules(root)
    found = check_runbooks(root, rules, SERVICE, SERVICE.environment("prod"), site)
    return [str(p) for p in built + found]


def test_clean_artefacts_pass_every_check(tools: None, artefacts: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--dir", str(artefacts)])
    assert result.exit_code == 0, result.output
    assert (artefacts / "site" / "potato-pipeline" / "runbook" / "index.html").is_file()


def test_a_renamed_metric_is_named_in_rules_and_dashboards(tools: None, artefacts: Path) -> None:
    renamed = tuple(
        "potato_pipeline_last_success_ts" if m == LAST_SUCCESS else m for m in SERVICE.metrics
    )
    declared = tuple(
        dataclasses.replace(m, name="potato_pipeline_last_success_ts") if m.name == LAST_SUCCESS
        else m
        for m in SERVICE.declared_metrics
    )  # fmt: skip
    service = dataclasses.replace(SERVICE, metrics=renamed, declared_metrics=declared)
    known = set(service.metrics) | recorded_names(artefacts)
    messages = [
        str(p)
        for p in check_rule_references(artefacts, service) + lint_dashboards(artefacts, known)
    ]
    assert any(
        m.startswith(
            "rules: alerts/potato-pipeline.rules.yml: PipelineDataStale reads metric "
            f"{LAST_SUCCESS}, which the service does not emit"
        )
        for m in messages
    )
    assert any(
        m.startswith(
            "dashboard: dashboards/potato-pipeline-overview.json: panel 1 'Silver Data Freshness'"
        )
        and LAST_SUCCESS in m
        for m in messages
    )


def test_a_dashboard_query_that_does_not_parse_is_named(tools: None, artefacts: Path) -> None:
    path = artefacts / "dashboards" / "potato-pipeline-overview.json"
    board = json.loads(path.read_text())
    board["panels"][3]["targets"][0]["expr"] = "sum(rate(potato_pipeline_tasks_total[1h])"
    path.write_text(json.dumps(board))
    messages = [str(p) for p in lint_dashboards(artefacts, set(SERVICE.metrics))]
    assert any(
        "'Task Success/Failure Rates' query A does not parse as PromQL" in m for m in messages
    )


def test_a_deleted_runbook_page_is_named(tools: None, artefacts: Path) -> None:
    (artefacts / "runbooks/site/potato-pipeline/alerts/PipelineTaskLatency.md").unlink()
    messages = _site_and_runbooks(artefacts)
    assert (
        "runbook: PipelineTaskLatency: no page "
        "runbooks/site/potato-pipeline/alerts/PipelineTaskLatency.md" in messages
    )
    assert any(
        m.startswith("mkdocs build --strict") and "PipelineTaskLatency.md" in m for m in messages
    )


def test_a_threshold_changed_in_the_rule_file_only_is_named(tools: None, artefacts: Path) -> None:
    rules = artefacts / "alerts" / "potato-pipeline.rules.yml"
    rules.write_text(rules.read_text().replace("/ 3600 > 2 or", "/ 3600 > 3 or"))
    messages = _site_and_runbooks(artefacts)
    assert any(
        m.startswith(
            "runbook: PipelineDataStale: expression in alerts/potato-pipeline.rules.yml "
            "`(time() - potato_pipeline_last_successful_run_timestamp) / 3600 > 3 or "
            "(absent_over_time(potato_pipeline_last_successful_run_timestamp[2h]) and on () "
            "count(up offset 2h))` "
            "is not the one on"
        )
        for m in messages
    )
    failing = [str(p) for p in promtool_test_rules(artefacts)]
    assert any(
        m.startswith("promtool test rules: alerts/tests/potato-pipeline/PipelineDataStale.test.yml")
        for m in failing
    )


def test_a_runbook_anchor_that_disappeared_is_named(tools: None, artefacts: Path) -> None:
    for page in (
        artefacts / "ops" / "runbook.md",
        artefacts / "runbooks" / "site" / "potato-pipeline" / "runbook.md",
    ):
        page.write_text(page.read_text().replace("## Performance Issues\n", "## Slowness\n"))
    messages = _site_and_runbooks(artefacts)
    assert any(
        m.startswith("runbook: PipelineTaskLatency: runbook_url ")
        and "no anchor #performance-issues" in m
        for m in messages
    )


def test_a_dashboard_link_to_a_missing_panel_is_named(tools: None, artefacts: Path) -> None:
    path = artefacts / "dashboards" / "potato-pipeline-overview.json"
    board = json.loads(path.read_text())
    board["panels"] = [p for p in board["panels"] if p["title"] != "Task latency p95"]
    path.write_text(json.dumps(board))
    messages = _site_and_runbooks(artefacts)
    assert (
        "runbook: PipelineTaskLatency: dashboard_url names panel 5 "
        "that potato-pipeline-overview lacks" in messages
    )


def test_a_broken_alertmanager_config_is_named(tools: None, artefacts: Path) -> None:
    path = artefacts / "alerts" / "potato-pipeline.alertmanager.yml"
    text = path.read_text()
    path.write_text(text.replace("receiver: potato-pipeline-chat", "receiver: nobody", 1))
    (problem,) = check_config(artefacts, SERVICE)
    assert str(problem).startswith(
        "amtool check-config: alerts/potato-pipeline.alertmanager.yml (merged into a minimal base):"
    )
    assert "nobody" in str(problem)


def test_every_problem_is_one_line(tools: None, artefacts: Path) -> None:
    (artefacts / "runbooks/site/potato-pipeline/alerts/RemediatorDown.md").unlink()
    problems = run_checks(artefacts, SERVICE, "prod", artefacts / "site")
    assert problems and all("\n" not in str(p) for p in problems)
