"""The remediator's notices: which states become alerts, what they say, and that they resolve
when the state does."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sre.remediation.approvals import expire_due
from sre.remediation.notices import NOTICES, NoticeContext, notices
from sre.remediation.notifier import Notifier

from .fakes import Recorder, alert, make_engine, payload, policy

CTX = NoticeContext(
    service="potato-pipeline",
    labels={"pipeline": "potato-pipeline"},
    server_url="https://sre.example.com",
    runbook_urls={"RemediationAwaitingApproval": "https://runbooks/notices/approval/"},
)


def state(tmp_path: Path, mode: str = "approve", fail: bool = False) -> Any:
    rec, now = Recorder(fail=fail), [1_800_000_000.0]
    waiting = dataclasses.replace(policy(mode=mode, max_attempts_per_day=1), approval_timeout=60)
    engine = make_engine(tmp_path, waiting, recorder=rec, clock=now)
    engine.admit(payload(alert("abc123", severity="critical")))
    engine.drain()
    return engine, now


def active(engine: Any, now: float) -> list[Any]:
    return notices(CTX, engine.store.noticeable(now - 86400), engine.store.circuits())


def test_a_run_awaiting_approval_is_a_notice_with_the_exact_approve_command(
    tmp_path: Path,
) -> None:
    engine, now = state(tmp_path)
    [notice] = active(engine, now[0])
    run = engine.store.pending()[0]["id"]
    assert notice.labels == {
        "pipeline": "potato-pipeline",
        "alertname": "RemediationAwaitingApproval",
        "sre_notice": "awaiting_approval",
        "severity": "critical",  # the alert's own
        "sre_service": "potato-pipeline",
        "run": str(run),
        "action": "command",
        "target": "pipeline",
    }
    command = f"sre runs approve {run} --server https://sre.example.com"
    assert notice.annotations["approve_command"] == command
    assert command in notice.annotations["description"]
    assert notice.annotations["plan"] in notice.annotations["description"]
    assert notice.annotations["runbook_url"] == "https://runbooks/notices/approval/"


def test_an_expired_approval_replaces_the_waiting_notice_until_the_alert_resolves(
    tmp_path: Path,
) -> None:
    engine, now = state(tmp_path)
    now[0] += 61
    expire_due(engine)
    [notice] = active(engine, now[0])
    assert notice.labels["alertname"] == "RemediationApprovalExpired"
    engine.admit(payload(alert("abc123", "resolved", ends=alert_end())))
    engine.drain()
    assert active(engine, now[0]) == []


def alert_end() -> Any:
    from .fakes import later

    return later(120)


def test_a_failed_run_and_the_circuit_it_opened_are_notices(tmp_path: Path) -> None:
    engine, now = state(tmp_path, mode="auto", fail=True)
    now[0] += 5  # past the cooldown
    engine.admit(payload(alert("def456", severity="warning")))  # budget spent: circuit opens
    engine.drain()
    found = {n.labels["alertname"]: n for n in active(engine, now[0])}
    assert set(found) == {"RemediationRunFailed", "RemediationCircuitOpened"}
    assert "boom" in found["RemediationRunFailed"].annotations["description"]
    circuit = found["RemediationCircuitOpened"]
    assert (circuit.labels["severity"], circuit.labels["target"]) == ("critical", "pipeline")
    assert "sre circuit reset command pipeline" in circuit.annotations["description"]
    engine.store.reset_circuit("command", "pipeline")
    assert [n.labels["alertname"] for n in active(engine, now[0])] == ["RemediationRunFailed"]


def test_the_notifier_reposts_active_notices_and_resolves_ended_ones(tmp_path: Path) -> None:
    engine, now = state(tmp_path)
    posted: list[list[dict[str, Any]]] = []
    notifier = Notifier(
        lambda t: active(engine, t), posted.append, "http://x/openapi.json", 10, lambda: now[0]
    )
    assert notifier.turn() == 1
    [[first]] = posted
    assert first["endsAt"] > first["startsAt"]  # firing: ends 4 intervals ahead
    now[0] += 5
    notifier.turn()
    assert posted[1][0]["labels"] == first["labels"]  # re-posted while active
    engine.store.decline(engine.store.pending()[0]["id"], "rejected", "bob", now[0])
    notifier.turn()
    [resolved] = posted[2]
    assert resolved["labels"] == first["labels"]
    assert resolved["endsAt"] < first["endsAt"]  # ends now: Alertmanager resolves it
    assert notifier.turn() == 0  # nothing left to say
    assert len(posted) == 3


def test_every_notice_has_a_runbook_page_and_the_approval_page_describes_the_flow() -> None:
    from pipeline.service import SERVICE
    from sre.cli.generate import read_content
    from sre.generate.runbooks import SITE_DIR, runbook_site

    env = SERVICE.environment("prod")
    site = runbook_site(SERVICE.resolved(env), env, read_content(Path("runbooks")))
    for name in NOTICES.values():  # in the service's folder of the tree's one site
        assert f"{SITE_DIR}/{SERVICE.site_page(f'notices/{name}.md')}" in site, name
        assert env.page_url(SERVICE.site_page(f"notices/{name}.md")).startswith(env.site_url)
    page = site[f"{SITE_DIR}/{SERVICE.site_page('notices/RemediationAwaitingApproval.md')}"]
    for words in ("sre runs approve RUN --server", "sre runs reject", "approval_timeout",
                  "--approvers-dir", "approver-token"):  # fmt: skip
        assert words in page


def test_a_service_may_replace_a_notice_page_with_its_own() -> None:
    from pipeline.service import SERVICE
    from sre.cli.generate import read_content
    from sre.generate.runbooks import SITE_DIR, runbook_site

    env = SERVICE.environment("prod")
    content = read_content(Path("runbooks")) | {"notices/RemediationRunFailed.md": "# Ours\n"}
    site = runbook_site(SERVICE.resolved(env), env, content)
    assert site[f"{SITE_DIR}/{SERVICE.site_page('notices/RemediationRunFailed.md')}"] == "# Ours\n"
