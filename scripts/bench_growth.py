"""Benchmark: how a run's cost and the lake's size grow with history, one daily drop at a time.

    python scripts/bench_growth.py --drops 60 --participants 10000

1. generates --drops daily bronze drops with `potato-pipeline sample-data` (about 4 MB each at
   10,000 participants; kept in --data between runs with the same parameters);
2. copies one drop at a time into a fresh lake and runs `potato-pipeline run` after each;
3. prints, per run, its seconds, the drop's bytes and the bytes the run added to the lake's
   silver and rejects; then the ratios the Delta Lake issue sets targets for: the last run's
   time against the 3rd's (target <= 1.3x), bytes written per byte of drop (first, median,
   last: proportional means flat), and silver on disk against its current version before and
   after `potato-pipeline vacuum --retain 0h` (target <= 1.5x after vacuum). On disk counts the
   data files and the Delta logs; the current version counts its data files.

Every run is a child process timed from the outside, so the figures include start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def generate(data: Path, drops: int, participants: int, seed: int) -> list[Path]:
    """The daily drops, oldest first, generated once per parameter set."""
    folder = data / f"p{participants}-d{drops}-s{seed}"
    if not (folder / "done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [
                str(BIN / "potato-pipeline"),
                "sample-data",
                "--out",
                str(folder),
                "--participants",
                str(participants),
                "--days",
                str(drops),
                "--seed",
                str(seed),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (folder / "done").write_text("")
    return sorted((folder / "bronze").glob("ingest_date=*"))


def run_once(lake: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "potato-pipeline"), "run", "--lake", str(lake)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"potato-pipeline run failed:\n{done.stderr[-2000:]}")
    return seconds


def current_silver_bytes(lake: Path, env: dict[str, str]) -> int:
    """Bytes of the committed version of every silver table, as `status --json` reports."""
    out = subprocess.run(
        [str(BIN / "potato-pipeline"), "status", "--lake", str(lake), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sum(int(t["bytes"]) for t in json.loads(out)["silver"].values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drops", type=int, default=60)
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=Path("build/bench-growth"))
    parser.add_argument("--every", type=int, default=10, help="Print every Nth run's row.")
    args = parser.parse_args(argv)
    if args.drops < 3:
        parser.error("--drops must be at least 3 (the target compares with the 3rd run)")
    drops = generate(args.data, args.drops, args.participants, args.seed)
    lake = args.data / "lake"
    shutil.rmtree(lake, ignore_errors=True)
    (lake / "bronze").mkdir(parents=True)
    env = {**os.environ, "OPENLINEAGE_DISABLED": "true", "PUSHGATEWAY_URL": ""}
    seconds, drop_bytes, written = [], [], []
    print(f"{len(drops)} drops, {args.participants} participants, lake {lake}")
    print(f"{'run':>4} {'seconds':>8} {'drop MB':>8} {'written MB':>11} {'written/drop':>13}")
    for number, drop in enumerate(drops, start=1):
        before = tree_bytes(lake / "silver") + tree_bytes(lake / "rejects")
        shutil.copytree(drop, lake / "bronze" / drop.name)
        seconds.append(run_once(lake, env))
        drop_bytes.append(tree_bytes(drop))
        written.append(tree_bytes(lake / "silver") + tree_bytes(lake / "rejects") - before)
        if number in (1, 3, len(drops)) or number % args.every == 0:
            print(
                f"{number:>4} {seconds[-1]:>8.2f} {drop_bytes[-1] / 1e6:>8.2f} "
                f"{written[-1] / 1e6:>11.2f} {written[-1] / drop_bytes[-1]:>12.2f}x"
            )
    per_byte = [w / d for w, d in zip(written, drop_bytes, strict=True)]
    before_vacuum = tree_bytes(lake / "silver")
    subprocess.run(
        [str(BIN / "potato-pipeline"), "vacuum", "--lake", str(lake), "--retain", "0h"],
        env=env,
        capture_output=True,
        check=True,
    )
    on_disk = tree_bytes(lake / "silver")
    current = current_silver_bytes(lake, env)
    print(f"bronze total: {sum(drop_bytes) / 1e6:.1f} MB")
    print(
        f"run time, run {len(drops)} / run 3: {seconds[-1] / seconds[2]:.2f}x "
        f"({seconds[-1]:.2f} s / {seconds[2]:.2f} s; target <= 1.3x)"
    )
    print(
        f"bytes written per drop byte: first {per_byte[0]:.2f}x, median "
        f"{statistics.median(per_byte):.2f}x, last {per_byte[-1]:.2f}x (proportional: flat)"
    )
    print(
        f"silver on disk before vacuum / current version: {before_vacuum / current:.2f}x "
        f"({before_vacuum / 1e6:.1f} MB)"
    )
    print(
        f"silver on disk after vacuum / current version: {on_disk / current:.2f}x "
        f"({on_disk / 1e6:.1f} MB / {current / 1e6:.1f} MB; target <= 1.5x after vacuum)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
