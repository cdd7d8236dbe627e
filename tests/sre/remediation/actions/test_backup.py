"""backup and validate-backup on Delta tables: a backup is each table's version (log and data
files) byte for byte, opens as a Delta table at that version, pins the version against vacuum,
and validation catches a flipped byte, a missing file, a wrong row count, a wrong schema and a
log that names other files."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import polars as pl
import pyarrow as pa
import pytest

from sre.errors import RemediationError, UnsafeTarget
from sre.remediation.action import Stores
from sre.remediation.actions import backup
from sre.storage.delta import location, open_table, pinned_versions
from sre.storage.delta_version import TableVersion
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
MARKER = f"{BASE}/_backup.json"


@pytest.fixture
def stores(delta_stores: Stores) -> Stores:
    """Delta tables are opened by delta-rs: local directories, and real S3 (SeaweedFS)."""
    return delta_stores


@pytest.fixture
def tables(stores: Stores) -> list[TableVersion]:
    stores.lake.write_bytes("bronze/ingest_date=2024-09-22/nutrition.csv", b"id,kcal\n1,2\n")
    return write_silver(stores.lake, {"nutrition_daily": [5, 7], "weight_daily": [4]})


def take(stores: Stores, label: str = DATE) -> None:
    outcome = backup.apply(
        backup.plan(label, backup.inspect(stores.lake)), stores, incident=INCIDENT, now=NOW
    )
    assert outcome.ok, outcome.detail


def reasons(stores: Stores, label: str = DATE) -> list[tuple[str, str]]:
    return [(p.key, p.reason) for p in backup.validate(stores.backup, label)]


def first_file(tables: list[TableVersion]) -> str:
    """The backup's key of nutrition_daily's first data file."""
    return f"{BASE}/{tables[0].files[0].key.removeprefix('silver/')}"


def edit_record(stores: Stores, lake_key: str, **changes: object) -> None:
    """Rewrite one object entry of the backup's record."""
    doc = json.loads(stores.backup.read_bytes(MARKER))
    for table in doc["tables"].values():
        for entry in table["files"]:
            if entry["key"] == lake_key:
                entry.update(changes)
    stores.backup.write_bytes(MARKER, json.dumps(doc).encode())


# --- plan ------------------------------------------------------------------------------------


def test_plan_is_pure_and_counts_what_it_copies(tables: list[TableVersion]) -> None:
    plan = backup.plan(DATE, tables)

    assert plan == backup.plan(DATE, tables)
    assert takes_no_store(backup.plan)
    objects = [o for t in tables for o in t.objects]
    assert (plan.objects, plan.bytes) == (len(objects), sum(o.size for o in objects))
    assert [t.version for t in tables] == [1, 0]  # two commits, then one
    assert [s.dst for s in plan.steps if s.op == "write"] == [MARKER]
    assert f"{BASE}/weight_daily/_delta_log/00000000000000000000.json" in {
        s.dst for s in plan.steps
    }


@pytest.mark.parametrize("label", ["2024-13-01", "2024-9-22", "../2024-09-22", "latest", "x"])
def test_plan_refuses_a_label_that_is_not_a_date(label: str, tables: list[TableVersion]) -> None:
    with pytest.raises(UnsafeTarget):
        backup.plan(label, tables)


def test_plan_refuses_when_there_is_no_table() -> None:
    with pytest.raises(RemediationError, match="nothing to back up"):
        backup.plan(DATE, [])


def test_the_log_kept_starts_at_the_newest_checkpoint() -> None:
    names = [f"{v:020d}.json" for v in range(6)] + [
        f"{2:020d}.checkpoint.parquet",
        f"{5:020d}.checkpoint.parquet",
        "_last_checkpoint",
    ]
    from sre.storage.delta_version import log_objects

    assert log_objects(names, 4) == [
        f"{2:020d}.checkpoint.parquet",
        f"{3:020d}.json",
        f"{4:020d}.json",
    ]
    assert log_objects(names, 1) == [f"{0:020d}.json", f"{1:020d}.json"]


# --- apply and validate ----------------------------------------------------------------------


def test_a_backup_is_each_tables_version_byte_for_byte_and_a_delta_table(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores)

    held = contents(stores.backup)
    lake = contents(stores.lake, "silver/")
    for table in tables:
        for entry in table.objects:
            assert held[f"{BASE}/{entry.key.removeprefix('silver/')}"] == lake[entry.key]
    record = backup.read_backup(stores.backup, DATE)
    assert record.versions == {"silver/nutrition_daily": 1, "silver/weight_daily": 0}
    assert (record.created_at, record.incident) == ("2024-09-23T04:00:00+00:00", INCIDENT)
    assert backup.validate(stores.backup, DATE) == []
    assert backup.latest(stores.backup) == DATE
    # Any Delta reader opens the backup's copy, and reads the lake's rows.
    for name in ("nutrition_daily", "weight_daily"):
        kept, source = (
            location(stores.backup, f"{BASE}/{name}"),
            location(stores.lake, f"silver/{name}"),
        )
        copy = pl.read_delta(kept.uri, storage_options=dict(kept.options) or None)
        original = pl.read_delta(source.uri, storage_options=dict(source.options) or None)
        assert copy.sort("day").equals(original.sort("day"))


def test_a_backup_pins_its_versions_against_vacuum_and_undo_unpins(
    stores: Stores, tables: list[TableVersion]
) -> None:
    plan = backup.plan(DATE, backup.inspect(stores.lake))
    outcome = backup.apply(plan, stores, incident=INCIDENT, now=NOW)
    daily = location(stores.lake, "silver/nutrition_daily")

    assert pinned_versions(daily) == [1]
    assert outcome.undo is not None and backup.undo(outcome.undo, stores).ok
    assert pinned_versions(daily) == []


def test_a_consistent_set_is_backed_up_at_the_versions_asked_for(
    stores: Stores, tables: list[TableVersion]
) -> None:
    write_silver(stores.lake, {"weight_daily": [3]}, seed=5)  # weight_daily moves on to 1
    asked = {"silver/nutrition_daily": 1, "silver/weight_daily": 0}
    kept = backup.inspect(stores.lake, asked)

    assert {t.key: t.version for t in kept} == asked
    assert kept[1].files == tables[1].files
    outcome = backup.apply(backup.plan(DATE, kept), stores, incident=INCIDENT, now=NOW)
    assert outcome.ok and backup.validate(stores.backup, DATE) == []


def test_backing_up_the_same_versions_twice_is_a_no_op(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores)
    again = backup.apply(backup.plan(DATE, tables), stores, incident=INCIDENT, now=NOW)

    assert again.ok and again.done == ()
    assert "already" in again.detail


def test_a_date_holding_other_versions_is_refused(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores)
    newer = write_silver(stores.lake, {"weight_daily": [3]}, seed=5)
    other = backup.apply(
        backup.plan(DATE, backup.inspect(stores.lake)), stores, incident=INCIDENT, now=NOW
    )

    assert newer and not other.ok and "other versions" in other.detail


def test_a_corrupt_lake_file_fails_the_backup_without_a_record(
    stores: Stores, tables: list[TableVersion]
) -> None:
    plan = backup.plan(DATE, backup.inspect(stores.lake))
    stores.lake.write_bytes(tables[0].files[1].key, b"garbage")

    outcome = backup.apply(plan, stores, incident=INCIDENT, now=NOW)

    assert not outcome.ok
    assert "sha256" in outcome.detail
    assert not stores.backup.exists(MARKER)
    assert backup.latest(stores.backup) is None


def test_validate_detects_a_flipped_byte(stores: Stores, tables: list[TableVersion]) -> None:
    take(stores)
    part = first_file(tables)
    data = bytearray(stores.backup.read_bytes(part))
    data[len(data) // 2] ^= 0x01
    stores.backup.write_bytes(part, bytes(data))

    assert (part, "sha256 differs from the backup record") in reasons(stores)


def test_validate_reads_the_bytes_not_the_stored_checksum(
    stores: Stores, tables: list[TableVersion]
) -> None:
    """Bit rot on the server leaves the sha256 metadata as it was: validation must not trust it."""
    take(stores)
    if not isinstance(stores.backup, S3Store):
        pytest.skip("metadata checksums are an S3 matter")
    s3, part = stores.backup, first_file(tables)
    data = bytearray(s3.read_bytes(part))
    data[-20] ^= 0xFF
    old = s3.head(part).sha256
    s3._client.put_object(
        Bucket=s3.bucket, Key=f"{s3.prefix}/{part}", Body=bytes(data), Metadata={"sha256": old}
    )

    assert s3.head(part).sha256 == old
    assert (part, "sha256 differs from the backup record") in reasons(stores)


def test_validate_detects_a_missing_file(stores: Stores, tables: list[TableVersion]) -> None:
    take(stores)
    stores.backup.delete(first_file(tables))

    assert reasons(stores) == [(first_file(tables), "missing")]


def test_validate_detects_a_missing_log_entry(stores: Stores, tables: list[TableVersion]) -> None:
    take(stores)
    entry = f"{BASE}/weight_daily/_delta_log/00000000000000000000.json"
    stores.backup.delete(entry)

    assert reasons(stores) == [(entry, "missing")]


def test_validate_detects_a_wrong_row_count(stores: Stores, tables: list[TableVersion]) -> None:
    take(stores)
    rows = tables[0].files[0].rows
    edit_record(stores, tables[0].files[0].key, rows=rows + 1)

    assert reasons(stores) == [
        (first_file(tables), f"{rows} rows, the backup record says {rows + 1}")
    ]


def test_validate_detects_a_wrong_schema(stores: Stores, tables: list[TableVersion]) -> None:
    take(stores)
    other = pa.schema([("participant_id", pa.string()), ("day", pa.int32()), ("note", pa.string())])
    data = parquet_bytes(tables[0].files[0].rows, schema=other)
    stores.backup.write_bytes(first_file(tables), data)
    edit_record(
        stores, tables[0].files[0].key, size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )

    [(key, reason)] = reasons(stores)
    assert key == first_file(tables)
    assert "schema differs" in reason
    assert "-day:int64" in reason and "+day:int32" in reason and "-kcal:double" in reason


def test_validate_detects_a_file_that_is_not_parquet(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores)
    stores.backup.write_bytes(first_file(tables), b"not parquet")
    edit_record(
        stores, tables[0].files[0].key, size=11, sha256=hashlib.sha256(b"not parquet").hexdigest()
    )

    [(key, reason)] = reasons(stores)
    assert key == first_file(tables) and reason.startswith("not a readable Parquet file")


def test_validate_detects_a_record_that_names_files_the_log_does_not(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores)
    doc = json.loads(stores.backup.read_bytes(MARKER))
    doc["tables"]["silver/nutrition_daily"]["files"].pop()
    stores.backup.write_bytes(MARKER, json.dumps(doc).encode())

    assert reasons(stores) == [
        (f"{BASE}/nutrition_daily", "its log names other data files than the backup record")
    ]


def test_an_unfinished_backup_is_invalid_and_never_latest(
    stores: Stores, tables: list[TableVersion]
) -> None:
    take(stores, "2024-09-21")
    take(stores)
    stores.backup.delete(MARKER)

    assert reasons(stores) == [(MARKER, f"{MARKER} is missing: the backup never completed")]
    assert backup.latest(stores.backup) == "2024-09-21"


def test_latest_is_the_most_recent_complete_dated_backup(
    stores: Stores, tables: list[TableVersion]
) -> None:
    for label in ("2024-09-20", "2024-09-22", "2024-09-21", f"pre-restore-{INCIDENT}"):
        take(stores, label)
    stores.backup.write_bytes("silver/2024-09-23/_backup.json", b"{not json")

    assert backup.latest(stores.backup) == "2024-09-22"


# --- verify, undo, faults --------------------------------------------------------------------


def test_verify_then_undo_deletes_the_backup(stores: Stores, tables: list[TableVersion]) -> None:
    plan = backup.plan(DATE, tables)
    outcome = backup.apply(plan, stores, incident=INCIDENT, now=NOW + timedelta(0))
    assert backup.verify(outcome, stores).ok and backup.verify(plan, stores).ok
    assert outcome.undo is not None

    undone = backup.undo(outcome.undo, stores)

    assert undone.ok
    assert contents(stores.backup) == {}
    assert undone.done[0].src == MARKER


def test_undo_refuses_a_record_naming_keys_outside_the_backup(stores: Stores) -> None:
    record = {"action": "backup", "label": DATE, "items": ["silver/weight_daily/part-0.parquet"]}
    with pytest.raises(UnsafeTarget):
        backup.undo(record, stores)


def test_a_failed_copy_leaves_an_unfinished_backup_that_undo_removes(
    stores: Stores, tables: list[TableVersion]
) -> None:
    lake_before = contents(stores.lake)
    faulty = replace(stores, backup=FaultyStore(stores.backup, op="upload", nth=2))

    outcome = backup.apply(backup.plan(DATE, tables), faulty, incident=INCIDENT, now=NOW)

    assert not outcome.ok and "injected" in outcome.detail
    assert [s.op for s in outcome.done] == ["copy"]
    assert contents(stores.lake) == lake_before
    assert backup.latest(stores.backup) is None
    assert outcome.undo is not None
    assert backup.undo(outcome.undo, stores).ok
    assert contents(stores.backup) == {}


def test_a_checkpointed_table_is_kept_from_its_checkpoint_and_opens(stores: Stores) -> None:
    write_silver(stores.lake, {"weight_daily": [2, 2, 2]})
    loc = location(stores.lake, "silver/weight_daily")
    table = open_table(loc)
    assert table is not None
    table.create_checkpoint()  # at version 2
    write_silver(stores.lake, {"weight_daily": [3]}, seed=4)  # version 3

    (kept,) = backup.inspect(stores.lake)
    names = [o.key.rsplit("/", 1)[-1] for o in kept.log]

    assert names == [f"{2:020d}.checkpoint.parquet", f"{3:020d}.json"]
    take(stores)
    assert backup.validate(stores.backup, DATE) == []
    copy = location(stores.backup, f"{BASE}/weight_daily")
    assert pl.read_delta(copy.uri, storage_options=dict(copy.options) or None).height == 9
