"""Backup and validate-backup: copy the committed silver snapshot aside, and prove a copy is good.

Layout in the backup store, keys relative to silver/ kept as they are in the lake::

    silver/<label>/<table>/snapshot=<id>/part-NNNNN.parquet   the snapshot's files
    silver/<label>/_manifest.json                             its manifest, as committed
    silver/<label>/_backup.json                               written last: the backup is complete

`<label>` is a date (YYYY-MM-DD, the maintenance job's backups) or `pre-restore-<incident>` (what
restore keeps of silver before it replaces it). A backup without `_backup.json` never finished.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sre.errors import (
    ManifestError,
    ObjectNotFound,
    RemediationError,
    SpecError,
    SreError,
    UnsafeTarget,
)
from sre.remediation import targets
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
from sre.remediation.payload import Alert
from sre.remediation.transfer import fetched, iso, transfer
from sre.storage import ObjectStore
from sre.storage.base import check_key
from sre.storage.manifest import (
    Manifest,
    Problem,
    from_json,
    manifest_key,
    read_current,
    to_json,
)

ACTION = "backup"
ROOT = "silver"
MANIFEST_NAME = "_manifest.json"
MARKER_NAME = "_backup.json"
DATED_MARKER = re.compile(rf"{ROOT}/(\d{{4}}-\d{{2}}-\d{{2}})/{MARKER_NAME}")

__all__ = [
    "ACTION",
    "Backup",
    "apply",
    "latest",
    "plan",
    "read_backup",
    "undo",
    "validate",
    "verify",
]


def check_label(label: str) -> str:
    """A backup label: a real calendar date YYYY-MM-DD, or pre-restore-<incident>."""
    return targets.backup_label(label, action=ACTION, latest=False)


def backup_key(label: str, lake_key: str) -> str:
    """Where a lake key (`silver/t/snapshot=s/part-0.parquet`) lives in backup `label`."""
    if not lake_key.startswith(f"{ROOT}/"):
        raise ManifestError(f"manifest file {lake_key!r} is not under {ROOT}/")
    return f"{ROOT}/{label}/{check_key(lake_key).removeprefix(f'{ROOT}/')}"


def plan(label: str, manifest: Manifest | None) -> Plan:
    """Copy every file of the committed manifest, then the manifest, then the marker (pure)."""
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
            src=manifest_key(ROOT, manifest.snapshot),
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


def read_backup(store: ObjectStore, label: str) -> Manifest:
    """The manifest kept in backup `label`; ManifestError when it is missing or malformed."""
    key = f"{ROOT}/{check_label(label)}/{MANIFEST_NAME}"
    try:
        return from_json(store.read_bytes(key))
    except ObjectNotFound as exc:
        raise ManifestError(f"{key} is missing") from exc


def validate(store: ObjectStore, label: str) -> list[Problem]:
    """Everything wrong with backup `label`: an empty list means it can be restored.

    Every file is read in full: sha256 from the bytes (not from stored metadata), then the Parquet
    footer's schema and row count against the manifest.
    """
    marker_key = f"{ROOT}/{check_label(label)}/{MARKER_NAME}"
    try:
        manifest = read_backup(store, label)
    except ManifestError as exc:
        return [Problem(f"{ROOT}/{label}/{MANIFEST_NAME}", str(exc))]
    problems = _check_marker(store, marker_key, manifest)
    for name, table in sorted(manifest.tables.items()):
        for entry in table.files:
            key = backup_key(label, entry.key)
            try:
                with fetched(store, key) as got:
                    if got.size != entry.size:
                        problems.append(Problem(key, f"size {got.size} != {entry.size}"))
                    elif got.sha256 != entry.sha256:
                        problems.append(Problem(key, "sha256 differs from the manifest"))
                    problems.extend(_check_parquet(got.path, key, name, table.schema, entry.rows))
            except ObjectNotFound:
                problems.append(Problem(key, "missing"))
    return problems


def latest(store: ObjectStore) -> str | None:
    """The most recent dated backup whose `_backup.json` is present and well formed."""
    for info in sorted(store.list(f"{ROOT}/"), key=lambda i: i.key, reverse=True):
        found = DATED_MARKER.fullmatch(info.key)
        if found and _marker(store, info.key) is not None:
            return found.group(1)
    return None


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


def _marker(store: ObjectStore, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(store.read_bytes(key))
    except (ObjectNotFound, ValueError):
        return None
    fields = {"snapshot": str, "files": int, "bytes": int, "created_at": str}
    if not isinstance(doc, dict) or any(not isinstance(doc.get(f), t) for f, t in fields.items()):
        return None
    return doc


def _check_marker(store: ObjectStore, key: str, manifest: Manifest) -> list[Problem]:
    marker = _marker(store, key)
    if marker is None:
        return [Problem(key, "missing or malformed: the backup never completed")]
    files = manifest.files()
    expected = {
        "snapshot": manifest.snapshot,
        "files": len(files),
        "bytes": sum(f.size for f in files),
    }
    problems = [
        Problem(key, f"{name} {marker[name]!r} != {value!r} in the manifest")
        for name, value in expected.items()
        if marker[name] != value
    ]
    if marker.get("missing"):
        problems.append(Problem(key, f"{len(marker['missing'])} files were missing when taken"))
    return problems


def _check_parquet(
    path: Path, key: str, table: str, schema: tuple[tuple[str, str], ...], rows: int
) -> list[Problem]:
    try:
        parquet = pq.ParquetFile(path)
        found = tuple((f.name, str(f.type)) for f in parquet.schema_arrow)
        count = int(parquet.metadata.num_rows)
    except (pa.ArrowException, OSError) as exc:
        return [Problem(key, f"not a readable Parquet file: {exc}")]
    problems = []
    if schema and found != schema:
        problems.append(
            Problem(key, f"schema differs from table {table}'s: {_diff(found, schema)}")
        )
    if count != rows:
        problems.append(Problem(key, f"{count} rows, the manifest says {rows}"))
    return problems


def _diff(found: tuple[tuple[str, str], ...], expected: tuple[tuple[str, str], ...]) -> str:
    extra = [f"+{n}:{t}" for n, t in found if (n, t) not in expected]
    lost = [f"-{n}:{t}" for n, t in expected if (n, t) not in found]
    return " ".join(lost + extra) or "column order"


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
