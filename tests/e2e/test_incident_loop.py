"""The incident loop on the real stack: an alert fires, Alertmanager calls `sre serve`, the
action runs once however often the delivery comes, its effects are there, the alert resolves
and the remediation metrics count it. Each test prints its incident's timeline."""

from __future__ import annotations

import pytest

from pipeline.integrity import damaged_prefix
from scripts.incidents import CORRUPTED, STALE, Incident, corrupted_silver, stale_data
from sre.stack.observe import Observer, wait_for

from .conftest import Live

pytestmark = pytest.mark.integration
TIMEOUT = 90.0  # per incident; the stale one needs 25 s by design, the rest takes seconds


def show(incident: Incident, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\n" + incident.timeline.render())


def fired(obs: Observer, alert: str) -> bool:
    found = obs.query(f'max_over_time(ALERTS{{alertname="{alert}",alertstate="firing"}}[10m])')
    return bool(found) and float(found[0]["value"][1]) == 1.0


def absorbed(obs: Observer, incident: Incident, actions: int) -> list[dict[str, object]]:
    """The replayed delivery was processed: one skipped_duplicate per policy, and no new run."""

    def duplicates() -> list[dict[str, object]]:
        found = [
            a
            for a in obs.audit(incident.marks["webhook"])
            if a["fingerprint"] == incident.fingerprint and a["outcome"] == "skipped_duplicate"
        ]
        return found if len(found) >= actions else []

    return wait_for(duplicates, timeout=30, what="the duplicate delivery to be absorbed")


def test_stale_data_is_retriggered_once_and_the_alert_resolves(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    obs = Observer(live.stack)
    incident = stale_data(live.stack, live.places, timeout=TIMEOUT)
    show(incident, capsys)

    assert fired(obs, STALE)
    assert incident.delivery is not None and STALE in incident.delivery.names()
    assert incident.duplicate_status == 202
    assert len(absorbed(obs, incident, 1)) == 1
    runs = [
        r for r in obs.runs(incident.marks["origin"]) if r["fingerprint"] == incident.fingerprint
    ]
    assert [(r["action"], r["outcome"]) for r in runs] == [("command", "success")]
    evidence = incident.evidence
    assert evidence["snapshot_after"] != evidence["snapshot_before"]
    assert evidence["drop_published"]
    assert evidence["last_success_after"] > evidence["last_success_before"]
    assert obs.alerts(STALE) == []
    metrics = obs.remediator_metrics()
    assert metrics['sre_remediations_total{action="command",outcome="success"}'] >= 1
    assert metrics['sre_remediations_total{action="command",outcome="skipped_duplicate"}'] >= 1
    assert metrics['sre_webhook_requests_total{code="202"}'] >= 2
    assert incident.marks["started"] - incident.marks["webhook"] < 5.0


def test_corrupted_silver_is_quarantined_restored_and_rerun_once(
    live: Live, capsys: pytest.CaptureFixture[str]
) -> None:
    obs = Observer(live.stack)
    incident = corrupted_silver(live.stack, live.places, timeout=TIMEOUT)
    show(incident, capsys)
    evidence = incident.evidence

    assert evidence["verify_exit"] == 1
    assert fired(obs, CORRUPTED)
    assert incident.delivery is not None
    labels = next(
        a["labels"] for a in incident.delivery.alerts if a["fingerprint"] == incident.fingerprint
    )
    assert labels["prefix"] == damaged_prefix(evidence["victim"])
    assert incident.duplicate_status == 202
    assert len(absorbed(obs, incident, 3)) == 3
    runs = [
        r for r in obs.runs(incident.marks["origin"]) if r["fingerprint"] == incident.fingerprint
    ]
    assert sorted((r["action"], r["outcome"]) for r in runs) == [
        ("command", "success"),
        ("quarantine", "success"),
        ("restore", "success"),
    ]
    assert evidence["quarantine_target"] == damaged_prefix(evidence["victim"])
    assert evidence["victim_quarantined"] and evidence["provenance"]
    assert evidence["restored_matches_backup"] and evidence["restored_verifies"]
    assert evidence["after_verifies"]
    assert evidence["lost"] == []
    assert obs.alerts(CORRUPTED) == []
    metrics = obs.remediator_metrics()
    for action in ("quarantine", "restore"):
        assert metrics[f'sre_remediations_total{{action="{action}",outcome="success"}}'] == 1
        assert (
            metrics[f'sre_remediations_total{{action="{action}",outcome="skipped_duplicate"}}'] >= 1
        )
    assert metrics['sre_remediations_total{action="command",outcome="success"}'] >= 1
