"""Publish: commit this run's changes to each silver Delta table, one commit per table.

Rejects are uploaded first (under `rejects/snapshot=<label>/`), then each table commits with the
run's `txn` (app id and sequence) and metadata: the run and the cumulative bookkeeping. A table
that already holds the run's sequence is skipped, so a rerun after a crash between two table
commits completes the run and never writes a table twice. If the first table commit fails, the
rejects uploaded are removed again and nothing is visible.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import polars as pl

from pipeline import silver
from pipeline.context import RunContext
from pipeline.engine import parquet
from pipeline.lake import TABLES, reject_file
from pipeline.tasks.check import Checked
from pipeline.tasks.transform import Transformed
from sre.errors import StorageError
from sre.storage import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Published:
    silver: silver.Silver
    uploaded_bytes: int
    versions: dict[str, int] = field(default_factory=dict)  # the tables this run committed


def run(ctx: RunContext, checked: Checked) -> Published:
    """Upload this run's rejects, then commit every table (appends and MERGEs)."""
    store = ctx.store
    transformed = checked.transformed
    validated = transformed.validated
    uploaded: list[str] = []
    written = 0
    committed: dict[str, int] = {}
    try:
        for kind in ("participants", "weight_log", "nutrition"):
            sources = validated.reject_files(kind)
            if sources:
                merged = sources[0]
                if len(sources) > 1:
                    merged = ctx.work / "rejects" / f"{kind}.parquet"
                    pl.scan_parquet(sources).sink_parquet(
                        merged, **parquet.PUBLISHED, engine="streaming"
                    )
                key = reject_file(kind, ctx.snapshot)
                uploaded.append(key)
                written += store.upload(merged, key).size
        partitions = sorted({r.file.partition.name for r in validated.results})
        bookkeeping = ctx.before.advanced(ctx.run_id, partitions, validated.rejected())
        meta = silver.RunMeta(
            ctx.run_id, ctx.snapshot, ctx.created_at, ctx.sequence, tuple(partitions)
        )
        for table in TABLES:
            result = silver.commit(
                store,
                table,
                _source(store, transformed, table),
                sequence=ctx.sequence,
                run=meta,
                bookkeeping=bookkeeping.to_doc(),
            )
            if result is not None:
                committed[table], nbytes = result
                written += nbytes
    except BaseException:
        if not committed and not ctx.completing:
            _remove(store, uploaded)
        raise
    state = silver.read(store)
    assert state is not None
    return Published(state, written, committed)


def _source(store: ObjectStore, transformed: Transformed, table: str) -> pl.LazyFrame:
    if table in transformed.appended:
        paths = transformed.tables.get(table, [])
        if paths:
            return pl.scan_parquet(paths)
        existing = silver.scan(store, table, None)  # no rows this run: an empty commit
        if existing is None:
            raise StorageError(f"no rows and no committed {table} to take a schema from")
        return existing.head(0)
    return pl.scan_parquet(transformed.changes[table])


def _remove(store: ObjectStore, keys: list[str]) -> None:
    for key in keys:
        try:
            store.delete(key)
        except StorageError as exc:  # the original failure matters more; leave an orphan
            log.warning("could not remove %s after a failed publish: %s", key, exc)
