"""SLIs from the ledger when no Prometheus is at hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.ledger import RunRecord, TaskReport
from pipeline.observability.slis import from_ledger

NOW = 1_800_000_000.0


def record(minutes_ago: float, *tasks: tuple[str, str, float]) -> RunRecord:
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(NOW - minutes_ago * 60, UTC).isoformat().replace("+00:00", "Z")
    return RunRecord(
        "r", stamp, stamp, "success", None, tasks=tuple(TaskReport(n, s, d) for n, s, d in tasks)
    )


def test_ledger_slis_count_tasks_of_the_last_day_only() -> None:
    runs = [
        record(60 * 30, ("ingest", "failure", 1.0)),  # older than 24 h: ignored
        record(90, ("ingest", "success", 1.0), ("validate", "failure", 2.0)),
        record(30, ("ingest", "success", 3.0), ("validate", "success", 4.0)),
    ]
    slis = from_ledger(runs, last_success=NOW - 1800, now=NOW)
    assert slis.source == "ledger"
    assert slis.freshness_hours == pytest.approx(0.5)
    assert slis.success_ratio == pytest.approx(3 / 4)
    assert slis.task_p95_seconds == {"ingest": 3.0, "validate": 4.0}


def test_no_runs_means_unknown_not_zero() -> None:
    slis = from_ledger([], last_success=None, now=NOW)
    assert (slis.freshness_hours, slis.success_ratio, slis.task_p95_seconds) == (None, None, {})


def test_status_falls_back_to_the_ledger_when_prometheus_is_unreachable(lake: Path) -> None:
    result = CliRunner().invoke(
        main, ["status", "--lake", str(lake), "--json", "--prometheus", "http://127.0.0.1:1"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["slis"]["source"] == "ledger"
    assert "Prometheus http://127.0.0.1:1 unavailable" in result.stderr
