"""What one run's tasks share: the run context, and the typed bookkeeping each commit carries.

Every task takes the `RunContext` and what the task before it produced, and returns its own
result; nothing else is passed around. `Bookkeeping` is what the silver tables' commits record
about the runs that built them (the bronze partitions processed, reject counts), read and
written here only, so no task digs through an untyped dictionary for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.silver import Silver
from sre.storage import ObjectStore

__all__ = ["Bookkeeping", "RunContext"]


@dataclass(frozen=True, slots=True)
class Bookkeeping:
    """Cumulative across runs: every partition processed, rejects per rule."""

    run_id: str = ""
    partitions: tuple[str, ...] = ()
    rejects: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, silver: Silver | None) -> Bookkeeping:
        """What the last complete run's commits record (nothing before the first commit)."""
        if silver is None:
            return cls()
        doc = silver.bookkeeping()
        return cls(
            run_id=str(doc.get("run_id", "")),
            partitions=tuple(doc.get("partitions", ())),
            rejects=dict(doc.get("rejects", {})),
        )

    def advanced(
        self, run_id: str, partitions: Iterable[str], rejected: Mapping[str, int]
    ) -> Bookkeeping:
        """This bookkeeping with one more run's partitions and reject counts (pure)."""
        totals = Counter(self.rejects)
        totals.update(rejected)
        return Bookkeeping(
            run_id=run_id,
            partitions=tuple(sorted({*self.partitions, *partitions})),
            rejects=dict(sorted(totals.items())),
        )

    def to_doc(self) -> dict[str, Any]:
        """The commit metadata document."""
        return {
            "run_id": self.run_id,
            "partitions": list(self.partitions),
            "rejects": dict(self.rejects),
        }


@dataclass(frozen=True, slots=True)
class RunContext:
    """One run: the lake, a private work folder, the run's id and start, and the committed
    silver it builds on (None before the first commit)."""

    store: ObjectStore
    work: Path
    run_id: str
    started_at: datetime
    previous: Silver | None

    @property
    def completing(self) -> bool:
        """True when this run completes one that committed some tables only."""
        return self.previous is not None and self.previous.pending is not None

    @property
    def sequence(self) -> int:
        """The run sequence this run commits under."""
        if self.previous is None:
            return 1
        if self.previous.pending is not None:
            return self.previous.pending
        return self.previous.sequence + 1

    @property
    def base(self) -> dict[str, int | None]:
        """The version of each table this run reads (None: latest, -1: not yet created)."""
        if self.previous is None or self.previous.pending is None:
            return {}
        return dict(self.previous.base)

    @property
    def before(self) -> Bookkeeping:
        """The bookkeeping of the complete run this one builds on."""
        return Bookkeeping.of(self.previous)

    @property
    def snapshot(self) -> str:
        """The run's label (rejects folder, ledger): its start time and the run id's first part;
        a completion keeps the label of the run it completes."""
        pending = self.previous.pending_run() if self.previous is not None else None
        if pending is not None and pending.snapshot:
            return pending.snapshot
        return f"{self.started_at:%Y%m%dT%H%M%S}Z-{self.run_id[:8]}"

    @property
    def created_at(self) -> str:
        return self.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
