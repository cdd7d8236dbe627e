"""Benchmark: the pipeline against a DuckDB baseline on the same generated bronze.

    python scripts/bench.py --size-mb 500

1. generates one bronze drop of about --size-mb with `potato-pipeline sample-data --size-mb`
   (kept in --data between runs with the same size and seed);
2. runs the baseline in its own process: DuckDB reads the nutrition CSV, drops rows with nulls
   and duplicate rows, and writes the daily aggregate to Parquet;
3. runs `potato-pipeline run` on a fresh lake holding that drop, then runs it again (no-op);
4. prints MB/s of both, their ratio, each process's peak RSS, the no-op time and the seconds
   of each pipeline task (`--repeat N` keeps the fastest of N runs on a noisy host).

Each measured command runs as a child process; its peak RSS comes from wait4's rusage.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
# The pipeline with no instrumentation at all: no observers, no log handler configured.
BARE = (
    "import sys; from pathlib import Path; from pipeline.runner import run_pipeline; "
    "from sre.storage import LocalStore; run_pipeline(LocalStore(Path(sys.argv[1])))"
)
BASELINE_SQL = """
COPY (
    SELECT participant_id, entry_date, count(*) AS n_entries,
           sum(quantity_g) AS quantity_g, sum(calories_kcal) AS kcal,
           sum(protein_g) AS protein_g, sum(carbs_g) AS carbs_g, sum(fat_g) AS fat_g,
           sum(fiber_g) AS fiber_g, sum(sugar_g) AS sugar_g
    FROM (
        SELECT DISTINCT * FROM read_csv('{csv}', header = true, ignore_errors = true,
            columns = {{'participant_id': 'VARCHAR', 'entry_date': 'DATE', 'meal': 'VARCHAR',
                'food_item': 'VARCHAR', 'quantity_g': 'DOUBLE', 'calories_kcal': 'DOUBLE',
                'protein_g': 'DOUBLE', 'carbs_g': 'DOUBLE', 'fat_g': 'DOUBLE', 'fiber_g': 'DOUBLE',
                'soluble_fiber_g': 'DOUBLE', 'insoluble_fiber_g': 'DOUBLE', 'sugar_g': 'DOUBLE'}})
        WHERE participant_id IS NOT NULL AND entry_date IS NOT NULL
          AND quantity_g IS NOT NULL AND calories_kcal IS NOT NULL
    )
    GROUP BY ALL
) TO '{out}' (FORMAT parquet, COMPRESSION zstd)
"""


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in bytes and stderr of one child process (exits on failure)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # stderr goes to a file: a pipe could fill up and stall a chatty child under wait4.
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench: {' '.join(argv[:3])} failed with exit {code}:\n{text[-2000:]}")
    return elapsed, usage.ru_maxrss * 1024, text


def task_seconds(log: str) -> dict[str, float]:
    """Seconds per task from the pipeline's JSON log lines."""
    seconds = {}
    for line in log.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and "task" in record and "duration_seconds" in record:
            seconds[str(record["task"])] = float(record["duration_seconds"])
    return seconds


def generate(data: Path, size_mb: float, seed: int) -> Path:
    marker = data / "bronze.json"
    wanted = {"size_mb": size_mb, "seed": seed}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing bronze in {data} ({wanted})")
        return data / "source"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    print(f"generating about {size_mb:g} MB of bronze in {data} ...", flush=True)
    subprocess.run(
        [
            BIN / "potato-pipeline",
            "sample-data",
            "--out",
            data / "source",
            "--size-mb",
            str(size_mb),
            "--seed",
            str(seed),
            "--dirt",
            "0.05",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    marker.write_text(json.dumps(wanted))
    return data / "source"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=float, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--data", type=Path, default=Path("bench-data"))
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run baseline and pipeline this many times each and keep the fastest (noisy hosts)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the pipeline runs (e.g. to switch instrumentation)",
    )
    parser.add_argument(
        "--overhead",
        action="store_true",
        help="also time run_pipeline with no observers (no metrics, lineage, logs) on a fresh lake",
    )
    args = parser.parse_args()

    source = generate(args.data, args.size_mb, args.seed)
    partition = next((source / "bronze").iterdir())
    nutrition = partition / "nutrition.csv"
    bronze_bytes = sum(p.stat().st_size for p in partition.iterdir())
    nutrition_bytes = nutrition.stat().st_size

    out = args.data / "baseline_daily.parquet"
    sql = BASELINE_SQL.format(csv=nutrition, out=out)
    lake = args.data / "lake"
    env = {**os.environ, **dict(e.split("=", 1) for e in args.env)}
    run = [str(BIN / "potato-pipeline"), "run", "--lake", str(lake), "--json"]
    best: tuple[float, int, str] | None = None
    base_s, base_rss = float("inf"), 0
    for _ in range(max(1, args.repeat)):
        seconds, rss, _log = measure([sys.executable, "-c", f"import duckdb; duckdb.sql({sql!r})"])
        base_s, base_rss = min(base_s, seconds), max(base_rss, rss)
        fresh_lake(lake, partition)
        timed = measure(run, env)
        if best is None or timed[0] < best[0]:
            best = (timed[0], max(timed[1], best[1] if best else 0), timed[2])
    assert best is not None
    pipe_s, pipe_rss, log = best
    noop_s, _noop_rss, _ = measure(run, env)

    base_mbs = nutrition_bytes / 1e6 / base_s
    pipe_mbs = bronze_bytes / 1e6 / pipe_s
    mib = 2**20
    print(
        f"input: {bronze_bytes / 1e6:.0f} MB of bronze "
        f"({nutrition_bytes / 1e6:.0f} MB nutrition.csv), {os.cpu_count()} cores"
    )
    print(
        f"baseline (DuckDB, nutrition only): {base_s:6.2f} s  {base_mbs:6.1f} MB/s  "
        f"peak RSS {base_rss / mib:6.0f} MiB"
    )
    print(
        f"pipeline (potato-pipeline run):    {pipe_s:6.2f} s  {pipe_mbs:6.1f} MB/s  "
        f"peak RSS {pipe_rss / mib:6.0f} MiB"
    )
    print(
        f"throughput ratio pipeline/baseline: {pipe_mbs / base_mbs:.2f}x (target >= 0.70x: "
        f"the pipeline would need <= {bronze_bytes / 1e6 / (0.7 * base_mbs):.2f} s)"
    )
    print(f"peak RSS of the pipeline: {pipe_rss / 1e9:.2f} GB (target < 2 GB)")
    print(f"no-op rerun: {noop_s:.2f} s (target < 2 s)")
    tasks = "  ".join(f"{name} {sec:.2f}" for name, sec in task_seconds(log).items())
    print(f"pipeline seconds per task: {tasks}")
    if args.overhead:
        bare_s = float("inf")
        for _ in range(max(1, args.repeat)):
            fresh_lake(lake, partition)
            bare_s = min(bare_s, measure([sys.executable, "-c", BARE, str(lake)], env)[0])
        print(
            f"instrumentation overhead: bare run_pipeline {bare_s:.2f} s, instrumented CLI "
            f"{pipe_s:.2f} s: {(pipe_s / bare_s - 1) * 100:+.1f}% (target < 5%)"
        )


def fresh_lake(lake: Path, partition: Path) -> None:
    """A new lake whose bronze is hard links to the generated drop."""
    shutil.rmtree(lake, ignore_errors=True)
    (lake / "bronze" / partition.name).mkdir(parents=True)
    for f in partition.iterdir():
        os.link(f, lake / "bronze" / partition.name / f.name)


if __name__ == "__main__":
    main()
