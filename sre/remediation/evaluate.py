"""What should happen to one alert, decided in pure code: `evaluate(alert, policies, facts)`.

The webhook worker and `sre simulate` both call it; the only difference is where the facts
come from (the worker opens the episode first; simulate only looks). Nothing here touches a
store, a clock or the network. Checks run in this order, and the first that says no wins:

1. the action's own target validator (labels are untrusted): `refused_target`;
2. a stale copy of an episode already resolved, a run this episode already has, or a run of
   the same action on the same target that succeeded after this firing period began (it did
   this period's work, whichever alert asked for it): `skipped_duplicate`;
3. the kill switch (`paused`), the policy's mode `off`;
4. an open circuit, the cooldown, the daily attempt budget (which opens the circuit):
   `blocked_circuit`, `skipped_cooldown`;
5. mode `dry_run` or `approve` (a run is recorded, nothing acts);
6. the global rate limit: `blocked_rate_limit`; else `act`.

The blast-radius cap needs the plan, so the engine checks it after planning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from sre.errors import UnsafeTarget
from sre.remediation.payload import Alert
from sre.remediation.registry import Registry
from sre.spec.remediation import RemediationPolicy

__all__ = [
    "DAY",
    "RUNS",
    "Facts",
    "KeyFacts",
    "Verdict",
    "evaluate",
    "over_blast_radius",
    "select",
    "targets_of",
]

DAY = 86400.0
RUNS = ("act", "dry_run", "awaiting_approval")  # verdicts that record a run


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What the store knows about one (service, action, target)."""

    circuit_open: bool = False
    last_run_at: float | None = None  # the latest run that acted
    attempts_today: int = 0  # runs that acted in the last 24 h
    episode_has_run: bool = False  # this alert's episode already has a run of it
    in_progress: bool = False  # a run of this action on this target is going now
    covered_by: int | None = None  # a run that succeeded after this firing period began


@dataclass(frozen=True, slots=True)
class Facts:
    now: float
    stale: bool = False  # the firing predates the resolution of its episode
    paused: frozenset[str] = frozenset()  # "*" or action names
    started_last_minute: int = 0
    max_runs_per_minute: int = 30
    keys: Mapping[tuple[str, str], KeyFacts] = field(default_factory=lambda: MappingProxyType({}))

    def of(self, action: str, target: str) -> KeyFacts:
        return self.keys.get((action, target), KeyFacts())


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str
    reason: str
    policy: RemediationPolicy | None = None
    target: str = ""  # the validated target; for refused_target what was refused
    opens_circuit: bool = False

    @property
    def runs(self) -> bool:
        """Whether a run is recorded (a dry run is a run; refusals are audit records only)."""
        return self.outcome in RUNS


def select(policies: Iterable[RemediationPolicy], alert: Alert) -> list[RemediationPolicy]:
    """The policies whose alertname and every label matcher equal the alert's."""
    return [
        p
        for p in policies
        if p.alertname == alert.name
        and all(alert.labels.get(k) == v for k, v in p.matchers.items())
    ]


def targets_of(
    alert: Alert, policies: Sequence[RemediationPolicy], registry: Registry
) -> list[tuple[RemediationPolicy, str | UnsafeTarget]]:
    """Each selected policy with its validated target, or the refusal: admission and the
    worker both call this, so they cannot disagree."""
    found: list[tuple[RemediationPolicy, str | UnsafeTarget]] = []
    for policy in select(policies, alert):
        try:
            found.append((policy, registry.get(policy.action).target(alert.labels, policy.params)))
        except UnsafeTarget as exc:
            found.append((policy, exc))
    return found


def _one(policy: RemediationPolicy, target: str, facts: Facts, acting: int) -> Verdict:
    key, limits = facts.of(policy.action, target), policy.limits

    def no(outcome: str, reason: str, *, opens: bool = False) -> Verdict:
        return Verdict(outcome, reason, policy, target, opens)

    if facts.stale:
        return no("skipped_duplicate", "stale delivery: this firing predates its resolution")
    if key.episode_has_run:
        return no("skipped_duplicate", "this episode already has a run")
    if key.covered_by is not None:
        covered = f"run {key.covered_by} succeeded after this firing period began"
        return no("skipped_duplicate", covered)
    if "*" in facts.paused or policy.action in facts.paused:
        return no("paused", "the kill switch is on (sre resume to lift it)")
    if policy.mode == "off":
        return no("off", "the policy's mode is off")
    if key.circuit_open:
        return no("blocked_circuit", "circuit open for this target (sre circuit reset)")
    if key.in_progress:  # whichever alert started it, even with no cooldown: the same work
        return no("skipped_cooldown", "a run of this action on this target is in progress")
    if key.last_run_at is not None and facts.now - key.last_run_at < limits.cooldown:
        left = limits.cooldown - (facts.now - key.last_run_at)
        return no("skipped_cooldown", f"cooldown: {left:.0f} s left of {limits.cooldown} s")
    if key.attempts_today >= limits.max_attempts_per_day:
        spent = f"attempt budget spent ({limits.max_attempts_per_day}/day): circuit opens"
        return no("blocked_circuit", spent, opens=True)
    if policy.mode == "dry_run":
        return no("dry_run", "the policy runs in dry_run mode: plan only")
    if policy.mode == "approve":
        return no("awaiting_approval", "the policy needs a human: sre runs approve RUN")
    if facts.started_last_minute + acting >= facts.max_runs_per_minute:
        limit = facts.max_runs_per_minute
        return no("blocked_rate_limit", f"over {limit} runs started in the last minute")
    return no("act", "auto")


def evaluate(
    alert: Alert, policies: Sequence[RemediationPolicy], facts: Facts, registry: Registry
) -> tuple[Verdict, ...]:
    """One verdict per selected policy (or one `no_policy` / `resolved` verdict)."""
    if alert.status == "resolved":
        return (Verdict("resolved", "the alert resolved: its episode closes"),)
    chosen = targets_of(alert, policies, registry)
    if not chosen:
        return (Verdict("no_policy", "no remediation policy selects this alert"),)
    verdicts: list[Verdict] = []
    acting = 0
    for policy, target in chosen:
        if isinstance(target, UnsafeTarget):
            verdicts.append(Verdict("refused_target", str(target), policy, target.target))
            continue
        verdict = _one(policy, target, facts, acting)
        acting += verdict.outcome == "act"
        verdicts.append(verdict)
    return tuple(verdicts)


def over_blast_radius(policy: RemediationPolicy, objects: int, size: int) -> str | None:
    """None when a plan fits the policy's caps, else the reason it does not."""
    limits = policy.limits
    if objects > limits.max_objects:
        return f"plan touches {objects} objects, cap is {limits.max_objects}"
    if size > limits.max_bytes:
        return f"plan moves {size:,} bytes, cap is {limits.max_bytes:,}"
    return None
