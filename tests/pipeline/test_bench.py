"""`make bench` prints the figures the foundation issue asks for (run here on a tiny drop)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench.py"


def test_the_benchmark_prints_throughput_ratio_memory_and_the_noop_rerun(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--size-mb", "2", "--data", str(tmp_path / "bench")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    seconds = r"\s+(\d+\.\d\d) s\s+(\d+\.\d) MB/s\s+peak RSS\s+(\d+) MiB"
    baseline = re.search(r"baseline \(DuckDB, nutrition only\):" + seconds, out)
    pipeline = re.search(r"pipeline \(potato-pipeline run\):" + seconds, out)
    assert baseline and pipeline, out
    ratio = re.search(r"throughput ratio pipeline/baseline: (\d+\.\d\d)x", out)
    assert ratio and float(ratio.group(1)) > 0, out
    assert re.search(r"peak RSS of the pipeline: \d+\.\d\d GB", out), out
    assert re.search(r"no-op rerun: \d+\.\d\d s", out), out
    tasks = re.search(r"pipeline seconds per task: (.*)", out)
    assert tasks and all(t in tasks.group(1) for t in ("validate", "transform", "publish")), out


GROWTH = SCRIPT.with_name("bench_growth.py")


def test_the_growth_benchmark_prints_its_three_ratios(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(GROWTH),
            "--drops",
            "3",
            "--participants",
            "20",
            "--data",
            str(tmp_path / "growth"),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    rows = re.findall(
        r"^\s+(\d+)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)x$", out, re.M
    )
    assert [int(r[0]) for r in rows] == [1, 3], out
    assert re.search(r"run time, run 3 / run 3: 1\.00x", out), out
    assert re.search(r"bytes written per drop byte: first \d+\.\d\dx, median \d+\.\d\dx", out), out
    assert re.search(r"silver on disk before vacuum / current version: \d+\.\d\dx", out), out
    assert re.search(r"silver on disk after vacuum / current version: \d+\.\d\dx", out), out
