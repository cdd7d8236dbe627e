"""Publish: upload this run's files under a new snapshot, then commit one manifest.

The pointer write inside `commit` is the only step readers can see. If anything fails before
it, the files this run uploaded are deleted again and the committed silver is untouched.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from pipeline.engine import parquet
from pipeline.lake import reject_file, silver_file
from pipeline.tasks.transform import Transformed
from pipeline.tasks.validate import Validated
from sre.errors import StorageError
from sre.storage import ObjectStore
from sre.storage.manifest import FileEntry, Manifest, TableEntry, commit

SILVER_ROOT = "silver"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    manifest: Manifest
    uploaded_bytes: int


def _schema(path: Path) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, str(f.type)) for f in pq.read_schema(path))


def _upload(store: ObjectStore, path: Path, key: str, uploaded: list[str]) -> FileEntry:
    uploaded.append(key)
    info = store.upload(path, key)
    rows = pq.ParquetFile(path).metadata.num_rows
    return FileEntry(key=key, size=info.size, sha256=info.sha256, rows=rows)


def build_extra(
    previous: Manifest | None,
    partitions: Iterable[str],
    rejected: Mapping[str, int],
    reject_entries: list[FileEntry],
    run_id: str,
) -> dict[str, Any]:
    """Cumulative bookkeeping carried from snapshot to snapshot (pure)."""
    before: Mapping[str, Any] = previous.extra if previous else {}
    totals = Counter(before.get("rejects", {}))
    totals.update(rejected)
    files = list(before.get("reject_files", [])) + [
        {"key": e.key, "size": e.size, "sha256": e.sha256, "rows": e.rows} for e in reject_entries
    ]
    return {
        "run_id": run_id,
        "partitions": sorted({*before.get("partitions", []), *partitions}),
        "rejects": dict(sorted(totals.items())),
        "reject_files": files,
    }


def run(
    store: ObjectStore,
    transformed: Transformed,
    validated: Validated,
    previous: Manifest | None,
    *,
    snapshot: str,
    created_at: str,
    partitions: Iterable[str],
    run_id: str,
    work: Path,
) -> Published:
    uploaded: list[str] = []
    written: list[FileEntry] = []
    try:
        tables: dict[str, TableEntry] = dict(previous.tables) if previous else {}
        for table, paths in transformed.tables.items():
            entries = [
                _upload(store, path, silver_file(table, snapshot, part), uploaded)
                for part, path in enumerate(paths)
            ]
            written.extend(entries)
            carried = (
                tables[table].files if table in transformed.appended and table in tables else ()
            )
            tables[table] = TableEntry(files=(*carried, *entries), schema=_schema(paths[0]))
        reject_entries = []
        for kind in ("participants", "weight_log", "nutrition"):
            sources = validated.reject_files(kind)
            if sources:
                merged = sources[0]
                if len(sources) > 1:
                    merged = work / "rejects" / f"{kind}.parquet"
                    pl.scan_parquet(sources).sink_parquet(
                        merged, **parquet.PUBLISHED, engine="streaming"
                    )
                reject_entries.append(_upload(store, merged, reject_file(kind, snapshot), uploaded))
        written.extend(reject_entries)
        manifest = Manifest(
            snapshot=snapshot,
            created_at=created_at,
            parent=previous.snapshot if previous else None,
            tables=tables,
            extra=build_extra(previous, partitions, validated.rejected(), reject_entries, run_id),
        )
        commit(store, SILVER_ROOT, manifest)
    except BaseException:
        _remove(store, uploaded)
        raise
    return Published(manifest, sum(e.size for e in written))


def _remove(store: ObjectStore, keys: list[str]) -> None:
    for key in keys:
        try:
            store.delete(key)
        except StorageError as exc:  # the original failure matters more; leave an orphan
            log.warning("could not remove %s after a failed publish: %s", key, exc)
