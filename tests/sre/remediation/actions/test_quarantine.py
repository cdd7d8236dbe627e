"""quarantine: plan is pure and refuses unsafe prefixes; apply moves verified copies; undo
restores byte-identical objects, after a full run and after a run broken half-way."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from sre.errors import UnsafeTarget
from sre.remediation.action import Stores
from sre.remediation.actions import quarantine
from sre.storage import ObjectInfo
from tests.sre.remediation.conftest import (
    INCIDENT,
    NOW,
    FaultyStore,
    NoCalls,
    contents,
    data_files,
    takes_no_store,
    write_silver,
)

PREFIX = "silver/nutrition_daily/month=2024-09/"

OBJECTS = [
    ObjectInfo("silver/nutrition_daily/month=2024-09/part-00001.parquet", 300, "b" * 64),
    ObjectInfo("silver/nutrition_daily/month=2024-09/part-00000.parquet", 200, "a" * 64),
    ObjectInfo("silver/nutrition_daily/month=2024-091/part-00000.parquet", 999, "c" * 64),
    ObjectInfo("silver/weight_daily/part-00000.parquet", 999, "d" * 64),
]


# --- plan ------------------------------------------------------------------------------------


def test_plan_is_pure_and_deterministic() -> None:
    first = quarantine.plan(PREFIX, OBJECTS, incident=INCIDENT)
    again = quarantine.plan(PREFIX, list(reversed(OBJECTS)), incident=INCIDENT)

    assert first == again
    assert takes_no_store(quarantine.plan)


def test_plan_copies_then_deletes_and_reports_the_blast_radius() -> None:
    plan = quarantine.plan(PREFIX, OBJECTS, incident=INCIDENT)

    assert (plan.objects, plan.bytes) == (2, 500)
    ops = [(s.op, s.src, s.dst) for s in plan.steps]
    assert ops == [
        ("write", "undo record", "inc-42/_undo.json"),
        ("copy", OBJECTS[1].key, f"inc-42/{OBJECTS[1].key}"),
        ("copy", OBJECTS[0].key, f"inc-42/{OBJECTS[0].key}"),
        ("delete", OBJECTS[1].key, ""),
        ("delete", OBJECTS[0].key, ""),
    ]
    assert "deleted only after every copy" in plan.describe()[0]


def test_a_prefix_without_a_slash_does_not_reach_a_sibling_partition() -> None:
    plan = quarantine.plan(PREFIX.rstrip("/"), OBJECTS, incident=INCIDENT)

    assert plan.objects == 2
    assert all("month=2024-091" not in s.src for s in plan.steps)


def test_an_empty_prefix_plans_nothing() -> None:
    plan = quarantine.plan("silver/participants/", OBJECTS, incident=INCIDENT)

    assert (plan.steps, plan.objects) == ((), 0)
    assert "nothing to do" in plan.describe()[0]


@pytest.mark.parametrize(
    "prefix",
    [
        "../",
        "/etc",
        "/etc/passwd",
        "silver/../bronze/",
        "silver/./x/",
        "silver//x/",
        "bronze/",
        "silver/",
        "silver",
        "silver/_CURRENT.json",
        "silver/nutrition_daily/_delta_log/",
        "silver/nutrition_daily/_delta_log/00000000000000000000.json",
        "silver/nutrition_daily/_checksums/",
        "s3://other-bucket/silver/x/",
        "silver/x/;rm -rf /",
        "silver/x/$(reboot)",
        "silver/x/`id`",
        "silver/x\\..\\..\\bronze",
        "silver/x/\x00",
        "silver/x y/",
        "silver/nutrïtion/",
        "",
    ],
)
def test_unsafe_prefixes_are_refused(prefix: str) -> None:
    with pytest.raises(UnsafeTarget, match="prefix") as caught:
        quarantine.plan(prefix, OBJECTS, incident=INCIDENT)

    assert (caught.value.action, caught.value.target) == ("quarantine", prefix[:120])


def test_inventory_checks_the_prefix_before_touching_the_lake() -> None:
    untouchable = Stores(NoCalls(), NoCalls(), NoCalls())

    with pytest.raises(UnsafeTarget):
        quarantine.inventory(untouchable, "silver/../bronze/")


@pytest.mark.parametrize("incident", ["", "../x", "a/b", ".hidden", "x;y", "a" * 200])
def test_unsafe_incident_ids_are_refused(incident: str) -> None:
    with pytest.raises(UnsafeTarget):
        quarantine.plan(PREFIX, OBJECTS, incident=incident)


# --- apply, verify, undo ---------------------------------------------------------------------


def test_apply_moves_verified_copies_with_provenance(any_stores: Stores) -> None:
    stores = any_stores
    write_silver(stores.lake, {"nutrition_daily": [5, 7], "weight_daily": [4]})
    before = contents(stores.lake, PREFIX)
    plan = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)

    outcome = quarantine.apply(plan, stores, incident=INCIDENT, now=NOW)

    assert outcome.ok, outcome.detail
    assert contents(stores.lake, PREFIX) == {}
    assert data_files(stores.lake, "weight_daily")  # another table's files stay
    assert contents(stores.lake, "silver/nutrition_daily/_delta_log/")  # and the log
    moved = contents(stores.quarantine, f"{INCIDENT}/silver/")
    assert moved == {f"{INCIDENT}/{key}": sha for key, sha in before.items()}
    for key, sha in before.items():
        meta = stores.quarantine.head(f"{INCIDENT}/{key}").metadata
        assert meta == {
            "source-key": key,
            "source-store": stores.lake.url,
            "incident": INCIDENT,
            "quarantined-at": "2024-09-23T04:00:00+00:00",
            "source-sha256": sha,
        }
    assert quarantine.verify(outcome, stores).ok
    assert quarantine.verify(plan, stores).ok


def test_the_undo_record_is_kept_in_quarantine(stores: Stores, silver: list[str]) -> None:
    plan = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)
    outcome = quarantine.apply(plan, stores, incident=INCIDENT, now=NOW)

    kept = quarantine.load_undo(stores.quarantine, INCIDENT)

    assert kept == outcome.undo
    assert kept is not None and kept["state"] == "done"
    assert [i["state"] for i in kept["items"]] == ["deleted", "deleted"]
    assert json.loads(json.dumps(kept)) == kept


def test_undo_from_the_stored_record_restores_byte_identical_objects(
    stores: Stores, silver: list[str]
) -> None:
    lake_before = contents(stores.lake)
    plan = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)
    quarantine.apply(plan, stores, incident=INCIDENT, now=NOW)
    record = quarantine.load_undo(stores.quarantine, INCIDENT)
    assert record is not None

    outcome = quarantine.undo(record, stores)

    assert outcome.ok, outcome.detail
    assert contents(stores.lake) == lake_before
    assert set(contents(stores.quarantine)) == {f"{INCIDENT}/_undo.json"}
    kept = quarantine.load_undo(stores.quarantine, INCIDENT)
    assert kept is not None and kept["state"] == "undone"
    assert not quarantine.verify(plan, stores).ok


def test_undo_refuses_a_record_that_points_outside_the_incident(stores: Stores) -> None:
    record: dict[str, Any] = {
        "action": "quarantine",
        "incident": INCIDENT,
        "items": [{"src": "silver/t/a", "dst": "other/silver/t/a", "sha256": "", "size": 1}],
    }
    with pytest.raises(UnsafeTarget):
        quarantine.undo(record, stores)
    record["items"] = [{"src": "bronze/a", "dst": f"{INCIDENT}/bronze/a", "sha256": "", "size": 1}]
    with pytest.raises(UnsafeTarget):
        quarantine.undo(record, stores)


def test_a_plan_for_another_incident_is_refused(stores: Stores) -> None:
    plan = quarantine.plan(PREFIX, OBJECTS, incident="inc-1")

    with pytest.raises(Exception, match="another incident"):
        quarantine.apply(plan, stores, incident="inc-2", now=NOW)


# --- faults: an S3 error half-way loses nothing, and the partial run can be undone ------------


def everything(stores: Stores) -> dict[str, str]:
    """Where every original object is now: its sha256 in the lake or in quarantine."""
    found = dict(contents(stores.lake))
    prefix = f"{INCIDENT}/"
    for key, sha in contents(stores.quarantine).items():
        if key != f"{INCIDENT}/_undo.json":
            found.setdefault(key.removeprefix(prefix), sha)
            assert found[key.removeprefix(prefix)] == sha
    return found


@pytest.mark.parametrize(
    ("store", "op", "nth"),
    [
        ("quarantine", "upload", 2),
        ("lake", "delete", 2),
        ("quarantine", "upload", 1),
        ("lake", "delete", 1),
    ],
)
def test_a_storage_error_half_way_loses_nothing_and_partial_undo_works(
    any_stores: Stores, store: str, op: str, nth: int
) -> None:
    stores = any_stores
    write_silver(stores.lake, {"nutrition_daily": [5, 7, 3], "weight_daily": [4]})
    before = contents(stores.lake)
    plan = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)
    faulty = replace(stores, **{store: FaultyStore(getattr(stores, store), op=op, nth=nth)})

    outcome = quarantine.apply(plan, faulty, incident=INCIDENT, now=NOW)

    assert not outcome.ok
    assert "injected" in outcome.detail
    copied = sum(1 for s in outcome.done if s.op == "copy")
    deleted = sum(1 for s in outcome.done if s.op == "delete")
    assert (copied, deleted) == ((nth - 1, 0) if op == "upload" else (3, nth - 1))
    assert everything(stores) == before  # every object, same bytes, somewhere
    assert outcome.undo is not None and outcome.undo["state"] == "partial"

    undone = quarantine.undo(outcome.undo, stores)

    assert undone.ok, undone.detail
    assert contents(stores.lake) == before
    assert set(contents(stores.quarantine)) == {f"{INCIDENT}/_undo.json"}


def test_a_retry_under_the_same_incident_keeps_the_earlier_record(stores: Stores) -> None:
    write_silver(stores.lake, {"nutrition_daily": [5, 7, 3]})
    before = contents(stores.lake)
    first = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)
    broken = replace(stores, lake=FaultyStore(stores.lake, op="delete", nth=2))
    assert not quarantine.apply(first, broken, incident=INCIDENT, now=NOW).ok

    retry = quarantine.plan(PREFIX, quarantine.inventory(stores, PREFIX), incident=INCIDENT)
    outcome = quarantine.apply(retry, stores, incident=INCIDENT, now=NOW)

    assert outcome.ok and retry.objects == 2
    assert outcome.undo is not None and len(outcome.undo["items"]) == 3
    assert quarantine.verify(outcome, stores).ok
    record = quarantine.load_undo(stores.quarantine, INCIDENT)
    assert record is not None and quarantine.undo(record, stores).ok
    assert contents(stores.lake) == before


def test_a_whole_table_moves_its_data_files_never_its_log(stores: Stores) -> None:
    write_silver(stores.lake, {"weight_daily": [4, 4]})
    log = contents(stores.lake, "silver/weight_daily/_delta_log/")
    prefix = "silver/weight_daily/"
    plan = quarantine.plan(prefix, quarantine.inventory(stores, prefix), incident=INCIDENT)

    assert plan.objects == 2 and all("/_" not in s.src for s in plan.steps if s.op == "copy")
    assert quarantine.apply(plan, stores, incident=INCIDENT, now=NOW).ok
    assert data_files(stores.lake, "weight_daily") == []
    assert contents(stores.lake, "silver/weight_daily/_delta_log/") == log
