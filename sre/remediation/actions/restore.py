"""Restore: put back, from a validated backup, the data files the Delta tables' current versions
need and that are missing or damaged (quarantine moved them aside); reversible.

Works on any Delta table directly under silver/. The Delta logs are not touched: they still
name the files; each one copied back must match the sha256 recorded when it was written
(`_checksums/`) and the backup's record. A damaged file is planned for (the plan is made when
the alert is decided, before quarantine runs) but refused if still in place when restore
applies, so nothing is overwritten. Undo deletes exactly the files restore put back. A file the
backup does not hold (written after it) refuses the plan: the table then needs a Delta restore
to an older version, which is left to an operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sre.errors import BackupError, RemediationError, SpecError, SreError, UnsafeTarget
from sre.remediation import backups, targets
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
from sre.remediation.actions.quarantine import DATA_LOCK
from sre.remediation.backups import BackupRecord, Problem
from sre.remediation.deps import NOWHERE, Checkpoint
from sre.remediation.payload import Alert
from sre.remediation.transfer import check_incident, transfer
from sre.storage.delta import Location, location, open_table, recorded_checksums, verify_table
from sre.storage.delta_version import find_tables

ACTION = "restore"
ROOT = "silver"
MODE = "delta"
LOOK_BACK = 50  # versions searched for the last intact one

__all__ = ["ACTION", "Damage", "Inventory", "Restore", "apply", "inventory", "plan"]
__all__ += ["plan_from", "undo", "verify"]


@dataclass(frozen=True, slots=True)
class Damage:
    """A data file a table's current version needs that is missing or differs; `sha256` and
    `size` are what was recorded when it was written ("" / 0: nothing was)."""

    key: str
    reason: str
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True, slots=True)
class Inventory:
    """What restore decides from: the backup (its label resolved), what validating it found,
    and the damaged files of the lake's tables."""

    label: str
    backup: BackupRecord | None
    problems: tuple[Problem, ...]
    damaged: tuple[Damage, ...]
    intact: Mapping[str, int | None] = field(default_factory=dict)  # see `last_intact`


def _label(stores: Stores, target: str) -> str:
    found = backups.latest(stores.backup) if target == "latest" else backups.check_label(target)
    if found is None:
        raise RemediationError("no complete dated backup exists", action=ACTION, target=target)
    return found


def damaged(stores: Stores) -> list[Damage]:
    """Every current file of every Delta table under silver/ that is missing or differs."""
    found: list[Damage] = []
    for key in find_tables(stores.lake, ROOT):
        loc = location(stores.lake, key)
        table = open_table(loc)
        if table is None:
            continue
        recorded = recorded_checksums(loc)
        for problem in verify_table(loc, table):
            want = recorded.get(problem.key.removeprefix(f"{key}/"), {})
            found.append(
                Damage(
                    problem.key, problem.reason, int(want.get("size", 0)), want.get("sha256", "")
                )
            )
    return found


def last_intact(loc: Location, *, back: int = LOOK_BACK) -> int | None:
    """The newest version before the current one whose data files all verify (None: none of
    the last `back`): where a Delta restore of the table would go."""
    table = open_table(loc)
    if table is None:
        return None
    for version in range(table.version() - 1, max(-1, table.version() - 1 - back), -1):
        table.load_as_version(version)
        if not verify_table(loc, table):
            return version
    return None


def inventory(stores: Stores, target: str) -> Inventory:
    """Resolve `latest`, validate the backup in full, find the damaged lake files and, for a
    table with one the backup does not hold, its last intact version."""
    label = _label(stores, target)
    problems = tuple(backups.validate(stores.backup, label))
    try:
        record: BackupRecord | None = backups.read_backup(stores.backup, label)
    except BackupError:
        record = None
    found = tuple(damaged(stores))
    held = {(o.key, o.sha256) for o in record.objects()} if record else set()
    lacking = {d.key.rsplit("/", 1)[0] for d in found if (d.key, d.sha256) not in held}
    intact = {
        key: last_intact(location(stores.lake, key))
        for key in find_tables(stores.lake, ROOT)
        if any(k == key or k.startswith(f"{key}/") for k in lacking)
    }
    return Inventory(label, record, problems, found, intact)


def plan(inv: Inventory, *, incident: str) -> Plan:
    """One copy per damaged file, from the backup, when the backup is valid and holds each one
    with the checksum recorded when it was written (pure)."""
    check_incident(incident, action=ACTION)
    if inv.problems or inv.backup is None:
        shown = "; ".join(f"{p.key}: {p.reason}" for p in inv.problems[:10])
        raise RemediationError(
            f"backup is not valid, refusing: {shown}", action=ACTION, target=inv.label
        )
    held = {f.key: f for f in inv.backup.objects()}
    copies: list[Step] = []
    absent: list[str] = []
    for damage in inv.damaged:
        kept = held.get(damage.key)
        if not damage.sha256 or kept is None or kept.sha256 != damage.sha256:
            absent.append(damage.key)
            continue
        copies.append(
            Step(
                "copy",
                src=backups.backup_key(inv.label, damage.key),
                dst=damage.key,
                store="lake",
                size=kept.size,
                sha256=kept.sha256,
                detail={"mode": MODE, "was": damage.reason},
            )
        )
    if absent:
        versions = "; ".join(
            f"{key}: last intact version {v}" if v is not None else f"{key}: none recently"
            for key, v in sorted(inv.intact.items())
        )
        raise RemediationError(
            f"backup {inv.label} lacks {len(absent)} damaged file(s), e.g. {absent[0]}: "
            f"restore the table to an older Delta version instead ({versions or 'see sre tables'})",
            action=ACTION,
            target=inv.label,
        )
    notes = (
        f"backup {inv.label} is valid",
        f"{len(copies)} data file(s) the current Delta versions need are put back from it; "
        "the Delta logs are not touched; undo deletes them again",
    )
    return Plan(ACTION, inv.label, tuple(copies), notes)


def plan_from(stores: Stores, target: str, *, incident: str) -> Plan:
    """`inventory` then `plan`: what the engine and the CLI call."""
    return plan(inventory(stores, target), incident=incident)


def apply(plan: Plan, stores: Stores, *, incident: str, keep: Checkpoint = NOWHERE) -> Outcome:
    """Copy each file back (checked), refusing any that is in the lake again. `keep.undo(record)`
    saves the undo record (the engine: in the run's row) before each file is written, so undo
    after a kill at any point deletes every file this run may have put back."""
    check_incident(incident, action=ACTION)
    if plan.action != ACTION:
        raise RemediationError(
            f"not a restore plan: {plan.action}", action=ACTION, target=plan.target
        )
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
            keep.undo(record)
            transfer(stores.backup, step.src, stores.lake, step.dst, expect_sha256=step.sha256)
            done.append(step)
    except SreError as exc:
        record["state"] = "partial"
        return Outcome(False, tuple(done), record, f"restore stopped after {len(done)}: {exc}")
    record["state"] = "committed"
    return Outcome(True, tuple(done), record, f"put back {len(done)} file(s) from {plan.target}")


def verify(stores: Stores) -> Verification:
    """Every current file of every table present and matching its recorded checksum."""
    problems = [f"{d.key}: {d.reason}" for d in damaged(stores)]
    detail = "; ".join(problems[:10]) or "every current file of the Delta tables verifies"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Delete the files restore put back (only data keys inside a Delta table under silver/)."""
    if record.get("action") != ACTION or record.get("mode") != MODE:
        raise RemediationError("not a restore undo record", action=ACTION, target="-")
    check_incident(str(record.get("incident", "")), action=ACTION)
    done: list[Step] = []
    roots = tuple(f"{t}/" for t in find_tables(stores.lake, ROOT))
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


class Restore(BaseAction):
    """The registered action: the target is the alert's `backup` label, else the policy's."""

    name = ACTION
    summary = "put back the Delta tables' damaged files from a validated backup; undo removes them"
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

    def inspect(self, target: str, params: Params, deps: Deps) -> Inventory:
        return inventory(deps.need_stores(ACTION), target)

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        return plan(facts, incident=incident)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        return apply(plan, deps.need_stores(ACTION), incident=incident, keep=deps.checkpoint)

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return verify(deps.need_stores(ACTION))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        return undo(record, deps.need_stores(ACTION))
