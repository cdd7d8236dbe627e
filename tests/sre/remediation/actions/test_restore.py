"""restore on Delta tables: plan is pure and refuses what it cannot put back; the files
quarantine moved aside come back from a validated backup, checked, without overwriting anything
or touching a log; undo removes exactly them; a storage error half-way leaves what undo cleans."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from sre.errors import RemediationError
from sre.remediation.action import Stores
from sre.remediation.actions import backup, quarantine, restore
from sre.storage.delta import location
from tests.sre.remediation.conftest import (
    INCIDENT,
    NOW,
    FaultyStore,
    contents,
    takes_no_store,
    write_silver,
)

DATE = "2024-09-22"


@pytest.fixture
def stores(delta_stores: Stores) -> Stores:
    """Tables in the lake and a valid backup of them, on a local directory and on real S3."""
    write_silver(delta_stores.lake, {"nutrition_daily": [5, 7], "weight_daily": [4]})
    plan = backup.plan(DATE, backup.inspect(delta_stores.lake))
    assert backup.apply(plan, delta_stores, incident="backup", now=NOW).ok
    return delta_stores


def victim(stores: Stores) -> str:
    return next(i.key for i in stores.lake.list("silver/nutrition_daily/") if "/_" not in i.key)


def damage(stores: Stores) -> str:
    key = victim(stores)
    data = bytearray(stores.lake.read_bytes(key))
    data[len(data) // 2] ^= 0xFF
    stores.lake.write_bytes(key, bytes(data))
    return key


def quarantined(stores: Stores, key: str) -> None:
    moved = quarantine.plan(key, quarantine.inventory(stores, key), incident=INCIDENT)
    assert quarantine.apply(moved, stores, incident=INCIDENT, now=NOW).ok


def rows(stores: Stores, table: str) -> pl.DataFrame:
    loc = location(stores.lake, f"silver/{table}")
    return pl.read_delta(loc.uri, storage_options=dict(loc.options) or None).sort("day")


# --- plan ------------------------------------------------------------------------------------


def test_plan_is_pure_and_copies_each_damaged_file_from_the_backup(stores: Stores) -> None:
    key = damage(stores)
    inv = restore.inventory(stores, "latest")

    plan = restore.plan(inv, incident=INCIDENT)

    assert takes_no_store(restore.plan) and plan == restore.plan(inv, incident=INCIDENT)
    assert inv.label == DATE and [d.key for d in inv.damaged] == [key]
    assert [(s.op, s.src, s.dst) for s in plan.steps] == [
        ("copy", f"silver/{DATE}/{key.removeprefix('silver/')}", key)
    ]


def test_nothing_damaged_plans_nothing(stores: Stores) -> None:
    plan = restore.plan_from(stores, "latest", incident=INCIDENT)

    assert plan.steps == () and restore.verify(stores).ok


def test_an_invalid_backup_is_refused_with_its_problems(stores: Stores) -> None:
    damage(stores)
    kept = next(k for k in contents(stores.backup) if k.endswith(".parquet"))
    stores.backup.delete(kept)

    with pytest.raises(RemediationError, match="backup is not valid") as caught:
        restore.plan_from(stores, DATE, incident=INCIDENT)
    assert f"{kept}: missing" in str(caught.value)


def test_no_backup_at_all_is_refused(stores: Stores) -> None:
    stores.backup.delete(f"silver/{DATE}/_backup.json")

    with pytest.raises(RemediationError, match="no complete dated backup"):
        restore.plan_from(stores, "latest", incident=INCIDENT)


def test_a_file_written_after_the_backup_refuses_the_plan(stores: Stores) -> None:
    write_silver(stores.lake, {"weight_daily": [3]}, seed=5)
    kept = {o.key for o in backup.read_backup(stores.backup, DATE).objects()}
    files = [i.key for i in stores.lake.list("silver/weight_daily/") if "/_" not in i.key]
    (fresh,) = [k for k in files if k not in kept]
    stores.lake.delete(fresh)

    with pytest.raises(RemediationError, match="older Delta version") as caught:
        restore.plan_from(stores, "latest", incident=INCIDENT)
    # version 1 added the file now gone; version 0 is whole
    assert "silver/weight_daily: last intact version 0" in str(caught.value)


# --- apply, verify, undo ---------------------------------------------------------------------


def test_a_quarantined_file_comes_back_and_undo_removes_it(stores: Stores) -> None:
    before = rows(stores, "nutrition_daily")
    logs = contents(stores.lake, "silver/nutrition_daily/_delta_log/")
    key = damage(stores)
    # Planned when the alert is decided, before quarantine: applied now, it refuses and
    # overwrites nothing.
    plan = restore.plan_from(stores, "latest", incident=INCIDENT)
    refused = restore.apply(plan, stores, incident=INCIDENT)
    assert not refused.ok and "quarantine it first" in refused.detail
    quarantined(stores, key)
    assert not restore.verify(stores).ok

    outcome = restore.apply(plan, stores, incident=INCIDENT)

    assert outcome.ok, outcome.detail
    assert restore.verify(stores).ok
    assert rows(stores, "nutrition_daily").equals(before)
    assert contents(stores.lake, "silver/nutrition_daily/_delta_log/") == logs
    assert outcome.undo is not None
    undone = restore.undo(outcome.undo, stores)
    assert undone.ok and not stores.lake.exists(key)


def test_undo_refuses_a_key_restore_never_writes(stores: Stores) -> None:
    for key in ("silver/nutrition_daily/_delta_log/00000000000000000000.json", "bronze/x.csv"):
        record = {"action": "restore", "mode": "delta", "incident": INCIDENT, "written": [key]}
        outcome = restore.undo(record, stores)
        assert not outcome.ok and "never writes" in outcome.detail
    assert stores.lake.exists("silver/nutrition_daily/_delta_log/00000000000000000000.json")


def test_a_storage_error_half_way_is_undone(stores: Stores) -> None:
    write_silver(stores.lake, {"weight_daily": [2]}, seed=3)
    plan = backup.plan("2024-09-23", backup.inspect(stores.lake))
    assert backup.apply(plan, stores, incident="b2", now=NOW).ok
    keys = [i.key for i in stores.lake.list("silver/") if "/_" not in i.key]
    before = contents(stores.lake)
    for key in keys[:2]:
        quarantined(stores, key)
    plan = restore.plan_from(stores, "latest", incident=INCIDENT)
    faulty = replace(stores, lake=FaultyStore(stores.lake, op="upload", nth=2))

    outcome = restore.apply(plan, faulty, incident=INCIDENT)

    assert not outcome.ok and len(outcome.done) == 1
    assert outcome.undo is not None and restore.undo(outcome.undo, stores).ok
    assert all(not stores.lake.exists(k) for k in keys[:2])
    again = restore.plan_from(stores, "latest", incident=INCIDENT)
    assert restore.apply(again, stores, incident=INCIDENT).ok
    assert contents(stores.lake) == before


def test_quarantine_then_restore_then_undo_both_in_reverse_order(stores: Stores) -> None:
    before = contents(stores.lake)
    key = damage(stores)
    damaged = contents(stores.lake)
    quarantined(stores, key)
    outcome = restore.apply(
        restore.plan_from(stores, "latest", incident=INCIDENT), stores, incident=INCIDENT
    )
    assert outcome.ok and contents(stores.lake) == before

    assert outcome.undo is not None and restore.undo(outcome.undo, stores).ok
    record = quarantine.load_undo(stores.quarantine, INCIDENT)
    assert record is not None and quarantine.undo(record, stores).ok
    assert contents(stores.lake) == damaged
