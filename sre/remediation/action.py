"""The action interface: what every remediation action (built-in or plugin) implements.

An action is an object with a `name`, whether it is `destructive` (a human types the target
back before a manual run) and `idempotent` (a run interrupted by a restart may be started
again once), the typed `params` a policy may give it (checked when the spec loads), and:

- `restartable(params)`: whether an interrupted run may start again (default: `idempotent`);
- `lock(target)`: the resource a run holds, so overlapping work waits (the engine prefixes it
  with the service);
- `target(labels, params)`: the validated target, from the alert's labels and the policy's
  params, or `UnsafeTarget` with the reason (run at admission *and* again at execution);
- `inspect(target, params, deps)`: read what the plan needs (objects, manifests); changes
  nothing. Most actions need nothing and return None;
- `plan(target, params, facts, incident)`: pure, returns a `Plan` (a dry run prints it);
- `apply(plan, params, deps, incident)`: acts, through the clients in `deps` only;
- `verify(plan, outcome, params, deps, alert)`: did it work (the engine records the answer);
- `undo(record, deps)`: reverse a run from the undo record `apply` returned, when it can
  (an action that changes things step by step saves it first through `deps.checkpoint.undo`);
- `resume(progress, params, deps)`: after a restart, what a run whose process stopped really
  did, from what it saved through `deps.checkpoint.progress` (None: cannot tell).

`BaseAction` gives the usual defaults; see `examples/plugins/` for a complete plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, runtime_checkable

from sre.errors import RemediationError, SpecError
from sre.remediation.deps import Deps, Stores
from sre.remediation.payload import Alert

__all__ = [
    "REQUIRED",
    "Action",
    "BaseAction",
    "Deps",
    "Outcome",
    "Param",
    "Params",
    "Plan",
    "Step",
    "Stores",
    "Verification",
]

Params = Mapping[str, Any]
REQUIRED: Any = object()
_KINDS: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "map": (dict, Mapping),
}


def _is(value: object, kinds: tuple[type, ...]) -> bool:
    return isinstance(value, kinds)


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter an action takes from its policy: `kind` is str, int, float, bool, list (of
    strings) or map (of strings to strings)."""

    name: str
    kind: str
    help: str
    default: Any = REQUIRED

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise SpecError(f"unknown kind {self.kind!r}", owner=f"Param {self.name}", field="kind")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def check(self, given: object, owner: str) -> Any:
        """The value in its frozen form (tuples, read-only maps), or SpecError."""
        value: Any = given
        if isinstance(value, bool) and self.kind in ("int", "float"):
            raise SpecError(f"must be {self.kind}, not a bool", owner=owner, field=self.name)
        if not _is(value, _KINDS[self.kind]):
            raise SpecError(
                f"must be {self.kind}, got {type(value).__name__}", owner=owner, field=self.name
            )
        if self.kind == "list":
            if not all(isinstance(item, str) for item in value):
                raise SpecError("must be a list of strings", owner=owner, field=self.name)
            return tuple(value)
        if self.kind == "map":
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise SpecError("must map strings to strings", owner=owner, field=self.name)
            return MappingProxyType(dict(sorted(value.items())))
        return value

    def describe(self) -> dict[str, Any]:
        default = None if self.required else self.default
        if isinstance(default, tuple):
            default = list(default)
        return {
            "name": self.name,
            "kind": self.kind,
            "required": self.required,
            "default": default,
            "help": self.help,
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One change an action will make: `op` is copy (to `store`), delete, write, commit (move a
    snapshot pointer), run (a process), request (HTTP), create_job, patch (Kubernetes)."""

    op: str
    src: str = ""
    dst: str = ""
    store: str = ""
    size: int = 0
    sha256: str = ""
    detail: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        arrow = f"{self.src} -> {self.store}:{self.dst}" if self.dst else self.src
        size = f" ({self.size:,} bytes)" if self.size else ""
        return f"{self.op} {arrow}{size}".rstrip()


@dataclass(frozen=True, slots=True)
class Plan:
    action: str
    target: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    @property
    def objects(self) -> int:
        """Distinct objects the plan copies or deletes (a move counts once): blast radius."""
        return len({s.src for s in self.steps if s.op in ("copy", "delete")})

    @property
    def bytes(self) -> int:
        return sum(s.size for s in self.steps if s.op == "copy")

    def describe(self) -> list[str]:
        return [*self.notes, *(s.describe() for s in self.steps)]

    def json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "target": self.target,
            "objects": self.objects,
            "bytes": self.bytes,
            "steps": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `apply()` or `undo()` did. On failure `done` lists the steps that completed and
    `undo` still describes how to reverse them. `status` overrides the run's outcome when an
    action knows better than ok/failed (`timed_out`); `evidence` is kept with the run (a
    command's output tails, an HTTP status and body excerpt)."""

    ok: bool
    done: tuple[Step, ...] = ()
    undo: Mapping[str, Any] | None = None
    detail: str = ""
    status: str = ""
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    detail: str = ""


@runtime_checkable
class Action(Protocol):
    name: str
    destructive: bool
    idempotent: bool
    undoable: bool
    target_label: str | None  # the label `sre remediate ACTION TARGET` sets from TARGET
    params: tuple[Param, ...]
    summary: str

    def check_params(self, params: Params, owner: str) -> None: ...

    def restartable(self, params: Params) -> bool: ...

    def lock(self, target: str) -> str: ...

    def target(self, labels: Mapping[str, str], params: Params) -> str: ...

    def inspect(self, target: str, params: Params, deps: Deps) -> Any: ...

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan: ...

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome: ...

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification: ...

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome: ...

    def resume(self, progress: Mapping[str, Any], params: Params, deps: Deps) -> Outcome | None: ...


class BaseAction:
    """Defaults: not destructive, not idempotent, no undo, lock per (action, target), nothing
    to inspect, verified by Prometheus when one is configured (else by the outcome)."""

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    destructive: ClassVar[bool] = False
    idempotent: ClassVar[bool] = False
    undoable: ClassVar[bool] = False
    target_label: ClassVar[str | None] = None
    params: ClassVar[tuple[Param, ...]] = ()

    def check_params(self, params: Params, owner: str) -> None:
        """Cross-field checks beyond each Param's type; raise SpecError."""

    def restartable(self, params: Params) -> bool:
        """Whether a run interrupted by a restart may be started again (once)."""
        return self.idempotent

    def lock(self, target: str) -> str:
        return f"{self.name}:{target}"

    def inspect(self, target: str, params: Params, deps: Deps) -> Any:
        return None

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        if not outcome.ok:
            return Verification(False, outcome.detail)
        if deps.prometheus is None:
            return Verification(True, f"{outcome.detail} (no Prometheus configured to confirm)")
        return Verification(*deps.prometheus.cleared(alert))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        raise RemediationError(f"{self.name} has no undo", action=self.name, target="")

    def resume(self, progress: Mapping[str, Any], params: Params, deps: Deps) -> Outcome | None:
        """After a restart: what a run whose process stopped really did, from the progress it
        saved (`deps.checkpoint.progress`); may wait for work still going on. None: cannot
        tell, so the run is started again (idempotent actions) or recorded failed."""
        return None
