"""Remediation policies: which alert triggers which action, in which mode, within which limits.

The engine that applies them comes later; the policy is declared now so the runbook can say what
the automation does and print its command-line equivalent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sre.errors import SpecError
from sre.spec.alert import frozen_map

__all__ = ["ACTIONS", "MODES", "Action", "Limits", "Mode", "RemediationPolicy"]

Action = Literal["retrigger", "quarantine", "restore"]
Mode = Literal["off", "dry_run", "approve", "auto"]
ACTIONS: tuple[Action, ...] = ("retrigger", "quarantine", "restore")
MODES: tuple[Mode, ...] = ("off", "dry_run", "approve", "auto")


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety limits: cooldown per (action, target), attempts per target per day (then the
    circuit opens and a human is paged), and a blast-radius cap per run."""

    cooldown: int = 900
    max_attempts_per_day: int = 3
    max_objects: int = 1000
    max_bytes: int = 10 * 1024**3

    def __post_init__(self) -> None:
        for name in ("cooldown", "max_attempts_per_day", "max_objects", "max_bytes"):
            if getattr(self, name) <= 0:
                raise SpecError("must be positive", owner="Limits", field=name)


@dataclass(frozen=True, slots=True)
class RemediationPolicy:
    """alertname + label matchers -> action, mode and limits."""

    alertname: str
    action: Action
    mode: Mode = "dry_run"
    matchers: Mapping[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    params: Mapping[str, str] = field(default_factory=dict)  # e.g. prefix, backup, cronjob
    command: tuple[str, ...] = ()  # retrigger: the pipeline's command, run without a shell

    def __post_init__(self) -> None:
        owner = f"RemediationPolicy {self.alertname}/{self.action}"
        object.__setattr__(self, "matchers", frozen_map(self.matchers))
        object.__setattr__(self, "params", frozen_map(self.params))
        if self.action not in ACTIONS:
            raise SpecError(f"unknown action {self.action!r}", owner=owner, field="action")
        if self.mode not in MODES:
            raise SpecError(f"unknown mode {self.mode!r}", owner=owner, field="mode")
        if self.action == "retrigger" and not self.command:
            raise SpecError("retrigger needs the pipeline's command", owner=owner, field="command")
        prefix = self.params.get("prefix", "silver/")
        if not prefix.startswith("silver/") or ".." in prefix:
            raise SpecError("prefix must sit under silver/", owner=owner, field="params")

    @property
    def cli(self) -> str:
        """What a human types to do the same by hand (dry-run unless `--execute`)."""
        args = " ".join(f"--{key} {value}" for key, value in self.params.items())
        return f"sre remediate {self.action} {args}".rstrip()
