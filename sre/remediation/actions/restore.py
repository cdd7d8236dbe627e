"""Restore: replace committed silver with a validated backup, as a new snapshot; reversible.
On Delta tables, `sre.remediation.delta_restore` puts the missing files back instead.

Nothing is overwritten. Current silver is first backed up to `silver/pre-restore-<incident>/` in
the backup store; the backup's files are copied into the lake under a new snapshot
`restore-<incident>` and checked; a new manifest (parent: the current snapshot) is committed by
moving the pointer. Undo moves the pointer back: the previous snapshot's manifest and files were
never touched.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sre.errors import ManifestError, RemediationError, SpecError, SreError, UnsafeTarget
from sre.remediation import backups, delta_restore, targets
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
from sre.remediation.actions import backup
from sre.remediation.actions.quarantine import DATA_LOCK
from sre.remediation.backups import Inventory, inventory, restored
from sre.remediation.payload import Alert
from sre.remediation.transfer import check_incident, iso, transfer
from sre.storage.manifest import (
    FileEntry,
    Manifest,
    commit,
    from_json,
    manifest_key,
    point,
    pointer_key,
    read_current,
    read_manifest,
    to_json,
)
from sre.storage.manifest import verify as verify_manifest

ACTION = "restore"
ROOT = "silver"

__all__ = ["ACTION", "Inventory", "Restore", "apply", "inventory", "plan", "plan_from"]
__all__ += ["restored", "undo", "verify"]


def plan_from(stores: Stores, target: str, *, incident: str) -> Plan:
    """`inventory` then `plan`: what the engine and the CLI call (Delta tables: put back)."""
    if delta_restore.is_delta(stores.lake):
        return delta_restore.plan(stores, delta_restore.label(stores, target), incident=incident)
    return plan(target, inventory(stores, target), incident=incident)


def snapshot_id(incident: str) -> str:
    return f"restore-{incident}"


def plan(target: str, inv: Inventory, *, incident: str) -> Plan:
    """Refuse an invalid backup; else: back up current silver, copy, write manifest, commit."""
    check_incident(incident, action=ACTION)
    if inv.problems or inv.backup is None:
        shown = "; ".join(f"{p.key}: {p.reason}" for p in inv.problems[:10])
        more = f" (and {len(inv.problems) - 10} more)" if len(inv.problems) > 10 else ""
        raise RemediationError(
            f"backup is not valid, refusing: {shown}{more}", action=ACTION, target=inv.label
        )
    new = snapshot_id(incident)
    parent = inv.current.snapshot if inv.current else None
    if parent == new:
        raise RemediationError(
            f"silver already is {new}: undo it first", action=ACTION, target=inv.label
        )
    pre = backup.plan(f"pre-restore-{incident}", inv.current).steps if inv.current else ()
    target_manifest = restored(
        inv.backup, label=inv.label, snapshot=new, parent=parent, created_at=""
    )
    copies = tuple(
        Step(
            "copy",
            src=backups.backup_key(inv.label, old.key),
            dst=fresh.key,
            store="lake",
            size=old.size,
            sha256=old.sha256,
        )
        for old, fresh in zip(inv.backup.files(), target_manifest.files(), strict=True)
    )
    data = to_json(inv.backup)
    finish = (
        Step(
            "write",
            src=f"{ROOT}/{inv.label}/{backups.MANIFEST_NAME}",
            dst=manifest_key(ROOT, new),
            store="lake",
            sha256=hashlib.sha256(data).hexdigest(),
        ),
        Step(
            "commit",
            src=pointer_key(ROOT),
            dst=new,
            store="lake",
            detail={"from": parent or "", "to": new},
        ),
    )
    named = f"{target} = {inv.label}" if target != inv.label else inv.label
    notes = (
        f"backup {named} (snapshot {inv.backup.snapshot}, {len(copies)} files) is valid",
        f"current silver {parent} is first backed up to backup {ROOT}/pre-restore-{incident}/"
        if parent
        else "nothing is committed yet: no pre-restore backup",
        f"the pointer moves from {parent} to {new}; undo moves it back",
    )
    return Plan(ACTION, inv.label, (*pre, *copies, *finish), notes)


def apply(plan: Plan, stores: Stores, *, incident: str, now: datetime) -> Outcome:
    """Pre-restore backup, copies (each checked against the backup's manifest), then commit."""
    check_incident(incident, action=ACTION)
    label, new, parent = _facts(plan, incident)
    record: dict[str, Any] = {
        "action": ACTION,
        "incident": incident,
        "backup": label,
        "snapshot": new,
        "previous": parent,
        "pre_restore": f"{ROOT}/pre-restore-{incident}/" if parent else "",
        "written": [],
        "state": "started",
    }
    done: list[Step] = []
    try:
        current = read_current(stores.lake, ROOT)
        if (current.snapshot if current else None) != parent:
            now_at = current.snapshot if current else None
            return Outcome(False, (), record, f"silver is {now_at} now, not {parent}: plan again")
        write = next(s for s in plan.steps if s.op == "write" and s.store == "lake")
        source = from_json(stores.backup.read_bytes(write.src))
        if hashlib.sha256(to_json(source)).hexdigest() != write.sha256:
            raise ManifestError(f"{write.src} changed since the plan was made")
        pre = tuple(s for s in plan.steps if s.store == "backup")
        if pre:
            kept = backup.copy_snapshot(
                Plan(backup.ACTION, f"pre-restore-{incident}", pre),
                stores,
                incident=incident,
                now=now,
                strict=False,
            )
            done.extend(kept.done)
            if not kept.ok:
                record["state"] = "partial"
                return Outcome(False, tuple(done), record, f"pre-restore backup: {kept.detail}")
        for step in (s for s in plan.steps if s.op == "copy" and s.store == "lake"):
            record["written"].append(step.dst)
            transfer(stores.backup, step.src, stores.lake, step.dst, expect_sha256=step.sha256)
            done.append(step)
        manifest = restored(source, label=label, snapshot=new, parent=parent, created_at=iso(now))
        record["written"].append(manifest_key(ROOT, new))
        commit(stores.lake, ROOT, manifest)
        done.extend(s for s in plan.steps if s.op in ("write", "commit") and s.store == "lake")
    except SreError as exc:
        record["state"] = "partial"
        return Outcome(
            False, tuple(done), record, f"restore stopped after {len(done)} steps: {exc}"
        )
    record["state"] = "committed"
    return Outcome(True, tuple(done), record, f"silver is now {new}, restored from {label}")


def verify(subject: Plan | Outcome, stores: Stores) -> Verification:
    """The pointer names the restored snapshot, its files check out, and they are the backup's."""
    if isinstance(subject, Plan):
        label, new = subject.target, next(s.dst for s in subject.steps if s.op == "commit")
    else:
        record = subject.undo or {}
        label, new = str(record.get("backup", "")), str(record.get("snapshot", ""))
    current = read_current(stores.lake, ROOT)
    if current is None or current.snapshot != new:
        return Verification(False, f"the pointer names {current and current.snapshot}, not {new}")
    problems = [f"{p.key}: {p.reason}" for p in verify_manifest(stores.lake, current)]
    source = backups.read_backup(stores.backup, label)
    for name in sorted(set(source.tables) | set(current.tables)):
        want = [(f.size, f.sha256, f.rows) for f in _files(source, name)]
        if [(f.size, f.sha256, f.rows) for f in _files(current, name)] != want:
            problems.append(f"table {name}: files differ from backup {label}")
    detail = "; ".join(problems) or f"silver is {new}, identical to backup {label}"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Move the pointer back to the previous snapshot once it still verifies; after a partial
    run (pointer never moved) remove the files the run had copied into the lake."""
    incident = str(record.get("incident", ""))
    check_incident(incident, action=ACTION)
    new, previous = snapshot_id(incident), record.get("previous")
    if record.get("action") != ACTION or record.get("snapshot") != new:
        raise RemediationError("not a restore undo record", action=ACTION, target=incident)
    try:
        current = read_current(stores.lake, ROOT)
        at = current.snapshot if current else None
        if at == new:
            return _point_back(record, stores, previous)
        if at != previous:
            return Outcome(False, (), record, f"silver moved on to {at} since: not undoing")
        done: list[Step] = []
        for key in record.get("written", []):
            if not _written_by(str(key), new):
                raise UnsafeTarget(
                    "undo record names a key restore never writes", action=ACTION, target=str(key)
                )
            stores.lake.delete(str(key))
            done.append(Step("delete", src=str(key), store="lake"))
    except SreError as exc:
        return Outcome(False, (), record, f"undo failed: {exc}")
    detail = f"the pointer never moved; removed {len(done)} copied objects"
    return Outcome(True, tuple(done), {**record, "state": "undone"}, detail)


def _point_back(record: Mapping[str, Any], stores: Stores, previous: Any) -> Outcome:
    if previous is None:
        stores.lake.delete(pointer_key(ROOT))
        step = Step("delete", src=pointer_key(ROOT), store="lake")
        return Outcome(True, (step,), {**record, "state": "undone"}, "nothing was committed before")
    manifest = read_manifest(stores.lake, ROOT, str(previous))
    problems = verify_manifest(stores.lake, manifest)
    if problems:
        shown = "; ".join(f"{p.key}: {p.reason}" for p in problems[:10])
        return Outcome(False, (), record, f"previous snapshot {previous} does not verify: {shown}")
    point(stores.lake, ROOT, str(previous))
    step = Step("commit", src=pointer_key(ROOT), dst=str(previous), store="lake")
    return Outcome(True, (step,), {**record, "state": "undone"}, f"silver is {previous} again")


def _written_by(key: str, snapshot: str) -> bool:
    parts = key.split("/")
    in_snapshot = len(parts) == 4 and parts[0] == ROOT and parts[2] == f"snapshot={snapshot}"
    return in_snapshot or key == manifest_key(ROOT, snapshot)


def _files(manifest: Manifest, table: str) -> tuple[FileEntry, ...]:
    entry = manifest.tables.get(table)
    return entry.files if entry else ()


def _facts(plan: Plan, incident: str) -> tuple[str, str, str | None]:
    if plan.action != ACTION:
        raise RemediationError(
            f"not a restore plan: {plan.action}", action=ACTION, target=plan.target
        )
    step = next((s for s in plan.steps if s.op == "commit"), None)
    if step is None or step.dst != snapshot_id(incident):
        raise RemediationError(
            "plan was made for another incident", action=ACTION, target=plan.target
        )
    return backups.check_label(plan.target), step.dst, step.detail.get("from") or None


class Restore(BaseAction):
    """The registered action: the target is the alert's `backup` label, else the policy's."""

    name = ACTION
    summary = "restore silver from a validated backup under a new snapshot; undo moves it back"
    destructive = True
    undoable = True
    target_label = "backup"
    params = (
        Param("label", "str", "the alert label that names the backup", "backup"),
        Param("backup", "str", "YYYY-MM-DD or latest, when the alert names none", "latest"),
    )

    def check_params(self, params: Params, owner: str) -> None:
        try:
            targets.backup_label(params["backup"], action=ACTION)
        except UnsafeTarget as exc:
            raise SpecError(str(exc), owner=owner, field="params.backup") from exc

    def lock(self, target: str) -> str:
        return DATA_LOCK

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        return targets.backup_label(labels.get(params["label"]) or params["backup"], action=ACTION)

    def inspect(self, target: str, params: Params, deps: Deps) -> Any:
        stores = deps.need_stores(ACTION)
        if delta_restore.is_delta(stores.lake):
            return (stores, delta_restore.label(stores, target))  # planned from the tables
        return inventory(stores, target)

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        if isinstance(facts, tuple):
            return delta_restore.plan(facts[0], facts[1], incident=incident)
        return plan(target, facts, incident=incident)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        stores = deps.need_stores(ACTION)
        if delta_restore.is_delta(stores.lake):
            return delta_restore.apply(plan, stores, incident=incident)
        return apply(plan, stores, incident=incident, now=deps.now())

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        if delta_restore.is_delta(deps.need_stores(ACTION).lake):
            return delta_restore.verify(deps.need_stores(ACTION))
        return verify(plan, deps.need_stores(ACTION))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        if record.get("mode") == delta_restore.MODE:
            return delta_restore.undo(record, deps.need_stores(ACTION))
        return undo(record, deps.need_stores(ACTION))
