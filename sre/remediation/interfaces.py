"""What the engine needs from the outside world, as protocols: tests pass fakes."""

from __future__ import annotations

from typing import Protocol

from sre.remediation.actions.base import Outcome, Plan, Verification
from sre.remediation.payload import Alert
from sre.spec.remediation import RemediationPolicy


class Executor(Protocol):
    """Runs actions; the engine only decides. Tests pass a recording fake."""

    def plan(self, policy: RemediationPolicy, target: str, alert: Alert, incident: str) -> Plan: ...

    def apply(self, policy: RemediationPolicy, plan: Plan, incident: str) -> Outcome: ...

    def verify(self, policy: RemediationPolicy, plan: Plan, alert: Alert) -> Verification: ...


class Guard(Protocol):
    """Alertmanager as seen by the engine: is the alert still firing, silence it while acting."""

    def still_firing(self, alert: Alert) -> bool: ...

    def silence(self, alert: Alert, minutes: int, comment: str) -> str | None: ...

    def expire(self, silence_id: str) -> None: ...
