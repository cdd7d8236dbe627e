"""The CLI as a process: JSON log lines on a pipe, and `run --every` serving /metrics."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.prometheus import free_port

from ..conftest import DropWriter, nutrition_rows

CLI = str(Path(sys.executable).parent / "potato-pipeline")
LOG_FIELDS = {"ts", "level", "run_id", "task", "status", "rows", "duration_seconds", "error"}


def test_logs_are_json_lines_with_the_fields_operators_grep_for(
    drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    done = subprocess.run(
        [CLI, "run", "--lake", str(lake)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    tasks = [line for line in lines if line.get("task") and "duration_seconds" in line]
    assert [t["task"] for t in tasks] == [
        "ingest",
        "validate",
        "transform",
        "check",
        "publish",
        "report",
    ]
    assert all(set(t) >= LOG_FIELDS for t in tasks)
    assert len({t["run_id"] for t in tasks}) == 1
    expectation = next(line for line in lines if line["msg"].startswith("expectation"))
    assert expectation["msg"] == "expectation nutrition.duplicate_row failed: 1 rows rejected"
    assert expectation["rows"] == 1 and expectation["level"] == "warning"


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        text: str = response.read().decode()
        return text


def test_run_every_serves_metrics_and_stops_cleanly_on_sigterm(
    drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11")
    port = free_port()
    process = subprocess.Popen(
        [CLI, "run", "--lake", str(lake), "--every", "1s", "--metrics-port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline, text = time.monotonic() + 30, ""
        while time.monotonic() < deadline:
            try:
                text = scrape(f"http://127.0.0.1:{port}/metrics")
                if 'potato_pipeline_runs_total{status="noop"} 1.0' in text:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        assert 'potato_pipeline_runs_total{status="success"} 1.0' in text
        assert 'potato_pipeline_runs_total{status="noop"} 1.0' in text
        assert "potato_pipeline_last_successful_run_timestamp" in text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
