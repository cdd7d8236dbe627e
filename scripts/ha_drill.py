"""`make ha-drill`: exactly once on the highly available topology, under the faults that make
duplicates.

    python scripts/ha_drill.py [--root build/ha-drill] [--faults all|NAME,...] [--rounds N]
                               [--incidents stale,corrupted] [--s3] [--json ROWS.json]

It starts `sre stack up --ha` (3 Alertmanager peers, 2 Prometheus replicas, 2 `sre serve`
replicas on a PostgreSQL cluster created for the drill and deleted after,
`scripts/drill_postgres.py`) in the `ha-drill` environment (the demo's, stale after 90 s), the
lake, quarantine and backups in local folders or, with `--s3`, in a bucket of a SeaweedFS
started for the drill; then plays each incident (stale data, corrupted silver) once per fault,
a fault injected while it runs:

- `none`: the baseline;
- `alertmanager-killed`: a peer SIGKILLed as the alert fires, restarted 3 s later;
- `gossip-split`: a peer SIGSTOPped as the alert fires (the others cannot see its notification
  log), SIGCONTed 10 s later;
- `remediator-killed`: the replica executing the run SIGKILLed mid-action, restarted;
- `database-outage`: the state database's cluster stopped for 30 s from when the alert is
  pending (its firing notice meets the outage: every peer's delivery gets a 503 and is
  retried), then started again;
- `prometheus-stopped`: one Prometheus replica SIGKILLed before the incident, restarted after;
- `late-resolve`: after the incident, its resolved notice and its firing notice replayed into
  both replicas, the firing one with a clock a day ahead;
- `rolling-restart`: both `sre serve` replicas restarted (SIGTERM) one after the other while the
  action runs;
- `together`: all of them in one incident.

For each it prints deliveries stored, duplicates absorbed, runs recorded and runs that carried
out the action (per episode), and the times from firing to action started and to resolved, and
exits 1 when any incident was not remediated exactly once (one executed run in one episode,
never 0 or 2), a delivery was left unprocessed or the run did not succeed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline import ledger
from scripts.drill_lake import BIN, Places, drill_places, prepare
from scripts.drill_postgres import Cluster, cluster
from scripts.incidents import (
    CORRUPTED,
    STALE,
    Incident,
    corrupted_silver,
    freshness_threshold,
    stale_data,
)
from sre.errors import SreError
from sre.stack import Running, Shape, down, faults, up
from sre.stack.observe import Observer

# The demo's settings (cooldowns count from a run's end, so duplicates after it test the dedup)
# with a freshness objective longer than the database outage: see pipeline/service.py.
ENV = "ha-drill"
OUTAGE = 30.0  # seconds the state database is down in the database-outage fault
FIRING_WAIT = 300.0  # for the alert to fire: the freshness objective (90 s) and then some
EXECUTED = ("success", "failed", "timed_out")  # runs that carried out their action


@dataclass(frozen=True, slots=True)
class Kind:
    """An incident the drill plays: its alert, the actions that must remediate it (once each)
    and those that may: the corrupted silver's rerun finds the alert resolved when the restore
    alone made silver whole, or meets the cooldown of a rerun just before, and rightly does
    nothing."""

    name: str
    alert: str
    actions: frozenset[str]
    optional: frozenset[str] = frozenset()


KINDS = {
    "stale": Kind("stale", STALE, frozenset({"command"})),
    "corrupted": Kind(
        "corrupted", CORRUPTED, frozenset({"quarantine", "restore"}), frozenset({"command"})
    ),
}
ALL = (
    "none",
    "alertmanager-killed",
    "gossip-split",
    "remediator-killed",
    "database-outage",
    "prometheus-stopped",
    "late-resolve",
    "rolling-restart",
    "together",
)
Stack = list[Running]  # one cell: the record changes as faults restart components


def _ready(stack: Running, name: str) -> str:
    path = "/readyz" if name.startswith("remediator") else "/-/ready"
    return f"{stack.urls[name]}{path}"


def _bounce(cell: Stack, name: str, sig: signal.Signals, pause: float) -> None:
    killed = faults.kill(cell[0], name, sig)
    time.sleep(pause)
    cell[0] = faults.restart(cell[0], killed, _ready(cell[0], name))


def _resume_after(cell: Stack, name: str, pause: float) -> None:
    time.sleep(pause)
    faults.resume(cell[0], name)


class Injector:
    """Watches the incident and injects its faults at the right moment, on a thread."""

    def __init__(self, cell: Stack, db: Cluster, chosen: set[str], kind: Kind) -> None:
        self.cell, self.db, self.chosen, self.since = cell, db, chosen, time.time()
        self.alert, self.kind = kind.alert, kind
        self.done: list[str] = []
        self.errors: list[str] = []
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Injector:
        if "prometheus-stopped" in self.chosen:
            self.stopped = faults.kill(self.cell[0], "prometheus-2")
            self.done.append("prometheus-2 killed")
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._thread.join(timeout=2 * FIRING_WAIT + 120)  # never into the next row
        if "prometheus-stopped" in self.chosen:
            self.cell[0] = faults.restart(
                self.cell[0], self.stopped, _ready(self.cell[0], "prometheus-2")
            )
            self.done.append("prometheus-2 restarted")

    def _when(self, check: Callable[[], Any], timeout: float = 90.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = check()
            except Exception:  # noqa: BLE001 (a component is down: that is the drill)
                found = None
            if found:
                return found
            time.sleep(0.1)
        return None

    def _new(self, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The alerts of this row's incident: active since it began (a previous row's data
        may have gone stale again meanwhile)."""
        return [a for a in alerts if datetime.fromisoformat(a["activeAt"]).timestamp() > self.since]

    def _guarded(self, job: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except Exception as exc:  # noqa: BLE001 (reported in the table, never lost)
                self.errors.append(f"{type(exc).__name__}: {exc}")

        return run

    def _watch(self) -> None:
        try:
            self._inject()
        except Exception as exc:  # noqa: BLE001 (reported in the table, never lost)
            self.errors.append(f"{type(exc).__name__}: {exc}")

    def _inject(self) -> None:
        obs = Observer(self.cell[0])
        threads = []
        if self.chosen & {"database-outage"}:
            # Down while the alert is pending, so that its firing notice meets the outage and
            # every peer retries its 503s (at firing, the notice could be stored just before).
            if not self._when(lambda: self._new(obs.alerts(self.alert)), timeout=FIRING_WAIT):
                self.errors.append(f"{self.alert} not pending within {FIRING_WAIT:g} s: no outage")
                return
            threads.append(threading.Thread(target=self._guarded(lambda: self.db.outage(OUTAGE))))
            threads[-1].start()
            self.done.append(f"state database stopped {OUTAGE:.0f} s")

        def fired() -> float | None:
            return obs.fired_at(self.alert) if self._new(obs.firing(self.alert)) else None

        if not self._when(fired, timeout=FIRING_WAIT):
            # a row whose faults were never injected must not pass for one that held under them
            self.errors.append(f"{self.alert} did not fire in {FIRING_WAIT:g} s: nothing injected")
            return
        jobs = []
        if self.chosen & {"alertmanager-killed"}:
            jobs.append(lambda: _bounce(self.cell, "alertmanager-2", signal.SIGKILL, 3.0))
            self.done.append("alertmanager-2 killed and restarted")
        if self.chosen & {"gossip-split"}:
            faults.pause(self.cell[0], "alertmanager-3")
            jobs.append(lambda: _resume_after(self.cell, "alertmanager-3", 10.0))
            self.done.append("alertmanager-3 paused 10 s")
        for job in jobs:
            threads.append(threading.Thread(target=self._guarded(job)))
            threads[-1].start()
        if self.chosen & {"remediator-killed", "rolling-restart"}:
            run = self._when(
                lambda: next(
                    (r for r in obs.runs(self.since) if r["state"] == "running" and r["progress"]),
                    None,
                )
            )
            if run is not None and "remediator-killed" in self.chosen:
                _bounce(self.cell, run["owner"], signal.SIGKILL, 1.0)
                self.done.append(f"{run['owner']} killed mid-action and restarted")
            if run is None and "command" in self.kind.optional:
                self.done.append("no command ran to kill or restart (it was not needed)")
            elif run is None:
                self.errors.append("no run in progress to kill or restart within 90 s")
            if run is not None and "rolling-restart" in self.chosen:
                for name in ("remediator", "remediator-2"):
                    _bounce(self.cell, name, signal.SIGTERM, 0.5)
                self.done.append("rolling restart of both replicas")
        for t in threads:
            t.join()


def _replay_late(cell: Stack, incident: Incident, alert: str) -> list[int]:
    """The resolved notice again, then the firing one with a clock a day ahead, into both."""
    obs = Observer(cell[0])
    resolved = next(
        (d for d in obs.deliveries(incident.marks["origin"]) if alert in d.names("resolved")), None
    )
    codes = []
    bodies = [resolved.body] if resolved else []
    if incident.delivery is not None:
        doc = json.loads(incident.delivery.body)
        for a in doc["alerts"]:
            a["startsAt"] = "2999-01-01T00:00:00Z"
        bodies.append(json.dumps(doc).encode())
    for replica in _replicas(cell[0]):
        codes += [replica.post(body) for body in bodies]
    time.sleep(3)  # let a (wrong) extra run show up
    return codes


def _replicas(stack: Running) -> list[Observer]:
    return [
        Observer(dataclasses.replace(stack, urls={**stack.urls, "remediator": stack.urls[name]}))
        for name in ("remediator", "remediator-2")
    ]


def _unavailable(stack: Running) -> int:
    """Deliveries the replicas answered 503 (state store unreachable) so far, from their access
    logs: unlike their /metrics, the logs outlive a replica's restart."""
    logs = Path(stack.folder) / "logs"
    return sum(
        path.read_text(errors="replace").count('"POST /alertmanager 503"')
        for path in logs.glob("remediator*.log")
    )


def play(cell: Stack, db: Cluster, places: Places, fault: str, kind: Kind) -> dict[str, Any]:
    chosen = set(ALL[1:-1]) if fault == "together" else {fault}
    # The previous row's data went stale again after its fix and may have started that next
    # period's run: let it end, so that its pipeline run cannot pass for this incident's fix.
    _settled(Observer(cell[0]), 0.0, time.time())
    started = time.time()
    answered_before = _unavailable(cell[0])
    objects_before = _inventory(places)
    failure = ""
    with Injector(cell, db, chosen, kind) as injector:
        try:
            incident: Incident | None = (
                stale_data(cell[0], places, timeout=180, env=ENV)
                if kind.alert == STALE
                else corrupted_silver(
                    cell[0], places, timeout=180, env=ENV, actions=sorted(kind.actions)
                )
            )
        except SreError as exc:  # a row that says so, with its evidence, not a traceback
            incident, failure = None, str(exc)
    refused = _unavailable(cell[0]) - answered_before
    late = incident is not None and chosen & {"late-resolve"}
    replayed = _replay_late(cell, incident, kind.alert) if incident is not None and late else []
    # The incident ends here, or earlier: the demo's data goes stale again its freshness
    # objective (90 s here) after a fix, as nothing schedules the pipeline, so a run that starts
    # later than that after the first fix is the next period's, not a second one of this.
    # The fix is when the pipeline succeeded (its own ledger), not when the run recording it
    # finished: with the database down, that record waits out the outage while the data
    # already ages towards the next period.
    until = time.time()
    obs = Observer(cell[0])
    fixed = _fixed_at(places, incident)
    if fixed is not None:
        until = min(until, fixed + freshness_threshold(ENV))
    _settled(obs, started, until)
    # Every run of the incident, of any alert: when the fix is late (the database down), the
    # stale data escalates and PipelineDataCritical fires beside PipelineDataStale with the
    # same action on the same target. One incident, one execution, whichever alert's.
    runs = [r for r in obs.runs(started) if r["started_at"] <= until]
    # A run the pre-check stopped (the alert no longer firing in Alertmanager, or inhibited by
    # the critical one) did nothing: a replayed firing copy with a clock far ahead cannot be
    # told from a new firing by its times, so it opens an episode, and the pre-check is what
    # keeps it from acting.
    acted = [r for r in runs if r["outcome"] in EXECUTED]
    # Once per action of the one episode acted on: the stale data's rerun; the corrupted
    # silver's quarantine, restore and rerun.
    episodes: dict[tuple[str, int, str], int] = {}
    for r in acted:
        key = (r["fingerprint"], r["episode"], r["action"])
        episodes[key] = episodes.get(key, 0) + 1
    acted_on = {(fingerprint, episode) for fingerprint, episode, _ in episodes}
    # The unit of exactly once: one episode per fingerprint per firing period, however many
    # copies arrived. The late-resolve fault's firing copy with a clock far ahead is the one
    # that opens a second (its times name a new period; the pre-check keeps it from acting).
    opened: dict[str, int] = {}
    for e in _episodes(obs):
        if started <= e["starts_at"] <= until:
            opened[e["fingerprint"]] = opened.get(e["fingerprint"], 0) + 1
    allowed = 2 if late else 1
    deliveries = obs.deliveries(started)
    audit = obs.audit(started)
    unprocessed = _unprocessed(obs, started)
    objects_after = _inventory(places)
    lost = sorted(objects_before - objects_after)
    doubled = _doubled(places, objects_after)
    row = {
        "fault": fault,
        "incident": kind.name,
        "injected": injector.done,
        "errors": injector.errors,
        "deliveries": len(deliveries),
        "duplicates_absorbed": sum(a["outcome"] == "skipped_duplicate" for a in audit),
        "answered_503": int(refused),
        "runs": len(runs),
        "executed": len(acted),
        "acted_for": sorted({r["alertname"] for r in acted}),
        "runs_per_episode": sorted(episodes.values()),
        "episodes_per_fingerprint": sorted(opened.values()),
        "outcomes": sorted({r["outcome"] for r in acted}),
        "stopped_by_precheck": sum(r["outcome"] == "skipped_resolved" for r in runs),
        "failure": failure,
        "to_action_s": _since_firing(incident, "started"),
        "to_resolved_s": _since_firing(incident, "resolved"),
        # the pipeline's fix and the end of the incident's window, from its firing
        "fixed_s": _from_firing(incident, fixed),
        "until_s": _from_firing(incident, until),
        "unprocessed": unprocessed,
        "objects": f"{len(objects_before)} -> {len(objects_after)}",
        "objects_lost": lost,
        "objects_doubled": doubled,
        "replayed": replayed,
    }
    row["ok"] = (
        len(acted_on) == 1
        and all(n == 1 for n in episodes.values())
        and kind.actions <= {r["action"] for r in acted} <= kind.actions | kind.optional
        and all(n <= allowed for n in opened.values())
        and row["outcomes"] == ["success"]
        and unprocessed == 0
        and not lost
        and not doubled
        and not failure
        and not injector.errors
        and all(code == 202 for code in replayed)
        # The outage was felt (deliveries refused, then retried and acted on). Among all the
        # faults at once, it may fall between two notifications and refuse none; the corrupted
        # silver's alert fires at once (no pending state to start the outage in).
        and (refused > 0 or fault != "database-outage" or kind.alert != STALE)
    )
    if not row["ok"]:  # what the state store saw, to read after the drill
        evidence = places.root / f"evidence-{fault}-{kind.name}-{int(started)}.json"
        tables = {"runs": obs.runs(started), "audit": audit, "episodes": _episodes(obs)}
        evidence.write_text(json.dumps({"row": row, **tables}, indent=2, default=str) + "\n")
        row["evidence"] = str(evidence)
    return row


def _fixed_at(places: Places, incident: Incident | None) -> float | None:
    """When the first pipeline run after the incident's last scheduled one succeeded."""
    if incident is None or not incident.origin_run:
        return None
    runs = ledger.recent(places.store(places.lake), limit=50)  # oldest first
    ids = [r.run_id for r in runs]
    after = runs[ids.index(incident.origin_run) + 1 :] if incident.origin_run in ids else []
    done = [r for r in after if r.status in ("success", "noop")]  # what freshness counts
    return datetime.fromisoformat(done[0].finished_at).timestamp() if done else None


def _doubled(places: Places, objects: set[str]) -> list[str]:
    """Lake objects also in the quarantine (under an incident's folder there) with the same
    content: copied aside and not removed. A restored object has the backup's content, not
    the damaged copy's."""
    lake, quarantine = places.store(places.lake), places.store(places.quarantine)
    found = []
    for area_key in sorted(objects):
        area, _, key = area_key.partition("/")
        source = key.partition("/")[2]  # <incident>/<lake key>
        if area != "quarantine" or f"lake/{source}" not in objects:
            continue
        if quarantine.head(key).sha256 == lake.head(source).sha256:
            found.append(f"lake/{source}")
    return found


def _inventory(places: Places) -> set[str]:
    """Every object in the lake, the quarantine and the backups, as `area/key`."""
    areas = (("lake", places.lake), ("quarantine", places.quarantine), ("backup", places.backup))
    return {f"{area}/{info.key}" for area, url in areas for info in places.store(url).list()}


def _episodes(obs: Observer) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from sre.remediation.state.schema import episodes

    with obs.db.connect() as conn:
        rows = conn.execute(sa.select(episodes).order_by(episodes.c.id)).mappings()
        return [dict(r) for r in rows]


def _since_firing(incident: Incident | None, mark: str) -> float:
    return _from_firing(incident, None if incident is None else incident.marks.get(mark))


def _from_firing(incident: Incident | None, at: float | None) -> float:
    if incident is None or at is None or "firing" not in incident.marks:
        return float("nan")
    return round(at - incident.marks["firing"], 2)


def _settled(obs: Observer, since: float, until: float, timeout: float = 60.0) -> None:
    """Wait for the incident's runs to end (an escalation's run may still be going)."""
    deadline = time.monotonic() + timeout

    def going() -> bool:
        return any(r["state"] != "done" for r in obs.runs(since) if r["started_at"] <= until)

    while going() and time.monotonic() < deadline:
        time.sleep(0.5)


def _unprocessed(obs: Observer, since: float) -> int:
    import sqlalchemy as sa

    from sre.remediation.state.schema import deliveries

    deadline = time.monotonic() + 30
    while True:
        with obs.db.connect() as conn:
            left = conn.execute(
                sa.select(sa.func.count())
                .select_from(deliveries)
                .where(deliveries.c.received_at >= since, deliveries.c.processed_at.is_(None))
            ).scalar()
        if not left or time.monotonic() > deadline:
            return int(left or 0)
        time.sleep(0.5)


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        f"{'fault':<20} {'incident':<9} {'ok':<4} {'deliv':>5} {'dups':>5} {'eps':>5} "
        f"{'runs':>4} {'exec':>4} {'per ep':<7} "
        f"{'to act':>7} {'to res':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        per = ",".join(map(str, r["runs_per_episode"])) or "0"
        eps = ",".join(map(str, r["episodes_per_fingerprint"])) or "0"
        lines.append(
            f"{r['fault']:<20} {r['incident']:<9} {'yes' if r['ok'] else 'NO':<4} "
            f"{r['deliveries']:>5} {r['duplicates_absorbed']:>5} {eps:>5} {r['runs']:>4} "
            f"{r['executed']:>4} {per:<7} "
            f"{r['to_action_s']:>6.1f}s "
            f"{r['to_resolved_s']:>6.1f}s"
        )
    return "\n".join(lines)


def _drill(
    places: Places, root: Path, chosen: list[str], kinds: list[Kind], rounds: int
) -> list[dict[str, Any]]:
    """Every chosen fault with each incident, `rounds` times, on one HA stack and its own
    database."""
    incidents = len(chosen) * rounds  # each lands one staged drop
    print(prepare(places, days=14 + incidents + 1), flush=True)
    artefacts = root / "artefacts"
    subprocess.run(
        [str(BIN / "sre"), "generate", "--env", ENV, "--out", str(artefacts)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    rows: list[dict[str, Any]] = []
    with cluster(root) as db:
        spec = dataclasses.replace(places.stack(artefacts, ENV), shape=Shape.ha(), state_url=db.url)
        cell = [up(spec)]
        try:
            print(f"  {'lake':<15} {places.lake}", flush=True)
            for name, url in cell[0].urls.items():
                print(f"  {name:<15} {url}", flush=True)
            for _ in range(rounds):
                for fault in chosen:
                    for kind in kinds:
                        print(f"\n== {fault}: {kind.name}", flush=True)
                        row = play(cell, db, places, fault, kind)
                        print(f"   {row}", flush=True)
                        rows.append(row)
        finally:
            down(spec.folder)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path("build/ha-drill"))
    parser.add_argument("--faults", default="all", help=f"all, or some of: {','.join(ALL)}")
    parser.add_argument("--rounds", type=int, default=1, help="Times each fault is played.")
    parser.add_argument(
        "--incidents",
        default="stale,corrupted",
        help=f"The incidents played under each fault, some of: {','.join(KINDS)}.",
    )
    parser.add_argument("--json", type=Path, help="Also write the rows to this file.")
    parser.add_argument(
        "--s3", action="store_true", help="The lake, quarantine and backups on a SeaweedFS (S3)."
    )
    args = parser.parse_args(argv)
    chosen = list(ALL) if args.faults == "all" else args.faults.split(",")
    unknown = sorted(set(chosen) - set(ALL))  # names may repeat: none,none plays it twice
    if unknown:
        parser.error(f"unknown faults {', '.join(unknown)}; known: {', '.join(ALL)}")
    names = args.incidents.split(",")
    if not names or set(names) - set(KINDS):
        parser.error(f"--incidents: some of {', '.join(KINDS)}, not {args.incidents!r}")
    kinds = [KINDS[n] for n in names]
    with drill_places(args.root, s3=args.s3) as places:
        rows = _drill(places, args.root, chosen, kinds, args.rounds)
    print("\n" + table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0 if rows and all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
