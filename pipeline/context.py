"""What one run's tasks share: the run context, and the typed bookkeeping each commit carries.

Every task takes the `RunContext` and what the task before it produced, and returns its own
result; nothing else is passed around. `Bookkeeping` is what a committed snapshot records
about the runs that built it (the bronze partitions processed, reject counts and files),
read and written here only, so no task digs through an untyped dictionary for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sre.storage import ObjectStore
from sre.storage.manifest import FileEntry, Manifest

__all__ = ["Bookkeeping", "RunContext"]


@dataclass(frozen=True, slots=True)
class Bookkeeping:
    """Cumulative across snapshots: every partition processed, rejects per rule, reject files."""

    run_id: str = ""
    partitions: tuple[str, ...] = ()
    rejects: Mapping[str, int] = field(default_factory=dict)
    reject_files: tuple[FileEntry, ...] = ()

    @classmethod
    def of(cls, manifest: Manifest | None) -> Bookkeeping:
        """What `manifest` records (nothing before the first commit)."""
        if manifest is None:
            return cls()
        extra = manifest.extra
        return cls(
            run_id=str(extra.get("run_id", "")),
            partitions=tuple(extra.get("partitions", ())),
            rejects=dict(extra.get("rejects", {})),
            reject_files=tuple(
                FileEntry(key=f["key"], size=f["size"], sha256=f["sha256"], rows=f.get("rows"))
                for f in extra.get("reject_files", ())
            ),
        )

    def advanced(
        self,
        run_id: str,
        partitions: Iterable[str],
        rejected: Mapping[str, int],
        reject_files: Iterable[FileEntry],
    ) -> Bookkeeping:
        """This bookkeeping with one more run's partitions, reject counts and files (pure)."""
        totals = Counter(self.rejects)
        totals.update(rejected)
        return Bookkeeping(
            run_id=run_id,
            partitions=tuple(sorted({*self.partitions, *partitions})),
            rejects=dict(sorted(totals.items())),
            reject_files=(*self.reject_files, *reject_files),
        )

    def to_extra(self) -> dict[str, Any]:
        """The manifest's `extra` document."""
        return {
            "run_id": self.run_id,
            "partitions": list(self.partitions),
            "rejects": dict(self.rejects),
            "reject_files": [
                {"key": e.key, "size": e.size, "sha256": e.sha256, "rows": e.rows}
                for e in self.reject_files
            ],
        }


@dataclass(frozen=True, slots=True)
class RunContext:
    """One run: the lake, a private work folder, the run's id and start, and the committed
    snapshot it builds on (None before the first commit)."""

    store: ObjectStore
    work: Path
    run_id: str
    started_at: datetime
    previous: Manifest | None

    @property
    def before(self) -> Bookkeeping:
        """The bookkeeping of the snapshot this run builds on."""
        return Bookkeeping.of(self.previous)

    @property
    def snapshot(self) -> str:
        """The id this run's snapshot takes: its start time, then the run id's first part."""
        return f"{self.started_at:%Y%m%dT%H%M%S}Z-{self.run_id[:8]}"

    @property
    def created_at(self) -> str:
        return self.started_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
