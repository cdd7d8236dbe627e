"""The remediation engine: admit webhook deliveries, then act on them exactly once per episode.

`admit` runs while Alertmanager waits: parse, validate every selected policy's target (the
refusals are audited in the same transaction that stores the delivery), answer. `drain` runs
in the worker: settle each alert's episode, gather the facts, let the pure `evaluate` decide,
audit every verdict, record runs, and hand the runs that act to `dispatch` (a thread pool in
`sre serve`), so the worker goes on draining while a long action runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sre.errors import SreError, StateError, UnsafeTarget
from sre.remediation.decisions import Decisions, safe_reason
from sre.remediation.evaluate import Verdict, evaluate, over_blast_radius, targets_of
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert, Notification, alert_json, parse
from sre.remediation.recovery import Recovery
from sre.remediation.registry import Registry
from sre.remediation.run import Runner, durably, make_plan
from sre.remediation.state import StateStore
from sre.remediation.state.schema import MAX_ATTEMPTS
from sre.spec.remediation import RemediationPolicy

__all__ = ["Job", "RemediationEngine", "inline"]

log = logging.getLogger("sre.remediation")
Job = Callable[[], None]


def inline(job: Job) -> None:
    """Run a job on the calling thread (the CLI, and tests that want it done on return)."""
    job()


@dataclass
class RemediationEngine(Decisions):
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
        delivery = self.store.admit(body, self.clock(), refusals)
        for row in refusals:
            self._decided({**row, "delivery": delivery})
        return delivery, note

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

    def drain(self, stop: threading.Event | None = None) -> int:
        """Process every stored, unprocessed delivery in arrival order; returns how many. When
        `stop` is set, the deliveries claimed but not started are given back."""
        self.refresh_gauges()
        self.recovery.tick(self)  # runs of replicas that stopped
        done = 0
        while batch := self.store.claim(self.clock()):
            for i, (delivery, body, attempts) in enumerate(batch):
                if stop is not None and stop.is_set():
                    self.store.unclaim(d for d, _, _ in batch[i:])
                    return done
                self.attempt(delivery, body, attempts)
                done += 1
        return done

    def attempt(self, delivery: int, body: bytes, attempts: int) -> None:
        """One delivery, isolated: whatever it raises is audited and counted, it is tried
        again, and after MAX_ATTEMPTS it is dead-lettered (never claimed again)."""
        if attempts > MAX_ATTEMPTS:
            self._dead(delivery, f"failed {MAX_ATTEMPTS} times; see the error records")
            return
        try:
            self.process(delivery, body)
            self.store.processed(delivery, self.clock())
        except Exception as exc:
            reason = safe_reason(f"attempt {attempts}/{MAX_ATTEMPTS} failed: {exc!r}")
            log.exception("delivery %d: %s", delivery, reason, extra={"delivery": delivery})
            self.metrics.delivery_failures.inc()
            self.store.record(self.clock(), delivery=delivery, outcome="error", reason=reason)
            if attempts >= MAX_ATTEMPTS:
                self._dead(delivery, reason)
            else:
                self.store.retry(delivery)

    def _dead(self, delivery: int, reason: str) -> None:
        self.store.dead_letter(delivery, self.clock())
        self.metrics.dead_letters.inc()
        self.store.record(self.clock(), delivery=delivery, outcome="dead_lettered", reason=reason)
        log.error("delivery %d dead-lettered: %s", delivery, reason, extra={"delivery": delivery})

    def process(self, delivery: int, body: bytes) -> None:
        note = parse(body)
        if note.truncated_alerts:
            self.metrics.truncated.inc(min(note.truncated_alerts, 1 << 31))
        targets: dict[str, set[str]] = {}  # per policy: the distinct targets of this delivery
        for alert in note.alerts:
            try:
                self.handle(delivery, alert, targets)
            except Exception as exc:
                log.exception("alert %s (%s) not handled", alert.name, alert.fingerprint)
                reason = safe_reason(f"not handled: {exc!r}")
                self.audit(alert, None, None, "error", reason, delivery=delivery)

    def _fan_out(
        self, delivery: int, alert: Alert, targets: dict[str, set[str]]
    ) -> list[RemediationPolicy]:
        """The selected policies this alert may still use within each policy's cap of distinct
        targets per delivery; the others are refused (`refused_fanout`) and audited."""
        allowed: list[RemediationPolicy] = []
        for policy, target in targets_of(alert, self.policies, self.registry):
            seen = targets.setdefault(policy.key, set())
            cap = policy.limits.max_targets_per_delivery
            if isinstance(target, str) and target not in seen and len(seen) >= cap:
                reason = f"over {cap} distinct targets in one delivery for this policy"
                self._refuse(alert, None, policy, "refused_fanout", reason, target)
                continue
            if isinstance(target, str):
                seen.add(target)
            allowed.append(policy)
        return allowed

    def handle(
        self, delivery: int, alert: Alert, targets: dict[str, set[str]] | None = None
    ) -> None:
        starts = alert.starts_at.timestamp()
        if alert.status == "resolved":
            ends = alert.ends_at.timestamp() if alert.ends_at else None
            if not self.store.resolved(alert.fingerprint, alert.name, starts, ends, self.clock()):
                self.audit(alert, None, None, "resolve_ignored", "closes no open episode")
            return
        policies = self._fan_out(delivery, alert, {} if targets is None else targets)
        if not policies and targets_of(alert, self.policies, self.registry):
            return  # every selected policy was over its cap: refused above
        chosen = targets_of(alert, policies, self.registry)
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
            # When this copy's period began: an open episode it joins may have begun earlier
            # (opened by a copy whose clock was far ahead, replayed after its period and
            # refused by the cooldown), and a run finished between the two did not do this
            # period's work (found by the HA drill: the next real firing was refused as
            # covered). Replica copies of one period differ by seconds, not by a fix.
            since=max(episode.starts_at, min(starts, self.clock())) if episode else None,
        )
        acting: list[tuple[int, RemediationPolicy, str, Alert, int]] = []
        try:
            for verdict in evaluate(alert, policies, facts, self.registry):
                run = self._settle(delivery, alert, episode.id if episode else None, verdict)
                if run is not None and verdict.policy is not None and episode is not None:
                    acting.append((run, verdict.policy, verdict.target, alert, episode.id))
        finally:
            # A run once recorded goes ahead whatever fails after it: its episode now has a
            # run, so a retry of this delivery would never start it (found by the HA drill).
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
        try:
            durably(
                lambda: self.audit(
                    alert,
                    episode,
                    policy,
                    verdict.outcome,
                    verdict.reason,
                    target=target,
                    run=run,
                    plan=plan,
                ),
                f"run {run}'s decision",
            )
        except StateError as exc:  # the run is recorded: it goes ahead without this record
            log.error("run %s: its decision was not recorded: %s", run, exc)
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


def _incident(alert: Alert, episode: int) -> str:
    return f"{alert.fingerprint}-{episode}"
