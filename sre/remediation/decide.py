"""Pure decisions: which policies an alert selects, which target it names, and whether to act.

Nothing here touches a store, a clock or the network: the engine gathers the facts
(`Facts`), these functions decide, and every decision, refusals included, is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sre.errors import UnsafeTarget
from sre.remediation.payload import Alert
from sre.spec.remediation import RemediationPolicy

DAY = 86400.0
# A silver prefix: letters, digits and _ = . - in '/'-separated parts, under silver/.
_PREFIX = re.compile(r"^silver/(?:[A-Za-z0-9_=.-]+/)*(?:[A-Za-z0-9_=.-]+/?)?$")
_NAME = re.compile(r"^[a-z0-9_-]{1,64}$")
_DATE = re.compile(r"^(?:latest|\d{4}-\d{2}-\d{2})$")
_RESERVED = ("silver/_CURRENT.json", "silver/_manifests")


def matches(policy: RemediationPolicy, alert: Alert) -> bool:
    """alertname plus every label matcher must be equal."""
    if alert.name != policy.alertname:
        return False
    return all(alert.labels.get(k) == v for k, v in policy.matchers.items())


def select(policies: Iterable[RemediationPolicy], alert: Alert) -> list[RemediationPolicy]:
    return [p for p in policies if matches(p, alert)]


def safe_prefix(prefix: str) -> str:
    """A quarantine prefix that sits under silver/ and can name nothing else; else UnsafeTarget."""
    if (
        not _PREFIX.match(prefix)
        or any(part in (".", "..") for part in prefix.split("/"))
        or prefix.startswith(_RESERVED)
    ):
        raise UnsafeTarget(
            f"prefix {prefix[:120]!r} is not a plain key prefix under silver/",
            action="quarantine",
            target=prefix[:120],
        )
    return prefix


def target(policy: RemediationPolicy, labels: Mapping[str, str]) -> str:
    """The action's target, from the alert's labels where the policy allows, else its params.

    Labels are untrusted: every value goes through an allow-list and is only ever used as an
    object-key prefix or a date, never in a shell.
    """
    # retrigger: the pipeline named by the `pipeline` label (one cooldown per pipeline).
    if policy.action == "quarantine":
        return safe_prefix(labels.get("prefix") or policy.params.get("prefix", "silver/"))
    if policy.action == "restore":
        backup = labels.get("backup") or policy.params.get("backup", "latest")
        if not _DATE.match(backup):
            raise UnsafeTarget(
                f"backup {backup[:40]!r} must be YYYY-MM-DD or latest",
                action="restore",
                target=backup[:40],
            )
        return backup
    name = labels.get("pipeline") or policy.params.get("target", "pipeline")
    if not _NAME.match(name):
        raise UnsafeTarget(
            f"pipeline {name[:40]!r} must be 1-64 of a-z 0-9 _ -",
            action="retrigger",
            target=name[:40],
        )
    return name


@dataclass(frozen=True, slots=True)
class Facts:
    """What the engine knows when it decides, gathered from the state store."""

    now: float
    paused: frozenset[str] = frozenset()  # "*" or action names
    circuit_open: bool = False
    last_run_at: float | None = None  # latest run of (action, target)
    attempts_today: int = 0  # runs of (action, target) in the last 24 h


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: (
        str  # act | dry_run | awaiting_approval | off | paused | skipped_cooldown | blocked_circuit
    )
    reason: str

    @property
    def runs(self) -> bool:
        """Whether a run record is created (a dry run is a run; refusals are audit only)."""
        return self.outcome in ("act", "dry_run", "awaiting_approval")


def decide(policy: RemediationPolicy, facts: Facts) -> Decision:
    """Kill switch, mode, circuit, cooldown and attempt budget, in that order."""
    limits = policy.limits
    if "*" in facts.paused or policy.action in facts.paused:
        return Decision("paused", "the kill switch is on (sre resume to lift it)")
    if policy.mode == "off":
        return Decision("off", "the policy's mode is off")
    if facts.circuit_open:
        return Decision("blocked_circuit", "circuit open for this target (sre circuit reset)")
    if facts.last_run_at is not None and facts.now - facts.last_run_at < limits.cooldown:
        left = limits.cooldown - (facts.now - facts.last_run_at)
        return Decision("skipped_cooldown", f"cooldown: {left:.0f} s left of {limits.cooldown} s")
    if facts.attempts_today >= limits.max_attempts_per_day:
        return Decision(
            "blocked_circuit",
            f"attempt budget spent ({limits.max_attempts_per_day}/day): circuit opens",
        )
    if policy.mode == "dry_run":
        return Decision("dry_run", "the policy runs in dry_run mode: plan only")
    if policy.mode == "approve":
        return Decision("awaiting_approval", "the policy needs a human: sre runs approve RUN")
    return Decision("act", "auto")


def within_blast_radius(policy: RemediationPolicy, objects: int, size: int) -> str | None:
    """None when the plan fits the policy's caps, else the reason it does not."""
    limits = policy.limits
    if objects > limits.max_objects:
        return f"plan touches {objects} objects, cap is {limits.max_objects}"
    if size > limits.max_bytes:
        return f"plan moves {size:,} bytes, cap is {limits.max_bytes:,}"
    return None
