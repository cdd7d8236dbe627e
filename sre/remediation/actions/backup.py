"""Backup: copy the committed silver snapshot aside, verified; `validate` proves it restorable.

The layout of the backup store and the validation live in `sre.remediation.backups` (re-exported
here: `backup.validate`, `backup.latest`, `backup.read_backup`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sre.errors import (
    ManifestError,
    ObjectNotFound,
    RemediationError,
    SpecError,
    SreError,
    UnsafeTarget,
)
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
    MANIFEST_NAME,
    MARKER_NAME,
    ROOT,
    backup_key,
    check_label,
    latest,
    read_backup,
    validate,
)
from sre.remediation.payload import Alert
from sre.remediation.transfer import iso, transfer
from sre.storage.manifest import (
    Manifest,
    from_json,
    manifest_key,
    read_current,
    to_json,
)

ACTION = "backup"

__all__ = [
    "ACTION",
    "Backup",
    "apply",
    "check_label",
    "latest",
    "plan",
    "read_backup",
    "undo",
    "validate",
    "verify",
]


def plan(label: str, manifest: Manifest | None, *, source: str | None = None) -> Plan:
    """Copy every file of the committed manifest, then the manifest, then the marker (pure).

    `source` is where the lake holds the manifest (default: the snapshot's manifest key); a
    Delta lake's caller writes the manifest of its tables' current files there first."""
    check_label(label)
    if manifest is None:
        raise RemediationError(
            "nothing is committed under silver/: nothing to back up", action=ACTION, target=label
        )
    files = manifest.files()
    copies = tuple(
        Step(
            "copy",
            src=f.key,
            dst=backup_key(label, f.key),
            store="backup",
            size=f.size,
            sha256=f.sha256,
        )
        for f in files
    )
    data = to_json(manifest)
    writes = (
        Step(
            "write",
            src=source or manifest_key(ROOT, manifest.snapshot),
            dst=f"{ROOT}/{label}/{MANIFEST_NAME}",
            store="backup",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            detail={"snapshot": manifest.snapshot},
        ),
        Step("write", src="backup record", dst=f"{ROOT}/{label}/{MARKER_NAME}", store="backup"),
    )
    total = sum(f.size for f in files)
    note = f"back up snapshot {manifest.snapshot}: {len(files)} files, {total:,} bytes"
    return Plan(ACTION, label, copies + writes, (f"{note}, to backup {ROOT}/{label}/",))


def apply(plan: Plan, stores: Stores, *, incident: str, now: datetime) -> Outcome:
    """Copy the files (each checked against the manifest), the manifest, then the marker."""
    return copy_snapshot(plan, stores, incident=incident, now=now, strict=True)


def copy_snapshot(
    plan: Plan, stores: Stores, *, incident: str, now: datetime, strict: bool
) -> Outcome:
    """Carry out a backup plan. `strict=False` (restore's pre-restore copy of silver that may be
    damaged) copies files as they are and records missing ones instead of stopping."""
    label = check_label(plan.target)
    manifest_step = next(s for s in plan.steps if s.op == "write" and s.detail.get("snapshot"))
    snapshot = manifest_step.detail["snapshot"]
    marker_key = f"{ROOT}/{label}/{MARKER_NAME}"
    record: dict[str, Any] = {
        "action": ACTION,
        "label": label,
        "incident": incident,
        "snapshot": snapshot,
        "items": [],
        "state": "started",
    }
    done: list[Step] = []
    missing: list[str] = []
    try:
        if stores.backup.exists(marker_key):
            marker = json.loads(stores.backup.read_bytes(marker_key))
            if marker.get("snapshot") == snapshot:
                return Outcome(True, (), {**record, "state": "existing"}, "already backed up")
            raise RemediationError(
                f"backup already holds snapshot {marker.get('snapshot')}",
                action=ACTION,
                target=label,
            )
        data = to_json(from_json(stores.lake.read_bytes(manifest_step.src)))
        if hashlib.sha256(data).hexdigest() != manifest_step.sha256:
            raise ManifestError(f"{manifest_step.src} changed since the plan was made")
        for step in (s for s in plan.steps if s.op == "copy"):
            record["items"].append(step.dst)
            try:
                transfer(
                    stores.lake,
                    step.src,
                    stores.backup,
                    step.dst,
                    expect_sha256=step.sha256 if strict else "",
                )
            except ObjectNotFound:
                if strict:
                    raise
                missing.append(step.src)
                continue
            done.append(step)
        record["items"].append(manifest_step.dst)
        stores.backup.write_bytes(manifest_step.dst, data)
        done.append(manifest_step)
        marker = {
            "label": label,
            "snapshot": snapshot,
            "created_at": iso(now),
            "incident": incident,
            "source": stores.lake.url,
            "files": len(done) - 1,
            "bytes": sum(s.size for s in done if s.op == "copy"),
            "missing": missing,
        }
        record["items"].append(marker_key)
        stores.backup.write_bytes(marker_key, json.dumps(marker, indent=2).encode())
        done.append(Step("write", src="backup record", dst=marker_key, store="backup"))
    except (SreError, ValueError) as exc:
        record["state"] = "partial"
        return Outcome(False, tuple(done), record, f"backup {label} stopped: {exc}")
    record["state"] = "done"
    detail = f"backed up {len(done) - 2} files" + (f", {len(missing)} missing" if missing else "")
    return Outcome(True, tuple(done), record, detail)


def verify(subject: Plan | Outcome, stores: Stores) -> Verification:
    """The backup the plan or outcome names validates with no problem."""
    label = subject.target if isinstance(subject, Plan) else str((subject.undo or {})["label"])
    problems = validate(stores.backup, label)
    detail = "; ".join(f"{p.key}: {p.reason}" for p in problems) or f"backup {label} is valid"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Delete what the backup wrote: the marker first, so a half-deleted backup never looks done."""
    label = check_label(str(record.get("label", "")))
    if record.get("action") != ACTION:
        raise RemediationError("not a backup undo record", action=ACTION, target=label)
    if record.get("state") == "existing":
        return Outcome(True, (), record, "the backup existed before this run: kept")
    keys = [str(k) for k in record.get("items", [])]
    if any(not k.startswith(f"{ROOT}/{label}/") for k in keys):
        raise UnsafeTarget("undo record names keys outside the backup", action=ACTION, target=label)
    done: list[Step] = []
    try:
        for key in sorted(keys, key=lambda k: not k.endswith(MARKER_NAME)):
            stores.backup.delete(key)
            done.append(Step("delete", src=key, store="backup"))
    except SreError as exc:
        return Outcome(False, tuple(done), record, f"undo stopped: {exc}")
    return Outcome(True, tuple(done), {**record, "state": "undone"}, f"deleted backup {label}")


class Backup(BaseAction):
    """The registered action: back up committed silver under a date (`today` by default)."""

    name = ACTION
    summary = "copy the committed silver snapshot to the backup store and validate the copy"
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

    def inspect(self, target: str, params: Params, deps: Deps) -> tuple[str, Manifest | None]:
        label = deps.now().date().isoformat() if target == "today" else target
        return label, read_current(deps.need_stores(ACTION).lake, ROOT)

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        label, manifest = facts
        return plan(label, manifest)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        return apply(plan, deps.need_stores(ACTION), incident=incident, now=deps.now())

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return verify(plan, deps.need_stores(ACTION))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        return undo(record, deps.need_stores(ACTION))
