"""Every metric name and label the remediation service emits, in one place (sre side).

The service's `/metrics`, the alerts that watch it and the dashboard's remediation panel all
import these.
"""

from __future__ import annotations

JOB = "sre-remediator"  # the scrape job of the remediation webhook service

# Labels
ACTION = "action"
OUTCOME = "outcome"
TARGET = "target"
CODE = "code"
SUCCESS = "success"
FAILURE = "failed"  # the outcome the engine records for a run that did not succeed
TIMED_OUT = "timed_out"  # a run its action killed past its timeout (a failure too)
OUTCOMES = (SUCCESS, FAILURE, TIMED_OUT, "skipped", "dry_run")

REMEDIATIONS_TOTAL = "sre_remediations_total"
REMEDIATION_DURATION = "sre_remediation_duration_seconds"
CIRCUIT_OPEN = "sre_circuit_open"
KILL_SWITCH = "sre_kill_switch"
WEBHOOK_REQUESTS = "sre_webhook_requests_total"
WEBHOOK_TRUNCATED = "sre_webhook_truncated_alerts_total"
ALERTS_REFUSED = "sre_alerts_refused_total"
DELIVERY_FAILURES = "sre_delivery_failures_total"
DEAD_LETTERS = "sre_deliveries_dead_lettered_total"
APPROVALS_PENDING = "sre_approvals_pending"
UP = "up"

# (name, kind, labels)
METRICS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (REMEDIATIONS_TOTAL, "counter", (ACTION, OUTCOME)),
    (REMEDIATION_DURATION, "histogram", (ACTION,)),
    (CIRCUIT_OPEN, "gauge", (ACTION, TARGET)),
    (KILL_SWITCH, "gauge", (ACTION,)),
    (WEBHOOK_REQUESTS, "counter", (CODE,)),
    (WEBHOOK_TRUNCATED, "counter", ()),
    (APPROVALS_PENDING, "gauge", ()),
)

# The names that appear in PromQL, `up` included (Prometheus writes it for every scrape).
SERIES: tuple[str, ...] = (
    UP,
    *(
        series
        for name, kind, _ in METRICS
        for series in (
            (f"{name}_bucket", f"{name}_sum", f"{name}_count") if kind == "histogram" else (name,)
        )
    ),
)
