"""Test doubles for the engine: recording actions behind the real names, an engine around them,
and payload builders."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from sre.remediation.action import Deps, Outcome, Params, Plan, Step, Verification
from sre.remediation.actions.command import Command
from sre.remediation.actions.quarantine import Quarantine
from sre.remediation.engine import RemediationEngine
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert
from sre.remediation.registry import Registry
from sre.remediation.run import Runner
from sre.remediation.state import StateStore
from sre.spec.remediation import Limits, RemediationPolicy

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
SERVICE = "test-service"


@dataclass
class Recorder:
    """What the fake actions were asked to apply: (action, target, incident)."""

    applied: list[tuple[str, str, str]] = field(default_factory=list)
    fail: bool = False
    objects: int = 1

    def outcome(self, plan: Plan, incident: str) -> Outcome:
        self.applied.append((plan.action, plan.target, incident))
        if self.fail:
            return Outcome(False, detail="boom")
        return Outcome(True, plan.steps, {"items": [s.src for s in plan.steps]}, "ok")


class RecordingCommand(Command):
    """`command` as the engine sees it, but apply only records."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        return self.recorder.outcome(plan, incident)

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return Verification(outcome.ok, "cleared" if outcome.ok else outcome.detail)


class RecordingQuarantine(Quarantine):
    """`quarantine` with the real target validator, a made-up inventory and a recording apply."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def inspect(self, target: str, params: Params, deps: Deps) -> int:
        return self.recorder.objects

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        steps = tuple(Step("copy", src=f"{target}{i}", dst=f"q/{i}", size=10) for i in range(facts))
        return Plan(self.name, target, steps)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        return self.recorder.outcome(plan, incident)

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return Verification(outcome.ok, "quarantined")


def recording_registry(recorder: Recorder) -> Registry:
    return Registry.of([RecordingCommand(recorder), RecordingQuarantine(recorder)])


def make_engine(
    tmp: Path,
    *policies: RemediationPolicy,
    recorder: Recorder | None = None,
    clock: list[float] | None = None,
    registry: Registry | None = None,
    deps: Deps | None = None,
    service: str = SERVICE,
    db: str | None = None,
    owner: str = "replica-a",  # the same replica id across a test's restarts
) -> RemediationEngine:
    store = StateStore.open(db or f"sqlite:///{tmp / 'state.db'}", service, owner)
    now = clock if clock is not None else [1_800_000_000.0]
    registry = registry or recording_registry(recorder or Recorder())
    metrics = RemediationMetrics(CollectorRegistry(), registry.actions)
    runner = Runner(store, registry, deps or Deps(), metrics, clock=lambda: now[0])
    return RemediationEngine(
        store=store,
        policies=list(policies) or [policy()],
        registry=registry,
        runner=runner,
        metrics=metrics,
        clock=lambda: now[0],
    )


def deliver(engine: RemediationEngine, body: bytes) -> None:
    engine.admit(body)
    engine.drain()


def outcomes(engine: RemediationEngine) -> list[str]:
    return [r["outcome"] for r in reversed(engine.store.audit())]


def policy(
    alertname: str = "PipelineDataStale",
    action: str = "command",
    mode: str = "auto",
    params: Mapping[str, Any] | None = None,
    **limits: int,
) -> RemediationPolicy:
    given = (
        params
        if params is not None
        else ({"argv": ["true"], "target": "pipeline"} if action == "command" else {})
    )
    return RemediationPolicy(
        alertname,
        action,
        mode=mode,  # type: ignore[arg-type]
        params=given,
        limits=Limits(**{"cooldown": 1, "max_attempts_per_day": 100, **limits}),
    )


def alert(
    fingerprint: str = "abc123",
    status: str = "firing",
    *,
    name: str = "PipelineDataStale",
    starts: datetime = T0,
    ends: datetime | None = None,
    **labels: str,
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "severity": "warning", **labels},
        "annotations": {"summary": "stale"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": (ends.isoformat().replace("+00:00", "Z") if ends else "0001-01-01T00:00:00Z"),
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": fingerprint,
    }


def payload(*alerts: dict[str, Any], status: str | None = None, truncated: int = 0) -> bytes:
    return json.dumps(
        {
            "version": "4",
            "receiver": "remediation",
            "groupKey": "{}:{}",
            "status": status
            or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
            "alerts": list(alerts),
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://127.0.0.1:9093",
            "truncatedAlerts": truncated,
        }
    ).encode()


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def running_run(engine: RemediationEngine, started_at: float = 1_800_000_000.0) -> int:
    """A run left in the `running` state, as a process that was killed mid-action leaves it."""
    run = engine.store.open_run(
        {
            "action": "command",
            "target": "pipeline",
            "fingerprint": "abc",
            "episode": 1,
            "alertname": "PipelineDataStale",
            "mode": "auto",
            "state": "running",
            "alert": alert("abc"),
            "attempt": 1,
            "started_at": started_at,
        }
    )
    assert run is not None
    return run
