"""A real Alertmanager delivers to `sre serve`; the run appears exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.alertmanager import SRE, alertmanager_into_serve


@pytest.fixture
def alertmanager_to_sre(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    env = {
        **os.environ,
        "SRE_TEST_MARKER": str(tmp_path / "executions"),
        "PYTHONPATH": str(Path.cwd()),
    }
    spec = "tests.sre.remediation.spec_fixture:SERVICE"
    with alertmanager_into_serve(tmp_path, spec=spec, env=env, group_by=["alertname"]) as (
        am_url,
        state,
    ):
        yield am_url, state, tmp_path / "executions"


@pytest.mark.integration
def test_alertmanager_delivers_and_a_duplicate_is_absorbed(
    alertmanager_to_sre: tuple[str, str, Path],
) -> None:
    am_url, state, executions = alertmanager_to_sre
    add = [
        "amtool",
        f"--alertmanager.url={am_url}",
        "alert",
        "add",
        "PipelineDataStale",
        "pipeline=potato-pipeline",
        "severity=warning",
    ]
    subprocess.run(add, check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not executions.exists():
        time.sleep(0.2)
    subprocess.run(add, check=True, capture_output=True)  # the same alert again
    time.sleep(4)  # several group intervals: any duplicate delivery has arrived by now
    assert executions.read_text().count("\n") == 1
    runs = json.loads(
        subprocess.run(
            [SRE, "runs", "list", "--json", "--state", state],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    assert [(r["alertname"], r["target"], r["outcome"]) for r in runs] == [
        ("PipelineDataStale", "pipeline=potato-pipeline", "success")
    ]
