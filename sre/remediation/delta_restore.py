"""Restore on Delta tables: put back, from a validated backup, the data files the tables'
current versions need and that are missing or damaged (after quarantine moved them aside).

Works on any Delta table under `silver/` (a folder holding `_delta_log/`). The Delta log is not
touched: it still names the files; each one copied back must match the sha256 recorded when it
was written (`_checksums/`) and the backup's copy. A damaged file is planned for (the plan is
made before quarantine runs) but refused if still in place when restore applies (quarantine it
first), so nothing is overwritten. Undo deletes exactly the files restore put
back. A file the backup does not hold is reported: the table then needs a Delta restore to an
older version, which is left to an operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sre.errors import RemediationError, SreError, UnsafeTarget
from sre.remediation import backups
from sre.remediation.action import Outcome, Plan, Step, Stores, Verification
from sre.remediation.transfer import check_incident, transfer
from sre.storage import ObjectStore
from sre.storage.delta import location, open_table, recorded_checksums, verify_table

ACTION = "restore"
ROOT = "silver"
MODE = "delta"


def tables(lake: ObjectStore) -> list[str]:
    """Keys of the Delta tables directly under silver/ (`silver/<name>`)."""
    found = set()
    for info in lake.list(f"{ROOT}/"):
        parts = info.key.split("/")
        if len(parts) >= 4 and parts[2] == "_delta_log":
            found.add(f"{ROOT}/{parts[1]}")
    return sorted(found)


def is_delta(lake: ObjectStore) -> bool:
    return bool(tables(lake))


def label(stores: Stores, target: str) -> str:
    """The backup a target names (`latest`: the newest complete dated one)."""
    found = backups.latest(stores.backup) if target == "latest" else backups.check_label(target)
    if found is None:
        raise RemediationError("no complete dated backup exists", action=ACTION, target=target)
    return found


def plan(stores: Stores, label: str, *, incident: str) -> Plan:
    """One copy per missing file, from backup `label` (validated first)."""
    check_incident(incident, action=ACTION)
    problems = backups.validate(stores.backup, label)
    if problems:
        shown = "; ".join(f"{p.key}: {p.reason}" for p in problems[:10])
        raise RemediationError(
            f"backup is not valid, refusing: {shown}", action=ACTION, target=label
        )
    copies: list[Step] = []
    absent: list[str] = []
    for key in tables(stores.lake):
        loc = location(stores.lake, key)
        table = open_table(loc)
        if table is None:
            continue
        recorded = recorded_checksums(loc)
        for problem in verify_table(loc, table):
            # A damaged file still in place is planned too: the plan is made when the alert is
            # decided, before quarantine (the policy before restore) has moved it aside. Apply
            # refuses it if it is still there then: restore never overwrites.
            want = recorded.get(problem.key.removeprefix(f"{key}/"), {})
            source = backups.backup_key(label, problem.key)
            if not want or not stores.backup.exists(source):
                absent.append(problem.key)
                continue
            copies.append(
                Step(
                    "copy",
                    src=source,
                    dst=problem.key,
                    store="lake",
                    size=int(want["size"]),
                    sha256=str(want["sha256"]),
                    detail={"mode": MODE, "was": problem.reason},
                )
            )
    if absent:
        raise RemediationError(
            f"backup {label} lacks {len(absent)} missing file(s), e.g. {absent[0]}: "
            "restore the table to an older Delta version instead",
            action=ACTION,
            target=label,
        )
    notes = (
        f"backup {label} is valid",
        f"{len(copies)} data file(s) the current Delta versions need are put back from it; "
        "the Delta logs are not touched; undo deletes them again",
    )
    return Plan(ACTION, label, tuple(copies), notes)


def apply(plan: Plan, stores: Stores, *, incident: str) -> Outcome:
    record: dict[str, Any] = {
        "action": ACTION,
        "mode": MODE,
        "incident": incident,
        "backup": plan.target,
        "written": [],
        "state": "started",
    }
    done: list[Step] = []
    try:
        for step in plan.steps:
            if stores.lake.exists(step.dst):
                raise RemediationError(
                    f"{step.dst} is in the lake ({step.detail.get('was', 'reappeared')}): "
                    "quarantine it first, restore never overwrites",
                    action=ACTION,
                    target=plan.target,
                )
            record["written"].append(step.dst)
            transfer(stores.backup, step.src, stores.lake, step.dst, expect_sha256=step.sha256)
            done.append(step)
    except SreError as exc:
        record["state"] = "partial"
        return Outcome(False, tuple(done), record, f"restore stopped after {len(done)}: {exc}")
    record["state"] = "committed"
    detail = f"put back {len(done)} file(s) from backup {plan.target}"
    return Outcome(True, tuple(done), record, detail)


def verify(stores: Stores) -> Verification:
    """Every current file of every table present and matching its recorded checksum."""
    problems: list[str] = []
    for key in tables(stores.lake):
        loc = location(stores.lake, key)
        table = open_table(loc)
        if table is not None:
            problems.extend(f"{p.key}: {p.reason}" for p in verify_table(loc, table))
    detail = "; ".join(problems[:10]) or "every current file of the Delta tables verifies"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Delete the files restore put back (only keys inside a Delta table under silver/)."""
    done: list[Step] = []
    roots = tuple(f"{t}/" for t in tables(stores.lake))
    try:
        for key in (str(k) for k in record.get("written", [])):
            if not key.startswith(roots) or "/_" in key.removeprefix(f"{ROOT}/"):
                raise UnsafeTarget(
                    "undo record names a key restore never writes", action=ACTION, target=key
                )
            stores.lake.delete(key)  # a missing key is not an error
            done.append(Step("delete", src=key, store="lake"))
    except SreError as exc:
        return Outcome(False, tuple(done), record, f"undo failed: {exc}")
    return Outcome(True, tuple(done), {**record, "state": "undone"}, f"removed {len(done)} files")
