"""Runs know their owner: a starting replica fails only its own runs, a replica that stops is
taken over by the others once its heartbeat has stood still, and never twice."""

from __future__ import annotations

import time
from pathlib import Path

from sre.remediation.engine import RemediationEngine
from sre.remediation.recovery import Recovery
from sre.remediation.state.liveness import BLIND, EXPIRY, INTERVAL, Watch
from sre.remediation.state.store import StateStore

from .fakes import SERVICE, Recorder, alert, make_engine, outcomes, running_run


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _replica(tmp: Path, owner: str, watch_clock: Clock, recorder: Recorder) -> RemediationEngine:
    engine = make_engine(tmp, owner=owner, recorder=recorder)
    engine.recovery = Recovery(Watch(monotonic=watch_clock), every=0)
    return engine


def _watch(engine: RemediationEngine, clock: Clock, seconds: float) -> int:
    """`engine` looks every INTERVAL for `seconds` of its clock; the runs it took over."""
    taken, end = 0, clock.now + seconds
    while clock.now + INTERVAL <= end:
        clock.now += INTERVAL
        taken += engine.recovery.tick(engine)
    return taken


def test_a_starting_replica_leaves_the_live_run_of_another_alone(tmp_path: Path) -> None:
    recorder, watched = Recorder(), Clock()
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)
    b = _replica(tmp_path, "replica-b", watched, recorder)
    assert b.recover() == 0
    assert _watch(b, watched, EXPIRY - 1) == 0
    found = b.store.run(run)
    assert found is not None and (found["state"], found["owner"]) == ("running", "replica-a")


def test_a_heartbeat_that_moves_keeps_the_run_with_its_owner(tmp_path: Path) -> None:
    recorder, watched = Recorder(), Clock()
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)
    b = _replica(tmp_path, "replica-b", watched, recorder)
    b.recover()
    for beat in range(1, 5):  # A beats, B watches past several expiries
        assert a.store.heartbeat.beat(1_800_000_000.0 + beat) == 1
        assert _watch(b, watched, EXPIRY - INTERVAL) == 0
    found = b.store.run(run)
    assert found is not None and found["state"] == "running"


def test_the_run_of_a_replica_that_stopped_is_taken_over_once(tmp_path: Path) -> None:
    recorder, watched = Recorder(), Clock()
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)  # then replica-a is killed: nothing beats any more
    b = _replica(tmp_path, "replica-b", watched, recorder)
    c = _replica(tmp_path, "replica-c", watched, recorder)
    b.recover(), c.recover()
    assert _watch(b, watched, EXPIRY) == 1
    assert c.recovery.tick(c) == 0  # B owns it now, and B is alive
    found = b.store.run(run)
    assert found is not None and (found["state"], found["outcome"]) == ("done", "failed")
    assert "replica-a stopped beating" in found["result"]["error"]
    assert outcomes(b).count("failed") == 1 and recorder.applied == []


def test_a_database_outage_does_not_make_a_live_run_look_dead(tmp_path: Path) -> None:
    recorder, watched = Recorder(), Clock()
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)
    b = _replica(tmp_path, "replica-b", watched, recorder)
    b.recover()
    assert _watch(b, watched, EXPIRY / 2) == 0
    # The database is down for longer than the expiry: B cannot look, A cannot beat. The first
    # look after it sees the heartbeat where it was, and must not count the outage as silence.
    watched.now += BLIND + EXPIRY
    assert b.recovery.tick(b) == 0
    assert _watch(b, watched, EXPIRY - INTERVAL) == 0  # A's first beat may take a while
    found = b.store.run(run)
    assert found is not None and (found["state"], found["owner"]) == ("running", "replica-a")
    assert _watch(b, watched, INTERVAL) == 1  # still no beat after a whole expiry of watching


def test_take_over_loses_to_a_beat_in_between(tmp_path: Path) -> None:
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)
    b = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}", SERVICE, "replica-b")
    [seen] = b.running()
    a.store.heartbeat.beat(1_800_000_100.0)
    assert not b.take_over(seen, 1_800_000_101.0)
    assert b.run(run)["owner"] == "replica-a"  # type: ignore[index]


def test_the_heartbeat_thread_beats_for_running_runs(tmp_path: Path) -> None:
    a = make_engine(tmp_path, owner="replica-a")
    a.store.heartbeat.interval = 0.05
    run = running_run(a)
    deadline = time.monotonic() + 5
    while a.store.run(run)["heartbeat_at"] == 1_800_000_000.0:  # type: ignore[index]
        assert time.monotonic() < deadline, "no heartbeat within 5 s"
        time.sleep(0.05)


def test_a_restarted_replica_beats_for_the_runs_it_took_back(tmp_path: Path) -> None:
    """Found by the HA drill: a replica restarted mid-run took its run back (attempt 2) but
    never started beating for it, so the other replica took the live run over 30 s later and
    recorded it failed."""
    a = make_engine(tmp_path, owner="replica-a")
    a.store.heartbeat.interval = 3600.0  # it is killed: its own beat never comes
    run = running_run(a)
    a.store.update(run, progress={"pid": 4242})  # its child started; then replica-a is killed
    again = make_engine(tmp_path, owner="replica-a")
    again.store.heartbeat.interval = 0.05
    queued: list[object] = []
    again.dispatch = queued.append  # every action thread busy: finding out waits its turn
    assert again.recover() == 1 and queued
    deadline = time.monotonic() + 5
    while again.store.run(run)["heartbeat_at"] == 1_800_000_000.0:  # type: ignore[index]
        assert time.monotonic() < deadline, "the run it took back has no heartbeat"
        time.sleep(0.05)


class Guard:
    def __init__(self) -> None:
        self.expired: list[str] = []

    def still_firing(self, alert: object) -> bool:
        return True

    def silence(self, alert: object, minutes: int, comment: str) -> str | None:
        return "silence-2"

    def expire(self, silence_id: str) -> None:
        self.expired.append(silence_id)


def test_the_silence_of_a_run_whose_process_died_is_expired(tmp_path: Path) -> None:
    """Found by the HA drill: a replica killed mid-action left its hour-long silence, and the
    next incident of the alert was never notified."""
    a = make_engine(tmp_path, owner="replica-a")
    run = running_run(a)
    a.store.update(run, result={"silence": "silence-1"})
    guard = Guard()
    restarted = make_engine(tmp_path, owner="replica-a")
    restarted.runner.guard = guard
    assert restarted.recover() == 1
    assert guard.expired == ["silence-1"]


def test_a_restarted_replica_releases_its_claimed_deliveries_at_once(tmp_path: Path) -> None:
    from .fakes import payload

    a = make_engine(tmp_path, owner="replica-a")
    a.admit(payload(alert("abc")))
    assert len(a.store.claim(1_800_000_000.0)) == 1  # then replica-a is killed
    other = make_engine(tmp_path, owner="replica-b")
    assert other.store.claim(1_800_000_001.0) == []  # leased: not before 120 s
    restarted = make_engine(tmp_path, owner="replica-a")
    restarted.recover()
    assert [d for d, _, _ in restarted.store.claim(1_800_000_002.0)] == [1]
