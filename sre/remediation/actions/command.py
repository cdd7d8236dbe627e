"""command: run an argument list from the spec as a supervised child process.

No shell: the argv comes from the policy, its `{placeholders}` filled only from validated
labels (see `sre.remediation.bindings`). The child runs in its own process group with its own
timeout (default 3600 s); past it the group gets SIGTERM, then SIGKILL 5 s later, and the run
ends `timed_out`. Its stdout and stderr tails are kept with the run. Runs happen on the engine's
action threads, so the webhook worker keeps draining other deliveries meanwhile.

A policy may say `idempotent: true` (rerunning the pipeline is): a run interrupted by a restart
of `sre serve` is then started again once, as a second attempt of the same run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from typing import Any

from sre.errors import SpecError
from sre.remediation import bindings
from sre.remediation.action import BaseAction, Deps, Outcome, Param, Params, Plan, Step

ACTION = "command"
TIMEOUT = 3600.0
GRACE = 5.0  # between SIGTERM and SIGKILL
TAIL = 2000  # characters of stdout and of stderr kept with the run

__all__ = ["ACTION", "TIMEOUT", "Command", "run_supervised"]


def _tail(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")[-TAIL:]


def _stop(child: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """SIGTERM the child's group, SIGKILL it after GRACE; return what it wrote."""
    for sig, wait in ((signal.SIGTERM, GRACE), (signal.SIGKILL, None)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, sig)
        try:
            return child.communicate(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    return b"", b""


def run_supervised(
    argv: list[str], *, timeout: float, env: Mapping[str, str], deps: Deps
) -> Outcome:
    """Run `argv` to completion or to `timeout`; success is exit status 0."""
    started = time.monotonic()
    shown = " ".join(argv)
    try:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            start_new_session=True,  # its own process group: a timeout kills its children too
        )
    except OSError as exc:
        return Outcome(False, detail=f"cannot start {argv[0]}: {exc.strerror or exc}")
    deps.children.add(child)
    try:
        try:
            out, err = child.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            out, err = _stop(child)
            timed_out = True
    finally:
        deps.children.discard(child)
    took = time.monotonic() - started
    evidence = {
        "stdout": _tail(out),
        "stderr": _tail(err),
        "exit": str(child.returncode),
        "seconds": f"{took:.2f}",
    }
    step = Step("run", src=shown, detail={"exit": str(child.returncode), "seconds": f"{took:.2f}"})
    if timed_out:
        return Outcome(
            False,
            (step,),
            None,
            f"timed out after {timeout:g} s: killed",
            status="timed_out",
            evidence=evidence,
        )
    if child.returncode != 0:
        last = " | ".join((_tail(err) or _tail(out)).strip().splitlines()[-3:])
        return Outcome(
            False, (step,), None, f"exit {child.returncode}: {last}"[:2000], evidence=evidence
        )
    return Outcome(True, (step,), None, f"exit 0 in {took:.2f} s", evidence=evidence)


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
