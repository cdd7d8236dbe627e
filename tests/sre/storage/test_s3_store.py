"""S3Store on moto (in-process, no network), plus from_url against a real SeaweedFS."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from scripts.seaweedfs import S3Server
from sre.errors import ObjectNotFound, StorageError, StoreUnavailable
from sre.storage import ObjectStore, open_store
from sre.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "lake"
PREFIX = "team/lake"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def client() -> Iterator[S3Client]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        yield s3


@pytest.fixture
def store(client: S3Client) -> S3Store:
    return S3Store(client, BUCKET, PREFIX)


@pytest.fixture(scope="module")
def offline() -> S3Client:
    """A client that cannot reach anything, for tests that must not make a request."""
    return boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:1",
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


def raw_head(client: S3Client, key: str) -> dict[str, Any]:
    return dict(client.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}"))


# --- writing and reading ---------------------------------------------------------------------


def test_s3_store_satisfies_the_object_store_protocol(store: S3Store) -> None:
    assert isinstance(store, ObjectStore)
    assert store.url == "s3://lake/team/lake"
    assert S3Store(store._client, BUCKET).url == "s3://lake"


def test_write_bytes_stores_the_sha256_in_user_metadata(store: S3Store, client: S3Client) -> None:
    info = store.write_bytes("raw/a.csv", b"id,kg\n1,2\n", metadata={"Source": "scale-7"})

    assert info.sha256 == sha(b"id,kg\n1,2\n")
    assert info.size == 10
    assert info.metadata == {"source": "scale-7"}
    assert raw_head(client, "raw/a.csv")["Metadata"] == {"source": "scale-7", "sha256": info.sha256}


def test_head_returns_size_checksum_and_metadata_without_the_internal_key(store: S3Store) -> None:
    store.write_bytes("raw/a.csv", b"abc", metadata={"run": "r1"})

    info = store.head("raw/a.csv")

    assert (info.key, info.size, info.sha256) == ("raw/a.csv", 3, sha(b"abc"))
    assert info.metadata == {"run": "r1"}


def test_head_computes_the_checksum_of_an_object_written_by_another_tool(
    store: S3Store, client: S3Client
) -> None:
    body = b"x" * 3_000_000
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/foreign.bin", Body=body, Metadata={"a": "b"})

    info = store.head("foreign.bin")

    assert info.sha256 == sha(body)
    assert info.metadata == {"a": "b"}


def test_read_bytes_and_exists(store: S3Store) -> None:
    store.write_bytes("k", b"payload")

    assert store.read_bytes("k") == b"payload"
    assert store.exists("k")
    assert not store.exists("missing")


def test_a_caller_sha256_metadata_key_is_replaced_by_the_computed_one(
    store: S3Store, client: S3Client
) -> None:
    info = store.write_bytes("k", b"abc", metadata={"SHA256": "forged", "x": "1"})

    assert info.metadata == {"x": "1"}
    assert raw_head(client, "k")["Metadata"]["sha256"] == sha(b"abc")


def test_non_ascii_metadata_is_refused_with_a_clear_error(store: S3Store) -> None:
    with pytest.raises(StorageError, match="printable ASCII"):
        store.write_bytes("k", b"abc", metadata={"farm": "Øster"})
    assert not store.exists("k")


def test_local_path_is_none_for_a_remote_object(store: S3Store) -> None:
    assert store.local_path("k") is None


# --- missing keys, invalid keys, other errors ------------------------------------------------


@pytest.mark.parametrize(
    ("op", "call"),
    [
        ("head", lambda s, tmp: s.head("nope")),
        ("read", lambda s, tmp: s.read_bytes("nope")),
        ("download", lambda s, tmp: s.download("nope", tmp / "out")),
        ("copy", lambda s, tmp: s.copy("nope", "dst")),
    ],
)
def test_a_missing_key_raises_object_not_found_with_its_cause(
    store: S3Store, tmp_path: Path, op: str, call: Callable[[S3Store, Path], object]
) -> None:
    with pytest.raises(ObjectNotFound) as caught:
        call(store, tmp_path)

    assert (caught.value.op, caught.value.key) == (op, "nope")
    assert isinstance(caught.value.__cause__, ClientError)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "./a", "a\\b", "a\x00"])
@pytest.mark.parametrize(
    "call",
    [
        lambda s, k, tmp: s.head(k),
        lambda s, k, tmp: s.exists(k),
        lambda s, k, tmp: s.read_bytes(k),
        lambda s, k, tmp: s.write_bytes(k, b"x"),
        lambda s, k, tmp: s.upload(tmp / "src", k),
        lambda s, k, tmp: s.download(k, tmp / "out"),
        lambda s, k, tmp: s.copy("ok", k),
        lambda s, k, tmp: s.copy(k, "ok2"),
        lambda s, k, tmp: s.delete(k),
    ],
)
def test_invalid_keys_are_refused_before_any_request(
    offline: S3Client, tmp_path: Path, key: str, call: Callable[[S3Store, str, Path], object]
) -> None:
    (tmp_path / "src").write_bytes(b"x")
    store = S3Store(offline, BUCKET, PREFIX)
    with Stubber(offline), pytest.raises(StorageError, match="invalid object key"):
        call(store, key, tmp_path)  # the Stubber has no responses queued: any request would fail


def test_a_server_error_becomes_a_storage_error_with_op_and_key(client: S3Client) -> None:
    store = S3Store(client, BUCKET)
    with Stubber(client) as stub:
        stub.add_client_error("get_object", "InternalError", "boom", http_status_code=500)
        with pytest.raises(StorageError) as caught:
            store.read_bytes("k")

    assert type(caught.value) is StorageError
    assert (caught.value.op, caught.value.key) == ("read", "k")
    assert "InternalError boom" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


def test_a_bucket_deleted_under_the_store_makes_it_unavailable(client: S3Client) -> None:
    store = S3Store(client, "gone")
    with pytest.raises(StoreUnavailable, match="'gone' does not exist"):
        store.write_bytes("k", b"x")
    with pytest.raises(StoreUnavailable):
        list(store.list())


# --- listing and prefix scoping --------------------------------------------------------------


def test_list_returns_relative_keys_and_sizes_in_key_order(store: S3Store) -> None:
    for key in ["b", "a/2", "a-c", "a/1", "a0"]:
        store.write_bytes(key, key.encode() * 2)

    assert [(o.key, o.size, o.sha256) for o in store.list()] == [
        ("a-c", 6, ""),
        ("a/1", 6, ""),
        ("a/2", 6, ""),
        ("a0", 4, ""),
        ("b", 2, ""),
    ]
    assert [o.key for o in store.list("a/")] == ["a/1", "a/2"]


def test_list_follows_pagination_and_sorts_across_pages(offline: S3Client) -> None:
    store = S3Store(offline, BUCKET, PREFIX)
    pages: list[dict[str, Any]] = [
        {"Contents": [{"Key": f"{PREFIX}/b/1", "Size": 1}], "NextContinuationToken": "t"},
        {"Contents": [{"Key": f"{PREFIX}/a-c", "Size": 2}]},
    ]
    with Stubber(offline) as stub:
        stub.add_response(
            "list_objects_v2",
            {**pages[0], "IsTruncated": True},
            {"Bucket": BUCKET, "Prefix": f"{PREFIX}/"},
        )
        stub.add_response(
            "list_objects_v2",
            {**pages[1], "IsTruncated": False},
            {"Bucket": BUCKET, "Prefix": f"{PREFIX}/", "ContinuationToken": "t"},
        )
        listed = [(o.key, o.size) for o in store.list()]

    assert listed == [("a-c", 2), ("b/1", 1)]


def test_objects_outside_the_prefix_are_invisible(store: S3Store, client: S3Client) -> None:
    client.put_object(Bucket=BUCKET, Key="other/x", Body=b"1")
    client.put_object(Bucket=BUCKET, Key="team/lakehouse/x", Body=b"1")
    client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/folder/", Body=b"")
    store.write_bytes("x", b"mine")

    assert [o.key for o in store.list()] == ["x"]
    assert store.read_bytes("x") == b"mine"
    assert not store.exists("lakehouse/x")
    assert [o.key for o in S3Store(client, BUCKET).list()] == [
        "other/x",
        "team/lake/x",
        "team/lakehouse/x",
    ]


# --- upload, download, copy, delete ----------------------------------------------------------


def test_upload_of_a_large_file_goes_multipart_and_records_the_checksum(
    store: S3Store, client: S3Client, tmp_path: Path
) -> None:
    data = bytes(range(256)) * (12 * 4096)  # 12 MiB, above the 8 MiB multipart threshold
    src = tmp_path / "big.parquet"
    src.write_bytes(data)

    info = store.upload(src, "silver/big.parquet", metadata={"rows": "12"})

    head = raw_head(client, "silver/big.parquet")
    assert head["ETag"].endswith('-2"')  # two parts
    assert head["Metadata"] == {"rows": "12", "sha256": sha(data)}
    assert (info.size, info.sha256, info.metadata) == (len(data), sha(data), {"rows": "12"})


def test_upload_of_a_missing_file_is_a_storage_error(store: S3Store, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot upload") as caught:
        store.upload(tmp_path / "absent", "k")
    assert caught.value.op == "upload"


def test_download_replaces_the_destination_and_leaves_no_temporary_file(
    store: S3Store, tmp_path: Path
) -> None:
    store.write_bytes("k", b"new")
    dest = tmp_path / "out.bin"
    dest.write_bytes(b"old")

    store.download("k", dest)

    assert dest.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_download_into_a_missing_folder_is_a_storage_error(store: S3Store, tmp_path: Path) -> None:
    store.write_bytes("k", b"x")
    with pytest.raises(StorageError, match="cannot download"):
        store.download("k", tmp_path / "no" / "such" / "dir")


def test_copy_merges_metadata_and_keeps_checksum_and_content_type(
    store: S3Store, client: S3Client
) -> None:
    client.put_object(
        Bucket=BUCKET,
        Key=f"{PREFIX}/src.csv",
        Body=b"a,b\n",
        ContentType="text/csv",
        Metadata={"owner": "ingest", "stage": "bronze"},
    )

    info = store.copy("src.csv", "quarantine/src.csv", metadata={"Stage": "quarantined"})

    expected = {"owner": "ingest", "stage": "quarantined"}
    assert (info.key, info.size, info.sha256, info.metadata) == (
        "quarantine/src.csv",
        4,
        sha(b"a,b\n"),
        expected,
    )
    head = raw_head(client, "quarantine/src.csv")
    assert head["Metadata"] == {**expected, "sha256": sha(b"a,b\n")}
    assert head["ContentType"] == "text/csv"
    assert store.head("src.csv").metadata == {"owner": "ingest", "stage": "bronze"}


def test_delete_removes_the_object_and_a_missing_key_is_not_an_error(store: S3Store) -> None:
    store.write_bytes("k", b"x")

    store.delete("k")
    store.delete("k")
    store.delete("never/written")

    assert not store.exists("k")


# --- from_url: configuration comes from `env`, problems become one clear message ---------------


def test_from_url_opens_an_existing_bucket_under_a_prefix(client: S3Client) -> None:
    client.put_object(Bucket=BUCKET, Key="silver/x", Body=b"1")

    store = open_store("s3://lake/silver/", env={"AWS_REGION": "eu-west-1"})

    assert store.url == "s3://lake/silver"
    assert [o.key for o in store.list()] == ["x"]


def test_from_url_with_a_missing_bucket_names_it(client: S3Client) -> None:
    with pytest.raises(StoreUnavailable, match="'no-such-lake' does not exist") as caught:
        S3Store.from_url("s3://no-such-lake/silver", env={})
    assert caught.value.op == "open"


@pytest.mark.parametrize("url", ["s3://", "s3:///prefix", "https://lake/x"])
def test_from_url_refuses_a_malformed_url(url: str) -> None:
    with pytest.raises(StoreUnavailable, match="S3 URL"):
        S3Store.from_url(url, env={})


def test_from_url_without_credentials_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # botocore's fallback chain looks beyond `env`; point all of it at nothing.
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    with pytest.raises(StoreUnavailable, match="no AWS credentials found"):
        S3Store.from_url("s3://lake", env={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})


def test_from_url_with_half_the_credentials_says_which_is_missing() -> None:
    with pytest.raises(StoreUnavailable, match="AWS_SECRET_ACCESS_KEY is not"):
        S3Store.from_url("s3://lake", env={"AWS_ACCESS_KEY_ID": "AKIA"})


def test_from_url_with_an_unknown_profile_names_it(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="profile 'nope' not found"):
        S3Store.from_url("s3://lake", env={"AWS_PROFILE": "nope"})


def test_from_url_with_an_unreachable_endpoint_fails_quickly() -> None:
    env = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
    }
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match=r"cannot reach the S3 endpoint http://127.0.0.1:1"):
        S3Store.from_url("s3://lake", env=env)
    assert time.monotonic() - started < 5


def test_connect_turns_access_denied_into_store_unavailable(offline: S3Client) -> None:
    with Stubber(offline) as stub:
        stub.add_client_error("head_bucket", "403", "Forbidden", http_status_code=403)
        with pytest.raises(StoreUnavailable, match="access denied to S3 bucket 'lake'"):
            S3Store.connect(offline, "lake")


@pytest.mark.integration
def test_from_url_against_seaweedfs_opens_and_rejects_a_wrong_secret(seaweedfs: S3Server) -> None:
    seaweedfs.create_bucket("from-url")

    store = S3Store.from_url("s3://from-url/p", env=seaweedfs.env())
    store.write_bytes("k", b"x")
    assert store.head("k").sha256 == sha(b"x")

    wrong = {**seaweedfs.env(), "AWS_SECRET_ACCESS_KEY": "wrong"}
    with pytest.raises(StoreUnavailable, match="access denied to S3 bucket 'from-url'"):
        S3Store.from_url("s3://from-url/p", env=wrong)
    with pytest.raises(StoreUnavailable, match="'absent' does not exist"):
        S3Store.from_url("s3://absent", env=seaweedfs.env())
