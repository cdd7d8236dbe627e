"""amtool check-config on the generated Alertmanager configuration."""

from __future__ import annotations

from pathlib import Path

from sre.check.problem import Problem
from sre.check.tools import run, which
from sre.generate.alertmanager import ALERTMANAGER_FILE

__all__ = ["check_config"]


def check_config(root: Path) -> list[Problem]:
    amtool, problems = which("amtool", "amtool check-config")
    path = root / ALERTMANAGER_FILE
    if not path.is_file():
        return [*problems, Problem("amtool check-config", ALERTMANAGER_FILE, "missing")]
    if amtool is None:
        return problems
    done = run([amtool, "check-config", str(path)])
    if done.code != 0:
        detail = " | ".join(line.strip() for line in done.output.splitlines() if line.strip())
        problems.append(Problem("amtool check-config", ALERTMANAGER_FILE, detail))
    return problems
