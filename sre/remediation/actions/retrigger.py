"""retrigger: run the pipeline again, as a local process or as a Kubernetes Job.

The command comes from the service spec as an argument list and runs without a shell; no
alert label ever reaches it. The Kubernetes backend creates a Job from the pipeline's CronJob
the way `kubectl create job --from=cronjob/NAME` does.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sre.remediation.actions.base import Outcome, Plan, Step, Verification

TIMEOUT = 3600.0


def plan(command: Sequence[str], target: str, *, timeout: float = TIMEOUT) -> Plan:
    """A single `run` step (pure)."""
    return Plan(
        action="retrigger",
        target=target,
        steps=(Step(op="run", src=" ".join(command), detail={"timeout": f"{timeout:g}"}),),
        notes=(f"run the pipeline once: {' '.join(command)} (no shell, {timeout:g} s timeout)",),
    )


def apply(
    command: Sequence[str], *, timeout: float = TIMEOUT, env: Mapping[str, str] | None = None
) -> Outcome:
    """Run the command; success is exit status 0 within the timeout."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            list(command),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Outcome(False, detail=f"timed out after {timeout:g} s")
    except OSError as exc:
        return Outcome(False, detail=f"cannot start {command[0]}: {exc}")
    took = time.monotonic() - started
    tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
    step = Step(
        op="run",
        src=" ".join(command),
        detail={"exit": str(done.returncode), "seconds": f"{took:.2f}"},
    )
    if done.returncode != 0:
        return Outcome(
            False, done=(step,), detail=f"exit {done.returncode}: {' | '.join(tail)}"[:2000]
        )
    return Outcome(True, done=(step,), detail=f"exit 0 in {took:.2f} s")


def job_manifest(cronjob: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The Job `kubectl create job --from=cronjob/NAME` creates (pure): the CronJob's job
    template, a unique name, the instantiate annotation and an owner reference."""
    name = cronjob["metadata"]["name"]
    template = cronjob["spec"]["jobTemplate"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{name}-manual-{int(now.timestamp())}"[:63],
            "namespace": cronjob["metadata"].get("namespace", "default"),
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "labels": dict(template.get("metadata", {}).get("labels", {})),
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                }
            ],
        },
        "spec": template["spec"],
    }


def verify_exit(outcome: Outcome) -> Verification:
    return Verification(outcome.ok, outcome.detail)
