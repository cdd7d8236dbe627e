"""A human's decision on a run that waits for approval, taken on the server.

`sre serve` answers `POST /api/v1/runs/{id}/approve|reject` with these; the approver's name
comes from their credential. An approved run goes through the engine's own dispatch (the same
runner, deps, locks, silences and post-check as an automatic run), so the approver's machine
needs no spec, store or lake credentials. A pending run expires after its policy's
`approval_timeout` (`expire_due`, every worker turn).

Every end is a conditional update on the run's `pending` state (`StateStore.approve`,
`StateStore.decline`): of two approvals, or an approval racing a rejection or an expiry, one
wins and the others are told who did.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from sre.remediation.engine import RemediationEngine
from sre.remediation.payload import parse_alert
from sre.spec.remediation import APPROVAL_TIMEOUT, RemediationPolicy

__all__ = ["Answer", "approve", "expire_due", "public", "reject"]

log = logging.getLogger("sre.remediation")
EXPIRED = "approval_expired"


@dataclass(frozen=True, slots=True)
class Answer:
    """What became of a request: `done`, `not_found` or `conflict` (not pending any more)."""

    status: Literal["done", "not_found", "conflict"]
    detail: str
    run: dict[str, Any] | None = None


_PUBLIC = (
    "id", "service", "action", "target", "alertname", "fingerprint", "episode", "mode", "state",
    "outcome", "approved_by", "attempt", "started_at", "finished_at", "plan", "result",
)  # fmt: skip


def public(run: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a run (times in unix seconds); the undo record stays inside."""
    return {key: run.get(key) for key in _PUBLIC}


def _pending(
    engine: RemediationEngine, run_id: int
) -> tuple[dict[str, Any], RemediationPolicy | None] | Answer:
    run = engine.store.run(run_id)
    if run is None or run["service"] != engine.store.service:
        return Answer("not_found", f"no run {run_id} of service {engine.store.service}")
    if run["state"] != "pending":
        return Answer("conflict", f"run {run_id} is not waiting for approval: {_state(run)}", run)
    policy = engine.policy_of(run["alertname"], run["action"])
    if engine.clock() >= run["started_at"] + _timeout(policy):
        expire(engine, run)
        return Answer("conflict", f"run {run_id} is not waiting for approval: it expired")
    return run, policy


def _state(run: dict[str, Any]) -> str:
    shown = run["outcome"] or run["state"]
    return f"{shown} (by {run['approved_by']})" if run["approved_by"] else shown


def _timeout(policy: RemediationPolicy | None) -> float:
    return float(policy.approval_timeout if policy is not None else APPROVAL_TIMEOUT)


def approve(engine: RemediationEngine, run_id: int, who: str) -> Answer:
    """Claim the pending run for `who` and hand it to the engine's dispatch."""
    found = _pending(engine, run_id)
    if isinstance(found, Answer):
        return found
    run, policy = found
    if policy is None:
        detail = f"the served spec has no policy {run['alertname']}/{run['action']} any more"
        return Answer("conflict", detail, run)
    paused = {p["name"] for p in engine.store.paused()} & {"*", run["action"]}
    if paused:
        detail = f"the kill switch is on for {sorted(paused)[0]} (sre resume first); still pending"
        return Answer("conflict", detail, run)
    if not engine.store.approve(run_id, who, engine.clock()):
        return Answer("conflict", f"run {run_id} was decided by someone else meanwhile")
    _audit(engine, run, "approved", f"approved by {who}", who)
    log.info("run %s %s approved by %s", run_id, run["action"], who, extra={"run": run_id})
    alert = parse_alert(run["alert"])
    engine.dispatch_runs([(run_id, policy, run["target"], alert, run["episode"])])
    return Answer("done", f"run {run_id} approved by {who}: running", engine.store.run(run_id))


def reject(engine: RemediationEngine, run_id: int, who: str, reason: str = "") -> Answer:
    """End the pending run without acting."""
    found = _pending(engine, run_id)
    if isinstance(found, Answer):
        return found
    run, _ = found
    if not engine.store.decline(run_id, "rejected", who, engine.clock()):
        return Answer("conflict", f"run {run_id} was decided by someone else meanwhile")
    _audit(engine, run, "rejected", f"rejected by {who}" + (f": {reason}" if reason else ""), who)
    engine.metrics.remediations.labels(run["action"], "rejected").inc()
    log.info("run %s %s rejected by %s", run_id, run["action"], who, extra={"run": run_id})
    return Answer("done", f"run {run_id} rejected by {who}", engine.store.run(run_id))


def expire(engine: RemediationEngine, run: dict[str, Any]) -> bool:
    """Expire one pending run; False when it was decided meanwhile."""
    if not engine.store.decline(run["id"], EXPIRED, "sre serve", engine.clock()):
        return False
    policy = engine.policy_of(run["alertname"], run["action"])
    reason = f"nobody approved it within {_timeout(policy):.0f} s"
    _audit(engine, run, EXPIRED, reason, "sre serve")
    engine.metrics.remediations.labels(run["action"], EXPIRED).inc()
    log.warning("run %s %s expired: %s", run["id"], run["action"], reason)
    return True


def expire_due(engine: RemediationEngine) -> list[int]:
    """Expire every pending run past its policy's approval_timeout; set the pending gauge."""
    expired: list[int] = []
    waiting = engine.store.pending()
    for run in waiting:
        policy = engine.policy_of(run["alertname"], run["action"])
        if engine.clock() >= run["started_at"] + _timeout(policy) and expire(engine, run):
            expired.append(run["id"])
    engine.metrics.pending.set(len(waiting) - len(expired))
    return expired


def _audit(
    engine: RemediationEngine, run: dict[str, Any], outcome: str, reason: str, who: str
) -> None:
    engine.store.record_run(engine.clock(), run, outcome, reason, who)
