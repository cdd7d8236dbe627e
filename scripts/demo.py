"""`make demo`: the incident loop, live, on the real stack, told as two timelines.

    python scripts/demo.py [--lake ./lake] [--root build/demo-run] [--keep] [--s3]

With --s3 the lake, the quarantine and the backups are prefixes of one bucket on a SeaweedFS
(S3) started on loopback for the demo and stopped after it (so --keep leaves no S3 behind and
is refused with it).

1. a fresh lake: 21 sample drops staged, 14 of them landed, the pipeline run, silver backed up;
2. `sre generate --env demo --out build/demo`: rules, Alertmanager config (hours are seconds);
3. the stack on loopback (Pushgateway, Prometheus, Alertmanager, `sre serve`);
4. incident 1, stale data: the schedule stops, PipelineDataStale fires, the engine reruns the
   pipeline, the new drop is published, the alert resolves;
5. incident 2, corrupted silver: a file is damaged, `potato-pipeline verify` exports it,
   PipelineDataCorrupted fires, the engine quarantines the damaged prefix, restores the latest
   backup and reruns the pipeline, the scheduled integrity check sees silver whole again;
6. where to look. Everything stops at the end unless --keep (`make stack-up` keeps it too).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.drill_lake import BIN, Places, drill_places, prepare
from scripts.incidents import corrupted_silver, stale_data
from sre.errors import SreError
from sre.stack import down, up


def step(message: str) -> None:
    print(f"\n== {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lake", type=Path, default=Path("lake"))
    parser.add_argument("--root", type=Path, default=Path("build/demo-run"))
    parser.add_argument("--artefacts", type=Path, default=Path("build/demo"))
    parser.add_argument("--keep", action="store_true", help="Leave the stack running.")
    parser.add_argument(
        "--s3", action="store_true", help="The lake, quarantine and backups on a SeaweedFS (S3)."
    )
    args = parser.parse_args(argv)
    if args.s3 and args.keep:
        parser.error("--keep needs a local lake: the demo's SeaweedFS stops with it")
    with drill_places(args.root, s3=args.s3, lake=args.lake) as places:
        return _demo(places, args)


def _demo(places: Places, args: argparse.Namespace) -> int:
    started = time.monotonic()
    step(f"a fresh lake in {places.lake}: sample drops, a pipeline run, a backup")
    print(prepare(places))
    step(f"sre generate --env demo --out {args.artefacts}")
    subprocess.run(
        [str(BIN / "sre"), "generate", "--env", "demo", "--out", str(args.artefacts)], check=True
    )
    step("the stack: Pushgateway, Prometheus, Alertmanager, sre serve (127.0.0.1, free ports)")
    spec = places.stack(args.artefacts)
    stack = up(spec)
    try:
        for name, url in stack.urls.items():
            print(f"  {name:<13} {url}  (pid {stack.pids[name]})")
        step("incident 1: the schedule stops (stale after 20 s; the alert waits 5 s more)")
        print(stale_data(stack, places).timeline.render(), flush=True)
        step("incident 2: a silver file is damaged")
        print(corrupted_silver(stack, places).timeline.render(), flush=True)
        step("where to look")
        sre, up_now = BIN / "sre", "" if args.keep else " (while the stack runs: KEEP=1)"
        print(f"  Prometheus:       {stack.urls['prometheus']}/alerts{up_now}")
        print(f"  Alertmanager:     {stack.urls['alertmanager']}/#/alerts{up_now}")
        print(f"  remediation runs: {sre} runs list --state {stack.state_url}")
        print(f"  one run, audited: {sre} runs show RUN --state {stack.state_url}")
        print(f"  audit log:        {sre} audit list --state {stack.state_url}")
        print(f"  quarantine:       {places.quarantine}   backups: {places.backup}")
        print(f"  stack logs:       {spec.folder / 'logs'}")
        print("  runbook site:     .venv/bin/mkdocs serve, then http://127.0.0.1:8000/potato-pipeline/runbook/")
        if args.keep:
            print(
                f"  the stack keeps running: make stack-down (sre stack down --dir {spec.folder})"
            )
    except (SreError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"logs: {spec.folder / 'logs'}", file=sys.stderr)
        down(spec.folder)
        return 1
    except BaseException:
        down(spec.folder)
        raise
    if not args.keep:
        down(spec.folder)
        print("  (the stack is stopped; `make stack-up` or --keep leaves it running)")
    print(f"\ndemo done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
