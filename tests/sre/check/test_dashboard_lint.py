"""The dashboard lint's structural rules, on hand-made broken dashboards."""

from __future__ import annotations

import copy
from typing import Any

from sre.check.dashboards import lint_dashboard
from sre.generate.dashboards import grafana_dashboards
from tests.sre.example_service import SERVICE


def _board() -> dict[str, Any]:
    env = SERVICE.environment("prod")
    (board,) = grafana_dashboards(SERVICE.resolved(env), env).values()
    return copy.deepcopy(board)


def _messages(board: dict[str, Any]) -> list[str]:
    problems, _ = lint_dashboard("main.json", board, set(SERVICE.metrics))
    return [str(p) for p in problems]


def test_the_generated_dashboard_is_clean() -> None:
    assert _messages(_board()) == []


def test_duplicate_panel_ids_are_reported() -> None:
    board = _board()
    board["panels"][1]["id"] = board["panels"][0]["id"]
    assert any("id 1 is also used by 'Freshness'" in m for m in _messages(board))


def test_overlapping_panels_are_reported() -> None:
    board = _board()
    board["panels"][1]["gridPos"]["x"] = 4
    assert any("'Freshness' and 'Runs' overlap" in m for m in _messages(board))


def test_a_long_uid_an_old_schema_and_a_fixed_datasource_are_reported() -> None:
    board = _board()
    board["uid"] = "x" * 41
    board["schemaVersion"] = 27
    board["panels"][0]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    messages = "\n".join(_messages(board))
    assert "1 to 40 characters" in messages
    assert "schemaVersion 27" in messages
    assert "'P1809F7CD0C75ACF3' is not a datasource template variable" in messages


def test_a_panel_without_unit_or_description_is_reported() -> None:
    board = _board()
    del board["panels"][1]["fieldConfig"]["defaults"]["unit"]
    board["panels"][1]["description"] = ""
    messages = "\n".join(_messages(board))
    assert "'Runs': no unit" in messages and "'Runs': no description" in messages


def test_a_query_on_a_metric_the_service_does_not_emit_is_reported_by_name() -> None:
    board = _board()
    board["panels"][1]["targets"][0]["expr"] = "sum(rate(job_runs_totl[5m]))"
    assert any(
        "reads metric job_runs_totl, which the service does not emit" in m for m in _messages(board)
    )
