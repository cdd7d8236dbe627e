"""command: a supervised child with its own timeout, while the worker keeps draining."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sre.errors import SpecError, UnsafeTarget
from sre.remediation.action import Deps
from sre.remediation.actions.command import FINISHED, Command, resume_supervised, run_supervised
from sre.remediation.deps import Checkpoint
from sre.remediation.engine import RemediationEngine
from sre.remediation.registry import default_registry
from sre.remediation.worker import ActionPool, Worker

from ..fakes import alert, make_engine, payload, policy

PY = sys.executable
SLEEP_10 = [PY, "-c", "import time; print('started', flush=True); time.sleep(10)"]


def slow_and_quick() -> tuple[object, object]:
    slow = policy("SlowJob", params={"argv": SLEEP_10, "target": "slow", "timeout": 2.0})
    quick = policy("QuickJob", params={"argv": [PY, "-c", "print('quick')"], "target": "quick"})
    return slow, quick


@pytest.fixture
def served(tmp_path: Path) -> Iterator[RemediationEngine]:
    """An engine as `sre serve` runs it: a worker thread that decides, a pool that acts."""
    pool = ActionPool(2)
    engine = make_engine(
        tmp_path,
        *slow_and_quick(),
        registry=default_registry(),  # type: ignore[arg-type]
        deps=Deps(env=dict(os.environ)),
        clock=None,
    )
    engine.dispatch = pool.submit
    engine.clock = engine.runner.clock = time.time
    worker = Worker(engine)
    worker.start()
    yield engine
    worker.stop()
    worker.join(5)
    pool.shutdown(wait=True)


def run_of(engine: RemediationEngine, alertname: str) -> dict[str, object] | None:
    return next((r for r in engine.store.runs() if r["alertname"] == alertname), None)


def wait_for(check: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)


def test_a_command_past_its_timeout_ends_timed_out_while_another_alert_is_acted_on(
    served: RemediationEngine,
) -> None:
    engine = served
    started = time.monotonic()
    engine.admit(payload(alert("5101", name="SlowJob")))
    engine.drain()
    wait_for(lambda: run_of(engine, "SlowJob") is not None, 5)
    engine.admit(payload(alert("c1c1", name="QuickJob")))  # a second delivery, meanwhile
    wait_for(lambda: (run_of(engine, "QuickJob") or {}).get("state") == "done", 5)
    quick, slow = run_of(engine, "QuickJob"), run_of(engine, "SlowJob")
    assert quick is not None and quick["outcome"] == "success"
    assert slow is not None and slow["state"] == "running"  # the slow one had not finished
    wait_for(lambda: (run_of(engine, "SlowJob") or {}).get("state") == "done", 15)
    took = time.monotonic() - started
    slow = run_of(engine, "SlowJob")
    assert slow is not None and slow["outcome"] == "timed_out"
    assert 2.0 <= took < 9.0  # killed at its 2 s timeout, not after the 10 s sleep
    assert "started" in slow["result"]["evidence"]["stdout"]  # the output tail is kept
    assert "timed out after 2 s" in slow["result"]["detail"]
    assert quick["finished_at"] < slow["finished_at"]  # type: ignore[operator]
    assert "timed_out" in [a["outcome"] for a in engine.store.audit()]


def test_a_timed_out_child_and_its_own_children_are_killed(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild-alive"
    grandchild = tmp_path / "grandchild.py"
    grandchild.write_text(f"import time\ntime.sleep(3)\nopen({str(marker)!r}, 'w').close()\n")
    parent = tmp_path / "parent.py"
    parent.write_text(
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, {str(grandchild)!r}])\n"
        "time.sleep(30)\n"
    )
    outcome = run_supervised([PY, str(parent)], timeout=0.5, env=dict(os.environ), deps=Deps())
    assert outcome.status == "timed_out" and not outcome.ok, outcome.detail
    time.sleep(3.5)
    assert not marker.exists()  # the whole process group went


def test_exit_status_and_output_tails_are_the_outcome(tmp_path: Path) -> None:
    fails = run_supervised(
        [PY, "-c", "import sys; print('x' * 5000); sys.exit('bad input')"],
        timeout=10,
        env=dict(os.environ),
        deps=Deps(),
    )
    assert not fails.ok and fails.status == "" and "exit 1: bad input" in fails.detail
    assert len(fails.evidence["stdout"]) == 2000  # a tail, not the whole output
    missing = run_supervised(["/nonexistent/prog"], timeout=10, env={}, deps=Deps())
    assert not missing.ok and "cannot start" in missing.detail


def test_placeholders_come_only_from_validated_labels() -> None:
    action = Command()
    params = policy(
        params={"argv": ["restart", "--pipeline=${pipeline}"], "labels": ["pipeline"]}
    ).params
    target = action.target({"pipeline": "orders-etl"}, params)
    assert target == "pipeline=orders-etl"
    assert action.plan(target, params, None, "i").steps[0].src == "restart --pipeline=orders-etl"
    for bad in ("orders; rm -rf /", "$(id)", "a\nb", "../x"):
        with pytest.raises(UnsafeTarget):
            action.target({"pipeline": bad}, params)
    with pytest.raises(UnsafeTarget):  # a forged target is validated again at execution
        action.plan("pipeline=x;y", params, None, "i")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"argv": [], "target": "t"}, "needs a program"),
        ({"argv": ["x", "${nope}"], "target": "t"}, "not in params.labels"),
        ({"argv": ["x", "${p.__class__}"], "labels": ["p"]}, "plain label name"),
        ({"argv": ["x"]}, "give a target"),
        ({"argv": ["x"], "target": "t", "timeout": 0}, "positive"),
        ({"argv": "x y", "target": "t"}, "must be list"),
        ({"argv": ["x"], "target": "t", "shell": True}, "unknown shell"),
    ],
)
def test_a_bad_command_policy_is_a_spec_error(params: dict[str, object], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        policy(params=params)


def _orphan(tmp_path: Path, code: str) -> dict[str, object]:
    """A supervised child as a killed `sre serve` leaves it: running on, nobody waiting."""
    import socket
    import subprocess

    folder = tmp_path / "run"
    folder.mkdir()
    child = subprocess.Popen(
        [PY, "-m", "sre.remediation.supervise", str(folder), "--", PY, "-c", code],
        start_new_session=True,
    )
    from sre.remediation.actions.command import _started

    return {
        "host": socket.gethostname(),
        "pid": child.pid,
        "pid_started": _started(child.pid),
        "dir": str(folder),
        "command": "python -c ...",
        "started": time.time(),
        "timeout": 30.0,
        "_child": child,
    }


def test_a_restart_waits_for_the_orphaned_child_and_records_its_real_exit(tmp_path: Path) -> None:
    from sre.remediation.actions.command import resume_supervised

    progress = _orphan(tmp_path, "import time; time.sleep(1); print('done by the orphan')")
    outcome = resume_supervised(progress, poll=0.05)
    assert outcome is not None and outcome.ok, outcome
    assert "done by the orphan" in outcome.evidence["stdout"]
    assert not Path(str(progress["dir"])).exists()  # read once, then removed


def test_a_child_killed_with_its_supervisor_cannot_be_told(tmp_path: Path) -> None:
    import signal

    from sre.remediation.actions.command import resume_supervised

    progress = _orphan(tmp_path, "import time; print('working', flush=True); time.sleep(30)")
    time.sleep(0.5)
    os.killpg(int(progress["pid"]), signal.SIGKILL)  # type: ignore[call-overload]
    progress["_child"].wait()  # type: ignore[attr-defined]
    assert resume_supervised(progress, poll=0.05) is None  # cannot tell: restart or fail
    assert not Path(str(progress["dir"])).exists()


def test_another_hosts_child_cannot_be_told(tmp_path: Path) -> None:
    from sre.remediation.actions.command import resume_supervised

    assert resume_supervised({"host": "elsewhere", "pid": 1, "dir": str(tmp_path)}) is None


class Saved(Checkpoint):
    """A run's row, as far as the command writes to it: each progress document, and whether
    the child's folder was still there when it was written."""

    def __init__(self) -> None:
        self.docs: list[dict[str, object]] = []
        self.folder_there: list[bool] = []

    def progress(self, doc: Mapping[str, Any]) -> None:
        self.docs.append(dict(doc))
        self.folder_there.append(Path(str(doc["dir"])).exists())


def test_the_outcome_is_saved_with_the_run_before_the_childs_folder_goes(tmp_path: Path) -> None:
    # A kill between reading the child's exit and recording the run's end must not leave a
    # restart with neither: it would take a finished child for one killed with its supervisor.
    saved = Saved()
    deps = Deps(env=dict(os.environ), checkpoint=saved, work=str(tmp_path))
    done = run_supervised([PY, "-c", "print('fixed')"], timeout=10, env=deps.env, deps=deps)
    assert done.ok and done.evidence["stdout"].strip() == "fixed"
    started, finished = saved.docs  # the child, before waiting for it; then what it did
    assert {"host", "pid", "dir", "started", "timeout"} <= set(started)
    assert FINISHED not in started and saved.folder_there == [True, True]
    assert list((tmp_path / "sre-runs").iterdir()) == []  # removed once the outcome was saved
    # The restart after such a kill: the child is gone, the outcome is not; a folder the kill
    # left (between saving and removing) goes now.
    Path(str(finished["dir"])).mkdir()
    found = resume_supervised({**finished, "pid": 1, "pid_started": "0"}, poll=0.05)
    assert found is not None and found.ok and found.detail == done.detail
    assert not Path(str(finished["dir"])).exists()
    assert "fixed" in found.evidence["stdout"] and found.done[0].detail["exit"] == "0"


def test_a_restart_saves_what_it_found_before_removing_the_folder(tmp_path: Path) -> None:
    saved = Saved()
    progress = _orphan(tmp_path, "import sys; sys.exit(3)")
    child = progress.pop("_child")
    outcome = resume_supervised(progress, poll=0.05, checkpoint=saved)
    child.wait()  # type: ignore[attr-defined]
    assert outcome is not None and not outcome.ok and "exit 3" in outcome.detail
    assert saved.folder_there == [True] and saved.docs[0][FINISHED]["ok"] is False  # type: ignore[index]
    assert not Path(str(progress["dir"])).exists()


def test_the_policies_of_one_alert_act_in_their_order(tmp_path: Path) -> None:
    # Found by the HA drill: a restore recorded by a later delivery (the first one's was cut
    # off by a database outage) ran beside the quarantine before it (different targets, two
    # free slots) and failed on the file the quarantine had not moved aside yet.
    done = tmp_path / "first-done"
    slow = f"import time, pathlib; time.sleep(3); pathlib.Path({str(done)!r}).touch()"
    after = f"import os, sys; sys.exit(0 if os.path.exists({str(done)!r}) else 3)"
    first = policy("Seq", params={"target": "first", "argv": [PY, "-c", slow]})
    second = policy("Seq", params={"target": "second", "argv": [PY, "-c", after]})
    pool = ActionPool(2)
    engine = make_engine(
        tmp_path,
        first,  # type: ignore[arg-type]
        second,  # type: ignore[arg-type]
        registry=default_registry(),
        deps=Deps(env=dict(os.environ)),
        clock=None,
    )
    engine.dispatch = pool.submit
    engine.clock = engine.runner.clock = time.time
    try:
        # the second policy's target ran a moment ago: the first delivery meets its cooldown
        earlier = engine.store.open_run(
            {"action": "command", "target": "second", "fingerprint": "0ther", "episode": 9,
             "alertname": "Other", "mode": "auto", "state": "running", "attempt": 1,
             "alert": alert("0ther", name="Other"), "started_at": time.time()}
        )  # fmt: skip
        assert earlier is not None
        engine.store.finish(earlier, "success", {}, time.time() - 0.3)
        firing = payload(alert("5e0", name="Seq", starts=datetime.now(UTC)))
        engine.admit(firing)
        engine.drain()
        time.sleep(1.2)  # past the 1 s cooldown, the first run still going
        engine.admit(firing)  # Alertmanager's repeat
        engine.drain()
        wait_for(lambda: all(r["state"] == "done" for r in engine.store.runs()), timeout=20)
        found = {r["target"]: r["outcome"] for r in engine.store.runs() if r["alertname"] == "Seq"}
        audit = [
            (a["action"], a["target"], a["outcome"], a["reason"]) for a in engine.store.audit()
        ]
        assert found == {"first": "success", "second": "success"}, audit
    finally:
        pool.shutdown(wait=True)
