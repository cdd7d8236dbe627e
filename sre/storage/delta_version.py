"""One Delta table at one version as a set of objects: what a backup copies and validates.

A version is its data files (each with the sha256 recorded when it was written, see
`sre.storage.delta.record_checksums`) and the log objects a reader needs to open it: the newest
checkpoint at or before the version and the JSON commits after it up to the version. Copied
with their keys under another prefix, the objects are a Delta table again, at that version, that
`deltalake`, Polars or Spark open as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from sre.storage.base import ObjectStore
from sre.storage.delta import LOG, Location, current_files, open_table, recorded_checksums

__all__ = ["TableFile", "TableVersion", "find_tables", "log_objects", "read_version", "schema_of"]

_COMMIT = re.compile(r"(\d{20})\.json")
_CHECKPOINT = re.compile(r"(\d{20})\.checkpoint(?:\.\d+\.\d+)?\.parquet")


@dataclass(frozen=True, slots=True)
class TableFile:
    """An object of a table version: its key in the store, size, sha256 and rows (data files)."""

    key: str
    size: int
    sha256: str
    rows: int = 0


@dataclass(frozen=True, slots=True)
class TableVersion:
    """Table `key` (`silver/weight_daily`) at `version`; `schema` is the data files' columns
    (the table's without its partition columns, which live in the folder names)."""

    key: str
    version: int
    files: tuple[TableFile, ...]
    log: tuple[TableFile, ...]
    schema: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def objects(self) -> tuple[TableFile, ...]:
        return (*self.files, *self.log)


def _type(field: pa.Field) -> str:
    # Readers differ in string width only; the backup compares the columns, not the widths.
    kind = field.type
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        kind = pa.string()
    return str(kind)


def schema_of(schema: pa.Schema, drop: tuple[str, ...] = ()) -> tuple[tuple[str, str], ...]:
    """(column, type) pairs of `schema`, without the columns in `drop`."""
    return tuple((f.name, _type(f)) for f in schema if f.name not in drop)


def log_objects(names: list[str], version: int) -> list[str]:
    """The log entries (file names in `_delta_log/`) a reader needs to open `version`: the newest
    checkpoint at or before it, then every commit after that checkpoint up to the version."""
    checkpoints = [
        (int(m.group(1)), n)
        for n in names
        if (m := _CHECKPOINT.fullmatch(n)) and int(m.group(1)) <= version
    ]
    start = max((v for v, _ in checkpoints), default=-1)
    chosen = [n for v, n in checkpoints if v == start]
    commits = [(int(m.group(1)), n) for n in names if (m := _COMMIT.fullmatch(n))]
    chosen += [n for v, n in sorted(commits) if start < v <= version]
    return sorted(chosen)


def read_version(loc: Location, version: int | None = None) -> TableVersion | None:
    """The table at `version` (None: the latest) with the objects that make it up, or None
    when there is no table under `loc`. A data file's sha256 is the one recorded when it was
    written; a log object's is the store's."""
    table = open_table(loc, version)
    if table is None:
        return None
    at = table.version()
    recorded = recorded_checksums(loc)
    files = []
    for relative, size, rows in current_files(table):
        key = loc.file_key(relative)
        # A table another writer made has no checksums recorded: take the store's word now.
        sha256 = str(recorded.get(relative, {}).get("sha256", "")) or loc.store.head(key).sha256
        files.append(TableFile(key, size, sha256, rows))
    prefix = f"{loc.key}/{LOG}/"
    names = [info.key.removeprefix(prefix) for info in loc.store.list(prefix)]
    log = []
    for name in log_objects(names, at):
        info = loc.store.head(prefix + name)
        log.append(TableFile(info.key, info.size, info.sha256))
    partitions = tuple(table.metadata().partition_columns)
    schema = schema_of(pa.schema(table.schema().to_arrow()), partitions)
    return TableVersion(loc.key, at, tuple(files), tuple(log), schema)


def find_tables(store: ObjectStore, root: str) -> list[str]:
    """Keys of the Delta tables directly under `root` (`silver/<name>`, holding `_delta_log/`)."""
    found = set()
    for info in store.list(f"{root}/"):
        parts = info.key.split("/")
        if len(parts) >= 4 and parts[-2] == LOG and len(parts) == len(root.split("/")) + 3:
            found.add("/".join(parts[:-2]))
    return sorted(found)
