"""Delta tables in an object store: location, commits with txn and metadata, checksums, pins."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from scripts.seaweedfs import S3Server
from sre.storage import LocalStore, ObjectStore, open_store
from sre.storage.delta import (
    commit_metadata,
    commit_properties,
    location,
    open_table,
    pin,
    record_checksums,
    vacuum_table,
    verify_table,
)


def rows(n: int, start: int = 0) -> pa.Table:
    return pa.table({"id": list(range(start, start + n)), "v": [float(i) for i in range(n)]})


def write(store: ObjectStore, data: pa.Table, sequence: int, mode: str = "append") -> int:
    loc = location(store, "silver/t")
    props = commit_properties("app", sequence, {"app.run": {"sequence": sequence}})
    write_deltalake(
        loc.uri, data, mode=mode, storage_options=dict(loc.options) or None,
        commit_properties=props,
    )  # fmt: skip
    table = open_table(loc)
    assert table is not None
    record_checksums(loc, table.version())
    return table.version()


def test_a_commit_carries_its_txn_and_metadata_and_verify_sees_a_flipped_byte(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path, create=True)
    loc = location(store, "silver/t")
    assert open_table(loc) is None
    assert write(store, rows(5), 1) == 0
    assert write(store, rows(5, 5), 2) == 1
    table = open_table(loc)
    assert table is not None
    assert table.transaction_version("app") == 2
    assert commit_metadata(table, "app.run") == {"sequence": 2}
    assert verify_table(loc, table) == []
    victim = next((tmp_path / "silver/t").glob("*.parquet"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    (problem,) = verify_table(loc, table)
    assert problem.reason == "sha256 differs from the one recorded at write time"
    victim.unlink()
    assert [p.reason for p in verify_table(loc, table)] == ["missing"]


def test_vacuum_keeps_pinned_versions_and_forgets_checksums_of_removed_files(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path, create=True)
    loc = location(store, "silver/t")
    write(store, rows(5), 1)
    write(store, rows(3), 2, mode="overwrite")
    pin(loc, "backup-1", [0], "kept backup")
    assert vacuum_table(loc, hours=0, dry_run=False) == []
    (tmp_path / "silver/t/_pins/backup-1.json").unlink()
    assert len(vacuum_table(loc, hours=0, dry_run=True)) == 1
    assert len(vacuum_table(loc, hours=0, dry_run=False)) == 1
    recorded = [
        json.loads(p.read_text()) for p in (tmp_path / "silver/t/_checksums").glob("*.json")
    ]
    assert [doc["version"] for doc in recorded] == [1]
    table = open_table(loc)
    assert table is not None and verify_table(loc, table) == []


@pytest.mark.integration
def test_two_writers_from_the_same_version_on_seaweedfs_never_overwrite_a_commit(
    seaweedfs: S3Server,
) -> None:
    """Commits are conditional puts: a writer whose log entry was taken retries on the next
    version instead of replacing it, so no commit (and none of its rows) is lost."""
    seaweedfs.create_bucket("delta-commits")
    store = open_store("s3://delta-commits/lake", env=seaweedfs.env())
    loc = location(store, "silver/t")
    write(store, rows(2), 1)
    first, second = (
        DeltaTable(loc.uri, storage_options=dict(loc.options)),
        DeltaTable(loc.uri, storage_options=dict(loc.options)),
    )
    write_deltalake(first, rows(2, 10), mode="append")
    write_deltalake(second, rows(2, 20), mode="append")  # stale: still at version 0
    table = open_table(loc)
    assert table is not None and table.version() == 2
    ids = pl.read_delta(loc.uri, storage_options=dict(loc.options))["id"].sort().to_list()
    assert ids == [0, 1, 10, 11, 20, 21]
    assert store.exists("silver/t/_delta_log/00000000000000000002.json")
