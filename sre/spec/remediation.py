"""Remediation policies: which alert triggers which action, in which mode, within which limits.

`action` names an action in the registry (the built-ins and every `sre.actions` plugin); its
`params` are checked against the action's typed parameters when the spec is built, so a typo
is a spec error listing what is known, not a failed run at 3 a.m.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sre.errors import SpecError
from sre.spec.alert import frozen_map
from sre.spec.units import Seconds

__all__ = ["APPROVAL_TIMEOUT", "MODES", "Limits", "Mode", "RemediationPolicy"]

Mode = Literal["off", "dry_run", "approve", "auto"]
MODES: tuple[Mode, ...] = ("off", "dry_run", "approve", "auto")
APPROVAL_TIMEOUT = 4 * 3600  # a run waits this long for a human, then expires


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits: cooldown per (service, action, target), counted from the last run's end
    (a run in progress holds it, whichever alert started it), attempts per target per day (then
    the circuit opens and a human is paged), a blast-radius cap per run, and the distinct
    targets one webhook delivery may act on (the rest are refused, so one sender cannot spend
    the attempt budgets and the global rate limit). A cooldown of 0 turns it off."""

    cooldown: Seconds = 900
    max_attempts_per_day: int = 3
    max_objects: int = 1000
    max_bytes: int = 10 * 1024**3
    max_targets_per_delivery: int = 10

    def __post_init__(self) -> None:
        if self.cooldown < 0:
            raise SpecError("must be 0 (none) or more", owner="Limits", field="cooldown")
        names = ("max_attempts_per_day", "max_objects", "max_bytes", "max_targets_per_delivery")
        for name in names:
            if getattr(self, name) <= 0:
                raise SpecError("must be positive", owner="Limits", field=name)


def _shell_word(value: str) -> str:
    safe = value and all(ch.isascii() and (ch.isalnum() or ch in "/._=:,-@") for ch in value)
    return value if safe else "'" + value.replace("'", "'\"'\"'") + "'"


@dataclass(frozen=True, slots=True)
class RemediationPolicy:
    """alertname + label matchers -> action (by registry name), its params, mode and limits.

    In mode `approve`, a run waits for a human (`sre runs approve RUN`) at most
    `approval_timeout`; then it expires (audited `approval_expired`, and noticed)."""

    alertname: str
    action: str
    mode: Mode = "dry_run"
    matchers: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    params: Mapping[str, Any] = field(default_factory=dict)
    approval_timeout: Seconds = APPROVAL_TIMEOUT
    service: str = field(default="", compare=False)  # set by the Service that holds it

    def __post_init__(self) -> None:
        from sre.remediation.registry import default_registry

        owner = f"RemediationPolicy {self.alertname}/{self.action}"
        object.__setattr__(self, "matchers", frozen_map(self.matchers))
        if self.mode not in MODES:
            raise SpecError(f"unknown mode {self.mode!r}", owner=owner, field="mode")
        if self.approval_timeout <= 0:
            raise SpecError("must be positive", owner=owner, field="approval_timeout")
        registry = default_registry()
        if self.action not in registry:
            known = ", ".join(sorted(registry.actions))
            raise SpecError(
                f"unknown action {self.action!r}; known: {known}", owner=owner, field="action"
            )
        object.__setattr__(self, "params", registry.params(self.action, self.params, owner))

    @property
    def key(self) -> str:
        """`alertname/action`: how the CLI names one policy of a service."""
        return f"{self.alertname}/{self.action}"

    def command_line(self, service: str, env: str = "prod") -> str:
        """What a human types to do the same by hand (dry-run unless `--execute` is added).

        `--service-name` makes the command refuse any spec but `service`'s, and `--alert`
        picks this policy among the service's policies of the same action."""
        from sre.remediation.registry import default_registry

        action = default_registry().get(self.action)
        words = ["sre", "remediate", self.action]
        label = action.target_label
        if label:
            words.append(_shell_word(str(self.params.get(label) or label.upper())))
        words += ["--alert", self.alertname, "--service-name", _shell_word(service)]
        if env != "prod":
            words += ["--env", env]
        return " ".join(words)

    @property
    def cli(self) -> str:
        """`command_line` for the policy's own service."""
        return self.command_line(self.service or "SERVICE")
