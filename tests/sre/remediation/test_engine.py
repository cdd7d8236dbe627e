"""The engine acts exactly once per episode, whatever Alertmanager's delivery does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sre.errors import StateError
from sre.remediation.engine import RemediationEngine

from .fakes import (
    T0,
    Recorder,
    alert,
    deliver,
    later,
    make_engine,
    outcomes,
    payload,
    policy,
    running_run,
)


def test_one_firing_alert_runs_its_action_once(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    deliver(engine, payload(alert()))
    assert len(recorder.applied) == 1
    [run] = engine.store.runs()
    assert (run["action"], run["outcome"], run["state"], run["mode"]) == (
        "command",
        "success",
        "done",
        "auto",
    )


def test_repeats_and_replica_copies_of_one_episode_join_it(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    deliver(engine, payload(alert(starts=later(0))))
    deliver(engine, payload(alert(starts=later(0))))  # repeat_interval re-send
    deliver(engine, payload(alert(starts=later(1.5))))  # the other HA replica's startsAt
    assert len(recorder.applied) == 1
    assert outcomes(engine).count("skipped_duplicate") == 2


def test_a_new_firing_after_resolve_is_a_new_episode(tmp_path: Path) -> None:
    recorder, clock = Recorder(), [T0.timestamp()]
    engine = make_engine(tmp_path, recorder=recorder, clock=clock)
    deliver(engine, payload(alert(starts=later(0))))
    deliver(engine, payload(alert(status="resolved", starts=later(0), ends=later(60))))
    deliver(engine, payload(alert(starts=later(0.5))))  # a late copy of the old episode
    clock[0] += 120  # past the policy's cooldown
    deliver(engine, payload(alert(starts=later(120))))  # fires again: a new episode
    assert len(recorder.applied) == 2
    assert [r["episode"] for r in engine.store.runs()] == [2, 1]


def test_a_resolve_seen_before_its_firing_still_absorbs_the_late_firing(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    deliver(engine, payload(alert(status="resolved", starts=later(0), ends=later(30))))
    deliver(engine, payload(alert(starts=later(0))))
    assert recorder.applied == []


def test_unknown_alerts_are_recorded_and_left_alone(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    deliver(engine, payload(alert(name="SomethingElse")))
    assert recorder.applied == [] and outcomes(engine) == ["no_policy"]


@pytest.mark.parametrize(
    ("mode", "outcome", "runs"),
    [
        ("dry_run", "dry_run", 1),
        ("approve", "awaiting_approval", 1),
        ("off", "off", 0),
    ],
)
def test_modes_other_than_auto_never_apply(
    tmp_path: Path, mode: str, outcome: str, runs: int
) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, policy(mode=mode), recorder=recorder)
    deliver(engine, payload(alert()))
    assert recorder.applied == []
    assert outcomes(engine) == [outcome]
    assert [r["outcome"] for r in engine.store.runs()] == [outcome] * runs


def test_cooldown_then_budget_open_the_circuit(tmp_path: Path) -> None:
    clock = [T0.timestamp()]
    recorder = Recorder()
    engine = make_engine(
        tmp_path, policy(cooldown=600, max_attempts_per_day=2), recorder=recorder, clock=clock
    )
    deliver(engine, payload(alert("f1", starts=later(0))))
    clock[0] += 60
    deliver(engine, payload(alert("f2", starts=later(60))))  # same target, another alert: cooldown
    clock[0] += 600
    deliver(engine, payload(alert("f3", starts=later(700))))
    clock[0] += 600
    deliver(engine, payload(alert("f4", starts=later(1400))))  # third attempt in a day: circuit
    assert len(recorder.applied) == 2
    assert outcomes(engine)[-1] == "blocked_circuit"
    [opened] = engine.store.circuits()
    assert (opened["service"], opened["action"], opened["target"]) == (
        "test-service",
        "command",
        "pipeline",
    )
    clock[0] += 600
    deliver(engine, payload(alert("f5", starts=later(2100))))
    assert outcomes(engine)[-1] == "blocked_circuit" and len(recorder.applied) == 2


def test_the_kill_switch_pauses_everything(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    engine.store.pause("*", "test", 0.0)
    deliver(engine, payload(alert()))
    assert recorder.applied == [] and outcomes(engine) == ["paused"]


def test_a_plan_past_the_blast_radius_is_blocked(tmp_path: Path) -> None:
    recorder = Recorder(objects=11)
    engine = make_engine(
        tmp_path, policy("PipelineDataCorrupted", "quarantine", max_objects=10), recorder=recorder
    )
    deliver(engine, payload(alert(name="PipelineDataCorrupted", prefix="silver/t/")))
    assert recorder.applied == [] and outcomes(engine) == ["blocked_blast_radius"]


def test_a_run_interrupted_by_a_restart_ends_failed_not_lost(tmp_path: Path) -> None:
    run = running_run(make_engine(tmp_path), started_at=1.0)
    recorder = Recorder()
    restarted = make_engine(tmp_path, recorder=recorder)
    assert restarted.recover() == 1
    found = restarted.store.run(run)
    assert found is not None and (found["state"], found["outcome"]) == ("done", "failed")
    assert "interrupted" in found["result"]["error"]
    assert recorder.applied == []  # nothing ran a second time
    assert "failed" in outcomes(restarted)


def test_an_idempotent_run_interrupted_by_a_restart_is_started_again_once(tmp_path: Path) -> None:
    rerun = policy(params={"argv": ["true"], "target": "pipeline", "idempotent": True})
    run = running_run(make_engine(tmp_path, rerun), started_at=1.0)
    recorder = Recorder()
    restarted = make_engine(tmp_path, rerun, recorder=recorder)
    assert restarted.recover() == 1
    found = restarted.store.run(run)
    assert found is not None
    assert (found["outcome"], found["attempt"]) == ("success", 2)
    assert recorder.applied == [("command", "pipeline", "abc-1")]
    assert "restarted" in outcomes(restarted)
    # Interrupted again, it is not started a third time: it ends failed.
    restarted.store.update(run, state="running", outcome=None)
    again = make_engine(tmp_path, rerun, recorder=recorder)
    assert again.recover() == 1
    found = again.store.run(run)
    assert found is not None and found["outcome"] == "failed"
    assert len(recorder.applied) == 1


# Any interleaving of duplicated, reordered and replica-shifted deliveries of N alerts -> N runs.
deliveries = st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(
            st.tuples(st.integers(0, n - 1), st.floats(0, 2.0), st.booleans()),
            min_size=n,
            max_size=4 * n,
        ),
        st.randoms(use_true_random=False),
    )
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deliveries)
def test_any_interleaving_of_duplicates_yields_exactly_one_run_per_alert(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[int, list[tuple[int, float, bool]], object],
) -> None:
    n, extra, rng = case
    tmp = tmp_path_factory.mktemp("prop")
    recorder = Recorder()
    # Each alert names its own prefix, so cooldowns (per target) cannot hide a duplicate run.
    engine = make_engine(tmp, policy("PipelineDataCorrupted", "quarantine"), recorder=recorder)
    sends = [(i, 0.0, False) for i in range(n)] + extra  # every alert is delivered at least once
    rng.shuffle(sends)  # type: ignore[attr-defined]
    for index, shift, grouped in sends:

        def make(i: int, shift: float = shift) -> dict[str, object]:
            return alert(
                f"f{i}", name="PipelineDataCorrupted", starts=later(shift), prefix=f"silver/t{i}/"
            )

        body = make(index)
        if grouped:  # the same alert inside a group with another one
            deliver(engine, payload(body, make((index + 1) % n)))
        else:
            deliver(engine, payload(body))
    assert sorted(incident.split("-")[0] for _, _, incident in recorder.applied) == [
        f"f{i}" for i in range(n)
    ]


def test_a_global_rate_limit_stops_a_storm_of_alerts(tmp_path: Path) -> None:
    recorder = Recorder()
    per_pipeline = policy(params={"argv": ["true", "${pipeline}"], "labels": ["pipeline"]})
    engine = make_engine(tmp_path, per_pipeline, recorder=recorder)
    engine.max_runs_per_minute = 3
    for i in range(5):
        deliver(engine, payload(alert(f"5e{i}", pipeline=f"p{i}")))
    assert len(recorder.applied) == 3
    assert outcomes(engine).count("blocked_rate_limit") == 2


def test_quarantine_and_restore_never_overlap_on_silver(tmp_path: Path) -> None:
    recorder = Recorder()
    engine = make_engine(tmp_path, policy("PipelineDataCorrupted", "quarantine"), recorder=recorder)
    engine.runner.lock_wait = 0.5
    assert engine.store.acquire("data:silver", "a-restore-elsewhere", 1_800_000_000.0, ttl=3600)
    deliver(engine, payload(alert(name="PipelineDataCorrupted", prefix="silver/t/")))
    assert recorder.applied == []
    [run] = engine.store.runs()
    assert run["outcome"] == "failed"
    assert "data:silver or all 2 slots stayed busy" in run["result"]["reason"]
    engine.store.release("data:silver", "a-restore-elsewhere")


def test_two_services_on_one_state_database_never_share_a_circuit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'shared.db'}"
    budget = policy(max_attempts_per_day=1, cooldown=1)
    clock = [T0.timestamp()]
    orders = make_engine(tmp_path, budget, db=db, service="orders-etl", clock=clock)
    potato = make_engine(tmp_path, budget, db=db, service="potato-pipeline", clock=clock)
    deliver(orders, payload(alert("0a1", starts=later(0))))
    clock[0] += 10
    deliver(orders, payload(alert("0a2", starts=later(10))))  # budget spent: circuit opens
    deliver(potato, payload(alert("b1", starts=later(10))))  # the same action and target
    assert [c["service"] for c in orders.store.circuits()] == ["orders-etl"]
    assert potato.store.circuits() == []
    assert [r["outcome"] for r in potato.store.runs()] == ["success"]
    # Each worker takes only its own service's deliveries.
    assert orders.store.backlog() == potato.store.backlog() == 0


def warning_and_critical(tmp_path: Path) -> tuple[Recorder, list[float], RemediationEngine]:
    """An engine whose warning and critical staleness alerts rerun the same pipeline."""
    recorder, clock = Recorder(), [T0.timestamp()]
    engine = make_engine(
        tmp_path,
        policy("PipelineDataStale"),
        policy("PipelineDataCritical"),
        recorder=recorder,
        clock=clock,
    )
    return recorder, clock, engine


def test_a_run_in_progress_holds_the_cooldown_of_its_action_and_target(tmp_path: Path) -> None:
    """Found by the HA drill: the warning's run waited out a database outage, the critical
    escalation fired meanwhile, and its cooldown, counted from the warning run's start, had
    passed: the same pipeline was rerun twice for one incident."""
    recorder, clock, engine = warning_and_critical(tmp_path)
    run = running_run(engine, started_at=clock[0])  # the warning's run, still going
    clock[0] += 60  # far past the 1 s cooldown, counted from its start
    critical = alert("def456", name="PipelineDataCritical", severity="critical", starts=later(30))
    deliver(engine, payload(critical))
    assert outcomes(engine)[-1] == "skipped_cooldown" and recorder.applied == []
    engine.store.finish(run, "success", {}, clock[0])
    clock[0] += 0.5  # the cooldown runs from the run's end
    again = alert("def789", name="PipelineDataCritical", severity="critical", starts=later(61))
    deliver(engine, payload(again))
    assert outcomes(engine)[-1] == "skipped_cooldown" and recorder.applied == []
    clock[0] += 1
    deliver(engine, payload(again))
    assert len(recorder.applied) == 1


def test_a_firing_period_that_began_before_a_fix_finished_is_covered_by_it(
    tmp_path: Path,
) -> None:
    """Found by the HA drill: the critical escalation began during the warning's run, its
    delivery waited out a database outage and arrived 9 s after the fix, past the cooldown:
    the same pipeline was rerun for one incident. A new period after the fix still acts."""
    recorder, clock, engine = warning_and_critical(tmp_path)
    run = running_run(engine, started_at=clock[0])
    clock[0] += 40
    engine.store.finish(run, "success", {}, clock[0])
    clock[0] += 9  # far past the 1 s cooldown
    critical = alert("def456", name="PipelineDataCritical", severity="critical", starts=later(30))
    deliver(engine, payload(critical))
    assert outcomes(engine)[-1] == "skipped_duplicate" and recorder.applied == []
    [audit] = [a for a in engine.store.audit() if a["outcome"] == "skipped_duplicate"]
    assert f"run {run} succeeded after this firing period began" in audit["reason"]
    deliver(
        engine,
        payload(
            alert(
                "def456",
                status="resolved",
                name="PipelineDataCritical",
                starts=later(30),
                ends=later(49),
            )
        ),
    )
    clock[0] += 60
    deliver(engine, payload(alert("def456", name="PipelineDataCritical", starts=later(100))))
    assert len(recorder.applied) == 1  # a period that began after the fix is new work


def test_a_run_recorded_just_before_the_database_went_away_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the HA drill: the run's row was written, the database then shut down before its
    decision was recorded, the delivery failed and its retry found the episode with a run:
    nothing ever started it, and `in_progress` refused every later alert for the pipeline."""
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    record, failures = engine.store.record, []

    def flaky(now: float, **row: object) -> None:
        if row.get("run") is not None and not failures:
            failures.append(row)
            raise StateError("state store failed: terminating connection")
        record(now, **row)

    monkeypatch.setattr(engine.store, "record", flaky)
    monkeypatch.setattr("sre.remediation.run.time.sleep", lambda s: None)
    deliver(engine, payload(alert()))
    assert failures and len(recorder.applied) == 1
    [run] = engine.store.runs()
    assert (run["state"], run["outcome"]) == ("done", "success")
    assert "act" in outcomes(engine)  # recorded on the second try
