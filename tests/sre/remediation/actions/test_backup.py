"""backup and validate-backup: a backup is the committed snapshot, byte for byte, and validation
catches a flipped byte, a missing file, a wrong row count and a wrong schema."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pyarrow as pa
import pytest

from sre.errors import RemediationError, UnsafeTarget
from sre.remediation.action import Stores
from sre.remediation.actions import backup
from sre.storage.manifest import Manifest, from_json, read_current, to_json
from sre.storage.s3 import S3Store
from tests.sre.remediation.conftest import (
    INCIDENT,
    NOW,
    FaultyStore,
    contents,
    parquet_bytes,
    takes_no_store,
    write_silver,
)

DATE = "2024-09-22"
BASE = f"silver/{DATE}"
PART = f"{BASE}/nutrition_daily/snapshot=s1/part-00000.parquet"


def take(stores: Stores, label: str = DATE) -> None:
    manifest = read_current(stores.lake, "silver")
    outcome = backup.apply(backup.plan(label, manifest), stores, incident=INCIDENT, now=NOW)
    assert outcome.ok, outcome.detail


def reasons(stores: Stores, label: str = DATE) -> list[tuple[str, str]]:
    return [(p.key, p.reason) for p in backup.validate(stores.backup, label)]


def edit_manifest(stores: Stores, entry_key: str, **changes: object) -> None:
    """Rewrite one file entry of the backup's manifest (keeping _backup.json consistent)."""
    manifest = backup.read_backup(stores.backup, DATE)
    doc = json.loads(to_json(manifest))
    for table in doc["tables"].values():
        for entry in table["files"]:
            if entry["key"] == entry_key:
                entry.update(changes)
    stores.backup.write_bytes(f"{BASE}/_manifest.json", json.dumps(doc).encode())
    marker = json.loads(stores.backup.read_bytes(f"{BASE}/_backup.json"))
    marker["bytes"] = sum(f.size for f in from_json(json.dumps(doc).encode()).files())
    stores.backup.write_bytes(f"{BASE}/_backup.json", json.dumps(marker).encode())


# --- plan ------------------------------------------------------------------------------------


def test_plan_is_pure_and_counts_what_it_copies(stores: Stores, silver: Manifest) -> None:
    plan = backup.plan(DATE, silver)

    assert plan == backup.plan(DATE, silver)
    assert takes_no_store(backup.plan)
    assert (plan.objects, plan.bytes) == (3, sum(f.size for f in silver.files()))
    assert [s.dst for s in plan.steps if s.op == "write"] == [
        f"{BASE}/_manifest.json",
        f"{BASE}/_backup.json",
    ]
    assert f"{BASE}/weight_daily/snapshot=s1/part-00000.parquet" in {s.dst for s in plan.steps}


@pytest.mark.parametrize("label", ["2024-13-01", "2024-9-22", "../2024-09-22", "latest", "x"])
def test_plan_refuses_a_label_that_is_not_a_date(label: str, silver: Manifest) -> None:
    with pytest.raises(UnsafeTarget):
        backup.plan(label, silver)


def test_plan_refuses_when_nothing_is_committed() -> None:
    with pytest.raises(RemediationError, match="nothing to back up"):
        backup.plan(DATE, None)


# --- apply and validate ----------------------------------------------------------------------


def test_a_backup_is_the_committed_snapshot_byte_for_byte(any_stores: Stores) -> None:
    stores = any_stores
    manifest = write_silver(stores.lake, "s1", {"nutrition_daily": [5, 7], "weight_daily": [4]})

    take(stores)

    held = contents(stores.backup)
    lake = contents(stores.lake, "silver/")
    for entry in manifest.files():
        assert held[f"silver/{DATE}/{entry.key.removeprefix('silver/')}"] == lake[entry.key]
    assert backup.read_backup(stores.backup, DATE) == manifest
    marker = json.loads(stores.backup.read_bytes(f"{BASE}/_backup.json"))
    assert marker["snapshot"] == "s1"
    assert (marker["files"], marker["bytes"]) == (3, sum(f.size for f in manifest.files()))
    assert marker["created_at"] == "2024-09-23T04:00:00+00:00"
    assert backup.validate(stores.backup, DATE) == []
    assert backup.latest(stores.backup) == DATE


def test_backing_up_the_same_snapshot_twice_is_a_no_op(stores: Stores, silver: Manifest) -> None:
    take(stores)
    again = backup.apply(backup.plan(DATE, silver), stores, incident=INCIDENT, now=NOW)

    assert again.ok and again.done == ()
    assert "already" in again.detail


def test_a_corrupt_lake_file_fails_the_backup_without_a_marker(
    stores: Stores, silver: Manifest
) -> None:
    key = silver.files()[1].key
    stores.lake.write_bytes(key, b"garbage")

    outcome = backup.apply(backup.plan(DATE, silver), stores, incident=INCIDENT, now=NOW)

    assert not outcome.ok
    assert "sha256" in outcome.detail
    assert not stores.backup.exists(f"{BASE}/_backup.json")
    assert backup.latest(stores.backup) is None


def test_validate_detects_a_flipped_byte(stores: Stores, silver: Manifest) -> None:
    take(stores)
    data = bytearray(stores.backup.read_bytes(PART))
    data[len(data) // 2] ^= 0x01
    stores.backup.write_bytes(PART, bytes(data))

    assert (PART, "sha256 differs from the manifest") in reasons(stores)


def test_validate_reads_the_bytes_not_the_stored_checksum(stores: Stores, silver: Manifest) -> None:
    """Bit rot on the server leaves the sha256 metadata as it was: validation must not trust it."""
    take(stores)
    if not isinstance(stores.backup, S3Store):
        pytest.skip("metadata checksums are an S3 matter")
    s3 = stores.backup
    data = bytearray(s3.read_bytes(PART))
    data[-20] ^= 0xFF
    old = s3.head(PART).sha256
    s3._client.put_object(Bucket=s3.bucket, Key=PART, Body=bytes(data), Metadata={"sha256": old})

    assert s3.head(PART).sha256 == old
    assert (PART, "sha256 differs from the manifest") in reasons(stores)


def test_validate_detects_a_missing_file(stores: Stores, silver: Manifest) -> None:
    take(stores)
    stores.backup.delete(PART)

    assert reasons(stores) == [(PART, "missing")]


def test_validate_detects_a_wrong_row_count(stores: Stores, silver: Manifest) -> None:
    take(stores)
    edit_manifest(stores, "silver/nutrition_daily/snapshot=s1/part-00000.parquet", rows=6)

    assert reasons(stores) == [(PART, "5 rows, the manifest says 6")]


def test_validate_detects_a_wrong_schema(stores: Stores, silver: Manifest) -> None:
    take(stores)
    other = pa.schema([("participant_id", pa.string()), ("day", pa.int32()), ("note", pa.string())])
    data = parquet_bytes(5, schema=other)
    stores.backup.write_bytes(PART, data)
    edit_manifest(
        stores,
        "silver/nutrition_daily/snapshot=s1/part-00000.parquet",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )

    [(key, reason)] = reasons(stores)
    assert key == PART
    assert "schema differs" in reason
    assert "-day:int64" in reason and "+day:int32" in reason and "-kcal:double" in reason


def test_validate_detects_a_file_that_is_not_parquet(stores: Stores, silver: Manifest) -> None:
    take(stores)
    stores.backup.write_bytes(PART, b"not parquet")
    edit_manifest(
        stores,
        "silver/nutrition_daily/snapshot=s1/part-00000.parquet",
        size=11,
        sha256=hashlib.sha256(b"not parquet").hexdigest(),
    )

    [(key, reason)] = reasons(stores)
    assert key == PART and reason.startswith("not a readable Parquet file")


def test_an_unfinished_backup_is_invalid_and_never_latest(stores: Stores, silver: Manifest) -> None:
    take(stores, "2024-09-21")
    take(stores)
    stores.backup.delete(f"{BASE}/_backup.json")

    assert reasons(stores) == [
        (f"{BASE}/_backup.json", "missing or malformed: the backup never completed")
    ]
    assert backup.latest(stores.backup) == "2024-09-21"


def test_latest_is_the_most_recent_complete_dated_backup(stores: Stores, silver: Manifest) -> None:
    for label in ("2024-09-20", "2024-09-22", "2024-09-21", f"pre-restore-{INCIDENT}"):
        take(stores, label)
    stores.backup.write_bytes("silver/2024-09-23/_backup.json", b"{not json")

    assert backup.latest(stores.backup) == "2024-09-22"


def test_validate_of_an_unknown_backup_says_the_manifest_is_missing(stores: Stores) -> None:
    assert reasons(stores, "2020-01-01") == [
        ("silver/2020-01-01/_manifest.json", "silver/2020-01-01/_manifest.json is missing")
    ]


# --- verify, undo, faults --------------------------------------------------------------------


def test_verify_then_undo_deletes_the_backup(stores: Stores, silver: Manifest) -> None:
    plan = backup.plan(DATE, silver)
    outcome = backup.apply(plan, stores, incident=INCIDENT, now=NOW)
    assert backup.verify(outcome, stores).ok and backup.verify(plan, stores).ok
    assert outcome.undo is not None

    undone = backup.undo(outcome.undo, stores)

    assert undone.ok
    assert contents(stores.backup) == {}
    assert undone.done[0].src.endswith("_backup.json")


def test_a_failed_copy_leaves_an_unfinished_backup_that_undo_removes(
    any_stores: Stores,
) -> None:
    stores = any_stores
    manifest = write_silver(stores.lake, "s1", {"nutrition_daily": [5, 7], "weight_daily": [4]})
    lake_before = contents(stores.lake)
    faulty = replace(stores, backup=FaultyStore(stores.backup, op="upload", nth=2))

    outcome = backup.apply(backup.plan(DATE, manifest), faulty, incident=INCIDENT, now=NOW)

    assert not outcome.ok and "injected" in outcome.detail
    assert [s.op for s in outcome.done] == ["copy"]
    assert contents(stores.lake) == lake_before
    assert backup.latest(stores.backup) is None
    assert outcome.undo is not None
    assert backup.undo(outcome.undo, stores).ok
    assert contents(stores.backup) == {}
