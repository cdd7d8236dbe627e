"""Measured time to repair: the two incident drills, N times each on one real stack, as medians.

    python scripts/mttr.py --runs 3 [--json]

For each incident, seconds from the moment the problem is visible in the metrics (stale: the
last success is older than the freshness threshold; corrupted: `potato-pipeline verify` has
pushed integrity 0) to: the alert firing (Prometheus rule evaluation), the webhook received by
`sre serve`, the first action started, the last action done, the alert resolved in Prometheus.
Checks the targets: action started within 0.5 s of the webhook; resolved within the pipeline
run's own time + 3 s of the action starting. A benchmark, not a test: it prints, it asserts
nothing. Takes about 35 s per stale drill (staleness is 20 s + `for: 5s` by design) and 10 s
per corruption drill.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.drill_lake import BIN, local_places, prepare
from scripts.incidents import Incident, corrupted_silver, stale_data
from sre.stack import running

STEPS = ("firing", "webhook", "started", "done", "resolved")
MAX_RUNS = 5  # the lake has 7 staged drops; each stale drill lands one


def pipeline_seconds(incident: Incident) -> float:
    """How long the rerun (command)'s pipeline run took, from the run's recorded result."""
    for run in incident.runs:
        if run["action"] == "command" and run["result"]:
            for step in json.loads(run["result"]).get("done", []):
                if step.get("op") == "run":
                    return float(step["detail"]["seconds"])
    return float("nan")


def measure(incident: Incident, origin: str) -> dict[str, float]:
    zero = incident.marks[origin]
    found = {step: incident.marks[step] - zero for step in STEPS}
    found["webhook_to_started"] = incident.marks["started"] - incident.marks["webhook"]
    found["firing_to_webhook"] = incident.marks["webhook"] - incident.marks["firing"]
    found["started_to_resolved"] = incident.marks["resolved"] - incident.marks["started"]
    found["pipeline_run"] = pipeline_seconds(incident)
    return found


def medians(samples: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in samples) for key in samples[0]}


def report(name: str, found: dict[str, float], n: int) -> str:
    cells = "  ".join(f"{found[s]:7.2f}" for s in STEPS)
    started_ok = found["webhook_to_started"] <= 0.5
    resolved_ok = found["started_to_resolved"] <= found["pipeline_run"] + 3
    return (
        f"{name:<16}{n:>3}  {cells}\n"
        f"{'':<19}firing -> webhook {found['firing_to_webhook']:.2f} s; webhook -> action "
        f"{found['webhook_to_started']:.3f} s (target <= 0.5: {'met' if started_ok else 'MISSED'}"
        f"); action -> resolved {found['started_to_resolved']:.2f} s (target <= run "
        f"{found['pipeline_run']:.2f} + 3: {'met' if resolved_ok else 'MISSED'})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help=f"drills per incident (1-{MAX_RUNS})")
    parser.add_argument("--json", action="store_true", help="Print the medians as JSON.")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= MAX_RUNS:
        parser.error(f"--runs must be within 1..{MAX_RUNS}")
    samples: dict[str, list[dict[str, float]]] = {"stale data": [], "corrupted silver": []}
    with tempfile.TemporaryDirectory(prefix="mttr-") as tmp:
        places = local_places(Path(tmp) / "lake", Path(tmp) / "run")
        prepare(places)
        artefacts = Path(tmp) / "artefacts"
        subprocess.run(
            [str(BIN / "sre"), "generate", "--env", "demo", "--out", str(artefacts)],
            check=True,
            capture_output=True,
        )
        with running(places.stack(artefacts)) as stack:
            for i in range(args.runs):
                started = time.monotonic()
                stale = stale_data(stack, places)
                samples["stale data"].append(measure(stale, "stale"))
                broken = corrupted_silver(stack, places)
                samples["corrupted silver"].append(measure(broken, "detected"))
                print(f"drill {i + 1}/{args.runs} done in {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
    found: dict[str, Any] = {name: medians(s) for name, s in samples.items()}
    if args.json:
        print(json.dumps({"runs": args.runs, "medians": found}, indent=2))
        return 0
    print(f"medians of {args.runs} drills, seconds after the problem is visible in the metrics")
    print(f"{'incident':<16}{'n':>3}  " + "  ".join(f"{s:>7}" for s in STEPS))
    for name, values in found.items():
        print(report(name, values, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
