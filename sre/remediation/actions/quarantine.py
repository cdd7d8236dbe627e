"""Quarantine: move every data object under a silver prefix to the quarantine store, verified.

Every object is copied to `<incident>/<original key>` in the quarantine store with its
provenance, and each copy is read back (size and sha256) before any original is deleted. The undo
record lists every planned object; it is saved in the run's row before anything moves and after
every step (so `sre runs undo` works after a kill at any point), and at `<incident>/_undo.json`
in the quarantine store before and after the copies and at the end, to undo from there alone.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sre.errors import RemediationError, SpecError, SreError, UnsafeTarget
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
from sre.remediation.deps import NOWHERE, Checkpoint
from sre.remediation.payload import Alert
from sre.remediation.quarantine_store import load_undo, save, save_quietly, undo_key
from sre.remediation.transfer import (
    check_incident,
    fetched,
    head_or_none,
    heads,
    iso,
    place,
    transfer,
)
from sre.storage import ObjectInfo

ACTION = "quarantine"
ROOT = "silver"
DATA_LOCK = "data:silver"  # quarantine, restore and backup never overlap

log = logging.getLogger(__name__)

__all__ = ["ACTION", "Quarantine", "apply", "check_prefix", "inventory", "load_undo", "plan"]
__all__ += ["undo", "verify"]


def check_prefix(prefix: str) -> str:
    """Return `prefix` if it names objects of one silver table, else raise UnsafeTarget (the
    one validator of quarantine targets, `targets.silver_prefix`)."""
    return targets.silver_prefix(prefix, action=ACTION)


def matches(prefix: str, key: str) -> bool:
    """`a/b/` selects keys under it; `a/b` selects the key itself or keys under `a/b/`. A
    table's own bookkeeping (`_delta_log/`, `_checksums/`, `_pins/`: any `_` segment) is never
    selected: moving a Delta log aside would make the whole table disappear."""
    if any(part.startswith("_") for part in key.split("/")[1:]):
        return False
    if prefix.endswith("/"):
        return key.startswith(prefix)
    return key == prefix or key.startswith(f"{prefix}/")


def inventory(stores: Stores, prefix: str) -> list[ObjectInfo]:
    """The lake's objects under `prefix`, with sha256 and metadata; the prefix is checked first,
    so an unsafe one never reaches the store."""
    check_prefix(prefix)
    return [o for o in heads(stores.lake, prefix) if matches(prefix, o.key)]


def plan(prefix: str, objects: Sequence[ObjectInfo], *, incident: str) -> Plan:
    """Copy each object under `prefix` to quarantine, then delete the originals (pure)."""
    check_prefix(prefix)
    check_incident(incident, action=ACTION)
    chosen = sorted((o for o in objects if matches(prefix, o.key)), key=lambda o: o.key)
    copies = [
        Step(
            "copy",
            src=o.key,
            dst=f"{incident}/{o.key}",
            store="quarantine",
            size=o.size,
            sha256=o.sha256,
        )
        for o in chosen
    ]
    deletes = [
        Step("delete", src=o.key, store="lake", size=o.size, sha256=o.sha256) for o in chosen
    ]
    record = Step("write", src="undo record", dst=undo_key(incident), store="quarantine")
    total = sum(o.size for o in chosen)
    notes = (
        f"move {len(chosen)} objects ({total:,} bytes) under {prefix} to quarantine {incident}/; "
        "originals are deleted only after every copy is read back and matches",
    )
    if not chosen:
        return Plan(ACTION, prefix, (), (f"nothing under {prefix}: nothing to do",))
    return Plan(ACTION, prefix, (record, *copies, *deletes), notes)


def apply(
    plan: Plan, stores: Stores, *, incident: str, now: datetime, keep: Checkpoint = NOWHERE
) -> Outcome:
    """Copy, read back, then delete; on a storage error stop and return the partial record.
    `keep` gets the undo record before anything moves and after every step (see above)."""
    _check(plan, incident)
    copies = [s for s in plan.steps if s.op == "copy"]
    deletes = [s for s in plan.steps if s.op == "delete"]
    items: dict[str, dict[str, Any]] = {}
    record: dict[str, Any] = {
        "action": ACTION,
        "incident": incident,
        "target": plan.target,
        "lake": stores.lake.url,
        "quarantine": stores.quarantine.url,
        "state": "started",
        "updated_at": iso(now),
        "items": [],
    }
    done: list[Step] = []
    try:
        # A retry (or a second prefix) under the same incident keeps what earlier runs moved.
        earlier = load_undo(stores.quarantine, incident)
        if earlier is not None and earlier.get("state") != "undone":
            items = {item["src"]: item for item in earlier.get("items", [])}
        for step in copies:
            items[step.src] = {
                "src": step.src,
                "dst": step.dst,
                "size": step.size,
                "sha256": step.sha256,
                "state": "pending",
            }
        record["items"] = list(items.values())
        keep.undo(record)
        save(stores.quarantine, record)
        for step in copies:
            with fetched(stores.lake, step.src) as source:
                provenance = {
                    "source-key": step.src,
                    "source-store": stores.lake.url,
                    "incident": incident,
                    "quarantined-at": iso(now),
                    "source-sha256": source.sha256,
                }
                held = place(stores.quarantine, source, step.dst, metadata=provenance)
            items[step.src].update(size=held.size, sha256=held.sha256, state="copied")
            done.append(Step("copy", step.src, step.dst, "quarantine", held.size, held.sha256))
            keep.undo(record)
        record["state"] = "copied"
        save(stores.quarantine, record)
        for step in deletes:
            stores.lake.delete(step.src)
            items[step.src]["state"] = "deleted"
            done.append(step)
            keep.undo(record)
        record["state"] = "done"
        keep.undo(record)
        save(stores.quarantine, record)
    except SreError as exc:
        record["state"] = "partial"
        save_quietly(stores.quarantine, record)
        return Outcome(False, tuple(done), record, f"stopped after {len(done)} steps: {exc}")
    return Outcome(True, tuple(done), record, f"quarantined {len(copies)} objects")


def verify(subject: Plan | Outcome, stores: Stores) -> Verification:
    """Every original is gone from the lake; each copy is in quarantine, intact, with provenance."""
    problems: list[str] = []
    for item in _items(subject):
        src, dst = item["src"], item["dst"]
        if stores.lake.exists(src):
            problems.append(f"{src}: still in the lake")
        held = head_or_none(stores.quarantine, dst)
        if held is None:
            problems.append(f"{dst}: missing from quarantine")
            continue
        if item.get("sha256") and held.sha256 != item["sha256"]:
            problems.append(f"{dst}: sha256 differs from the original's")
        if held.metadata.get("source-key") != src:
            problems.append(f"{dst}: provenance metadata missing")
    detail = "; ".join(problems) or "every object is in quarantine and verified"
    return Verification(not problems, detail)


def undo(record: Mapping[str, Any], stores: Stores) -> Outcome:
    """Put each quarantined object back at its key (checked), then delete it from quarantine.

    Works on a partial record too: an original that is still in the lake only loses its copy.
    """
    incident = str(record.get("incident", ""))
    if record.get("action") != ACTION:
        raise RemediationError("not a quarantine undo record", action=ACTION, target=incident)
    check_incident(incident, action=ACTION)
    items = [dict(item) for item in record.get("items", [])]
    for item in items:
        check_prefix(item["src"])
        if item["dst"] != f"{incident}/{item['src']}":
            raise UnsafeTarget(
                "undo record names a copy outside the incident", action=ACTION, target=item["dst"]
            )
    done: list[Step] = []
    problems: list[str] = []
    try:
        for item in items:
            problem = _put_back(item, stores, done)
            if problem:
                problems.append(problem)
    except SreError as exc:
        partial = {**record, "state": "undo_partial", "items": items}
        return Outcome(False, tuple(done), partial, f"undo stopped after {len(done)} steps: {exc}")
    state = "undone" if not problems else "undo_incomplete"
    save_quietly(stores.quarantine, {**record, "state": state, "items": items})
    detail = "; ".join(problems) or f"{len(items)} objects back in the lake"
    return Outcome(not problems, tuple(done), {**record, "state": state}, detail)


def _put_back(item: dict[str, Any], stores: Stores, done: list[Step]) -> str:
    src, dst, expected = item["src"], item["dst"], str(item.get("sha256", ""))
    copy = head_or_none(stores.quarantine, dst)
    if copy is None:
        # Never copied (the run stopped first): fine while the original is still there.
        lost = item.get("state") == "deleted" and not stores.lake.exists(src)
        return f"{src}: deleted from the lake but no copy in quarantine" if lost else ""
    if expected and copy.sha256 != expected and item.get("state") != "pending":
        return f"{dst}: quarantined copy no longer matches sha256 {expected[:12]}…; left in place"
    original = head_or_none(stores.lake, src)
    if original is None:
        transfer(stores.quarantine, dst, stores.lake, src, expect_sha256=copy.sha256)
        done.append(Step("copy", dst, src, "lake", copy.size, copy.sha256))
    elif original.sha256 != copy.sha256:
        return f"{src}: the lake holds a different object now; quarantined copy left in place"
    stores.quarantine.delete(dst)
    done.append(Step("delete", dst, store="quarantine", size=copy.size))
    item["state"] = "restored"
    return ""


def _items(subject: Plan | Outcome) -> list[Mapping[str, Any]]:
    if isinstance(subject, Plan):
        return [
            {"src": s.src, "dst": s.dst, "sha256": s.sha256}
            for s in subject.steps
            if s.op == "copy"
        ]
    return list((subject.undo or {}).get("items", []))


def _check(plan: Plan, incident: str) -> None:
    if plan.action != ACTION:
        raise RemediationError(
            f"not a quarantine plan: {plan.action}", action=ACTION, target=plan.target
        )
    check_prefix(plan.target)
    check_incident(incident, action=ACTION)
    for step in plan.steps:
        if step.op == "copy" and step.dst != f"{incident}/{step.src}":
            raise RemediationError(
                "plan was made for another incident", action=ACTION, target=plan.target
            )


class Quarantine(BaseAction):
    """The registered action: the target is the alert's `prefix` label (or the policy's)."""

    name = ACTION
    summary = "move every object under a silver prefix to quarantine, verified, with undo"
    destructive = True
    undoable = True
    target_label = "prefix"
    params = (
        Param("label", "str", "the alert label that names the prefix", "prefix"),
        Param("prefix", "str", "the prefix when the alert has no such label", ""),
    )

    def check_params(self, params: Params, owner: str) -> None:
        if params["prefix"]:
            try:
                check_prefix(params["prefix"])
            except UnsafeTarget as exc:
                raise SpecError(str(exc), owner=owner, field="params.prefix") from exc

    def lock(self, target: str) -> str:
        return DATA_LOCK

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        value = labels.get(params["label"]) or params["prefix"]
        if not value:
            raise UnsafeTarget(
                f"the alert has no {params['label']!r} label and the policy names no prefix",
                action=ACTION,
                target="-",
            )
        return check_prefix(value)

    def inspect(self, target: str, params: Params, deps: Deps) -> list[ObjectInfo]:
        return inventory(deps.need_stores(ACTION), target)

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        return plan(target, facts, incident=incident)

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        stores = deps.need_stores(ACTION)
        return apply(plan, stores, incident=incident, now=deps.now(), keep=deps.checkpoint)

    def verify(
        self, plan: Plan, outcome: Outcome, params: Params, deps: Deps, alert: Alert
    ) -> Verification:
        return verify(plan, deps.need_stores(ACTION))

    def undo(self, record: Mapping[str, Any], deps: Deps) -> Outcome:
        return undo(record, deps.need_stores(ACTION))
