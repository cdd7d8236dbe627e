"""Build the runbook site with mkdocs in strict mode."""

from __future__ import annotations

from pathlib import Path

from sre.check.problem import Problem
from sre.check.tools import mkdocs_command, run
from sre.generate.site import MKDOCS_FILE

__all__ = ["build_site"]

CHECK = "mkdocs build --strict"


def build_site(root: Path, site_dir: Path) -> list[Problem]:
    config = root / MKDOCS_FILE
    if not config.is_file():
        return [Problem(CHECK, MKDOCS_FILE, "missing")]
    done = run(
        [*mkdocs_command(), "build", "--strict", "-f", str(config), "-d", str(site_dir.resolve())],
        env={"NO_MKDOCS_2_WARNING": "1"},
    )
    if done.code == 0:
        return []
    lines = [line.strip() for line in done.output.splitlines() if line.strip()]
    relevant = [line for line in lines if line.startswith(("WARNING", "ERROR", "Error", "Aborted"))]
    return [Problem(CHECK, MKDOCS_FILE, line) for line in (relevant or lines[-3:])]
