"""The status document: last runs from the ledger and the committed silver tables (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pipeline.context import Bookkeeping
from pipeline.ledger import RunRecord
from pipeline.silver import Silver


def status_document(manifest: Silver | None, runs: Sequence[RunRecord]) -> dict[str, Any]:
    """The shape other tools read (documented in the README); keep it stable."""
    kept = Bookkeeping.of(manifest)
    silver = (
        {
            name: {
                "rows": table.rows,
                "bytes": table.bytes,
                "files": [f.key for f in table.files],
                "version": table.version,
            }
            for name, table in sorted(manifest.tables.items())
        }
        if manifest
        else {}
    )
    return {
        "snapshot": manifest.snapshot if manifest else None,
        "committed_at": manifest.created_at if manifest else None,
        "sequence": manifest.sequence if manifest else None,
        "versions": manifest.versions if manifest else {},
        "partitions": list(kept.partitions),
        "silver": silver,
        "rejects": dict(kept.rejects),
        "runs": [
            {
                "run_id": r.run_id,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "status": r.status,
                "snapshot": r.snapshot,
                "versions": dict(r.versions),
                "partitions": list(r.partitions),
                "duration_seconds": round(r.duration_seconds, 3),
                "failed_task": r.failed_task,
                "error": r.error,
            }
            for r in reversed(runs)
        ],
    }
