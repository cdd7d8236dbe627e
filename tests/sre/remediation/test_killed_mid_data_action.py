"""`sre serve` killed (SIGKILL, the process itself) before each change a quarantine or a restore
makes, then `sre runs undo --force` from another process: the lake is back as it was and nothing
is left aside. What the in-process test (actions/test_stopped_mid_action.py) shows of the
actions, this shows of the server: the undo record reached the run's row before every change."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sre.remediation.action import Stores
from sre.remediation.actions import backup
from sre.remediation.state.store import StateStore
from sre.storage import LocalStore
from tests.support.prometheus import free_port

from .conftest import NOW, contents, write_silver
from .fakes import alert, later, payload
from .test_replicas import SRE, post, wait_ready

SPEC = "tests.sre.remediation.kill_fixture:SERVICE"
PREFIX = "silver/nutrition_daily/"


def _places(root: Path) -> dict[str, str]:
    return {
        "--lake": str(root / "lake"),
        "--quarantine": str(root / "quarantine"),
        "--backup": str(root / "backup"),
        "--state": f"sqlite:///{root / 'state.db'}",
    }


def _stores(root: Path) -> Stores:
    return Stores(
        LocalStore(root / "lake", create=True),
        LocalStore(root / "quarantine", create=True),
        LocalStore(root / "backup", create=True),
    )


def _env(root: Path, action: str, kill_at: int | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "SRE_TEST_ACTION": action}
    env.pop("SRE_TEST_KILL_AT", None)
    if kill_at is not None:
        env |= {"SRE_TEST_KILL_AT": str(kill_at), "SRE_TEST_CHANGES": str(root / "changes")}
    return env


def _serve_until_done(root: Path, action: str, kill_at: int | None) -> int:
    """One alert into a fresh `sre serve`; returns the run's id once the server is dead (killed
    at its change `kill_at`) or the run is done."""
    (root / "token").write_text("t0ken\n")
    port = free_port()
    places = _places(root)
    server = subprocess.Popen(
        [
            *(SRE, "serve", "--port", str(port), "--token-file", str(root / "token")),
            *("--service", SPEC, "--replica-id", "doomed"),
            *(x for pair in places.items() for x in pair),
        ],
        env=_env(root, action, kill_at),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_ready(port, server)
        body = alert("c0ffee", name="PipelineDataCorrupted", starts=later(0), prefix=PREFIX)
        assert post(port, payload(body)) == 202
        store = StateStore.open(places["--state"])

        def settled() -> bool:
            runs = store.runs()
            return server.poll() is not None or bool(runs and runs[0]["state"] == "done")

        _wait(settled, 30, f"{action} neither finished nor died")
        [run] = store.runs()
        return int(run["id"])
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _undo(root: Path, run: int, action: str) -> subprocess.CompletedProcess[str]:
    args = [SRE, "runs", "undo", str(run), "--yes", "--force"]
    args += [x for pair in _places(root).items() for x in pair]
    return subprocess.run(
        args, env=_env(root, action, None), capture_output=True, text=True, timeout=120
    )


def _changes_of_a_whole_run(root: Path, action: str, setup: Callable[[Path], None]) -> int:
    setup(root)
    run = _serve_until_done(root, action, kill_at=10**6)
    row = StateStore.open(_places(root)["--state"]).run(run)
    assert (row["state"], row["outcome"]) == ("done", "success"), row
    return len((root / "changes").read_text().splitlines())


def _quarantinable(root: Path) -> None:
    write_silver(_stores(root).lake, {"nutrition_daily": [3, 4]})


def _restorable(root: Path) -> None:
    stores = _stores(root)
    write_silver(stores.lake, {"nutrition_daily": [3, 4], "weight_daily": [2]})
    plan = backup.plan("2024-09-23", backup.inspect(stores.lake))
    assert backup.apply(plan, stores, incident="backup", now=NOW).ok
    for key in [k for k in contents(stores.lake, PREFIX) if "/_" not in k]:
        stores.lake.delete(key)  # what quarantine leaves: the damaged files moved aside


@pytest.mark.integration
@pytest.mark.parametrize(
    ("action", "setup"), [("quarantine", _quarantinable), ("restore", _restorable)]
)
def test_a_server_killed_before_any_change_of_a_data_action_is_undone(
    tmp_path: Path, action: str, setup: Callable[[Path], None]
) -> None:
    total = _changes_of_a_whole_run(tmp_path / "whole", action, setup)
    print(f"{action}: {total} changes, killed before each")
    assert total >= (5 if action == "quarantine" else 2), total
    for nth in range(1, total + 1):
        root = tmp_path / f"killed-{nth}"
        setup(root)
        stores = _stores(root)
        before = contents(stores.lake)
        run = _serve_until_done(root, action, kill_at=nth)
        row = StateStore.open(_places(root)["--state"]).run(run)
        assert row["state"] == "running", (nth, row)  # killed, nobody recovered it
        assert len((root / "changes").read_text().splitlines()) == nth  # died before this one
        assert row["undo"], f"{action} killed before change {nth} left no undo record"
        undone = _undo(root, run, action)
        assert undone.returncode == 0, (nth, undone.stdout, undone.stderr)
        assert contents(stores.lake) == before, (nth, json.dumps(row["undo"])[:500])
        aside = [k for k in contents(stores.quarantine) if not k.endswith("_undo.json")]
        assert aside == [], (nth, aside)
