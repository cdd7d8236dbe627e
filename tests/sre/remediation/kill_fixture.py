"""A spec for process-level kill tests: the pipeline's corrupted-silver policy for one action
($SRE_TEST_ACTION: quarantine or restore), acting on its own, in an `sre serve` that SIGKILLs
itself just before the lake's or the quarantine's $SRE_TEST_KILL_AT-th change, and appends one
line per change to $SRE_TEST_CHANGES. Imported as a spec, it touches nothing unless
$SRE_TEST_KILL_AT is set, so `sre runs undo` can load it too."""

from __future__ import annotations

import dataclasses
import functools
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.service import SERVICE as PIPELINE
from sre.spec.remediation import Limits
from sre.storage import LocalStore

CHANGES = ("write_bytes", "upload", "copy", "delete")


def _dies_before(nth: int, log: Path, change: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(change)
    def changed(self: LocalStore, key: str, *args: Any, **kwargs: Any) -> Any:
        if self.root.name in ("lake", "quarantine"):
            with log.open("a") as out:
                out.write(f"{change.__name__} {self.root.name} {key}\n")
            if len(log.read_text().splitlines()) == nth:
                os.kill(os.getpid(), signal.SIGKILL)  # no except, no finally runs
        return change(self, key, *args, **kwargs)

    return changed


if os.environ.get("SRE_TEST_KILL_AT"):
    for _name in CHANGES:
        _at, _log = int(os.environ["SRE_TEST_KILL_AT"]), Path(os.environ["SRE_TEST_CHANGES"])
        setattr(LocalStore, _name, _dies_before(_at, _log, getattr(LocalStore, _name)))

SERVICE = dataclasses.replace(
    PIPELINE,
    remediation=tuple(
        dataclasses.replace(policy, mode="auto", limits=Limits(max_attempts_per_day=1000))
        if policy.alertname == "PipelineDataCorrupted"
        else policy
        for policy in PIPELINE.remediation
        if policy.alertname != "PipelineDataCorrupted"
        or policy.action == os.environ.get("SRE_TEST_ACTION", "quarantine")
    ),
)
