"""Episodes follow time: late and duplicated resolves, skewed clocks and far-future `endsAt`
give one run per true firing period, whatever order the deliveries come in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fakes import Recorder, alert, deliver, make_engine, outcomes, payload

BASE = 1_800_000_000.0
GAP = 1_000.0  # between firing periods
LENGTH = 300.0  # of each period
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def notice(status: str, starts: float, ends: datetime | None = None) -> bytes:
    return payload(alert(status=status, starts=at(starts), ends=ends))


def test_a_late_resolve_of_the_last_period_leaves_the_new_one_open(tmp_path: Path) -> None:
    """The sequence from the issue: firing, resolved, firing, the same resolve again, a repeat."""
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    t = BASE
    deliver(engine, notice("firing", t))
    clock[0] = t + 60
    deliver(engine, notice("resolved", t, at(t + 60)))
    clock[0] = t + 120
    deliver(engine, notice("firing", t + 120))
    clock[0] = t + 130
    deliver(engine, notice("resolved", t, at(t + 60)))  # a late copy from another peer
    deliver(engine, notice("firing", t + 120))  # the repeat
    assert len(recorder.applied) == 2
    assert outcomes(engine)[-2:] == ["resolve_ignored", "skipped_duplicate"]


def test_a_far_future_resolve_does_not_silence_the_fingerprint(tmp_path: Path) -> None:
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    deliver(engine, notice("resolved", BASE - 600, FAR_FUTURE))  # it never fired
    clock[0] = BASE + 600
    deliver(engine, notice("firing", BASE + 600))
    assert len(recorder.applied) == 1


def test_a_sender_clock_a_day_ahead_still_gives_one_run(tmp_path: Path) -> None:
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    ahead = BASE + 86_400
    deliver(engine, notice("firing", ahead))
    clock[0] = BASE + 30
    deliver(engine, notice("resolved", ahead, at(BASE + 30)))  # resolved now, by our clock
    clock[0] = BASE + 90
    deliver(engine, notice("firing", ahead))  # a repeat of the period that is over
    assert len(recorder.applied) == 1
    clock[0] = BASE + GAP
    deliver(engine, notice("firing", BASE + GAP))  # the next period, clocks fixed
    assert len(recorder.applied) == 2


def test_a_replayed_copy_with_a_clock_ahead_does_not_swallow_the_next_period(
    tmp_path: Path,
) -> None:
    """Found by the HA drill: a firing copy with `startsAt` in 2999, replayed after its period,
    opened an episode starting in the receiver's future; the next real period joined it, its
    resolve (ended before that start) was ignored, and the period after was refused as stale."""
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    deliver(engine, notice("firing", BASE + 10**9))  # a clock decades ahead
    clock[0] = BASE + 30
    deliver(engine, notice("firing", BASE + 20))  # a real period, joining that open episode
    clock[0] = BASE + 40
    deliver(engine, notice("resolved", BASE + 20, at(BASE + 40)))
    clock[0] = BASE + 100
    deliver(engine, notice("firing", BASE + 100))  # the next period must be acted on
    assert outcomes(engine)[-1] != "skipped_duplicate"
    assert len(recorder.applied) == 2


# One delivery: (receiver time, status, startsAt sent, endsAt sent or None).
Delivery = tuple[float, str, float, datetime | None]


@st.composite
def histories(draw: st.DrawFn) -> tuple[int, list[Delivery]]:
    periods = draw(st.integers(1, 4))
    end_of_time = BASE + periods * GAP + GAP
    sends: list[Delivery] = []
    if draw(st.booleans()):  # a resolve, far in the future, for a firing never seen
        sends.append((BASE - 500, "resolved", BASE - 600, FAR_FUTURE))
    for i in range(periods):
        start = BASE + i * GAP
        offset = draw(st.sampled_from([0.0, -20.0, 86_400.0]))  # the sender's clock
        sent_start = start + offset
        far = draw(st.booleans())
        sent_end = FAR_FUTURE if far else at(start + LENGTH + offset)
        sends.append((start + 1, "firing", sent_start, None))  # the first notice
        sends.append((start + LENGTH + 1, "resolved", sent_start, sent_end))
        later = st.floats(start + 2, end_of_time, allow_nan=False)
        for when in draw(st.lists(later, max_size=3)):  # repeats and late firing copies
            sends.append((when, "firing", sent_start, None))
        for when in draw(st.lists(st.floats(start + LENGTH + 2, end_of_time), max_size=3)):
            sends.append((when, "resolved", sent_start, sent_end))  # late, duplicated resolves
    return periods, sorted(sends, key=lambda s: s[0])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(histories())
def test_one_run_per_true_firing_period(
    tmp_path_factory: pytest.TempPathFactory, history: tuple[int, list[Delivery]]
) -> None:
    periods, sends = history
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path_factory.mktemp("episodes"), recorder=recorder, clock=clock)
    for when, status, starts, ends in sends:
        clock[0] = when
        deliver(engine, notice(status, starts, ends))
    assert len(recorder.applied) == periods


def test_a_state_database_of_the_previous_release_gains_the_column(tmp_path: Path) -> None:
    import sqlite3

    from sre.remediation.state.store import StateStore

    url = f"sqlite:///{tmp_path / 'state.db'}"
    StateStore.open(url, "svc").firing("fp", "A", BASE, BASE)
    with sqlite3.connect(tmp_path / "state.db") as conn:
        conn.execute("DROP INDEX one_open_episode_per_fingerprint")
        conn.execute("ALTER TABLE episodes DROP COLUMN instance_starts")
    store = StateStore.open(url, "svc")
    assert store.firing("fp", "A", BASE, BASE + 5).joined  # the old open episode is kept
    assert store.resolved("fp", "A", BASE, BASE + 10, BASE + 10)


class Guard:
    """Alertmanager as the pre-check sees it: firing for the startsAt values in `firing`."""

    def __init__(self, *firing: float) -> None:
        self.firing = set(firing)

    def still_firing(self, alert: Any) -> bool:
        return alert.starts_at.timestamp() in self.firing

    def silence(self, alert: Any, minutes: int, comment: str) -> str | None:
        return None

    def expire(self, silence_id: str) -> None:
        return None


def test_an_episode_the_pre_check_saw_over_does_not_swallow_the_next_firing(
    tmp_path: Path,
) -> None:
    """Found by the HA drill: a firing copy replayed after its period (startsAt far ahead)
    opened an episode whose run the pre-check stopped; the episode stayed open, and the next
    incident's firing joined it and was refused as a duplicate of a run that did nothing."""
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    engine.runner.guard = Guard(BASE + 20)  # Alertmanager shows only the real firing
    deliver(engine, notice("firing", BASE + 10**9))  # the replayed copy, long resolved
    assert outcomes(engine)[-1] == "skipped_resolved" and recorder.applied == []
    clock[0] = BASE + 30
    deliver(engine, notice("firing", BASE + 20))  # the next incident
    assert len(recorder.applied) == 1
    deliver(engine, notice("firing", BASE + 10**9))  # the replayed copy again: still nothing
    assert len(recorder.applied) == 1


def test_a_run_between_a_refused_clock_ahead_copy_and_the_next_firing_does_not_cover_it(
    tmp_path: Path,
) -> None:
    """Found by the HA drill: a firing copy with a clock far ahead, replayed just after a fix, was
    refused by the cooldown and left its episode open; a run of the same work (another
    incident's rerun) finished later; the next real firing joined that episode and was refused
    as covered by that run, which had finished before this firing began: no run at all."""
    recorder, clock = Recorder(), [BASE]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    deliver(engine, notice("firing", BASE))
    clock[0] = BASE + 10
    deliver(engine, notice("resolved", BASE, at(BASE + 10)))
    rerun(engine, episode=901, started=BASE + 10, finished=BASE + 10.5)  # another alert's
    clock[0] = BASE + 10.8
    deliver(engine, notice("firing", BASE + 10**9))  # replayed, a clock decades ahead
    assert outcomes(engine)[-1] == "skipped_cooldown"
    rerun(engine, episode=902, started=BASE + 49, finished=BASE + 50)  # another incident's
    clock[0] = BASE + 120
    deliver(engine, notice("firing", BASE + 115))  # the next real period
    assert outcomes(engine)[-1] != "skipped_duplicate"
    assert len(recorder.applied) == 2


def rerun(engine: Any, *, episode: int, started: float, finished: float) -> None:
    """A successful run of the same work (command on the policy's target) for another alert."""
    run = engine.store.open_run(
        {
            "action": "command",
            "target": "pipeline",
            "fingerprint": "0ther",
            "episode": episode,
            "alertname": "PipelineDataCritical",
            "mode": "auto",
            "state": "running",
            "alert": alert("0ther", name="PipelineDataCritical"),
            "attempt": 1,
            "started_at": started,
        }
    )
    engine.store.finish(run, "success", {}, finished)
