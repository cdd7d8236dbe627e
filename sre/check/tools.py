"""Running the external checkers (promtool, amtool, mkdocs) with argument lists, no shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from sre.check.problem import Problem

__all__ = ["INSTALL_HINT", "Run", "mkdocs_command", "run", "which"]

INSTALL_HINT = {
    "promtool": "install the Debian package `prometheus` (make setup does)",
    "amtool": "install the Debian package `prometheus-alertmanager` (make setup does)",
}


@dataclass(frozen=True, slots=True)
class Run:
    code: int
    output: str


def which(tool: str, check: str) -> tuple[str | None, list[Problem]]:
    path = shutil.which(tool)
    if path is None:
        return None, [Problem(check, tool, f"not found on PATH: {INSTALL_HINT.get(tool, '')}")]
    return path, []


def run(args: Sequence[str], *, timeout: float = 300, env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        list(args), capture_output=True, text=True, timeout=timeout, check=False,
        env={**os.environ, **(env or {})},
    )
    return Run(done.returncode, (done.stdout + done.stderr).strip())


def mkdocs_command() -> list[str]:
    """mkdocs from the running interpreter's environment (the venv), not whatever is on PATH."""
    return [sys.executable, "-m", "mkdocs"]
