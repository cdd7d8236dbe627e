"""Incident drills on the live stack: stale data and corrupted silver, each with its timeline.

`make demo` (scripts/demo.py) tells them as a story, scripts/mttr.py repeats them for medians
and tests/e2e asserts on them: all three drive this same code against the same real stack.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pipeline import integrity, ledger, silver
from pipeline.context import Bookkeeping
from pipeline.observability import conventions as c
from pipeline.service import FRESHNESS, SERVICE
from scripts.drill_lake import Places, land_next_drop, pipeline
from sre.errors import SreError
from sre.stack import Running, StackError
from sre.stack.observe import Delivery, Observer, wait_for
from sre.stack.timeline import Timeline
from sre.storage import ObjectStore

STALE, CORRUPTED = "PipelineDataStale", "PipelineDataCorrupted"
CORRUPTION_ACTIONS = ("quarantine", "restore", "command")


@dataclass
class Incident:
    """What one drill saw: its timeline, the canonical marks the benchmark reads, the alert's
    fingerprint, its runs, its first delivery, the evidence the actions left and the pipeline
    run (ledger id) the incident began after."""

    timeline: Timeline
    marks: dict[str, float] = field(default_factory=dict)
    fingerprint: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)
    delivery: Delivery | None = None
    duplicate_status: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    origin_run: str = ""

    def mark(self, key: str, label: str, at: float) -> None:
        self.marks[key] = at
        self.timeline.add(label, at)


def _follow(
    obs: Observer,
    incident: Incident,
    alert: str,
    since: float,
    actions: Sequence[str],
    timeout: float,
    duplicate: bool,
    notice_wait: float,
) -> None:
    """Alert firing -> webhook -> runs started and done -> alert resolved -> resolved notice."""
    fired = wait_for(lambda: obs.fired_at(alert), timeout=timeout, what=f"{alert} firing")
    incident.mark("firing", f"{alert} firing (Prometheus rule evaluation)", fired)

    def firing_delivery() -> Delivery | None:
        return next((d for d in obs.deliveries(since) if alert in d.names()), None)

    delivery = wait_for(firing_delivery, timeout=timeout, what=f"a webhook carrying {alert}")
    incident.delivery = delivery
    incident.fingerprint = next(
        a["fingerprint"] for a in delivery.alerts if a["labels"]["alertname"] == alert
    )
    incident.mark("webhook", "Alertmanager's webhook received by sre serve", delivery.received_at)

    def runs() -> list[dict[str, Any]]:
        return [r for r in obs.runs(since) if r["fingerprint"] == incident.fingerprint]

    wait_for(runs, timeout=timeout, what=f"a remediation run for {alert}")
    if duplicate:  # Alertmanager delivers at least once: replay its delivery, as a retry would
        incident.duplicate_status = obs.post(delivery.body)

    def finished() -> list[dict[str, Any]] | None:
        found = runs()
        done = [r for r in found if r["state"] == "done"]
        everything = len(done) == len(found)  # a second run (an escalation, a replay) too
        return found if everything and {r["action"] for r in done} >= set(actions) else None

    incident.runs = wait_for(finished, timeout=timeout, what=f"{', '.join(actions)} done")
    first = min(incident.runs, key=lambda r: r["started_at"])
    incident.mark("started", f"action started: {first['action']}", first["started_at"])
    for run in incident.runs:
        incident.timeline.add(
            f"action done: {run['action']} {run['target']} ({run['outcome']})", run["finished_at"]
        )
    incident.marks["done"] = max(r["finished_at"] for r in incident.runs)
    wait_for(lambda: not obs.alerts(alert), timeout=timeout, what=f"{alert} to resolve")
    incident.mark("resolved", f"{alert} resolved in Prometheus", time.time())
    try:
        notice = wait_for(
            lambda: next((d for d in obs.deliveries(since) if alert in d.names("resolved")), None),
            timeout=notice_wait,
            what=f"the resolved notice of {alert}",
        )
    except StackError:
        incident.timeline.notes.append(
            "no resolved notice yet: the alert cleared while the engine's silence was on, so "
            "Alertmanager muted it; Prometheus re-sends resolved alerts within a minute"
        )
        return
    incident.timeline.add("resolved notice received by sre serve", notice.received_at)


def stale_data(
    stack: Running, places: Places, *, timeout: float = 90.0, env: str = "demo"
) -> Incident:
    """The schedule stops after one last run while a new drop lands; the freshness alert must
    make the engine rerun the pipeline, which publishes the waiting drop. `env` is the
    environment the stack's rules were generated for (its freshness objective)."""
    obs = Observer(stack)
    threshold = freshness_threshold(env)
    incident = Incident(Timeline(f"Incident 1: stale data (stale after {threshold:g} s)"))
    since = time.time()
    done = pipeline("run", env=stack.env)
    if done.returncode != 0:
        raise SreError(f"the last scheduled run failed: {done.stderr.strip()[-500:]}")
    store = places.store(places.lake)
    before = silver.read(store)
    # The last scheduled run by its ledger id: what ran after it is the fix. Its pushed
    # timestamp alone cannot tell it from the fix when the record lands a moment later.
    incident.origin_run = ledger.recent(store, limit=1)[-1].run_id

    def pushed() -> float | None:
        found = obs.query(c.LAST_SUCCESS)
        value = float(found[0]["value"][1]) if found else 0.0
        return value if value >= since - 1 else None

    last = wait_for(pushed, timeout=30, what="the last run's metrics in Prometheus")
    incident.mark("origin", "last scheduled run succeeded; the schedule stops", last)
    drop = land_next_drop(places)
    incident.timeline.add(f"new bronze drop {drop} lands; nothing runs it", time.time())
    incident.mark("stale", f"data stale (no success for {threshold:g} s)", last + threshold)
    # The next drill of this alert must start a new episode: wait for the resolved notice.
    _follow(obs, incident, STALE, since, ("command",), timeout, duplicate=True, notice_wait=30)
    after = silver.read(store)
    moved = obs.query(c.LAST_SUCCESS)
    incident.evidence = {
        "snapshot_before": before.snapshot if before else None,
        "snapshot_after": after.snapshot if after else None,
        "drop": drop,
        "drop_published": drop in Bookkeeping.of(after).partitions,
        "last_success_before": last,
        "last_success_after": float(moved[0]["value"][1]) if moved else None,
    }
    incident.timeline.notes.append(
        f"silver {incident.evidence['snapshot_before']} -> {incident.evidence['snapshot_after']}"
    )
    return incident


def _cooldown(env: str = "demo") -> float:
    service = SERVICE.resolved(SERVICE.environment(env))
    return float(max(p.limits.cooldown for p in service.remediation))


def freshness_threshold(env: str = "demo") -> float:
    """The freshness objective, in seconds, of the environment the stack was generated for."""
    service = SERVICE.resolved(SERVICE.environment(env))
    slo = next(s for s in service.slos if s.name == FRESHNESS)
    return float(slo.objective * slo.unit)


@contextmanager
def integrity_schedule(store: ObjectStore, pushgateway: str, every: float = 1.0) -> Iterator[None]:
    """The scheduled integrity check (`potato-pipeline verify`'s code), every `every` s."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every):
            try:
                integrity.export(integrity.check(store), time.time(), store, pushgateway)
            except SreError:
                continue  # silver is being moved under it: the next check sees it settled

    thread = threading.Thread(target=loop, name="integrity-schedule", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def corrupted_silver(
    stack: Running,
    places: Places,
    *,
    timeout: float = 90.0,
    env: str = "demo",
    actions: Sequence[str] = CORRUPTION_ACTIONS,
) -> Incident:
    """One silver file is damaged; `potato-pipeline verify` exports it; the corruption alert
    must make the engine quarantine the damaged prefix, restore the latest backup and rerun."""
    obs = Observer(stack)
    incident = Incident(Timeline("Incident 2: corrupted silver"))
    # Its rerun (command) shares a cooldown with the stale drill's (same action, same pipeline): a
    # drill right after another waits the cooldown out, as a real second incident would.
    last = max((r["started_at"] for r in obs.runs() if r["action"] == "command"), default=0.0)
    time.sleep(max(0.0, last + _cooldown(env) + 0.5 - time.time()))
    since = time.time()
    done = pipeline("run", env=stack.env)  # the schedule runs again: freshness is not in play
    if done.returncode != 0:
        raise SreError(f"the scheduled run failed: {done.stderr.strip()[-500:]}")
    store = places.store(places.lake)
    before = silver.read(store)
    if before is None:
        raise SreError("no silver committed: run prepare() first")
    keys_before = {o.key for o in store.list("silver/")}
    # A file the latest backup holds: restore puts it back from there (a file written after the
    # backup would need a Delta restore to an older version, which restore leaves to people).
    from sre.remediation import backups as kept

    backups = places.store(places.backup)
    label = kept.latest(backups) or ""
    saved = {o.key for o in kept.read_backup(backups, label).objects()}
    victim = next(
        f.key for t in sorted(before.tables) for f in before.tables[t].files if f.key in saved
    )
    data = bytearray(store.read_bytes(victim))
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(victim, bytes(data))
    incident.mark("origin", f"silver object damaged: {victim}", time.time())
    check = pipeline("verify", "--json", env=stack.env)
    incident.mark("detected", f"potato-pipeline verify exits {check.returncode}", time.time())
    with integrity_schedule(store, stack.urls["pushgateway"]):
        _follow(obs, incident, CORRUPTED, since, actions, timeout, True, notice_wait=3)
    incident.evidence = _corruption_evidence(places, incident, victim, keys_before)
    incident.evidence["verify_exit"] = check.returncode
    incident.timeline.notes.append(
        f"quarantined {incident.evidence['quarantined']} object(s); silver "
        f"{before.snapshot} -> {incident.evidence['snapshot_after']}"
    )
    return incident


def _corruption_evidence(
    places: Places, incident: Incident, victim: str, keys_before: set[str]
) -> dict[str, Any]:
    from sre.remediation.actions import backup
    from sre.remediation.backups import backup_key

    lake, quarantine = places.store(places.lake), places.store(places.quarantine)
    runs = {r["action"]: r for r in incident.runs}
    key = f"{runs['quarantine']['fingerprint']}-{runs['quarantine']['episode']}"
    held = {o.key: quarantine.head(o.key) for o in quarantine.list(f"{key}/silver/")}
    sources = {info.metadata.get("source-key", "") for info in held.values()}
    backups = places.store(places.backup)
    label = backup.latest(backups)
    after = silver.read(lake)
    current = {f.key for t in after.tables.values() for f in t.files} if after else set()
    restored = sorted(sources & current)  # the quarantined files the current versions need
    keys_after = {o.key for o in lake.list("silver/")}
    whole = integrity.check(lake).ok
    return {
        "victim": victim,
        "quarantine_target": runs["quarantine"]["target"],
        "quarantined": len(held),
        "victim_quarantined": victim in sources,
        "provenance": all(
            i.metadata.get("incident") == key and i.metadata.get("source-sha256")
            for i in held.values()
        ),
        "backup": label,
        "restored_matches_backup": bool(restored)
        and all(
            lake.head(k).sha256 == backups.head(backup_key(label or "", k)).sha256 for k in restored
        ),
        "restored_verifies": whole,
        "snapshot_after": after.snapshot if after else None,
        "after_verifies": whole,
        "lost": sorted(keys_before - keys_after - sources),
    }
