"""What actions act through: the clients of this deployment, passed in, never looked up.

`sre serve`, `sre remediate` and `sre runs approve|undo` build one `Deps` from their options;
tests build one with fakes. An action asks for what it needs (`deps.need_stores(...)`) and gets
a one-line error naming the missing option otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Protocol

from sre.errors import RemediationError
from sre.remediation.payload import Alert
from sre.storage import ObjectStore

__all__ = ["NOWHERE", "Checkpoint", "Deps", "PostCheck", "Stores"]


@dataclass(frozen=True, slots=True)
class Stores:
    """The lake (bronze/, silver/...), the quarantine location and the backup location."""

    lake: ObjectStore
    quarantine: ObjectStore
    backup: ObjectStore


class PostCheck(Protocol):
    """Prometheus as the engine asks it: did the alert's own condition clear?"""

    def cleared(self, alert: Alert) -> tuple[bool, str]: ...


class Checkpoint:
    """Where an action writes down, while it runs, what a restart needs to know.

    `undo(doc)` saves the undo record before the action changes anything and again as it goes,
    so `sre runs undo` works after a kill at any point; `progress(doc)` saves what it started
    (a child's pid and output folder), so a restart can find out what really happened
    (`Action.resume`). The runner gives each run one that writes to its row in the state store;
    this default, for a run with no row (tests, `sre remediate` without a store), keeps nothing.
    """

    def undo(self, doc: Mapping[str, Any]) -> None:
        return None

    def progress(self, doc: Mapping[str, Any]) -> None:
        return None


NOWHERE = Checkpoint()  # keeps nothing: for an action's functions called with no run


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Deps:
    stores: Stores | None = None
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    prometheus: PostCheck | None = None
    kubernetes: Callable[[], Any] | None = None  # returns a kubernetes ApiClient
    now: Callable[[], datetime] = _utcnow
    checkpoint: Checkpoint = field(default_factory=Checkpoint)
    work: str = ""  # a local folder for run files (command output); default: the temp folder

    def need_stores(self, action: str) -> Stores:
        if self.stores is None:
            raise RemediationError(
                "no lake, quarantine and backup locations (--lake, --quarantine, --backup)",
                action=action,
                target="-",
            )
        return self.stores

    def need_kubernetes(self, action: str) -> Any:
        if self.kubernetes is None:
            raise RemediationError("no Kubernetes client configured", action=action, target="-")
        return self.kubernetes()
