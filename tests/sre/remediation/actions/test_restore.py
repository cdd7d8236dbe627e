"""restore: refuses an invalid backup; keeps current silver aside, restores a backup as a new
snapshot and moves the pointer; undo moves it back; a storage error half-way loses nothing."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from sre.errors import RemediationError
from sre.remediation.action import Plan, Stores
from sre.remediation.actions import backup, quarantine, restore
from sre.storage.manifest import Manifest, read_current
from tests.sre.remediation.conftest import (
    INCIDENT,
    NOW,
    FaultyStore,
    contents,
    takes_no_store,
    write_silver,
)

DATE = "2024-09-22"
NEW = f"restore-{INCIDENT}"


def incident_lake(stores: Stores) -> tuple[Manifest, Manifest]:
    """s1 backed up on DATE, then s2 (the data now suspected) committed on top of it."""
    s1 = write_silver(stores.lake, "s1", {"nutrition_daily": [5, 7], "weight_daily": [4]})
    plan = backup.plan(DATE, s1)
    assert backup.apply(plan, stores, incident="nightly", now=NOW).ok
    s2 = write_silver(
        stores.lake, "s2", {"nutrition_daily": [6], "weight_daily": [4, 2]}, parent="s1", seed=3
    )
    return s1, s2


def planned(stores: Stores, target: str = DATE) -> Plan:
    return restore.plan_from(stores, target, incident=INCIDENT)


# --- plan ------------------------------------------------------------------------------------


def test_plan_is_pure_and_keeps_current_silver_first(stores: Stores) -> None:
    s1, s2 = incident_lake(stores)
    inv = restore.inventory(stores, DATE)

    plan = restore.plan(DATE, inv, incident=INCIDENT)

    assert plan == restore.plan(DATE, inv, incident=INCIDENT)
    assert takes_no_store(restore.plan)
    ops = [(s.op, s.store) for s in plan.steps]
    assert ops == [("copy", "backup")] * 3 + [("write", "backup")] * 2 + [("copy", "lake")] * 3 + [
        ("write", "lake"),
        ("commit", "lake"),
    ]
    assert (plan.objects, plan.bytes) == (6, sum(f.size for f in [*s1.files(), *s2.files()]))
    assert plan.steps[5].dst == f"silver/nutrition_daily/snapshot={NEW}/part-00000.parquet"
    assert plan.steps[-1].detail == {"from": "s2", "to": NEW}
    assert "pre-restore-inc-42" in plan.describe()[1]


def test_latest_resolves_to_the_newest_complete_backup(stores: Stores) -> None:
    incident_lake(stores)

    plan = planned(stores, "latest")

    assert plan.target == DATE
    assert plan.describe()[0].startswith(f"backup latest = {DATE}")


def test_an_invalid_backup_is_refused_with_its_problems(stores: Stores) -> None:
    incident_lake(stores)
    part = f"silver/{DATE}/weight_daily/snapshot=s1/part-00000.parquet"
    stores.backup.delete(part)

    with pytest.raises(RemediationError, match=re.escape(f"not valid, refusing: {part}: missing")):
        planned(stores)


def test_no_backup_at_all_is_refused(stores: Stores) -> None:
    write_silver(stores.lake, "s1", {"weight_daily": [4]})

    with pytest.raises(RemediationError, match="no complete dated backup"):
        restore.inventory(stores, "latest")
    with pytest.raises(RemediationError, match=re.escape("_manifest.json is missing")):
        planned(stores)


# --- apply, verify, undo ---------------------------------------------------------------------


def test_restore_commits_the_backup_as_a_new_snapshot_then_undo_moves_back(
    any_stores: Stores,
) -> None:
    stores = any_stores
    s1, s2 = incident_lake(stores)
    s2_files = contents(stores.lake, "silver/weight_daily/snapshot=s2/")
    plan = planned(stores)

    outcome = restore.apply(plan, stores, incident=INCIDENT, now=NOW)

    assert outcome.ok, outcome.detail
    current = read_current(stores.lake, "silver")
    assert current is not None
    assert (current.snapshot, current.parent) == (NEW, "s2")
    assert [(f.sha256, f.rows) for f in current.files()] == [(f.sha256, f.rows) for f in s1.files()]
    assert current.extra["partitions"] == s1.extra["partitions"]
    assert current.extra["restored_from"] == {"backup": DATE, "snapshot": "s1"}
    assert restore.verify(outcome, stores).ok
    assert restore.verify(plan, stores).ok
    # current silver was kept aside first, and is itself a valid backup
    assert backup.validate(stores.backup, f"pre-restore-{INCIDENT}") == []
    assert backup.read_backup(stores.backup, f"pre-restore-{INCIDENT}") == s2
    assert contents(stores.lake, "silver/weight_daily/snapshot=s2/") == s2_files
    assert outcome.undo is not None

    undone = restore.undo(outcome.undo, stores)

    assert undone.ok, undone.detail
    assert read_current(stores.lake, "silver") == s2
    assert not restore.verify(outcome, stores).ok


def test_undo_refuses_when_the_previous_snapshot_no_longer_verifies(stores: Stores) -> None:
    _, s2 = incident_lake(stores)
    outcome = restore.apply(planned(stores), stores, incident=INCIDENT, now=NOW)
    stores.lake.delete(s2.files()[0].key)
    assert outcome.undo is not None

    undone = restore.undo(outcome.undo, stores)

    assert not undone.ok
    assert "does not verify" in undone.detail and "missing" in undone.detail
    assert read_current(stores.lake, "silver").snapshot == NEW  # type: ignore[union-attr]


def test_undo_refuses_when_silver_moved_on_since(stores: Stores) -> None:
    incident_lake(stores)
    outcome = restore.apply(planned(stores), stores, incident=INCIDENT, now=NOW)
    write_silver(stores.lake, "s3", {"weight_daily": [1]}, parent=NEW)
    assert outcome.undo is not None

    undone = restore.undo(outcome.undo, stores)

    assert not undone.ok and "moved on to s3" in undone.detail


def test_apply_refuses_when_silver_moved_since_the_plan(stores: Stores) -> None:
    incident_lake(stores)
    plan = planned(stores)
    write_silver(stores.lake, "s3", {"weight_daily": [1]}, parent="s2")

    outcome = restore.apply(plan, stores, incident=INCIDENT, now=NOW)

    assert not outcome.ok and "plan again" in outcome.detail
    assert read_current(stores.lake, "silver").snapshot == "s3"  # type: ignore[union-attr]


def test_restoring_twice_under_one_incident_is_refused(stores: Stores) -> None:
    incident_lake(stores)
    assert restore.apply(planned(stores), stores, incident=INCIDENT, now=NOW).ok

    with pytest.raises(RemediationError, match="undo it first"):
        planned(stores)


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "op", "nth"),
    [
        ("backup", "upload", 2),  # while keeping current silver aside
        ("lake", "upload", 2),  # while copying the backup into the lake
        ("lake", "write_bytes", 1),  # writing the new manifest
        ("lake", "write_bytes", 2),  # moving the pointer
    ],
)
def test_a_storage_error_half_way_changes_nothing_and_partial_undo_cleans_up(
    any_stores: Stores, store: str, op: str, nth: int
) -> None:
    stores = any_stores
    _, s2 = incident_lake(stores)
    lake_before = contents(stores.lake)
    backup_before = contents(stores.backup, f"silver/{DATE}/")
    faulty = replace(stores, **{store: FaultyStore(getattr(stores, store), op=op, nth=nth)})

    outcome = restore.apply(planned(stores), faulty, incident=INCIDENT, now=NOW)

    assert not outcome.ok and "injected" in outcome.detail
    assert outcome.undo is not None and outcome.undo["state"] == "partial"
    after = contents(stores.lake)
    assert {k: after.get(k) for k in lake_before} == lake_before  # nothing lost or changed
    assert read_current(stores.lake, "silver") == s2
    assert contents(stores.backup, f"silver/{DATE}/") == backup_before

    undone = restore.undo(outcome.undo, stores)

    assert undone.ok, undone.detail
    assert contents(stores.lake) == lake_before


# --- the data-corruption procedure end to end --------------------------------------------------


def test_quarantine_then_restore_then_undo_both_in_reverse_order(stores: Stores) -> None:
    _, s2 = incident_lake(stores)
    lake_before = contents(stores.lake)
    prefix = "silver/weight_daily/snapshot=s2/"
    moved = quarantine.plan(prefix, quarantine.inventory(stores, prefix), incident=INCIDENT)
    quarantined = quarantine.apply(moved, stores, incident=INCIDENT, now=NOW)
    assert quarantined.ok and quarantined.undo is not None

    restored = restore.apply(planned(stores), stores, incident=INCIDENT, now=NOW)

    assert restored.ok, restored.detail
    assert restore.verify(restored, stores).ok
    problems = backup.validate(stores.backup, f"pre-restore-{INCIDENT}")
    assert any("2 files were missing when taken" in p.reason for p in problems)
    assert restored.undo is not None
    refused = restore.undo(restored.undo, stores)
    assert not refused.ok and "does not verify" in refused.detail

    assert quarantine.undo(quarantined.undo, stores).ok
    assert restore.undo(restored.undo, stores).ok
    assert read_current(stores.lake, "silver") == s2
    after = contents(stores.lake)
    assert {k: after.get(k) for k in lake_before} == lake_before
