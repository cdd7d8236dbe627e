"""Snapshot manifests and the pointer that commits them.

A writer puts its data files under a new snapshot, then writes one manifest (every file with its
size, sha256 and row count) and only then moves the pointer. Readers, backups and integrity
checks follow the pointer, so a writer that dies before the pointer moves changes nothing that
anyone reads.

Layout under a root prefix such as ``silver``::

    silver/_manifests/<snapshot>.json     one per committed snapshot
    silver/_CURRENT.json                  {"snapshot": ..., "manifest": ..., "sha256": ...}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sre.errors import ManifestError, ObjectNotFound
from sre.storage.base import ObjectStore

FORMAT = "potato-sre/snapshot-manifest/v1"
POINTER = "_CURRENT.json"


@dataclass(frozen=True, slots=True)
class FileEntry:
    key: str
    size: int
    sha256: str
    rows: int


@dataclass(frozen=True, slots=True)
class TableEntry:
    files: tuple[FileEntry, ...]
    schema: tuple[tuple[str, str], ...] = ()

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True, slots=True)
class Manifest:
    snapshot: str
    created_at: str
    tables: Mapping[str, TableEntry]
    parent: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.snapshot or "/" in self.snapshot:
            raise ManifestError(f"invalid snapshot id {self.snapshot!r}")

    def files(self) -> list[FileEntry]:
        return [f for table in self.tables.values() for f in table.files]


def manifest_key(root: str, snapshot: str) -> str:
    return f"{root}/_manifests/{snapshot}.json"


def pointer_key(root: str) -> str:
    return f"{root}/{POINTER}"


def to_json(manifest: Manifest) -> bytes:
    doc = {
        "format": FORMAT,
        "snapshot": manifest.snapshot,
        "created_at": manifest.created_at,
        "parent": manifest.parent,
        "tables": {
            name: {
                "rows": table.rows,
                "schema": [list(col) for col in table.schema],
                "files": [
                    {"key": f.key, "size": f.size, "sha256": f.sha256, "rows": f.rows}
                    for f in table.files
                ],
            }
            for name, table in sorted(manifest.tables.items())
        },
        "extra": dict(manifest.extra),
    }
    return json.dumps(doc, indent=2, sort_keys=False).encode()


def from_json(data: bytes) -> Manifest:
    try:
        doc = json.loads(data)
        if doc.get("format") != FORMAT:
            raise ManifestError(f"unknown manifest format {doc.get('format')!r}")
        tables = {
            name: TableEntry(
                files=tuple(
                    FileEntry(
                        key=f["key"], size=int(f["size"]), sha256=f["sha256"], rows=int(f["rows"])
                    )
                    for f in table["files"]
                ),
                schema=tuple((str(c[0]), str(c[1])) for c in table.get("schema", [])),
            )
            for name, table in doc["tables"].items()
        }
        return Manifest(
            snapshot=doc["snapshot"],
            created_at=doc["created_at"],
            parent=doc.get("parent"),
            tables=tables,
            extra=doc.get("extra", {}),
        )
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise ManifestError(f"malformed manifest: {exc}") from exc


def read_current(store: ObjectStore, root: str) -> Manifest | None:
    """The committed manifest, or None when nothing was ever committed under `root`."""
    try:
        pointer = json.loads(store.read_bytes(pointer_key(root)))
    except ObjectNotFound:
        return None
    except ValueError as exc:
        raise ManifestError(f"malformed pointer {pointer_key(root)}: {exc}") from exc
    return read_manifest(store, root, pointer["snapshot"], expected_sha256=pointer.get("sha256"))


def read_manifest(
    store: ObjectStore, root: str, snapshot: str, *, expected_sha256: str | None = None
) -> Manifest:
    key = manifest_key(root, snapshot)
    try:
        data = store.read_bytes(key)
    except ObjectNotFound as exc:
        raise ManifestError(f"pointer names snapshot {snapshot} but {key} is missing") from exc
    if expected_sha256 and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise ManifestError(f"manifest {key} does not match the checksum in the pointer")
    return from_json(data)


def commit(store: ObjectStore, root: str, manifest: Manifest) -> None:
    """Write the manifest, then move the pointer: the pointer write is the commit."""
    data = to_json(manifest)
    store.write_bytes(manifest_key(root, manifest.snapshot), data)
    store.write_bytes(pointer_key(root), _pointer(root, manifest.snapshot, data))


def point(store: ObjectStore, root: str, snapshot: str) -> Manifest:
    """Move the pointer back (or on) to an already committed manifest, which is not rewritten."""
    data = store.read_bytes(manifest_key(root, snapshot))
    manifest = from_json(data)
    if manifest.snapshot != snapshot:
        raise ManifestError(f"{manifest_key(root, snapshot)} holds snapshot {manifest.snapshot}")
    store.write_bytes(pointer_key(root), _pointer(root, snapshot, data))
    return manifest


def _pointer(root: str, snapshot: str, data: bytes) -> bytes:
    pointer = {
        "snapshot": snapshot,
        "manifest": manifest_key(root, snapshot),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    return json.dumps(pointer, indent=2).encode()


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    reason: str


def verify(store: ObjectStore, manifest: Manifest) -> list[Problem]:
    """Check every file the manifest lists: present, right size, right sha256."""
    problems: list[Problem] = []
    for entry in manifest.files():
        try:
            info = store.head(entry.key)
        except ObjectNotFound:
            problems.append(Problem(entry.key, "missing"))
            continue
        if info.size != entry.size:
            problems.append(Problem(entry.key, f"size {info.size} != {entry.size}"))
        elif info.sha256 != entry.sha256:
            problems.append(Problem(entry.key, "sha256 differs from the manifest"))
    return problems
