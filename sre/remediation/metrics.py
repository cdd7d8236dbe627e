"""The remediation service's own metrics, served on its `/metrics`."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from sre.remediation import conventions as c

OUTCOMES = (
    "success",
    "failed",
    "timed_out",
    "plan_failed",
    "dry_run",
    "skipped_duplicate",
    "skipped_cooldown",
    "blocked_circuit",
    "blocked_blast_radius",
    "awaiting_approval",
    "paused",
    "off",
    "skipped_resolved",
    "no_policy",
    "refused_target",
    "blocked_rate_limit",
    "refused_fanout",
    "approval_expired",
    "rejected",
)


class RemediationMetrics:
    """`actions`: the action names whose series start at 0 (those the service's policies use)."""

    def __init__(self, registry: CollectorRegistry, actions: Iterable[str] = ()) -> None:
        self.registry = registry
        self.remediations = Counter(
            c.REMEDIATIONS_TOTAL.removesuffix("_total"),
            "Remediation decisions and runs, by outcome.",
            [c.ACTION, c.OUTCOME],
            registry=registry,
        )
        self.duration = Histogram(
            c.REMEDIATION_DURATION,
            "Time an action took to apply and verify.",
            [c.ACTION],
            buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
            registry=registry,
        )
        self.circuit = Gauge(
            c.CIRCUIT_OPEN,
            "1 while the circuit of (action, target) is open.",
            [c.ACTION, c.TARGET],
            registry=registry,
        )
        self.kill_switch = Gauge(
            c.KILL_SWITCH,
            "1 while the kill switch pauses the action ('*' = all).",
            [c.ACTION],
            registry=registry,
        )
        self.requests = Counter(
            c.WEBHOOK_REQUESTS.removesuffix("_total"),
            "Webhook requests by HTTP code.",
            [c.CODE],
            registry=registry,
        )
        self.truncated = Counter(
            c.WEBHOOK_TRUNCATED.removesuffix("_total"),
            "Alerts Alertmanager left out of a notification (truncatedAlerts).",
            registry=registry,
        )
        self.refused = Counter(
            c.ALERTS_REFUSED.removesuffix("_total"),
            "Alerts stored but not acted on, by reason (the audit log has each one).",
            ["reason"],
            registry=registry,
        )
        self.delivery_failures = Counter(
            c.DELIVERY_FAILURES.removesuffix("_total"),
            "Attempts at processing a stored delivery that raised (each is audited).",
            registry=registry,
        )
        self.dead_letters = Counter(
            c.DEAD_LETTERS.removesuffix("_total"),
            "Deliveries dead-lettered after failing every attempt (never claimed again).",
            registry=registry,
        )
        self.pending = Gauge(
            c.APPROVALS_PENDING,
            "Runs waiting for a human's approval (each is also a notice in Alertmanager).",
            registry=registry,
        )
        for action in sorted(set(actions)):
            for outcome in OUTCOMES:
                self.remediations.labels(action, outcome)
