"""Recording decisions: the audit row, its metrics and one JSON log line, always together.

Every verdict the engine reaches (act, refuse, skip, fail) goes through `audit`, so what
`sre audit list` shows, what `/metrics` counts and what the log says never disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sre.remediation.action import Plan
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import Alert
from sre.remediation.run import Runner
from sre.remediation.state import StateStore
from sre.spec.remediation import RemediationPolicy

__all__ = ["REFUSALS", "Decisions", "safe_reason"]

log = logging.getLogger("sre.decision")
# Outcomes that mean "this alert was not acted on, and no run stands for it": each is counted
# in sre_alerts_refused_total{reason}.
REFUSALS = frozenset(
    {
        "no_policy",
        "refused_target",
        "refused_fanout",
        "blocked_circuit",
        "blocked_rate_limit",
        "blocked_blast_radius",
        "paused",
        "off",
        "plan_failed",
        "error",
    }
)


def safe_reason(text: str) -> str:
    """A reason any database stores: no NUL, no lone surrogate, one line, bounded."""
    clean = text.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
    return clean.replace("\n", " ")[:500]


def _clip(value: str | None, size: int) -> str | None:
    """Fit a column: labels have no length cap, the audit table's columns do."""
    return value[:size] if value else value


class Decisions:
    store: StateStore
    metrics: RemediationMetrics
    runner: Runner
    clock: Callable[[], float]

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
        delivery: int | None = None,
    ) -> dict[str, Any]:
        row = {
            "alertname": _clip(alert.name, 256),
            "fingerprint": alert.fingerprint,
            "episode": episode,
            "action": policy.action if policy else None,
            "target": _clip(target, 1024) or None,
            "policy": f"{policy.key} ({policy.mode})" if policy else None,
            "outcome": outcome,
            "reason": reason,
            "actor": self.runner.actor,
            "run": run,
            "plan": plan.json() if plan else None,
        }
        if delivery is not None:
            row["delivery"] = delivery
        return row

    def audit(
        self,
        alert: Alert,
        episode: int | None,
        policy: RemediationPolicy | None,
        outcome: str,
        reason: str,
        **extra: Any,
    ) -> None:
        row = self.row(alert, policy, outcome, reason, episode=episode, **extra)
        self.store.record(self.clock(), **row)
        self._decided(row)

    def _decided(self, row: dict[str, Any]) -> None:
        """The log line and the refusal metric of one recorded decision."""
        if row["outcome"] in REFUSALS:
            self.metrics.refused.labels(row["outcome"]).inc()
        fields = {
            k: row.get(k)
            for k in ("alertname", "fingerprint", "episode", "action", "target", "run", "delivery")
        }
        log.info(
            "decision %s: %s",
            row["outcome"],
            row["reason"],
            extra={"decision": row["outcome"], "reason": row["reason"], **fields},
        )
