"""Stores and realistic silver for the remediation actions, built without importing `pipeline`.

`stores` gives a lake, a quarantine and a backup location of one kind: local directories, S3 on
moto, or (integration) buckets on the real SeaweedFS server; `delta_stores` only the kinds
delta-rs reaches (local and SeaweedFS: moto answers boto3 in-process only). `write_silver` makes
small Delta tables under silver/ and records their checksums as `sre.storage.delta` does.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import tempfile
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
from deltalake import write_deltalake
from moto import mock_aws

from scripts.seaweedfs import S3Server
from sre.errors import StorageError
from sre.remediation.action import Stores
from sre.storage import LocalStore, ObjectInfo, ObjectStore
from sre.storage.delta import location, open_table, record_checksums
from sre.storage.delta_version import TableVersion, find_tables, read_version
from sre.storage.s3 import S3Store

NOW = datetime(2024, 9, 23, 4, 0, tzinfo=UTC)
INCIDENT = "inc-42"
BUCKETS = ("lake", "quarantine", "backup")


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
        # Three buckets for the whole session, a fresh prefix per test: `weed mini` gives every
        # bucket volumes of its own and answers InternalError once it has none left.
        have = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        for name in BUCKETS:
            if f"remediation-{name}" not in have:
                client.create_bucket(Bucket=f"remediation-{name}")
        run = f"team-{uuid.uuid4().hex[:8]}"
        yield Stores(*(S3Store(client, f"remediation-{name}", run) for name in BUCKETS))


@pytest.fixture(params=["local", "moto"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """Fast stores: a local directory and S3 on moto."""
    yield from make_stores(request.param, request, tmp_path)


@pytest.fixture(params=["local", pytest.param("seaweedfs", marks=pytest.mark.integration)])
def delta_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    """The stores Delta tables are opened in by delta-rs: a local directory and real S3."""
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


# nutrition_daily is partitioned by month, as the pipeline's is; weight_daily is not.
PARTITIONED = {"nutrition_daily": "month"}


def write_silver(
    store: ObjectStore, tables: Mapping[str, list[int]], *, seed: int = 0
) -> list[TableVersion]:
    """Delta tables under silver/, one commit (one data file) per part with `rows` rows, each
    commit's checksums recorded as a writer using `sre.storage.delta` records them. Built in a
    local folder with delta-rs, then uploaded key by key, so any store holds them."""
    with tempfile.TemporaryDirectory(prefix="silver-") as tmp:
        local = LocalStore(Path(tmp))
        before = {i.key for name in tables for i in store.list(f"silver/{name}/")}
        for key in before:  # a table that exists grows by more commits
            (Path(tmp) / key).parent.mkdir(parents=True, exist_ok=True)
            store.download(key, Path(tmp) / key)
        for t, (name, parts) in enumerate(sorted(tables.items())):
            loc = location(local, f"silver/{name}")
            for part, rows in enumerate(parts):
                data = pq.read_table(io.BytesIO(parquet_bytes(rows, seed=seed + 10 * t + part)))
                column = PARTITIONED.get(name)
                if column:
                    data = data.append_column(column, pa.array(["2024-09"] * rows))
                write_deltalake(
                    loc.uri, data, mode="append", partition_by=[column] if column else None
                )
                table = open_table(loc)
                assert table is not None
                record_checksums(loc, table.version())
        for info in local.list("silver/"):
            path = local.local_path(info.key)
            assert path is not None
            if info.key not in before or info.key.endswith("_last_checkpoint"):
                store.upload(path, info.key)
        # The same bytes under the same keys: what the backup action reads from `store`.
        versions = [read_version(location(local, key)) for key in find_tables(local, "silver")]
    return [v for v in versions if v is not None]


def data_files(store: ObjectStore, table: str) -> list[str]:
    """Keys of the data files of `table` (everything outside its `_` folders)."""
    return [i.key for i in store.list(f"silver/{table}/") if "/_" not in i.key]


@pytest.fixture
def silver(stores: Stores) -> list[str]:
    """Delta tables in the lake: two tables, three data files, plus an unrelated bronze object.
    Returns the data files' keys."""
    stores.lake.write_bytes("bronze/ingest_date=2024-09-22/nutrition.csv", b"id,kcal\n1,2\n")
    write_silver(stores.lake, {"nutrition_daily": [5, 7], "weight_daily": [4]})
    return data_files(stores.lake, "nutrition_daily") + data_files(stores.lake, "weight_daily")


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
