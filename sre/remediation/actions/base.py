"""What every action shares: its plan, its steps, its outcome and the stores it works on.

`plan()` returns data and touches nothing, so a dry run is printing the plan; only `apply()`
acts, through the stores it is given. An `Outcome` carries an undo record that `undo()` takes
back, so an operator can reverse a run from `sre runs undo RUN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sre.storage import ObjectStore


@dataclass(frozen=True, slots=True)
class Stores:
    """The lake (bronze/, silver/...), the quarantine location and the backup location."""

    lake: ObjectStore
    quarantine: ObjectStore
    backup: ObjectStore


@dataclass(frozen=True, slots=True)
class Step:
    """One change an action will make. `op` is one of: copy (between stores: `store` names the
    destination, 'quarantine' | 'lake' | 'backup'), delete, write, commit (move a snapshot
    pointer), run (a process), create_job (a Kubernetes Job)."""

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
        """Distinct objects the plan copies or deletes, for blast-radius caps: a move (copy, then
        delete the original) counts once."""
        return len({s.src for s in self.steps if s.op in ("copy", "delete")})

    @property
    def bytes(self) -> int:
        return sum(s.size for s in self.steps if s.op == "copy")

    def describe(self) -> list[str]:
        return [*self.notes, *(s.describe() for s in self.steps)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `apply()` or `undo()` did. On failure `done` lists the steps that completed and
    `undo` still describes how to reverse them (a partial manifest)."""

    ok: bool
    done: tuple[Step, ...] = ()
    undo: Mapping[str, Any] | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    detail: str = ""
