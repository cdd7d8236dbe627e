"""The backup store's layout; reading and validating what it holds, and what a restore decides
from (no writes here).

Keys relative to silver/ are kept as they are in the lake::

    silver/<label>/<table>/snapshot=<id>/part-NNNNN.parquet   the snapshot's files
    silver/<label>/_manifest.json                             its manifest, as committed
    silver/<label>/_backup.json                               written last: the backup is complete

`<label>` is a date (YYYY-MM-DD) or `pre-restore-<incident>` (what restore keeps of silver
before it replaces it). A backup without `_backup.json` never finished.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sre.errors import ManifestError, ObjectNotFound, RemediationError, UnsafeTarget
from sre.remediation import targets
from sre.remediation.deps import Stores
from sre.remediation.transfer import fetched
from sre.storage import ObjectStore
from sre.storage.base import check_key
from sre.storage.manifest import FileEntry, Manifest, Problem, TableEntry, from_json, read_current

__all__ = [
    "MANIFEST_NAME",
    "MARKER_NAME",
    "ROOT",
    "Inventory",
    "backup_key",
    "check_label",
    "inventory",
    "latest",
    "marker",
    "read_backup",
    "restored",
    "validate",
]

ROOT = "silver"
MANIFEST_NAME = "_manifest.json"
MARKER_NAME = "_backup.json"
DATED_MARKER = re.compile(rf"{ROOT}/(\d{{4}}-\d{{2}}-\d{{2}})/{MARKER_NAME}")


def check_label(label: str) -> str:
    """A backup label: a real calendar date YYYY-MM-DD, or pre-restore-<incident>."""
    return targets.backup_label(label, action="backup", latest=False)


def backup_key(label: str, lake_key: str) -> str:
    """Where a lake key (`silver/t/snapshot=s/part-0.parquet`) lives in backup `label`."""
    if not lake_key.startswith(f"{ROOT}/"):
        raise ManifestError(f"manifest file {lake_key!r} is not under {ROOT}/")
    return f"{ROOT}/{label}/{check_key(lake_key).removeprefix(f'{ROOT}/')}"


def read_backup(store: ObjectStore, label: str) -> Manifest:
    """The manifest kept in backup `label`; ManifestError when it is missing or malformed."""
    key = f"{ROOT}/{check_label(label)}/{MANIFEST_NAME}"
    try:
        return from_json(store.read_bytes(key))
    except ObjectNotFound as exc:
        raise ManifestError(f"{key} is missing") from exc


def validate(store: ObjectStore, label: str) -> list[Problem]:
    """Everything wrong with backup `label`: an empty list means it can be restored.

    Every file is read in full: sha256 from the bytes (not from stored metadata), then the Parquet
    footer's schema and row count against the manifest.
    """
    marker_key = f"{ROOT}/{check_label(label)}/{MARKER_NAME}"
    try:
        manifest = read_backup(store, label)
    except ManifestError as exc:
        return [Problem(f"{ROOT}/{label}/{MANIFEST_NAME}", str(exc))]
    problems = _check_marker(store, marker_key, manifest)
    for name, table in sorted(manifest.tables.items()):
        for entry in table.files:
            key = backup_key(label, entry.key)
            try:
                with fetched(store, key) as got:
                    if got.size != entry.size:
                        problems.append(Problem(key, f"size {got.size} != {entry.size}"))
                    elif got.sha256 != entry.sha256:
                        problems.append(Problem(key, "sha256 differs from the manifest"))
                    problems.extend(_check_parquet(got.path, key, name, table.schema, entry.rows))
            except ObjectNotFound:
                problems.append(Problem(key, "missing"))
    return problems


def latest(store: ObjectStore) -> str | None:
    """The most recent dated backup whose `_backup.json` is present and well formed."""
    for info in sorted(store.list(f"{ROOT}/"), key=lambda i: i.key, reverse=True):
        found = DATED_MARKER.fullmatch(info.key)
        if found and marker(store, info.key) is not None:
            return found.group(1)
    return None


def marker(store: ObjectStore, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(store.read_bytes(key))
    except (ObjectNotFound, ValueError):
        return None
    fields = {"snapshot": str, "files": int, "bytes": int, "created_at": str}
    if not isinstance(doc, dict) or any(not isinstance(doc.get(f), t) for f, t in fields.items()):
        return None
    return doc


def _check_marker(store: ObjectStore, key: str, manifest: Manifest) -> list[Problem]:
    found = marker(store, key)
    if found is None:
        return [Problem(key, "missing or malformed: the backup never completed")]
    files = manifest.files()
    expected = {
        "snapshot": manifest.snapshot,
        "files": len(files),
        "bytes": sum(f.size for f in files),
    }
    problems = [
        Problem(key, f"{name} {found[name]!r} != {value!r} in the manifest")
        for name, value in expected.items()
        if found[name] != value
    ]
    if found.get("missing"):
        problems.append(Problem(key, f"{len(found['missing'])} files were missing when taken"))
    return problems


def _check_parquet(
    path: Path, key: str, table: str, schema: tuple[tuple[str, str], ...], rows: int
) -> list[Problem]:
    try:
        parquet = pq.ParquetFile(path)
        found = tuple((f.name, str(f.type)) for f in parquet.schema_arrow)
        count = int(parquet.metadata.num_rows)
    except (pa.ArrowException, OSError) as exc:
        return [Problem(key, f"not a readable Parquet file: {exc}")]
    problems = []
    if schema and found != schema:
        problems.append(
            Problem(key, f"schema differs from table {table}'s: {_diff(found, schema)}")
        )
    if count != rows:
        problems.append(Problem(key, f"{count} rows, the manifest says {rows}"))
    return problems


def _diff(found: tuple[tuple[str, str], ...], expected: tuple[tuple[str, str], ...]) -> str:
    extra = [f"+{n}:{t}" for n, t in found if (n, t) not in expected]
    lost = [f"-{n}:{t}" for n, t in expected if (n, t) not in found]
    return " ".join(lost + extra) or "column order"


@dataclass(frozen=True, slots=True)
class Inventory:
    """What restore decides from: the backup (its label resolved), its problems, current silver."""

    label: str
    backup: Manifest | None
    problems: tuple[Problem, ...]
    current: Manifest | None


def inventory(stores: Stores, target: str) -> Inventory:
    """Resolve `latest`, validate the backup in full and read the committed manifest."""
    label = latest(stores.backup) if target == "latest" else check_label(target)
    if label is None:
        raise RemediationError("no complete dated backup exists", action="restore", target=target)
    problems = tuple(validate(stores.backup, label))
    try:
        manifest: Manifest | None = read_backup(stores.backup, label)
    except ManifestError:
        manifest = None
    return Inventory(label, manifest, problems, read_current(stores.lake, ROOT))


def restored(
    source: Manifest, *, label: str, snapshot: str, parent: str | None, created_at: str
) -> Manifest:
    """The manifest of the restored snapshot: the backup's tables, files renamed under the new
    snapshot id, same sizes, checksums, rows and schemas (pure)."""
    tables: dict[str, TableEntry] = {}
    for name, table in sorted(source.tables.items()):
        if not name.replace("_", "").isalnum() or not name.isascii():
            raise UnsafeTarget(
                "table names are letters, digits and _", action="restore", target=name
            )
        files = tuple(
            FileEntry(
                f"{ROOT}/{name}/snapshot={snapshot}/part-{i:05d}.parquet", f.size, f.sha256, f.rows
            )
            for i, f in enumerate(table.files)
        )
        tables[name] = TableEntry(files=files, schema=table.schema)
    extra = {**source.extra, "restored_from": {"backup": label, "snapshot": source.snapshot}}
    return Manifest(snapshot, created_at, tables, parent=parent, extra=extra)
