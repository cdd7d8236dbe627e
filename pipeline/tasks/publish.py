"""Publish: upload this run's files under a new snapshot, then commit one manifest.

The pointer write inside `commit` is the only step readers can see. If anything fails before
it, the files this run uploaded are deleted again and the committed silver is untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from pipeline.context import RunContext
from pipeline.engine import parquet
from pipeline.lake import reject_file, silver_file
from pipeline.tasks.check import Checked
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


def run(ctx: RunContext, checked: Checked) -> Published:
    """Upload the checked tables and this run's rejects under the run's snapshot, then commit
    a manifest carrying the advanced bookkeeping. On any failure the uploads are removed."""
    store, previous, snapshot = ctx.store, ctx.previous, ctx.snapshot
    transformed = checked.transformed
    validated = transformed.validated
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
                    merged = ctx.work / "rejects" / f"{kind}.parquet"
                    pl.scan_parquet(sources).sink_parquet(
                        merged, **parquet.PUBLISHED, engine="streaming"
                    )
                reject_entries.append(_upload(store, merged, reject_file(kind, snapshot), uploaded))
        written.extend(reject_entries)
        partitions = {r.file.partition.name for r in validated.results}
        bookkeeping = ctx.before.advanced(
            ctx.run_id, partitions, validated.rejected(), reject_entries
        )
        manifest = Manifest(
            snapshot=snapshot,
            created_at=ctx.created_at,
            parent=previous.snapshot if previous else None,
            tables=tables,
            extra=bookkeeping.to_extra(),
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
