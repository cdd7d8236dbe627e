"""The backup store's layout, and reading and validating what it holds (no writes here).

A backup holds a consistent set of versions of the Delta tables under silver/: for each table
the log objects that open its version and the version's data files, at their lake keys below
the backup's label, so the backup of a table is itself a Delta table at that version::

    silver/<label>/<table>/_delta_log/<entries>   the log up to the version kept
    silver/<label>/<table>/<data files>           the version's data files, same relative keys
    silver/<label>/_backup.json                   written last: every table's version and object
                                                  with its size, sha256 and rows

`<label>` is a date (YYYY-MM-DD) or `pre-restore-<incident>`. A backup without `_backup.json`
never finished.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake.exceptions import DeltaError

from sre.errors import BackupError, ObjectNotFound, StorageError
from sre.remediation import targets
from sre.remediation.transfer import fetched
from sre.storage import ObjectStore
from sre.storage.base import check_key
from sre.storage.delta import current_files, location, open_table
from sre.storage.delta_version import TableFile, TableVersion, schema_of

__all__ = [
    "FORMAT",
    "MARKER_NAME",
    "ROOT",
    "BackupRecord",
    "Problem",
    "backup_key",
    "check_label",
    "from_json",
    "latest",
    "marker_key",
    "read_backup",
    "to_json",
    "validate",
]

ROOT = "silver"
MARKER_NAME = "_backup.json"
FORMAT = "sre/delta-backup/v1"
DATED_MARKER = re.compile(rf"{ROOT}/(\d{{4}}-\d{{2}}-\d{{2}})/{MARKER_NAME}")


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    reason: str


@dataclass(frozen=True, slots=True)
class BackupRecord:
    """What `_backup.json` records: the tables' versions and objects, and where they came from."""

    label: str
    tables: tuple[TableVersion, ...]
    created_at: str = ""
    incident: str = ""
    source: str = ""
    missing: tuple[str, ...] = ()

    def objects(self) -> list[TableFile]:
        return [o for table in self.tables for o in table.objects]

    @property
    def versions(self) -> dict[str, int]:
        return {t.key: t.version for t in self.tables}

    @property
    def bytes(self) -> int:
        return sum(o.size for o in self.objects())


def check_label(label: str) -> str:
    """A backup label: a real calendar date YYYY-MM-DD, or pre-restore-<incident>."""
    return targets.backup_label(label, action="backup", latest=False)


def backup_key(label: str, lake_key: str) -> str:
    """Where a lake key (`silver/t/month=2024-09/part-0.parquet`) lives in backup `label`."""
    if not lake_key.startswith(f"{ROOT}/"):
        raise BackupError(f"table object {lake_key!r} is not under {ROOT}/")
    return f"{ROOT}/{label}/{check_key(lake_key).removeprefix(f'{ROOT}/')}"


def marker_key(label: str) -> str:
    return f"{ROOT}/{check_label(label)}/{MARKER_NAME}"


def to_json(backup: BackupRecord) -> bytes:
    doc = {
        "format": FORMAT,
        "label": backup.label,
        "created_at": backup.created_at,
        "incident": backup.incident,
        "source": backup.source,
        "versions": backup.versions,
        "files": len(backup.objects()),
        "bytes": backup.bytes,
        "missing": list(backup.missing),
        "tables": {
            t.key: {
                "version": t.version,
                "schema": [list(column) for column in t.schema],
                "files": [_doc(f) for f in t.files],
                "log": [_doc(f) for f in t.log],
            }
            for t in backup.tables
        },
    }
    return json.dumps(doc, indent=2).encode()


def _doc(f: TableFile) -> dict[str, Any]:
    return {"key": f.key, "size": f.size, "sha256": f.sha256, "rows": f.rows}


def from_json(data: bytes) -> BackupRecord:
    """The record of a backup; BackupError when it is malformed or of another format."""
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {doc.get('format')!r}")

        def files(entries: list[Mapping[str, Any]]) -> tuple[TableFile, ...]:
            return tuple(
                TableFile(str(e["key"]), int(e["size"]), str(e["sha256"]), int(e["rows"]))
                for e in entries
            )

        tables = tuple(
            TableVersion(
                key=str(key),
                version=int(t["version"]),
                files=files(t["files"]),
                log=files(t["log"]),
                schema=tuple((str(c[0]), str(c[1])) for c in t["schema"]),
            )
            for key, t in sorted(doc["tables"].items())
        )
        return BackupRecord(
            label=str(doc["label"]),
            tables=tables,
            created_at=str(doc.get("created_at", "")),
            incident=str(doc.get("incident", "")),
            source=str(doc.get("source", "")),
            missing=tuple(str(k) for k in doc.get("missing", ())),
        )
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise BackupError(f"malformed backup record: {exc}") from exc


def read_backup(store: ObjectStore, label: str) -> BackupRecord:
    """The record of backup `label`; BackupError when it is missing or malformed."""
    key = marker_key(label)
    try:
        return from_json(store.read_bytes(key))
    except ObjectNotFound as exc:
        raise BackupError(f"{key} is missing: the backup never completed") from exc


def latest(store: ObjectStore) -> str | None:
    """The most recent dated backup whose `_backup.json` is present and well formed."""
    for info in sorted(store.list(f"{ROOT}/"), key=lambda i: i.key, reverse=True):
        found = DATED_MARKER.fullmatch(info.key)
        if found:
            try:
                read_backup(store, found.group(1))
            except BackupError:
                continue
            return found.group(1)
    return None


def validate(store: ObjectStore, label: str) -> list[Problem]:
    """Everything wrong with backup `label`: an empty list means it can be restored.

    Every object is read in full (sha256 from the bytes, not from stored metadata); every data
    file's Parquet footer is checked against the recorded rows and the table's columns; then
    each table is opened as a Delta table in the backup and must be at the recorded version,
    made of exactly the recorded files.
    """
    try:
        backup = read_backup(store, label)
    except BackupError as exc:
        return [Problem(marker_key(label), str(exc))]
    problems: list[Problem] = []
    if backup.missing:
        problems.append(Problem(marker_key(label), f"{len(backup.missing)} files were missing"))
    for table in backup.tables:
        found: list[Problem] = []
        data = {f.key for f in table.files}
        for entry in table.objects:
            key = backup_key(label, entry.key)
            try:
                with fetched(store, key) as got:
                    if got.size != entry.size:
                        found.append(Problem(key, f"size {got.size} != {entry.size}"))
                    elif got.sha256 != entry.sha256:
                        found.append(Problem(key, "sha256 differs from the backup record"))
                    if entry.key in data:
                        found.extend(_check_parquet(got.path, key, table, entry.rows))
            except ObjectNotFound:
                found.append(Problem(key, "missing"))
        # Objects that check out must also open, as a table, at the version recorded.
        problems.extend(found or _check_table(store, label, table))
    return problems


def _check_parquet(path: Path, key: str, table: TableVersion, rows: int) -> list[Problem]:
    try:
        parquet = pq.ParquetFile(path)
        found = schema_of(parquet.schema_arrow)
        count = int(parquet.metadata.num_rows)
    except (pa.ArrowException, OSError) as exc:
        return [Problem(key, f"not a readable Parquet file: {exc}")]
    problems = []
    if table.schema and sorted(found) != sorted(table.schema):
        problems.append(
            Problem(key, f"schema differs from table {table.name}'s: {_diff(found, table.schema)}")
        )
    if count != rows:
        problems.append(Problem(key, f"{count} rows, the backup record says {rows}"))
    return problems


def _diff(found: tuple[tuple[str, str], ...], expected: tuple[tuple[str, str], ...]) -> str:
    extra = [f"+{n}:{t}" for n, t in found if (n, t) not in expected]
    lost = [f"-{n}:{t}" for n, t in expected if (n, t) not in found]
    return " ".join(lost + extra) or "column order"


def _check_table(store: ObjectStore, label: str, table: TableVersion) -> list[Problem]:
    """The backup's copy of `table` opens as a Delta table at the recorded version, made of
    exactly the recorded data files."""
    where = backup_key(label, table.key)
    try:
        loc = location(store, where)
        opened = open_table(loc)
        if opened is None:
            return [Problem(where, "is not a Delta table")]
        files = sorted(
            loc.file_key(p).removeprefix(f"{where}/") for p, _, _ in current_files(opened)
        )
    except (DeltaError, StorageError, OSError) as exc:
        return [Problem(where, f"does not open as a Delta table: {str(exc).splitlines()[0]}")]
    problems = []
    if opened.version() != table.version:
        problems.append(Problem(where, f"opens at version {opened.version()}, not {table.version}"))
    recorded = sorted(f.key.removeprefix(f"{table.key}/") for f in table.files)
    if files != recorded:
        problems.append(Problem(where, "its log names other data files than the backup record"))
    return problems
