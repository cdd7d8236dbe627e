"""Runs left `running` by a process that stopped: found, taken over, then restarted or failed.

At start, a replica takes back its own runs at once (the replica id is stable across its
restarts: a run it owns cannot be executing anywhere else). While it serves, it watches the other
replicas' runs and takes over those whose heartbeat stops (`state/liveness.py`): a replica
killed mid-action is noticed by the survivors within `liveness.EXPIRY` seconds, and a replica
that starts during a rolling deploy never touches the live runs of the others.

An idempotent action starts again once (attempt 2); any other run ends `failed` and is audited,
never silently lost.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sre.remediation.payload import parse_alert
from sre.remediation.run import holder_of
from sre.remediation.state.liveness import INTERVAL, Watch

if TYPE_CHECKING:
    from sre.remediation.engine import RemediationEngine

__all__ = ["Recovery"]


class Recovery:
    def __init__(self, watch: Watch | None = None, every: float = INTERVAL) -> None:
        self.watch = watch or Watch()
        self.every = every
        self._last = float("-inf")

    def at_start(self, engine: RemediationEngine) -> int:
        """Take back this replica's own runs and deliveries; start watching the others'."""
        engine.store.release_claims()
        running = engine.store.running()
        self.watch.expired([r for r in running if r["owner"] != engine.store.owner])
        mine = [run for run in running if run["owner"] == engine.store.owner]
        if mine:  # they are this process's now: beat for them, or the others take them over
            engine.store.heartbeat.ensure_started()
        return sum(_recover(engine, run) for run in mine)

    def tick(self, engine: RemediationEngine) -> int:
        """Every `every` seconds while serving: take over the runs of replicas that stopped."""
        if time.monotonic() - self._last < self.every:
            return 0
        self._last = time.monotonic()
        others = [r for r in engine.store.running() if r["owner"] != engine.store.owner]
        return sum(_recover(engine, run) for run in self.watch.expired(others))


def _recover(engine: RemediationEngine, run: Mapping[str, Any]) -> bool:
    if run["owner"] != engine.store.owner and not engine.store.take_over(run, engine.clock()):
        return False  # its owner is alive after all, or another replica took it
    policy = engine.policy_of(run["alertname"], run["action"])
    action = engine.registry.actions.get(run["action"])
    if policy is not None and action is not None and run.get("progress"):

        def find_out() -> None:  # may wait for a child still running: on an action thread
            deps = engine.runner.deps_for(run["id"])  # what it finds is saved with the run
            outcome = action.resume(run["progress"], policy.params, deps)
            if outcome is None:
                _interrupted(engine, run)
            else:
                engine.store.release_all(holder_of(run["id"]))  # its process is gone
                engine.runner.resume(run, policy, parse_alert(run["alert"]), outcome)

        engine.dispatch(find_out)
        return True
    _interrupted(engine, run)
    return True


def _interrupted(engine: RemediationEngine, run: Mapping[str, Any]) -> None:
    """What really happened cannot be told: start it again (idempotent) or record it failed."""
    engine.runner.expire_silence(run)
    policy = engine.policy_of(run["alertname"], run["action"])
    alert = parse_alert(run["alert"])
    action = engine.registry.actions.get(run["action"])
    again = policy is not None and action is not None and action.restartable(policy.params)
    # Its process is gone; its slot and its target's lock would outlast it (for hours: their
    # time to live covers the longest action), and enough of them leaked stop every action.
    engine.store.release_all(holder_of(run["id"]))
    if again and policy is not None and engine.store.restart(run["id"], engine.clock()):
        engine.audit(
            alert,
            run["episode"],
            policy,
            "restarted",
            f"interrupted ({_whose(engine, run)}): attempt 2 of an idempotent action",
            target=run["target"],
            run=run["id"],
        )
        engine.dispatch_runs([(run["id"], policy, run["target"], alert, run["episode"])])
        return
    reason = f"interrupted ({_whose(engine, run)}) during the run; check the target"
    engine.store.finish(run["id"], "failed", {"error": reason}, engine.clock())
    row = engine.row(
        alert, policy, "failed", reason, episode=run["episode"], target=run["target"], run=run["id"]
    )
    engine.store.record(engine.clock(), **{**row, "action": run["action"]})
    engine.metrics.remediations.labels(run["action"], "failed").inc()


def _whose(engine: RemediationEngine, run: Mapping[str, Any]) -> str:
    if run["owner"] == engine.store.owner:
        return f"{run['owner']} restarted"
    return f"{run['owner'] or 'an older sre'} stopped beating"
