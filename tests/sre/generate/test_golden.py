"""Golden snapshots of every generator's output for a small example service.

Refresh after an intended change with `SRE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/sre/generate`.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from sre.cli.generate import diff, render, write
from tests.sre.example_service import CONTENT

GOLDEN = Path(__file__).parent / "golden"
SERVICE_PATH = "tests.sre.example_service:SERVICE"


@pytest.mark.parametrize("env", ["prod", "demo"])
def test_generated_files_match_the_golden_snapshots(env: str) -> None:
    files = render(SERVICE_PATH, env, CONTENT)
    if os.environ.get("SRE_UPDATE_GOLDEN") == "1":
        write(GOLDEN / env, files)
    assert diff(GOLDEN / env, files) == []
    assert any(p.startswith("alerts/tests/job/") for p in files)


@pytest.mark.parametrize("env", ["prod", "demo"])
def test_the_golden_rule_tests_pass_under_promtool(env: str, promtool: str) -> None:
    tests = sorted(str(p) for p in (GOLDEN / env / "alerts" / "tests").glob("*/*.test.yml"))
    done = subprocess.run(
        [promtool, "test", "rules", *tests], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generation_is_byte_for_byte_repeatable() -> None:
    assert render(SERVICE_PATH, "prod", CONTENT) == render(SERVICE_PATH, "prod", CONTENT)
