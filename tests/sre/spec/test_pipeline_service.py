"""The potato pipeline's spec carries the runbook's values."""

from __future__ import annotations

from pipeline.observability import conventions
from pipeline.service import SERVICE
from sre.remediation import SERIES


def test_the_runbook_slos_are_declared() -> None:
    fresh, success, latency = SERVICE.slos
    assert (fresh.objective, fresh.critical, fresh.unit) == (2, 4, 3600)
    assert (success.objective, success.warning, success.window) == (0.95, 0.98, 86400)
    assert (latency.objective, latency.warning) == (300, 600)


def test_the_spec_lists_every_metric_the_conventions_emit() -> None:
    for metric in conventions.METRICS:
        assert set(metric.series_names) <= set(SERVICE.metrics)
    assert set(SERIES) <= set(SERVICE.metrics)


def test_stale_data_is_retriggered_and_corruption_quarantined_then_restored() -> None:
    actions = {(p.alertname, p.action) for p in SERVICE.remediation}
    assert {
        ("PipelineDataStale", "command"),
        ("PipelineDataCritical", "command"),
        ("PipelineDataCorrupted", "quarantine"),
        ("PipelineDataCorrupted", "restore"),
    } == actions


def test_escalation_follows_the_runbook() -> None:
    assert [s.level for s in SERVICE.escalation] == ["L1", "L2", "L3", "L4"]
    assert [s.p0_only for s in SERVICE.escalation] == [False, False, False, True]
    assert [p.response for p in SERVICE.priorities] == [
        "< 15 min",
        "< 1 hour",
        "< 4 hours",
        "< 24 hours",
    ]
