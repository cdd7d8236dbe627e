"""command: run an argument list from the spec as a supervised child process.

No shell: the argv comes from the policy, its `{placeholders}` filled only from validated
labels (see `sre.remediation.bindings`). The child runs in its own process group with its own
timeout (default 3600 s); past it the group gets SIGTERM, then SIGKILL 5 s later, and the run
ends `timed_out`. Its stdout and stderr tails are kept with the run. Runs happen on the engine's
action threads, so the webhook worker keeps draining other deliveries meanwhile.

The child's output goes to files in a folder of its own under a small supervisor process
(`supervise.py`), and the run saves the host, pid and folder first: after `sre serve` is killed
the child keeps running (a graceful stop leaves it running too), and the restarted server
finds it (still running: it waits for it; finished: it records the real exit status). The
outcome read from the folder is saved with the run's progress before the folder is removed, so
a kill between reading it and recording the run's end loses nothing. Only when
that cannot be told (another host, or the child died with its supervisor) is a policy's
`idempotent: true` used: the run is started again once, as a second attempt of the same run;
otherwise it is recorded failed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sre.errors import SpecError
from sre.remediation import bindings
from sre.remediation.action import BaseAction, Deps, Outcome, Param, Params, Plan, Step
from sre.remediation.deps import Checkpoint
from sre.remediation.supervise import STATUS

SUPERVISOR = "sre.remediation.supervise"

ACTION = "command"
TIMEOUT = 3600.0
GRACE = 5.0  # between SIGTERM and SIGKILL
TAIL = 2000  # characters of stdout and of stderr kept with the run
FINISHED = "finished"  # the progress key of the outcome, once read from the child's folder

__all__ = ["ACTION", "TIMEOUT", "Command", "resume_supervised", "run_supervised"]


def _tail(path: Path) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4 * TAIL))
            return f.read().decode("utf-8", "replace")[-TAIL:]
    except OSError:
        return ""


def _killpg(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM the child's group, SIGKILL it after GRACE."""
    _killpg(child.pid, signal.SIGTERM)
    try:
        child.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        _killpg(child.pid, signal.SIGKILL)
        child.wait()


def _outcome(
    folder: Path, shown: str, code: int | None, took: float, timed_out: str = ""
) -> Outcome:
    """What the child did, from its folder (left in place: see `_settle`)."""
    if code is None:
        with contextlib.suppress(OSError, ValueError):
            code = int(json.loads((folder / STATUS).read_text())["exit"])
    evidence = {
        "stdout": _tail(folder / "stdout"),
        "stderr": _tail(folder / "stderr"),
        "exit": str(code),
        "seconds": f"{took:.2f}",
    }
    step = Step("run", src=shown, detail={"exit": str(code), "seconds": f"{took:.2f}"})
    if timed_out:
        return Outcome(False, (step,), None, timed_out, status="timed_out", evidence=evidence)
    if code is None:
        detail = "the command was gone without an exit status (killed with its supervisor)"
        return Outcome(False, (step,), None, detail, evidence=evidence)
    if code != 0:
        last = " | ".join((evidence["stderr"] or evidence["stdout"]).strip().splitlines()[-3:])
        return Outcome(False, (step,), None, f"exit {code}: {last}"[:2000], evidence=evidence)
    return Outcome(True, (step,), None, f"exit 0 in {took:.2f} s", evidence=evidence)


def _settle(
    folder: Path, outcome: Outcome, progress: Mapping[str, Any], checkpoint: Checkpoint | None
) -> Outcome:
    """Save the outcome with the run's progress, then remove the child's folder: whoever
    resumes the run after a kill finds one or the other."""
    if checkpoint is not None:
        saved = {
            "ok": outcome.ok,
            "detail": outcome.detail,
            "status": outcome.status,
            "evidence": dict(outcome.evidence),
        }
        checkpoint.progress({**progress, FINISHED: saved})
    shutil.rmtree(folder, ignore_errors=True)
    return outcome


def _saved_outcome(progress: Mapping[str, Any]) -> Outcome:
    doc = progress[FINISHED]
    evidence = {str(k): str(v) for k, v in dict(doc.get("evidence") or {}).items()}
    detail = {"exit": evidence.get("exit", ""), "seconds": evidence.get("seconds", "")}
    step = Step("run", src=str(progress.get("command", "")), detail=detail)
    return Outcome(
        bool(doc.get("ok")),
        (step,),
        None,
        str(doc.get("detail", "")),
        status=str(doc.get("status") or ""),
        evidence=evidence,
    )


def run_supervised(
    argv: list[str], *, timeout: float, env: Mapping[str, str], deps: Deps
) -> Outcome:
    """Run `argv` to completion or to `timeout`; success is exit status 0.

    The child runs under `supervise` with its output in a folder of its own, and the run's
    progress (host, pid, folder) is saved first, so a restart can tell what happened.
    """
    started = time.monotonic()
    shown = " ".join(argv)
    base = Path(deps.work or tempfile.gettempdir()) / "sre-runs"
    base.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="run-", dir=base))
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", SUPERVISOR, str(folder), "--", *argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return Outcome(False, detail=f"cannot start {argv[0]}: {exc.strerror or exc}")
    progress = {
        "host": socket.gethostname(),
        "pid": child.pid,
        "pid_started": _started(child.pid),
        "dir": str(folder),
        "command": shown,
        "started": time.time(),
        "timeout": timeout,
    }
    deps.checkpoint.progress(progress)
    try:
        child.wait(timeout=timeout)
        timed_out = ""
    except subprocess.TimeoutExpired:
        _stop(child)
        timed_out = f"timed out after {timeout:g} s: killed"
    code = None if (folder / STATUS).exists() else child.returncode
    outcome = _outcome(folder, shown, code, time.monotonic() - started, timed_out)
    return _settle(folder, outcome, progress, deps.checkpoint)


def _started(pid: int) -> str | None:
    """The process's start time in clock ticks (Linux /proc), to tell it from a reused pid;
    None where there is no /proc or the process is gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] == "Z" else fields[19]


def _alive(pid: int, started: str | None) -> bool:
    """The supervisor still runs: its pid answers and, where /proc tells, it is the same
    process (not a zombie, not a reused pid)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not Path("/proc/self/stat").exists():
        return True
    return started is not None and _started(pid) == started


def resume_supervised(
    progress: Mapping[str, Any], poll: float = 0.5, checkpoint: Checkpoint | None = None
) -> Outcome | None:
    """The outcome of a child a stopped server started: the one it saved, or waits while the
    child still runs (up to its own timeout, then kills it); None when it ran on another host or
    was killed with its supervisor (the run is then started again if idempotent, else recorded
    failed)."""
    here = progress.get("host") == socket.gethostname() and bool(progress.get("dir"))
    if FINISHED in progress:
        if here:  # killed after saving it, before removing the folder
            shutil.rmtree(progress["dir"], ignore_errors=True)
        return _saved_outcome(progress)
    if not here:
        return None
    folder, pid, shown = Path(progress["dir"]), int(progress["pid"]), str(progress["command"])
    deadline = float(progress["started"]) + float(progress["timeout"])
    while not (folder / STATUS).exists():
        if not _alive(pid, progress.get("pid_started")):
            if (folder / STATUS).exists():  # it wrote its status and exited meanwhile
                break
            shutil.rmtree(folder, ignore_errors=True)
            return None  # killed with its supervisor: what it did cannot be told
        if time.time() > deadline:
            _killpg(pid, signal.SIGKILL)
            timed_out = f"timed out after {float(progress['timeout']):g} s: killed"
            took = time.time() - float(progress["started"])
            return _settle(
                folder, _outcome(folder, shown, None, took, timed_out), progress, checkpoint
            )
        time.sleep(poll)
    took = time.time() - float(progress["started"])
    return _settle(folder, _outcome(folder, shown, None, took), progress, checkpoint)


class Command(BaseAction):
    name = ACTION
    summary = "run an argument list (no shell) as a supervised child with its own timeout"
    params = (
        Param("argv", "list", "the program and its arguments; ${label} placeholders allowed"),
        Param("labels", "list", "alert labels the placeholders may use (validated names)", ()),
        Param("target", "str", "the target's name when no label is used (cooldown key)", ""),
        Param(
            "timeout", "float", "seconds before the child is killed (run ends timed_out)", TIMEOUT
        ),
        Param("idempotent", "bool", "safe to start again once after a restart of sre serve", False),
        Param("env", "map", "extra environment variables for the child", {}),
    )

    def check_params(self, params: Params, owner: str) -> None:
        if not params["argv"]:
            raise SpecError("needs a program to run", owner=owner, field="params.argv")
        if params["timeout"] <= 0:
            raise SpecError("must be positive", owner=owner, field="params.timeout")
        bindings.check_templates(params["argv"], params["labels"], owner, "params.argv")
        if not params["labels"] and not params["target"]:
            raise SpecError("give a target name (or labels)", owner=owner, field="params.target")

    def target(self, labels: Mapping[str, str], params: Params) -> str:
        bound = bindings.bind(labels, params["labels"], action=ACTION)
        return bindings.encode(bound, params["target"], action=ACTION)

    def restartable(self, params: Params) -> bool:
        return bool(params["idempotent"])

    def argv(self, target: str, params: Params) -> list[str]:
        bound = bindings.decode(target, params["labels"], action=ACTION)
        return [bindings.render(arg, bound) for arg in params["argv"]]

    def plan(self, target: str, params: Params, facts: Any, incident: str) -> Plan:
        argv = self.argv(target, params)
        shown = " ".join(argv)
        timeout = float(params["timeout"])
        step = Step("run", src=shown, detail={"timeout": f"{timeout:g}"})
        return Plan(ACTION, target, (step,), (f"run {shown} (no shell, {timeout:g} s timeout)",))

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        env = {**deps.env, **params["env"]}
        return run_supervised(
            self.argv(plan.target, params), timeout=float(params["timeout"]), env=env, deps=deps
        )

    def resume(self, progress: Mapping[str, Any], params: Params, deps: Deps) -> Outcome | None:
        return resume_supervised(progress, checkpoint=deps.checkpoint)
