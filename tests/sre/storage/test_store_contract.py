"""One behaviour suite for every ObjectStore: the local directory, S3 on moto, real SeaweedFS.

Metadata keys here are lower-case ASCII, the subset every store keeps as given.
"""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from scripts.seaweedfs import S3Server
from sre.errors import ObjectNotFound, StorageError
from sre.storage import LocalStore, ObjectStore
from sre.storage.base import sha256_file
from sre.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CONTRACT_BUCKET = "contract"
_prefixes = itertools.count()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def seaweedfs_client(seaweedfs: S3Server) -> S3Client:
    client = seaweedfs.client()
    client.create_bucket(Bucket=CONTRACT_BUCKET)
    return client


@pytest.fixture(
    params=[
        "local",
        "moto",
        pytest.param("seaweedfs", marks=pytest.mark.integration),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalStore(tmp_path / "lake", create=True)
    elif request.param == "moto":
        with mock_aws():
            client = boto3.client("s3", region_name="us-east-1")
            client.create_bucket(Bucket=CONTRACT_BUCKET)
            client.put_object(Bucket=CONTRACT_BUCKET, Key="outside/x", Body=b"not ours")
            yield S3Store(client, CONTRACT_BUCKET, "lake")
    else:
        client = request.getfixturevalue("seaweedfs_client")
        # One bucket for the module; each test gets a fresh prefix in it.
        yield S3Store(client, CONTRACT_BUCKET, f"t{next(_prefixes)}/lake")


def test_it_is_an_object_store(store: ObjectStore) -> None:
    assert isinstance(store, ObjectStore)


def test_written_bytes_read_back_with_size_checksum_and_metadata(store: ObjectStore) -> None:
    written = store.write_bytes("bronze/day=1/a.csv", b"id,kg\n1,0.2\n", metadata={"run": "r1"})

    head = store.head("bronze/day=1/a.csv")

    assert store.read_bytes("bronze/day=1/a.csv") == b"id,kg\n1,0.2\n"
    assert written == head
    assert (head.key, head.size, head.sha256) == ("bronze/day=1/a.csv", 12, sha(b"id,kg\n1,0.2\n"))
    assert head.metadata == {"run": "r1"}
    assert store.exists("bronze/day=1/a.csv")


def test_an_overwrite_replaces_body_and_metadata(store: ObjectStore) -> None:
    store.write_bytes("k", b"first", metadata={"run": "r1"})
    store.write_bytes("k", b"second")

    assert store.read_bytes("k") == b"second"
    assert store.head("k").metadata == {}
    assert store.head("k").sha256 == sha(b"second")


def test_a_missing_key_is_object_not_found(store: ObjectStore, tmp_path: Path) -> None:
    assert not store.exists("nope")
    with pytest.raises(ObjectNotFound):
        store.head("nope")
    with pytest.raises(ObjectNotFound):
        store.read_bytes("nope")
    with pytest.raises(ObjectNotFound):
        store.copy("nope", "dst")
    with pytest.raises(ObjectNotFound):
        store.download("nope", tmp_path / "out")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../outside", "a/../../b", "a//b"])
def test_keys_that_could_escape_the_root_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(StorageError, match="invalid object key"):
        store.write_bytes(key, b"x")
    with pytest.raises(StorageError, match="invalid object key"):
        store.read_bytes(key)


def test_list_is_in_key_order_with_sizes_and_filters_by_prefix(store: ObjectStore) -> None:
    # "-" < "/" < "0" in byte order: a store that lists folder by folder gets this wrong.
    for key in ["b.csv", "a/2.csv", "a-c.csv", "a/1.csv", "a0.csv", "ab/x.csv"]:
        store.write_bytes(key, key.encode())

    everything = list(store.list())

    assert [(o.key, o.size) for o in everything] == [
        ("a-c.csv", 7),
        ("a/1.csv", 7),
        ("a/2.csv", 7),
        ("a0.csv", 6),
        ("ab/x.csv", 8),
        ("b.csv", 5),
    ]
    assert [o.key for o in store.list("a/")] == ["a/1.csv", "a/2.csv"]
    assert [o.key for o in store.list("ab")] == ["ab/x.csv"]
    assert [o.key for o in store.list("a/1")] == ["a/1.csv"]
    assert list(store.list("zzz/")) == []


def test_copy_keeps_the_source_and_merges_metadata(store: ObjectStore) -> None:
    store.write_bytes("bronze/a.csv", b"1,2\n", metadata={"owner": "ingest", "stage": "bronze"})

    copied = store.copy("bronze/a.csv", "quarantine/a.csv", metadata={"stage": "quarantined"})

    expected = {"owner": "ingest", "stage": "quarantined"}
    assert copied.metadata == expected
    assert store.head("quarantine/a.csv").metadata == expected
    assert store.head("quarantine/a.csv").sha256 == sha(b"1,2\n") == copied.sha256
    assert store.read_bytes("quarantine/a.csv") == b"1,2\n"
    assert store.head("bronze/a.csv").metadata == {"owner": "ingest", "stage": "bronze"}


def test_delete_is_idempotent(store: ObjectStore) -> None:
    store.write_bytes("k", b"x", metadata={"run": "r1"})

    store.delete("k")
    store.delete("k")
    store.delete("never/written")

    assert not store.exists("k")
    assert [o.key for o in store.list()] == []


def test_a_12_mb_file_uploads_and_downloads_intact(store: ObjectStore, tmp_path: Path) -> None:
    src = tmp_path / "big.parquet"
    src.write_bytes(random.Random(7).randbytes(12 * 1024 * 1024))  # multipart on S3
    expected = sha256_file(src)
    out = tmp_path / "out"
    out.mkdir()

    uploaded = store.upload(src, "silver/big.parquet", metadata={"rows": "1000"})
    store.download("silver/big.parquet", out / "big.parquet")

    assert (uploaded.size, uploaded.sha256) == (12 * 1024 * 1024, expected)
    assert store.head("silver/big.parquet").sha256 == expected
    assert store.head("silver/big.parquet").metadata == {"rows": "1000"}
    assert sha256_file(out / "big.parquet") == expected
    assert [p.name for p in out.iterdir()] == ["big.parquet"]
