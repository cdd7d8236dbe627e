"""Backup: copy a consistent set of versions of the Delta tables under silver/ (each table's
log up to its version and the version's data files) to the backup store, verified; `validate`
proves the copy restorable.

Works on any Delta table directly under silver/: the facts are each table's version with its
objects (`sre.storage.delta_version.read_version`). Every copy is checked against the sha256
recorded when the file was written; `_backup.json` is written last. The versions kept are then
pinned in the lake (`<table>/_pins/backup-<label>.json`) so `vacuum` never removes a file the
backup's versions need; undo deletes the backup (marker first) and the pins.

The layout of the backup store and the validation live in `sre.remediation.backups` (re-exported
here: `backup.validate`, `backup.latest`, `backup.read_backup`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sre.errors import RemediationError, SpecError, SreError, UnsafeTarget
from sre.remediation.action import (
    BaseAction,
    Deps,
    Outcome,
    Param,
    Params,
    Plan,
    Step,
    Stores,
    Verification,
)
from sre.remediation.backups import (
    ROOT,
    BackupRecord,
    backup_key,
    check_label,
    from_json,
    latest,
    marker_key,
    read_backup,
    to_json,
    validate,
)
from sre.remediation.payload import Alert
from sre.remediation.transfer import iso, transfer
from sre.storage import ObjectStore
from sre.storage.delta import location, pin, unpin
from sre.storage.delta_version import TableVersion, find_tables, read_version

ACTION = "backup"

__all__ = [
    "ACTION",
    "Backup",
    "apply",
    "check_label",
    "inspect",
    "latest",
    "plan",
    "read_backup",
    "undo",
    "validate",
    "verify",
]


def inspect(lake: ObjectStore, versions: Mapping[str, int] | None = None) -> list[TableVersion]:
    """Every Delta table under silver/ at its current version, with the objects that make that
    version up; or, given `versions` (a consistent set, by table key), those tables only, at
    those versions."""
    keys = find_tables(lake, ROOT) if versions is None else sorted(versions)
    found = []
    for key in keys:
        table = read_version(location(lake, key), None if versions is None else versions[key])
        if table is not None:
            found.append(table)
    return found


def plan(label: str, tables: Sequence[TableVersion]) -> Plan:
    """Copy every table's data files, then its log objects, then write the record (pure)."""
    check_label(label)
    if not tables:
        raise RemediationError(
            f"no Delta table under {ROOT}/: nothing to back up", action=ACTION, target=label
        )
    copies = tuple(
        Step(
            "copy",
            src=o.key,
            dst=backup_key(label, o.key),
            store="backup",
            size=o.size,
            sha256=o.sha256,
        )
        for table in tables
        for o in (*table.files, *table.log)
    )
    record = to_json(BackupRecord(label, tuple(tables)))
    write = Step(
        "write",
        src="backup record",
        dst=marker_key(label),
        store="backup",
        sha256=hashlib.sha256(record).hexdigest(),
        detail={"record": record.decode()},
    )
    total = sum(s.size for s in copies)
    shown = ", ".join(f"{t.name}@{t.version}" for t in tables)
    notes = (
        f"back up {shown}: {len(copies)} objects, {total:,} bytes, to backup {ROOT}/{label}/",
        "the versions kept are pinned in the lake so vacuum keeps their files",
    )
    return Plan(ACTION, label, (*copies, write), notes)


def _record(plan: Plan) -> tuple[Step, BackupRecord]:
    step = next((s for s in plan.steps if s.op == "write" and "record" in s.detail), None)
    if step is None or hashlib.sha256(step.detail["record"].encode()).hexdigest() != step.sha256:
        raise RemediationError("not a backup plan", action=ACTION, target=plan.target)
    return step, from_json(step.detail["record"].encode())


def apply(plan: Plan, stores: Stores, *, incident: str, now: datetime) -> Outcome:
    """Copy the objects (each checked against its sha256), write the record, pin the versions."""
    label = check_label(plan.target)
    write, planned = _record(plan)
    record: dict[str, Any] = {
        "action": ACTION,
        "label": label,
        "incident": incident,
        "versions": planned.versions,
        "items": [],
        "pins": [],
        "state": "started",
    }
    done: list[Step] = []
    try:
        if stores.backup.exists(write.dst):
            held = read_backup(stores.backup, label)
            if held.versions == planned.versions:
                return Outcome(True, (), {**record, "state": "existing"}, "already backed up")
            raise RemediationError(
                f"backup {label} already holds other versions: {held.versions}",
                action=ACTION,
                target=label,
            )
        for step in (s for s in plan.steps if s.op == "copy"):
            record["items"].append(step.dst)
            transfer(stores.lake, step.src, stores.backup, step.dst, expect_sha256=step.sha256)
            done.append(step)
        kept = BackupRecord(label, planned.tables, iso(now), incident, stores.lake.url)
        record["items"].append(write.dst)
        stores.backup.write_bytes(write.dst, to_json(kept))
        done.append(write)
        for table in planned.tables:
            loc = location(stores.lake, table.key)
            record["pins"].append(table.key)
            pin(loc, f"backup-{label}", [table.version], f"backup {label} at {stores.backup.url}")
    except (SreError, ValueError) as exc:
        record["state"] = "partial"
        return Outcome(False, tuple(done), record, f"backup {label} stopped: {exc}")
    record["state"] = "done"
    return Outcome(True, tuple(done), record, f"backed up {len(done) - 1} objects")


def verify(subject: Plan | Outcome, stores: Stores) -> Verification:
    """The backup the plan or outcome names validates with no problem."""
    label = subject.target if isinstance(subject, Plan) else str((subject.undo or {})["label"])
    problems = validate(stores.backup, label)
    detail = "; ".join(f"{p.key}: {p.reason}" for p in problems) or f"backup {label} is valid"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Delete what the backup wrote (the record first, so a half-deleted backup never looks
    done), then its pins in the lake."""
    label = check_label(str(record.get("label", "")))
    if record.get("action") != ACTION:
        raise RemediationError("not a backup undo record", action=ACTION, target=label)
    if record.get("state") == "existing":
        return Outcome(True, (), record, "the backup existed before this run: kept")
    keys = [str(k) for k in record.get("items", [])]
    if any(not k.startswith(f"{ROOT}/{label}/") for k in keys):
        raise UnsafeTarget("undo record names keys outside the backup", action=ACTION, target=label)
    tables = [str(t) for t in record.get("pins", [])]
    if any(t not in find_tables(stores.lake, ROOT) for t in tables):
        raise UnsafeTarget(
            "undo record names a pin outside the tables", action=ACTION, target=label
        )
    done: list[Step] = []
    try:
        for key in sorted(keys, key=lambda k: not k.endswith(marker_key(label))):
            stores.backup.delete(key)
            done.append(Step("delete", src=key, store="backup"))
        for table in tables:
            unpin(location(stores.lake, table), f"backup-{label}")
            done.append(Step("delete", src=f"{table}/_pins/backup-{label}.json", store="lake"))
    except SreError as exc:
        return Outcome(False, tuple(done), record, f"undo stopped: {exc}")
    return Outcome(True, tuple(done), {**record, "state": "undone"}, f"deleted backup {label}")


class Backup(BaseAction):
    """The registered action: back up the Delta tables under a date (`today` by default)."""

    name = ACTION
    summary = "copy the Delta tables' current versions (log and files) to the backup store"
    undoable = True
    idempotent = True
    target_label = "backup"
    params = (
        Param("label", "str", "the alert label that names the backup date", "backup"),
        Param("backup", "str", "YYYY-MM-DD, or today (the date the run starts)", "today"),
    )

    def check_params(self, params: Params, owner: str) -> None:
        if params["backup"] != "today":
            try:
                check_label(params["backup"])
            except UnsafeTarget as exc:
                raise SpecError(str(exc), owner=owner, field="params.backup") from exc

    def lock(self, target: str) -> str:
        return "data:silver"

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        value = labels.get(params["label"]) or params["backup"]
        return value if value == "today" else check_label(value)

    def inspect(self, target: str, params: Params, deps: Deps) -> tuple[str, list[TableVersion]]:
        label = deps.now().date().isoformat() if target == "today" else target
        return label, inspect(deps.need_stores(ACTION).lake)

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        label, tables = facts
        return plan(label, tables)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        return apply(plan, deps.need_stores(ACTION), incident=incident, now=deps.now())

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return verify(plan, deps.need_stores(ACTION))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        return undo(record, deps.need_stores(ACTION))
