"""Delta Lake tables in an object store: where a table lives for delta-rs, commits that carry an
application transaction and metadata, and the checksums recorded for the files each commit adds.

A table is a key prefix of an `ObjectStore` (`silver/weight_daily`): a local directory, or
`s3://bucket/prefix/...` reached with the same endpoint and credentials as the store's boto3
client. On S3, commits are made safe by conditional puts (`If-None-Match: *` on the next log
entry), which AWS S3 and SeaweedFS both honour, so no lock table is needed.

Tables keep protocol (reader 1, writer 2): no deletion vectors, no column mapping, no
timestamp-without-zone, so Spark's Delta reader, `deltalake`, Polars and DuckDB all open them.

Checksums: after each commit the sha256 and size of every file it added are written to
`<table>/_checksums/<version>.json`. `_`-prefixed folders are ignored by Delta readers and by
`vacuum`, and `verify` compares every current file with what was recorded when it was written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction
from deltalake.exceptions import TableNotFoundError

from sre.errors import ObjectNotFound, StorageError
from sre.storage.base import ObjectStore

LOG = "_delta_log"
CHECKSUMS = "_checksums"
PROTOCOL = {"min_reader_version": 1, "min_writer_version": 2}

__all__ = [
    "PROTOCOL",
    "FileCheck",
    "Location",
    "commit_properties",
    "current_files",
    "location",
    "open_table",
    "record_checksums",
    "recorded_checksums",
    "verify_table",
]


@dataclass(frozen=True, slots=True)
class Location:
    """A table for delta-rs: its URI and the storage options that reach it; `key` is the
    table's prefix inside the store."""

    store: ObjectStore
    key: str
    uri: str
    options: Mapping[str, str]

    def file_key(self, relative: str) -> str:
        return f"{self.key}/{unquote(relative)}"


def _s3_options(store: Any) -> dict[str, str]:
    client = store._client
    options = {"AWS_REGION": client.meta.region_name or "us-east-1"}
    creds = client._request_signer._credentials
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        options["AWS_ACCESS_KEY_ID"] = frozen.access_key
        options["AWS_SECRET_ACCESS_KEY"] = frozen.secret_key
        if frozen.token:
            options["AWS_SESSION_TOKEN"] = frozen.token
    endpoint = client.meta.endpoint_url
    if endpoint and not endpoint.endswith("amazonaws.com"):
        options["AWS_ENDPOINT_URL"] = endpoint
        options["AWS_ALLOW_HTTP"] = "true"
        options["AWS_S3_ALLOW_UNSAFE_RENAME"] = "false"
        options["conditional_put"] = "etag"  # S3-compatible servers: If-None-Match on commits
    return options


def location(store: ObjectStore, key: str) -> Location:
    """Where the table under `key` lives for delta-rs."""
    local = store.local_path(key)
    if local is not None:
        return Location(store, key, str(local), {})
    bucket = getattr(store, "bucket", None)
    if bucket is None:
        raise StorageError(f"store {store.url} cannot hold Delta tables", op="open", key=key)
    prefix = getattr(store, "prefix", "")
    path = f"{prefix}/{key}" if prefix else key
    return Location(store, key, f"s3://{bucket}/{path}", _s3_options(store))


def open_table(loc: Location, version: int | str | None = None) -> DeltaTable | None:
    """The table (at `version`, a number or an ISO time), or None when it does not exist."""
    try:
        table = DeltaTable(loc.uri, storage_options=dict(loc.options) or None)
    except TableNotFoundError:
        return None
    if version is not None:
        table.load_as_version(version)
    return table


def commit_properties(app_id: str, sequence: int, metadata: Mapping[str, Any]) -> CommitProperties:
    """Commit info carrying `metadata` (JSON-encoded) and the `txn` action (app id, sequence)."""
    return CommitProperties(
        custom_metadata={k: json.dumps(v) for k, v in metadata.items()},
        app_transactions=[Transaction(app_id=app_id, version=sequence)],
    )


def commit_metadata(table: DeltaTable, key: str, *, limit: int = 20) -> Any:
    """The newest value of custom commit metadata `key` in the last `limit` commits, or None."""
    for entry in table.history(limit):
        if key in entry:
            value = entry[key]
            return json.loads(value) if isinstance(value, str) else value
    return None


def added_files(loc: Location, version: int) -> list[str]:
    """Relative paths of the files commit `version` added, from its log entry."""
    data = loc.store.read_bytes(f"{loc.key}/{LOG}/{version:020d}.json")
    paths = []
    for line in data.splitlines():
        if line.strip():
            action = json.loads(line)
            if "add" in action:
                paths.append(unquote(action["add"]["path"]))
    return paths


def record_checksums(loc: Location, version: int) -> int:
    """Write the sha256 and size of every file commit `version` added; return their bytes."""
    files: dict[str, dict[str, str | int]] = {}
    total = 0
    for relative in added_files(loc, version):
        info = loc.store.head(loc.file_key(relative))
        files[relative] = {"sha256": info.sha256, "size": info.size}
        total += info.size
    doc = {"version": version, "files": files}
    loc.store.write_bytes(f"{loc.key}/{CHECKSUMS}/{version:020d}.json", json.dumps(doc).encode())
    return total


def recorded_checksums(loc: Location) -> dict[str, Mapping[str, Any]]:
    """Every checksum recorded for the table's files, by relative path."""
    found: dict[str, Mapping[str, Any]] = {}
    for info in loc.store.list(f"{loc.key}/{CHECKSUMS}/"):
        if info.key.endswith(".json"):
            try:
                found.update(json.loads(loc.store.read_bytes(info.key))["files"])
            except (ObjectNotFound, ValueError, KeyError):
                continue
    return found


def current_files(table: DeltaTable) -> list[tuple[str, int, int]]:
    """(relative path, size, rows) of every data file in the loaded version."""
    actions = pa.table(table.get_add_actions(flatten=True)).to_pydict()
    rows = actions.get("num_records") or [0] * len(actions["path"])
    return [
        (unquote(str(p)), int(s), int(r or 0))
        for p, s, r in zip(actions["path"], actions["size_bytes"], rows, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class FileCheck:
    key: str
    reason: str


def verify_table(loc: Location, table: DeltaTable) -> list[FileCheck]:
    """Every current file: present, the size the log says, the sha256 recorded at write time."""
    recorded = recorded_checksums(loc)
    problems = []
    for relative, size, _rows in current_files(table):
        key = loc.file_key(relative)
        try:
            info = loc.store.head(key)
        except ObjectNotFound:
            problems.append(FileCheck(key, "missing"))
            continue
        want = recorded.get(relative)
        if info.size != size:
            problems.append(FileCheck(key, f"size {info.size} != {size} in the Delta log"))
        elif want is None:
            problems.append(FileCheck(key, "no checksum recorded when it was written"))
        elif info.sha256 != want["sha256"]:
            problems.append(FileCheck(key, "sha256 differs from the one recorded at write time"))
    return problems


def local_files(loc: Location, table: DeltaTable, work: Path) -> list[Path]:
    """Local paths of the loaded version's files (downloaded into `work` on S3)."""
    paths = []
    for relative, _size, _rows in current_files(table):
        key = loc.file_key(relative)
        local = loc.store.local_path(key)
        if local is None:
            local = work / key
            local.parent.mkdir(parents=True, exist_ok=True)
            loc.store.download(key, local)
        paths.append(local)
    return paths


def sequences(tables: Iterable[DeltaTable | None], app_id: str) -> list[int | None]:
    """The last committed sequence of `app_id` in each table (None where it never committed)."""
    return [t.transaction_version(app_id) if t is not None else None for t in tables]


PINS = "_pins"


def pin(loc: Location, name: str, versions: Iterable[int], reason: str) -> str:
    """Keep the files of `versions` through every vacuum until `unpin(name)` (a kept backup,
    an open restore). Returns the pin's key."""
    key = f"{loc.key}/{PINS}/{name}.json"
    doc = {"versions": sorted(set(versions)), "reason": reason}
    loc.store.write_bytes(key, json.dumps(doc).encode())
    return key


def unpin(loc: Location, name: str) -> None:
    loc.store.delete(f"{loc.key}/{PINS}/{name}.json")


def pinned_versions(loc: Location) -> list[int]:
    versions: set[int] = set()
    for info in loc.store.list(f"{loc.key}/{PINS}/"):
        if info.key.endswith(".json"):
            versions.update(int(v) for v in json.loads(loc.store.read_bytes(info.key))["versions"])
    return sorted(versions)


def vacuum_table(loc: Location, *, hours: float, dry_run: bool) -> list[str]:
    """Files no version newer than `hours` (nor a pinned one) needs: listed, or removed (then a
    checkpoint is written and the checksums of removed files are forgotten)."""
    table = open_table(loc)
    if table is None:
        return []
    files = table.vacuum(
        retention_hours=int(hours),
        dry_run=dry_run,
        enforce_retention_duration=False,
        keep_versions=pinned_versions(loc) or None,
    )
    if not dry_run:
        table = open_table(loc)
        assert table is not None
        table.create_checkpoint()
        _forget(loc, {unquote(f) for f in files})
    return sorted(files)


def _forget(loc: Location, removed: set[str]) -> None:
    """Drop the checksum records of removed files; delete records left empty."""
    if not removed:
        return
    for info in list(loc.store.list(f"{loc.key}/{CHECKSUMS}/")):
        doc = json.loads(loc.store.read_bytes(info.key))
        kept = {k: v for k, v in doc["files"].items() if k not in removed}
        if not kept and doc["files"]:
            loc.store.delete(info.key)
        elif len(kept) != len(doc["files"]):
            doc["files"] = kept
            loc.store.write_bytes(info.key, json.dumps(doc).encode())
