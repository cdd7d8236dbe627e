"""The silver Delta tables as the pipeline sees them: their committed state, and its commits.

Every run has a sequence number. A run commits each table once, with Delta's `txn` action
(`potato-pipeline`, sequence) and commit metadata: the run (id, snapshot label, the bronze
partitions it processed) and the cumulative bookkeeping (every partition processed, rejects per
rule). A table whose `txn` already shows the sequence is skipped, so a rerun after a crash
between two table commits completes the run without writing anything twice.

Reading the state: the last complete sequence is the smallest sequence over the tables; a table
ahead of it holds a run that still has to be completed (`pending`), from the tables' versions
just before that run (`base`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, WriterProperties, write_deltalake

from pipeline.lake import SILVER, TABLES
from sre.storage import ObjectStore
from sre.storage.delta import (
    Location,
    commit_metadata,
    commit_properties,
    current_files,
    location,
    open_table,
    record_checksums,
)

APP_ID = "potato-pipeline"
RUN_META = "potato.run"
BOOK_META = "potato.bookkeeping"
KEYS: dict[str, tuple[str, ...]] = {
    "participants": ("participant_id",),
    "nutrition_daily": ("participant_id", "date"),
    "weight_daily": ("participant_id", "date"),
    "participant_week": ("participant_id", "week"),
}
# Partition columns derived from a date, so a drop touches few files (and a MERGE prunes the
# rest): the months of its days for the daily tables; for the weekly table the calendar week
# its rows' trial weeks start in (participants are at different trial weeks, so partitioning
# by `week` still rewrote all).
DERIVED_PARTITIONS = {
    "nutrition_entries": ("entry_date", "%Y-%m", "month"),
    "nutrition_daily": ("date", "%Y-%m", "month"),
    "weight_daily": ("date", "%Y-%m", "month"),
    "participant_week": ("week_start", "%G-W%V", "start_week"),
}
PARTITION_BY = {table: spec[2] for table, spec in DERIVED_PARTITIONS.items()}
WRITER = WriterProperties(compression="ZSTD", compression_level=1)
CHECKPOINT_EVERY = 10


def table_key(table: str) -> str:
    return f"{SILVER}/{table}"


@dataclass(frozen=True, slots=True)
class FileRef:
    key: str
    size: int
    rows: int


@dataclass(frozen=True, slots=True)
class RunMeta:
    """What a run records in every commit it makes: its id, label, start and sequence, and the
    bronze partitions it processed (so a rerun completes exactly these)."""

    run_id: str
    snapshot: str
    created_at: str
    sequence: int
    partitions: tuple[str, ...] = ()

    def to_doc(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "snapshot": self.snapshot,
            "created_at": self.created_at,
            "sequence": self.sequence,
            "partitions": list(self.partitions),
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any] | None) -> RunMeta | None:
        if not doc:
            return None
        return cls(
            run_id=str(doc.get("run_id", "")),
            snapshot=str(doc.get("snapshot", "")),
            created_at=str(doc.get("created_at", "")),
            sequence=int(doc.get("sequence", 0)),
            partitions=tuple(str(p) for p in doc.get("partitions", ())),
        )


@dataclass(frozen=True, slots=True)
class TableState:
    """One table at one version: `sequence` is the last run committed into it."""

    name: str
    version: int
    sequence: int
    files: tuple[FileRef, ...]
    schema: tuple[tuple[str, str], ...] = ()
    run: RunMeta | None = None
    bookkeeping: Mapping[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class Silver:
    """The committed tables; `sequence` is the last complete run (0 before the first)."""

    tables: Mapping[str, TableState]
    sequence: int = 0
    pending: int | None = None  # a run committed in some tables only
    base: Mapping[str, int] = field(default_factory=dict)  # versions a completion builds on

    @property
    def snapshot(self) -> str | None:
        run = self._run()
        return run.snapshot if run else None

    @property
    def created_at(self) -> str | None:
        run = self._run()
        return run.created_at if run else None

    @property
    def versions(self) -> dict[str, int]:
        return {name: t.version for name, t in sorted(self.tables.items())}

    def _run(self) -> RunMeta | None:
        complete = [t.run for t in self.tables.values() if t.sequence == self.sequence and t.run]
        return complete[0] if complete else None

    def bookkeeping(self) -> Mapping[str, Any]:
        """The cumulative bookkeeping of the last complete run."""
        for t in self.tables.values():
            if t.sequence == self.sequence and t.bookkeeping:
                return t.bookkeeping
        return {}

    def pending_run(self) -> RunMeta | None:
        """What the run to complete recorded (its id, label, partitions), or None."""
        for t in self.tables.values():
            if self.pending is not None and t.sequence == self.pending and t.run:
                return t.run
        return None


def _state(name: str, loc: Location, table: DeltaTable) -> TableState:
    files = tuple(
        FileRef(loc.file_key(path), size, rows) for path, size, rows in current_files(table)
    )
    return TableState(
        name=name,
        version=table.version(),
        sequence=table.transaction_version(APP_ID) or 0,
        files=files,
        schema=tuple((f.name, str(f.type)) for f in pa.schema(table.schema().to_arrow())),
        run=RunMeta.from_doc(commit_metadata(table, RUN_META)),
        bookkeeping=commit_metadata(table, BOOK_META) or {},
    )


def read(store: ObjectStore) -> Silver | None:
    """The committed silver tables, or None before the first commit."""
    states: dict[str, TableState] = {}
    tables: dict[str, DeltaTable] = {}
    for name in TABLES:
        loc = location(store, table_key(name))
        table = open_table(loc)
        if table is not None:
            tables[name] = table
            states[name] = _state(name, loc, table)
    if not states:
        return None
    top = max(t.sequence for t in states.values())
    missing = len(states) < len(TABLES)
    low = 0 if missing else min(t.sequence for t in states.values())
    if top == low:
        return Silver(states, sequence=top)
    base = {name: _version_before(tables[name], top) for name in states}
    return Silver(states, sequence=low, pending=top, base=base)


def _version_before(table: DeltaTable, sequence: int) -> int:
    """The newest version of `table` whose run sequence is below `sequence` (-1: none)."""
    if (table.transaction_version(APP_ID) or 0) < sequence:
        return table.version()
    for entry in table.history(50):
        meta = entry.get(RUN_META)
        if meta and json.loads(meta).get("sequence") == sequence:
            return int(entry["version"]) - 1
    return table.version() - 1


def scan(
    store: ObjectStore, table: str, version: int | None, *, since: date | None = None
) -> pl.LazyFrame | None:
    """The table at `version` (None: the latest; -1 or absent: no rows) as a lazy frame;
    `since` skips the partitions wholly before that day (a filter on the partition column, so
    the files are never opened)."""
    loc = location(store, table_key(table))
    if version is not None and version < 0:
        return None
    if open_table(loc) is None:
        return None
    frame = pl.scan_delta(loc.uri, version=version, storage_options=dict(loc.options) or None)
    if since is not None and since.year > 1 and table in DERIVED_PARTITIONS:
        _source, pattern, column = DERIVED_PARTITIONS[table]
        frame = frame.filter(pl.col(column) >= since.strftime(pattern))
    return frame.drop(*set(PARTITION_BY.values()), strict=False)


def _shaped(frame: pl.LazyFrame, table: str) -> pl.LazyFrame:
    if table in DERIVED_PARTITIONS:
        source, pattern, column = DERIVED_PARTITIONS[table]
        frame = frame.with_columns(pl.col(source).dt.strftime(pattern).alias(column))
    # Delta has no unsigned integers: widen them (row counts from pl.len() are UInt32)
    schema = frame.collect_schema()
    return frame.cast({n: pl.Int64 for n, t in schema.items() if t.is_unsigned_integer()})


def _arrow(frame: pl.LazyFrame, table: str) -> pa.Table:
    data = _shaped(frame, table).collect(engine="streaming")
    return data.to_arrow(compat_level=pl.CompatLevel.oldest())


def _stream(frame: pl.LazyFrame, table: str) -> pa.RecordBatchReader:
    """The rows as a stream of Arrow batches, so an append of millions of rows never holds
    them all in memory at once (peak RSS stays near the engine's, not the table's size)."""
    shaped = _shaped(frame, table)
    oldest = pl.CompatLevel.oldest()
    schema = shaped.head(0).collect().to_arrow(compat_level=oldest).schema

    def batches() -> Iterator[pa.RecordBatch]:
        for chunk in shaped.collect_batches(engine="streaming"):
            yield from chunk.to_arrow(compat_level=oldest).cast(schema).to_batches()

    return pa.RecordBatchReader.from_batches(schema, batches())


def commit(
    store: ObjectStore,
    table: str,
    frame: pl.LazyFrame,
    *,
    sequence: int,
    run: RunMeta,
    bookkeeping: Mapping[str, Any],
) -> tuple[int, int] | None:
    """Append (nutrition_entries) or MERGE `frame` into `table` as run `sequence`; record the
    checksums of the files written. Returns (version, bytes written), or None when the table
    already holds this run."""
    loc = location(store, table_key(table))
    existing = open_table(loc)
    if existing is not None and (existing.transaction_version(APP_ID) or 0) >= sequence:
        return None
    props = commit_properties(APP_ID, sequence, {RUN_META: run.to_doc(), BOOK_META: bookkeeping})
    options = dict(loc.options) or None
    if existing is None or table not in KEYS:
        write_deltalake(
            loc.uri,
            _stream(frame, table),
            mode="append",
            partition_by=[PARTITION_BY[table]] if table in PARTITION_BY else None,
            storage_options=options,
            writer_properties=WRITER,
            commit_properties=props,
        )
    else:
        _merge(existing, _arrow(frame, table), table, props)
    reopened = open_table(loc)
    assert reopened is not None
    version = reopened.version()
    if version and version % CHECKPOINT_EVERY == 0:
        reopened.create_checkpoint()  # readers replay at most this many commits, not all
    return version, record_checksums(loc, version)


def _merge(target: DeltaTable, data: pa.Table, table: str, props: Any) -> None:
    keys = KEYS[table]
    predicate = " AND ".join(f"t.{k} = s.{k}" for k in keys)
    if table in PARTITION_BY and data.num_rows:
        column = PARTITION_BY[table]
        values = sorted(set(data.column(column).to_pylist()))
        shown = ", ".join(f"'{v}'" if isinstance(v, str) else str(int(v)) for v in values)
        predicate += f" AND t.{column} IN ({shown})"
    (
        target.merge(
            data,
            predicate,
            source_alias="s",
            target_alias="t",
            writer_properties=WRITER,
            commit_properties=props,
        )
        .when_matched_update_all()
        .when_not_matched_insert_all()
        .execute()
    )
