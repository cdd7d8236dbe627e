"""The remediation engine: admit webhook deliveries, then act on them exactly once per episode.

`admit` runs while Alertmanager waits: parse, check targets, store durably, answer. `process`
runs later in a worker: split the notification into alerts, settle each alert's episode, let
the pure `decide` functions choose, audit every decision, and run the action when allowed.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine as Database

from sre.errors import SreError, UnsafeTarget
from sre.remediation import decide, records, state
from sre.remediation.actions.base import Outcome, Plan, Verification
from sre.remediation.interfaces import Executor, Guard
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert, Notification, parse
from sre.remediation.serialize import alert_json, plan_json, resource
from sre.spec.remediation import RemediationPolicy

log = logging.getLogger("sre.remediation")


@dataclass
class RemediationEngine:
    db: Database
    policies: Sequence[RemediationPolicy]
    executor: Executor
    metrics: RemediationMetrics
    guard: Guard | None = None
    clock: Callable[[], float] = time.time
    actor: str = "sre serve"
    max_runs_per_minute: int = 30  # global, across replicas: a storm of alerts cannot stampede
    max_concurrent: int = 2  # actions running at once, across replicas
    lock_wait: float = 600.0  # how long a run waits for its target's lock or a free slot
    executed: list[int] = field(default_factory=list)
    owner: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    # -- while the request is open -------------------------------------------------------------

    def admit(self, body: bytes) -> tuple[int, Notification]:
        """Validate and durably store one delivery; raises PayloadError or UnsafeTarget."""
        note = parse(body)
        for alert in note.alerts:
            for policy in decide.select(self.policies, alert):
                try:
                    decide.target(policy, alert.labels)
                except UnsafeTarget as exc:
                    self._audit(alert, None, policy, "refused_target", str(exc), target=exc.target)
                    raise
        return state.store_delivery(self.db, body, self.clock()), note

    # -- in the worker -------------------------------------------------------------------------

    def recover(self) -> int:
        """Runs a stopped process left `running` end as failed, never silently lost."""
        with state.transaction(self.db) as conn:
            stuck = conn.execute(sa.select(state.runs).where(state.runs.c.state == "running")).all()
        for run in stuck:
            state.update_run(
                self.db,
                run.id,
                state="done",
                outcome="failed",
                finished_at=self.clock(),
                result={
                    "error": "interrupted: the service stopped during the run; "
                    "check the target and rerun or undo by hand"
                },
            )
            state.record(
                self.db,
                alertname=run.alertname,
                fingerprint=run.fingerprint,
                episode=run.episode,
                action=run.action,
                target=run.target,
                outcome="failed",
                reason="interrupted by a restart",
                actor=self.actor,
                run=run.id,
            )
            self.metrics.remediations.labels(run.action, "failed").inc()
        return len(stuck)

    def refresh_gauges(self) -> None:
        """Kill switches and circuits are set from the CLI into the database: mirror them."""
        self.metrics.kill_switch.clear()
        for switch in records.paused(self.db):
            self.metrics.kill_switch.labels(switch["name"]).set(1)
        self.metrics.circuit.clear()
        for circuit in records.open_circuits(self.db):
            self.metrics.circuit.labels(circuit["action"], circuit["target"]).set(1)

    def drain(self) -> int:
        """Process every stored, unprocessed delivery in arrival order; returns how many."""
        self.refresh_gauges()
        done = 0
        while batch := state.claim_deliveries(self.db, self.clock()):
            for delivery, body in batch:
                self.process(body)
                state.mark_processed(self.db, delivery, self.clock())
                done += 1
        return done

    def process(self, body: bytes) -> None:
        note = parse(body)
        if note.truncated_alerts:
            self.metrics.truncated.inc(note.truncated_alerts)
        for alert in note.alerts:
            try:
                self.handle(alert)
            except SreError as exc:  # one bad alert must not stop the rest of the group
                log.error("alert %s (%s) not handled: %s", alert.name, alert.fingerprint, exc)

    def handle(self, alert: Alert) -> None:
        starts = alert.starts_at.timestamp()
        if alert.status == "resolved":
            ends = alert.ends_at.timestamp() if alert.ends_at else self.clock()
            state.resolved(self.db, alert.fingerprint, alert.name, starts, ends)
            return
        policies = decide.select(self.policies, alert)
        if not policies:
            self._audit(alert, None, None, "no_policy", "no remediation policy selects this alert")
            return
        episode = state.firing(self.db, alert.fingerprint, alert.name, starts)
        for policy in policies:
            target = decide.target(policy, alert.labels)
            if episode is None:
                self._refuse(
                    alert,
                    None,
                    policy,
                    target,
                    "skipped_duplicate",
                    "stale delivery: this firing predates the episode's resolution",
                )
                continue
            self._consider(alert, episode.id, policy, target)

    def _consider(self, alert: Alert, episode: int, policy: RemediationPolicy, target: str) -> None:
        if state.has_run(self.db, policy.action, target, alert.fingerprint, episode):
            self._refuse(
                alert,
                episode,
                policy,
                target,
                "skipped_duplicate",
                "this episode already has a run",
            )
            return
        facts = records.facts(self.db, policy.action, target, self.clock())
        decision = decide.decide(policy, facts)
        if not decision.runs:
            if decision.outcome == "blocked_circuit" and not facts.circuit_open:
                self._open_circuit(policy.action, target, decision.reason)
            self._refuse(alert, episode, policy, target, decision.outcome, decision.reason)
            return
        incident = f"{alert.fingerprint}-{episode}"
        plan = self.executor.plan(policy, target, alert, incident)
        too_big = decide.within_blast_radius(policy, plan.objects, plan.bytes)
        if too_big:
            self._refuse(alert, episode, policy, target, "blocked_blast_radius", too_big, plan)
            return
        acting = decision.outcome == "act"
        if acting and state.started_since(self.db, self.clock() - 60) >= self.max_runs_per_minute:
            self._refuse(
                alert,
                episode,
                policy,
                target,
                "blocked_rate_limit",
                f"over {self.max_runs_per_minute} runs started in the last minute",
            )
            return
        run = state.open_run(
            self.db,
            {
                "action": policy.action,
                "target": target,
                "fingerprint": alert.fingerprint,
                "episode": episode,
                "alertname": alert.name,
                "mode": policy.mode,
                "state": "running"
                if acting
                else ("pending" if decision.outcome == "awaiting_approval" else "done"),
                "outcome": None if acting else decision.outcome,
                "plan": plan_json(plan),
                "alert": alert_json(alert),
                "started_at": self.clock(),
                "finished_at": None if acting else self.clock(),
            },
        )
        if run is None:  # another request or replica won the race for this episode
            self._refuse(
                alert,
                episode,
                policy,
                target,
                "skipped_duplicate",
                "this episode already has a run",
            )
            return
        self._audit(
            alert,
            episode,
            policy,
            decision.outcome,
            decision.reason,
            target=target,
            run=run,
            plan=plan,
        )
        if not acting:
            self.metrics.remediations.labels(policy.action, decision.outcome).inc()
            return
        self.execute(run, policy, plan, alert, incident)

    def execute(
        self, run: int, policy: RemediationPolicy, plan: Plan, alert: Alert, incident: str
    ) -> str:
        """Pre-check, silence, apply, verify, record. Returns the outcome."""
        started = time.perf_counter()
        silence: str | None = None
        if self.guard is not None and not self.guard.still_firing(alert):
            return self._finish(
                run,
                policy,
                alert,
                "skipped_resolved",
                {"reason": "Alertmanager no longer shows the alert firing (or it is silenced)"},
            )
        lock = resource(policy.action, plan.target)
        if not self._wait_for(lock):
            return self._finish(
                run,
                policy,
                alert,
                "failed",
                {"reason": f"{lock} stayed busy for {self.lock_wait:g} s"},
            )
        try:
            if self.guard is not None:
                silence = self.guard.silence(
                    alert, 60, f"sre remediation run {run}: {policy.action}"
                )
            self.executed.append(run)
            try:
                outcome = self.executor.apply(policy, plan, incident)
            except SreError as exc:
                outcome = Outcome(False, detail=str(exc))
            # The silence covers the action only: while it holds, Alertmanager drops the
            # resolved notice, and the episode would stay open long after the fix.
            if silence and self.guard is not None:
                self.guard.expire(silence)
            try:
                verification = (
                    self.executor.verify(policy, plan, alert)
                    if outcome.ok
                    else Verification(False, outcome.detail)
                )
            except SreError as exc:
                verification = Verification(False, str(exc))
        finally:
            state.release(self.db, lock, self.owner)
        self.metrics.duration.labels(policy.action).observe(time.perf_counter() - started)
        ok = outcome.ok and verification.ok
        result = {
            "detail": outcome.detail,
            "verified": verification.ok,
            "verification": verification.detail,
            "done": [asdict(s) for s in outcome.done],
            "silence": silence,
        }
        state.update_run(self.db, run, undo=dict(outcome.undo) if outcome.undo else None)
        return self._finish(run, policy, alert, "success" if ok else "failed", result)

    # -- helpers -------------------------------------------------------------------------------

    def _wait_for(self, lock: str) -> bool:
        """The target's lock and a free slot under `max_concurrent`, waiting up to `lock_wait`."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            if state.running_count(self.db) <= self.max_concurrent and state.acquire(
                self.db, lock, self.owner, self.clock(), ttl=self.lock_wait + 3600
            ):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def _finish(
        self,
        run: int,
        policy: RemediationPolicy,
        alert: Alert,
        outcome: str,
        result: dict[str, Any],
    ) -> str:
        state.update_run(
            self.db, run, state="done", outcome=outcome, result=result, finished_at=self.clock()
        )
        state.record(
            self.db,
            alertname=alert.name,
            fingerprint=alert.fingerprint,
            action=policy.action,
            outcome=outcome,
            reason=str(result.get("verification") or result.get("reason") or ""),
            actor=self.actor,
            run=run,
        )
        self.metrics.remediations.labels(policy.action, outcome).inc()
        return outcome

    def _open_circuit(self, action: str, target: str, reason: str) -> None:
        if state.open_circuit(self.db, action, target, reason, self.clock()):
            self.metrics.circuit.labels(action, target).set(1)

    def _refuse(
        self,
        alert: Alert,
        episode: int | None,
        policy: RemediationPolicy,
        target: str,
        outcome: str,
        reason: str,
        plan: Plan | None = None,
    ) -> None:
        self._audit(alert, episode, policy, outcome, reason, target=target, plan=plan)
        self.metrics.remediations.labels(policy.action, outcome).inc()

    def _audit(
        self,
        alert: Alert,
        episode: int | None,
        policy: RemediationPolicy | None,
        outcome: str,
        reason: str,
        *,
        target: str = "",
        run: int | None = None,
        plan: Plan | None = None,
    ) -> None:
        state.record(
            self.db,
            alertname=alert.name,
            fingerprint=alert.fingerprint,
            episode=episode,
            action=policy.action if policy else None,
            target=target or None,
            policy=f"{policy.alertname}->{policy.action} ({policy.mode})" if policy else None,
            outcome=outcome,
            reason=reason,
            actor=self.actor,
            run=run,
            plan=plan_json(plan) if plan else None,
        )
