"""Quarantine and restore stopped dead at every step (as `kill -9` stops them: no `except`, no
`finally` in the action runs) are undone from the record they saved through the checkpoint,
which is what the engine writes to the run's row and `sre runs undo` reads."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from sre.remediation.action import Deps, Stores
from sre.remediation.actions import backup, quarantine, restore
from sre.remediation.deps import Checkpoint
from tests.sre.remediation.conftest import NOW, FaultyStore, contents, write_silver

INCIDENT = "f00d-1"
MUTATIONS = ("write_bytes", "upload", "copy", "delete")


class Killed(BaseException):
    """Not an SreError nor an Exception: nothing in the action catches it, as with SIGKILL."""


class DiesAt(FaultyStore):
    """Dies before its `nth` change of any kind (counted across the stores sharing `count`)."""

    def __init__(self, inner: Any, count: list[int], nth: int) -> None:
        super().__init__(inner, op="", nth=nth)
        self.count = count

    def __getattr__(self, name: str) -> Any:  # bucket, options: what delta-rs needs to read
        return getattr(self.inner, name)

    def _tick(self, op: str, key: str) -> None:
        if op in MUTATIONS:
            self.count[0] += 1
            if self.count[0] == self.nth:
                raise Killed(f"killed before {op} {key}")


class Kept(Checkpoint):
    """The run's row: the last undo record saved, as JSON, as the state store keeps it."""

    def __init__(self) -> None:
        self.record: dict[str, Any] | None = None

    def undo(self, doc: Mapping[str, Any]) -> None:
        self.record = json.loads(json.dumps(doc))


def dying(stores: Stores, count: list[int], nth: int) -> Stores:
    """`stores` whose lake and quarantine die before their `nth` change (0: never), counted in
    `count`."""
    return replace(
        stores,
        lake=DiesAt(stores.lake, count, nth),
        quarantine=DiesAt(stores.quarantine, count, nth),
    )


def stopped(stores: Stores, nth: int, act: Callable[[Stores, Deps], object]) -> Kept:
    """Run `act` on stores that die before their `nth` change; returns what it had saved."""
    kept, doomed = Kept(), dying(stores, [0], nth)
    with contextlib.suppress(Killed):
        act(doomed, Deps(stores=doomed, checkpoint=kept, now=lambda: NOW))
    return kept


def changes(stores: Stores, act: Callable[[Stores, Deps], object]) -> int:
    """How many changes a whole run of `act` makes (a first run that nothing stops)."""
    count = [0]
    counting = dying(stores, count, 0)
    act(counting, Deps(stores=counting, now=lambda: NOW))
    return count[0]


def quarantine_prefix(prefix: str) -> Callable[[Stores, Deps], object]:
    action = quarantine.Quarantine()
    params = {"label": "prefix", "prefix": ""}

    def act(stores: Stores, deps: Deps) -> object:
        plan = action.plan(prefix, params, action.inspect(prefix, params, deps), INCIDENT)
        return action.apply(plan, params, deps, INCIDENT)

    return act


def test_a_quarantine_killed_at_any_step_is_undone_from_its_run_record(
    delta_stores: Stores,
) -> None:
    write_silver(delta_stores.lake, {"nutrition_daily": [3, 4, 5]})
    prefix = "silver/nutrition_daily/"
    lake_before = contents(delta_stores.lake)
    act = quarantine_prefix(prefix)
    total = changes(delta_stores, act)
    assert total >= 7  # 3 copies, 3 deletes and the undo record's saves
    # Undo that full run, then stop a fresh run before each of its changes in turn.
    assert quarantine.undo(
        quarantine.load_undo(delta_stores.quarantine, INCIDENT) or {}, delta_stores
    ).ok
    assert contents(delta_stores.lake) == lake_before
    for nth in range(1, total + 1):
        kept = stopped(delta_stores, nth, act)
        assert kept.record is not None, f"no undo record when killed before change {nth}"
        outcome = quarantine.Quarantine().undo(kept.record, Deps(stores=delta_stores))
        assert outcome.ok, (nth, outcome.detail)
        assert contents(delta_stores.lake) == lake_before, nth
        left = [k for k in contents(delta_stores.quarantine) if not k.endswith("_undo.json")]
        assert left == [], (nth, left)


def test_a_restore_killed_at_any_step_is_undone_from_its_run_record(
    delta_stores: Stores,
) -> None:
    write_silver(delta_stores.lake, {"nutrition_daily": [3, 4], "weight_daily": [2]})
    plan = backup.plan("2024-09-23", backup.inspect(delta_stores.lake))
    assert backup.apply(plan, delta_stores, incident="backup", now=NOW).ok
    data = [k for k in contents(delta_stores.lake, "silver/") if "/_" not in k][:3]
    for key in data:
        delta_stores.lake.delete(key)  # what quarantine leaves: the damaged files moved aside
    lake_before = contents(delta_stores.lake)
    action = restore.Restore()
    params = {"label": "backup", "backup": "latest"}

    def act(stores: Stores, deps: Deps) -> object:
        made = action.plan("latest", params, action.inspect("latest", params, deps), INCIDENT)
        return action.apply(made, params, deps, INCIDENT)

    total = changes(delta_stores, act)
    assert total == len(data)
    assert restore.verify(delta_stores).ok
    for key in data:
        delta_stores.lake.delete(key)
    for nth in range(1, total + 1):
        kept = stopped(delta_stores, nth, act)
        assert kept.record is not None, f"no undo record when killed before change {nth}"
        assert action.undo(kept.record, Deps(stores=delta_stores)).ok
        assert contents(delta_stores.lake) == lake_before, nth
