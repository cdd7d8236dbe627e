"""Stores and realistic silver for the remediation actions, built without importing `pipeline`.

`stores` gives a lake, a quarantine and a backup location of one kind: local directories, S3 on
moto, or (integration) buckets on the real SeaweedFS server. `silver` writes small zstd Parquet
tables into the lake and commits a manifest exactly as the pipeline's publish step does.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import itertools
import typing
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto import mock_aws

from sre.errors import StorageError
from sre.remediation.action import Stores
from sre.storage import LocalStore, ObjectInfo, ObjectStore
from sre.storage.manifest import FileEntry, Manifest, TableEntry, commit
from sre.storage.s3 import S3Store
from tests.support.seaweedfs import S3Server

NOW = datetime(2024, 9, 23, 4, 0, tzinfo=UTC)
INCIDENT = "inc-42"
BUCKETS = ("lake", "quarantine", "backup")
_prefixes = itertools.count()


def make_stores(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if kind == "local":
        yield Stores(*(LocalStore(tmp_path / name, create=True) for name in BUCKETS))
    elif kind == "moto":
        with mock_aws():
            client = boto3.client("s3", region_name="us-east-1")
            for name in BUCKETS:
                client.create_bucket(Bucket=name)
            yield Stores(*(S3Store(client, name) for name in BUCKETS))
    else:
        server: S3Server = request.getfixturevalue("seaweedfs")
        client = server.client()
        run = uuid.uuid4().hex[:8]
        for name in BUCKETS:
            client.create_bucket(Bucket=f"{name}-{run}")
        yield Stores(*(S3Store(client, f"{name}-{run}", "team") for name in BUCKETS))


@pytest.fixture(params=["local", "moto"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Fast stores: a local directory and S3 on moto."""
    yield from make_stores(request.param, request, tmp_path)


@pytest.fixture(params=["local", "moto", pytest.param("seaweedfs", marks=pytest.mark.integration)])
def any_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Every kind, the real S3 server included (for the fault tests)."""
    yield from make_stores(request.param, request, tmp_path)


# --- silver ---------------------------------------------------------------------------------

SCHEMA = pa.schema([("participant_id", pa.string()), ("day", pa.int64()), ("kcal", pa.float64())])


def parquet_bytes(rows: int, *, seed: int = 0, schema: pa.Schema = SCHEMA) -> bytes:
    columns: dict[str, list[Any]] = {
        "participant_id": [f"p{(seed + i) % 7:03d}" for i in range(rows)],
        "day": [seed * 100 + i for i in range(rows)],
        "kcal": [1500.0 + 10 * i + seed for i in range(rows)],
        "note": ["x"] * rows,
    }
    table = pa.table({f.name: columns[f.name] for f in schema}, schema=schema)
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def write_silver(
    store: ObjectStore,
    snapshot: str,
    tables: Mapping[str, list[int]],
    *,
    parent: str | None = None,
    seed: int = 0,
) -> Manifest:
    """Write each table's parts (rows per part) under `snapshot` and commit a manifest."""
    entries: dict[str, TableEntry] = {}
    for t, (name, parts) in enumerate(sorted(tables.items())):
        files = []
        for part, rows in enumerate(parts):
            key = f"silver/{name}/snapshot={snapshot}/part-{part:05d}.parquet"
            info = store.write_bytes(key, parquet_bytes(rows, seed=seed + 10 * t + part))
            files.append(FileEntry(key, info.size, info.sha256, rows))
        schema = tuple((f.name, str(f.type)) for f in SCHEMA)
        entries[name] = TableEntry(files=tuple(files), schema=schema)
    manifest = Manifest(
        snapshot,
        "2024-09-22T04:00:00+00:00",
        entries,
        parent=parent,
        extra={"partitions": ["ingest_date=2024-09-22"]},
    )
    commit(store, "silver", manifest)
    return manifest


@pytest.fixture
def silver(stores: Stores) -> Manifest:
    """Committed silver in the lake: two tables, three files, plus an unrelated bronze object."""
    stores.lake.write_bytes("bronze/ingest_date=2024-09-22/nutrition.csv", b"id,kcal\n1,2\n")
    return write_silver(stores.lake, "s1", {"nutrition_daily": [5, 7], "weight_daily": [4]})


# --- looking at stores, breaking stores ------------------------------------------------------


def contents(store: ObjectStore, prefix: str = "") -> dict[str, str]:
    """Every key under `prefix` with the sha256 of its bytes (read in full, not from metadata)."""
    return {i.key: hashlib.sha256(store.read_bytes(i.key)).hexdigest() for i in store.list(prefix)}


class NoCalls:
    """A store double that fails the test on any use at all."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a store was touched: .{name}")


def takes_no_store(function: Callable[..., Any]) -> bool:
    """True when no parameter of `function` could carry a store: plan() decides from data only."""
    hints = typing.get_type_hints(function)
    return all(
        "Store" not in str(hints.get(name, "")) for name in inspect.signature(function).parameters
    )


class FaultyStore:
    """Delegates to `inner`, but the `nth` call of `op` (upload, write_bytes, delete) raises
    StorageError, as an S3 500 or a dropped connection would surface through S3Store."""

    def __init__(self, inner: ObjectStore, *, op: str, nth: int) -> None:
        self.inner, self.op, self.nth, self.calls = inner, op, nth, 0

    def _tick(self, op: str, key: str) -> None:
        if op == self.op:
            self.calls += 1
            if self.calls == self.nth:
                raise StorageError(f"injected {op} failure on {key}", op=op, key=key)

    @property
    def url(self) -> str:
        return self.inner.url

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.inner.list(prefix)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def read_bytes(self, key: str) -> bytes:
        return self.inner.read_bytes(key)

    def write_bytes(
        self, key: str, data: bytes, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self._tick("write_bytes", key)
        return self.inner.write_bytes(key, data, metadata=metadata)

    def download(self, key: str, dest: Path) -> None:
        self.inner.download(key, dest)

    def upload(
        self, src: Path, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self._tick("upload", key)
        return self.inner.upload(src, key, metadata=metadata)

    def copy(
        self, src_key: str, dst_key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        self._tick("copy", dst_key)
        return self.inner.copy(src_key, dst_key, metadata=metadata)

    def delete(self, key: str) -> None:
        self._tick("delete", key)
        self.inner.delete(key)

    def local_path(self, key: str) -> Path | None:
        return self.inner.local_path(key)
