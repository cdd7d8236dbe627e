"""Test doubles for the engine: a recording executor and payload builders."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sre.remediation.actions.base import Outcome, Plan, Step, Verification
from sre.remediation.payload import Alert
from sre.spec.remediation import Limits, RemediationPolicy

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@dataclass
class RecordingExecutor:
    applied: list[tuple[str, str, str]] = field(default_factory=list)
    fail: bool = False
    objects: int = 1

    def plan(self, policy: RemediationPolicy, target: str, alert: Alert, incident: str) -> Plan:
        steps = tuple(
            Step(op="copy", src=f"{target}{i}", dst=f"q/{i}", size=10) for i in range(self.objects)
        )
        return Plan(policy.action, target, steps)

    def apply(self, policy: RemediationPolicy, plan: Plan, incident: str) -> Outcome:
        self.applied.append((policy.action, plan.target, incident))
        if self.fail:
            return Outcome(False, detail="boom")
        return Outcome(
            True, done=plan.steps, undo={"items": [s.src for s in plan.steps]}, detail="ok"
        )

    def verify(self, policy: RemediationPolicy, plan: Plan, alert: Alert) -> Verification:
        return Verification(True, "cleared")


def policy(
    alertname: str = "PipelineDataStale",
    action: str = "retrigger",
    mode: str = "auto",
    **limits: int,
) -> RemediationPolicy:
    return RemediationPolicy(
        alertname,
        action,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        command=("true",) if action == "retrigger" else (),
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
