"""The remediation engine: admit webhook deliveries, then act on them exactly once per episode.

`admit` runs while Alertmanager waits: parse, validate every selected policy's target (the
refusals are audited in the same transaction that stores the delivery), answer. `drain` runs
in the worker: settle each alert's episode, gather the facts, let the pure `evaluate` decide,
audit every verdict, record runs, and hand the runs that act to `dispatch` (a thread pool in
`sre serve`), so the worker goes on draining while a long action runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sre.errors import SreError, UnsafeTarget
from sre.remediation.action import Plan
from sre.remediation.evaluate import Verdict, evaluate, over_blast_radius, targets_of
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert, Notification, alert_json, parse
from sre.remediation.recovery import Recovery
from sre.remediation.registry import Registry
from sre.remediation.run import Runner, make_plan
from sre.remediation.state import StateStore
from sre.spec.remediation import RemediationPolicy

__all__ = ["Job", "RemediationEngine", "inline"]

log = logging.getLogger("sre.remediation")
Job = Callable[[], None]


def inline(job: Job) -> None:
    """Run a job on the calling thread (the CLI, and tests that want it done on return)."""
    job()


@dataclass
class RemediationEngine:
    store: StateStore
    policies: Sequence[RemediationPolicy]
    registry: Registry
    runner: Runner
    metrics: RemediationMetrics
    dispatch: Callable[[Job], None] = inline
    clock: Callable[[], float] = time.time
    max_runs_per_minute: int = 30  # global, across replicas: a storm cannot stampede
    recovery: Recovery = field(default_factory=Recovery)

    # -- while the request is open -------------------------------------------------------------

    def admit(self, body: bytes) -> tuple[int, Notification]:
        """Validate and durably store one delivery with its refusals; raises PayloadError."""
        note = parse(body)
        refusals: list[dict[str, Any]] = []
        for alert in note.alerts:
            if alert.status != "firing":
                continue
            for policy, target in targets_of(alert, self.policies, self.registry):
                if isinstance(target, UnsafeTarget):
                    refusals.append(
                        self.row(alert, policy, "refused_target", str(target), target=target.target)
                    )
                    self.metrics.remediations.labels(policy.action, "refused_target").inc()
        return self.store.admit(body, self.clock(), refusals), note

    # -- in the worker -------------------------------------------------------------------------

    def recover(self) -> int:
        """At start: take back this replica's runs left `running` (see `recovery`)."""
        return self.recovery.at_start(self)

    def refresh_gauges(self) -> None:
        """Kill switches and circuits are set from the CLI into the database: mirror them."""
        self.metrics.kill_switch.clear()
        for switch in self.store.paused():
            self.metrics.kill_switch.labels(switch["name"]).set(1)
        self.metrics.circuit.clear()
        for circuit in self.store.circuits():
            self.metrics.circuit.labels(circuit["action"], circuit["target"]).set(1)

    def drain(self) -> int:
        """Process every stored, unprocessed delivery in arrival order; returns how many."""
        self.refresh_gauges()
        self.recovery.tick(self)  # runs of replicas that stopped
        done = 0
        while batch := self.store.claim(self.clock()):
            for delivery, body in batch:
                self.process(delivery, body)
                self.store.processed(delivery, self.clock())
                done += 1
        return done

    def process(self, delivery: int, body: bytes) -> None:
        note = parse(body)
        if note.truncated_alerts:
            self.metrics.truncated.inc(note.truncated_alerts)
        for alert in note.alerts:
            try:
                self.handle(delivery, alert)
            except SreError as exc:  # one bad alert must not stop the rest of the group
                log.error("alert %s (%s) not handled: %s", alert.name, alert.fingerprint, exc)
                self.audit(alert, None, None, "error", f"not handled: {exc}")

    def handle(self, delivery: int, alert: Alert) -> None:
        starts = alert.starts_at.timestamp()
        if alert.status == "resolved":
            ends = alert.ends_at.timestamp() if alert.ends_at else None
            if not self.store.resolved(alert.fingerprint, alert.name, starts, ends, self.clock()):
                self.audit(alert, None, None, "resolve_ignored", "closes no open episode")
            return
        chosen = targets_of(alert, self.policies, self.registry)
        episode = (
            self.store.firing(alert.fingerprint, alert.name, starts, self.clock())
            if chosen
            else None
        )
        facts = self.store.facts(
            [(p.action, t) for p, t in chosen if isinstance(t, str)],
            fingerprint=alert.fingerprint,
            episode=episode.id if episode else None,
            stale=bool(chosen) and episode is None,
            now=self.clock(),
            max_runs_per_minute=self.max_runs_per_minute,
        )
        acting: list[tuple[int, RemediationPolicy, str, Alert, int]] = []
        for verdict in evaluate(alert, self.policies, facts, self.registry):
            run = self._settle(delivery, alert, episode.id if episode else None, verdict)
            if run is not None and verdict.policy is not None and episode is not None:
                acting.append((run, verdict.policy, verdict.target, alert, episode.id))
        if acting:
            self.dispatch_runs(acting)

    def _settle(
        self, delivery: int, alert: Alert, episode: int | None, verdict: Verdict
    ) -> int | None:
        """Audit one verdict and record its run; returns the run when it is to act now."""
        policy, target = verdict.policy, verdict.target
        if policy is None:
            self.audit(alert, episode, None, verdict.outcome, verdict.reason)
            return None
        if verdict.outcome == "refused_target":
            if not self.store.refused_at_admission(delivery, alert.fingerprint, policy.action):
                self._refuse(alert, episode, policy, verdict.outcome, verdict.reason, target)
            return None
        if not verdict.runs or episode is None:
            if verdict.opens_circuit and self.store.open_circuit(
                policy.action, target, verdict.reason, self.clock()
            ):
                self.metrics.circuit.labels(policy.action, target).set(1)
            self._refuse(alert, episode, policy, verdict.outcome, verdict.reason, target)
            return None
        try:
            plan = make_plan(
                self.registry, policy, target, self.runner.deps, _incident(alert, episode)
            )
        except SreError as exc:
            self._refuse(alert, episode, policy, "plan_failed", f"cannot plan: {exc}", target)
            return None
        too_big = over_blast_radius(policy, plan.objects, plan.bytes)
        if too_big:
            self._refuse(alert, episode, policy, "blocked_blast_radius", too_big, target, plan)
            return None
        acting = verdict.outcome == "act"
        run = self.store.open_run(
            {
                "action": policy.action,
                "target": target,
                "fingerprint": alert.fingerprint,
                "episode": episode,
                "alertname": alert.name,
                "mode": policy.mode,
                "state": "running"
                if acting
                else ("pending" if verdict.outcome == "awaiting_approval" else "done"),
                "outcome": None if acting else verdict.outcome,
                "plan": plan.json(),
                "alert": alert_json(alert),
                "attempt": 1,
                "started_at": self.clock(),
                "finished_at": None if acting else self.clock(),
            }
        )
        if run is None:  # another request or replica won the race for this episode
            reason = "this episode already has a run"
            self._refuse(alert, episode, policy, "skipped_duplicate", reason, target)
            return None
        self.audit(
            alert,
            episode,
            policy,
            verdict.outcome,
            verdict.reason,
            target=target,
            run=run,
            plan=plan,
        )
        if not acting:
            self.metrics.remediations.labels(policy.action, verdict.outcome).inc()
            return None
        return run

    def dispatch_runs(self, runs: list[tuple[int, RemediationPolicy, str, Alert, int]]) -> None:
        """One job per alert: its runs go in policy order (quarantine, restore, then rerun)."""

        def job() -> None:
            for run, policy, target, alert, episode in runs:
                incident = _incident(alert, episode)
                try:
                    plan = make_plan(self.registry, policy, target, self.runner.deps, incident)
                    self.runner.execute(run, policy, plan, alert, incident)
                except SreError as exc:
                    self.runner.finish(run, policy, alert, target, "failed", {"error": str(exc)})
                except Exception as exc:
                    log.exception("run %s crashed", run)
                    self.runner.finish(run, policy, alert, target, "failed", {"error": repr(exc)})

        self.dispatch(job)

    def policy_of(self, alertname: str, action: str) -> RemediationPolicy | None:
        return next(
            (p for p in self.policies if p.alertname == alertname and p.action == action), None
        )

    def _refuse(
        self,
        alert: Alert,
        episode: int | None,
        policy: RemediationPolicy,
        outcome: str,
        reason: str,
        target: str,
        plan: Plan | None = None,
    ) -> None:
        self.audit(alert, episode, policy, outcome, reason, target=target, plan=plan)
        self.metrics.remediations.labels(policy.action, outcome).inc()

    def row(
        self,
        alert: Alert,
        policy: RemediationPolicy | None,
        outcome: str,
        reason: str,
        *,
        episode: int | None = None,
        target: str = "",
        run: int | None = None,
        plan: Plan | None = None,
    ) -> dict[str, Any]:
        return {
            "alertname": alert.name,
            "fingerprint": alert.fingerprint,
            "episode": episode,
            "action": policy.action if policy else None,
            "target": target or None,
            "policy": f"{policy.key} ({policy.mode})" if policy else None,
            "outcome": outcome,
            "reason": reason,
            "actor": self.runner.actor,
            "run": run,
            "plan": plan.json() if plan else None,
        }

    def audit(
        self,
        alert: Alert,
        episode: int | None,
        policy: RemediationPolicy | None,
        outcome: str,
        reason: str,
        **extra: Any,
    ) -> None:
        self.store.record(
            self.clock(), **self.row(alert, policy, outcome, reason, episode=episode, **extra)
        )


def _incident(alert: Alert, episode: int) -> str:
    return f"{alert.fingerprint}-{episode}"
