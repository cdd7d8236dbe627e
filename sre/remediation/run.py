"""Executing one run: pre-check, lock, silence, apply, verify, record. Nothing else.

The engine (automatic runs), `sre runs approve` and `sre remediate --execute` (human runs)
all end here, so a run is recorded the same way whoever started it.

What a run writes to the state store as it goes (its lock, its checkpoint, its end) is written
`durably`: through a state store outage the run waits for the store to come back (up to
`PATIENCE`) instead of dying with its work half recorded. An action that already started a
child or moved objects must not lose the record of it to a database restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol, TypeVar

from sre.errors import SreError, StateError
from sre.remediation.action import Deps, Outcome, Plan, Verification
from sre.remediation.deps import Checkpoint
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert
from sre.remediation.registry import Registry
from sre.remediation.state import StateStore
from sre.spec.remediation import RemediationPolicy

__all__ = ["PATIENCE", "Guard", "RunCheckpoint", "Runner", "durably", "holder_of", "make_plan"]

log = logging.getLogger("sre.remediation")
T = TypeVar("T")
PATIENCE = 600.0  # seconds a run waits for an unreachable state store before it gives up


def holder_of(run: int) -> str:
    """Who holds a run's locks (its slot and its target's lock): the run itself, whichever
    attempt or replica executes it. So a take retried after a lost commit finds its own, a
    second attempt takes over the first's, and recovery releases them by the run's id."""
    return f"run:{run}"


def durably(
    write: Callable[[], T],
    what: str,
    patience: float = PATIENCE,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`write()`, retried while the state store is unreachable, for up to `patience` seconds
    (then its `StateError` is raised)."""
    deadline, pause, warned = time.monotonic() + patience, 0.2, False
    while True:
        try:
            return write()
        except StateError as exc:
            if time.monotonic() + pause > deadline:
                raise
            if not warned:
                log.warning("state store unreachable while recording %s; waiting: %s", what, exc)
                warned = True
            sleep(pause)
            pause = min(pause * 2, 5.0)


class Guard(Protocol):
    """Alertmanager as a run sees it: is the alert still firing; silence it while acting."""

    def still_firing(self, alert: Alert) -> bool: ...

    def silence(self, alert: Alert, minutes: int, comment: str) -> str | None: ...

    def expire(self, silence_id: str) -> None: ...


class RunCheckpoint(Checkpoint):
    """A run's checkpoint: the undo record and the progress go to its row at once."""

    def __init__(self, store: StateStore, run: int) -> None:
        self.store, self.run = store, run

    def undo(self, doc: Mapping[str, Any]) -> None:
        durably(lambda: self.store.update(self.run, undo=dict(doc)), f"run {self.run}'s undo")

    def progress(self, doc: Mapping[str, Any]) -> None:
        durably(
            lambda: self.store.update(self.run, progress=dict(doc)), f"run {self.run}'s progress"
        )


def make_plan(
    registry: Registry, policy: RemediationPolicy, target: str, deps: Deps, incident: str
) -> Plan:
    """Inspect (reads only) then plan (pure): the same for the engine, simulate and the CLI."""
    action = registry.get(policy.action)
    facts = action.inspect(target, policy.params, deps)
    return action.plan(target, policy.params, facts, incident)


@dataclass
class Runner:
    store: StateStore
    registry: Registry
    deps: Deps
    metrics: RemediationMetrics
    guard: Guard | None = None
    actor: str = "sre serve"
    clock: Callable[[], float] = time.time
    max_concurrent: int = 2  # actions running at once, across replicas
    lock_wait: float = 600.0  # how long a run waits for its target's lock or a free slot

    def execute(
        self, run: int, policy: RemediationPolicy, plan: Plan, alert: Alert, incident: str
    ) -> str:
        """Carry out a run already recorded as running; returns its outcome."""
        action = self.registry.get(policy.action)
        started = time.perf_counter()
        # The policies of one alert act in their order: a restore must not start while the
        # quarantine before it is still moving the damaged file aside (the HA drill: with the
        # database slow, the restore found the file still in the lake, failed, and the
        # quarantine then removed it, leaving the table a file short).
        if not self._after_earlier(run):
            reason = f"an earlier run of its episode stayed running for {self.lock_wait:g} s"
            return self.finish(run, policy, alert, plan.target, "failed", {"reason": reason})
        if self.guard is not None and not self.guard.still_firing(alert):
            reason = "Alertmanager no longer shows the alert firing (or it is silenced)"
            now = self.clock()
            durably(lambda: self.store.over(run, now), f"the episode of run {run}")
            return self.finish(
                run, policy, alert, plan.target, "skipped_resolved", {"reason": reason}
            )
        lock = action.lock(plan.target)
        # The lock outlives the longest the action may take, so nobody steals it mid-run.
        ttl = self.lock_wait + float(policy.params.get("timeout", 3600.0)) + 600.0
        holder = holder_of(run)
        slot = self._wait_for(lock, ttl, holder)
        if slot is None:
            busy = f"{lock} or all {self.max_concurrent} slots"
            reason = f"{busy} stayed busy for {self.lock_wait:g} s"
            return self.finish(run, policy, alert, plan.target, "failed", {"reason": reason})
        silence: str | None = None
        try:
            if self.guard is not None:
                silence = self.guard.silence(alert, 60, f"sre run {run}: {policy.action}")
                if silence:  # saved first: if this process dies, whoever recovers expires it
                    saved = {"silence": silence}
                    durably(lambda: self.store.update(run, result=saved), f"run {run}'s silence")
            try:
                outcome = action.apply(plan, policy.params, self.deps_for(run), incident)
            except SreError as exc:
                outcome = Outcome(False, detail=str(exc))
            # The silence covers the action only: while it holds, Alertmanager drops the
            # resolved notice, and the episode would stay open long after the fix.
            if silence and self.guard is not None:
                self.guard.expire(silence)
            try:
                verification = action.verify(plan, outcome, policy.params, self.deps, alert)
            except SreError as exc:
                verification = Verification(False, str(exc))
        finally:
            self._release(lock, holder)
            self._release(slot, holder)
        self.metrics.duration.labels(policy.action).observe(time.perf_counter() - started)
        result: dict[str, Any] = {
            "detail": outcome.detail,
            "verified": verification.ok,
            "verification": verification.detail,
            "done": [asdict(s) for s in outcome.done],
            "evidence": dict(outcome.evidence),
            "silence": silence,
        }
        status = outcome.status or ("success" if outcome.ok and verification.ok else "failed")
        return self.finish(run, policy, alert, plan.target, status, result, undo=outcome.undo)

    def deps_for(self, run: int) -> Deps:
        """The deps of one run: its checkpoint writes to the run's row."""
        return replace(self.deps, checkpoint=RunCheckpoint(self.store, run))

    def resume(
        self, run: Mapping[str, Any], policy: RemediationPolicy, alert: Alert, outcome: Outcome
    ) -> str:
        """Record what an interrupted run really did, found by `Action.resume`."""
        self.expire_silence(run)
        action = self.registry.get(policy.action)
        plan = Plan(policy.action, run["target"], ())
        try:
            verification = action.verify(plan, outcome, policy.params, self.deps, alert)
        except SreError as exc:
            verification = Verification(False, str(exc))
        result: dict[str, Any] = {
            "detail": f"found after a restart: {outcome.detail}",
            "verified": verification.ok,
            "verification": verification.detail,
            "done": [asdict(s) for s in outcome.done],
            "evidence": dict(outcome.evidence),
        }
        status = outcome.status or ("success" if outcome.ok and verification.ok else "failed")
        return self.finish(run["id"], policy, alert, run["target"], status, result)

    def expire_silence(self, run: Mapping[str, Any]) -> None:
        """The silence a stopped process set for its run would mute the alert for an hour."""
        silence = (run.get("result") or {}).get("silence")
        if silence and self.guard is not None:
            self.guard.expire(str(silence))

    def finish(
        self,
        run: int,
        policy: RemediationPolicy,
        alert: Alert,
        target: str,
        outcome: str,
        result: dict[str, Any],
        undo: Any = None,
    ) -> str:
        """Record the run's end, its audit record and its metric."""
        now = self.clock()
        durably(lambda: self.store.finish(run, outcome, result, now, undo=undo), f"run {run}")
        reason = str(result.get("verification") or result.get("reason") or result.get("detail"))
        row = {
            "alertname": alert.name,
            "fingerprint": alert.fingerprint,
            "action": policy.action,
            "target": target,
            "outcome": outcome,
            "reason": reason,
            "actor": self.actor,
            "run": run,
        }
        durably(lambda: self.store.record(now, **row), f"run {run}'s audit record")
        self.metrics.remediations.labels(policy.action, outcome).inc()
        log.info("run %s %s %s: %s", run, policy.action, outcome, reason[:200])
        return outcome

    def _wait_for(self, lock: str, ttl: float, holder: str) -> str | None:
        """A free slot of `max_concurrent` (shared by replicas) and the target's lock, waiting
        up to `lock_wait`; returns the slot, or None."""
        deadline = time.monotonic() + self.lock_wait
        while True:
            for i in range(self.max_concurrent):
                slot = f"slot:{i}"
                if self._acquire(slot, ttl, holder):
                    if self._acquire(lock, ttl, holder):
                        return slot
                    self._release(slot, holder)
                    break  # the target is busy: another slot would not help
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.2)

    def _after_earlier(self, run: int) -> bool:
        """Wait (up to `lock_wait`) until no earlier run of the same episode is running."""
        deadline = time.monotonic() + self.lock_wait
        while durably(lambda: self.store.earlier_running(run), f"run {run}'s turn"):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)
        return True

    def _acquire(self, name: str, ttl: float, holder: str) -> bool:
        return durably(lambda: self.store.acquire(name, holder, self.clock(), ttl), name)

    def _release(self, name: str, holder: str) -> None:
        durably(lambda: self.store.release(name, holder), f"the release of {name}")
