"""The engine acts exactly once per episode, whatever Alertmanager's delivery does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from sre.remediation import records, state
from sre.remediation.engine import RemediationEngine
from sre.remediation.metrics import RemediationMetrics

from .fakes import RecordingExecutor, alert, later, payload, policy


def make_engine(
    tmp: Path,
    *policies: object,
    executor: RecordingExecutor | None = None,
    clock: list[float] | None = None,
) -> RemediationEngine:
    db = state.connect(f"sqlite:///{tmp / 'state.db'}")
    now = clock if clock is not None else [1_800_000_000.0]
    return RemediationEngine(
        db=db,
        policies=list(policies) or [policy()],  # type: ignore[arg-type]
        executor=executor or RecordingExecutor(),
        metrics=RemediationMetrics(CollectorRegistry()),
        clock=lambda: now[0],
    )


def deliver(engine: RemediationEngine, body: bytes) -> None:
    engine.admit(body)
    engine.drain()


def outcomes(engine: RemediationEngine) -> list[str]:
    return [r["outcome"] for r in reversed(records.list_audit(engine.db))]


def test_one_firing_alert_runs_its_action_once(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    deliver(engine, payload(alert()))
    assert len(executor.applied) == 1
    [run] = records.list_runs(engine.db)
    assert (run["action"], run["outcome"], run["state"], run["mode"]) == (
        "retrigger",
        "success",
        "done",
        "auto",
    )


def test_repeats_and_replica_copies_of_one_episode_join_it(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    deliver(engine, payload(alert(starts=later(0))))
    deliver(engine, payload(alert(starts=later(0))))  # repeat_interval re-send
    deliver(engine, payload(alert(starts=later(1.5))))  # the other HA replica's startsAt
    assert len(executor.applied) == 1
    assert outcomes(engine).count("skipped_duplicate") == 2


def test_a_new_firing_after_resolve_is_a_new_episode(tmp_path: Path) -> None:
    executor, clock = RecordingExecutor(), [1_800_000_000.0]
    engine = make_engine(tmp_path, executor=executor, clock=clock)
    deliver(engine, payload(alert(starts=later(0))))
    deliver(engine, payload(alert(status="resolved", starts=later(0), ends=later(60))))
    deliver(engine, payload(alert(starts=later(0.5))))  # a late copy of the old episode
    clock[0] += 120  # past the policy's cooldown
    deliver(engine, payload(alert(starts=later(120))))  # fires again: a new episode
    assert len(executor.applied) == 2
    assert [r["episode"] for r in records.list_runs(engine.db)] == [2, 1]


def test_a_resolve_seen_before_its_firing_still_absorbs_the_late_firing(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    deliver(engine, payload(alert(status="resolved", starts=later(0), ends=later(30))))
    deliver(engine, payload(alert(starts=later(0))))
    assert executor.applied == []


def test_unknown_alerts_are_recorded_and_left_alone(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    deliver(engine, payload(alert(name="SomethingElse")))
    assert executor.applied == [] and outcomes(engine) == ["no_policy"]


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
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, policy(mode=mode), executor=executor)
    deliver(engine, payload(alert()))
    assert executor.applied == []
    assert outcomes(engine) == [outcome]
    assert [r["outcome"] for r in records.list_runs(engine.db)] == [outcome] * runs


def test_cooldown_then_budget_open_the_circuit(tmp_path: Path) -> None:
    clock = [1_800_000_000.0]
    executor = RecordingExecutor()
    engine = make_engine(
        tmp_path, policy(cooldown=600, max_attempts_per_day=2), executor=executor, clock=clock
    )
    deliver(engine, payload(alert("f1", starts=later(0))))
    clock[0] += 60
    deliver(engine, payload(alert("f2", starts=later(60))))  # same target, another alert: cooldown
    clock[0] += 600
    deliver(engine, payload(alert("f3", starts=later(700))))
    clock[0] += 600
    deliver(engine, payload(alert("f4", starts=later(1400))))  # third attempt in a day: circuit
    assert len(executor.applied) == 2
    assert outcomes(engine)[-1] == "blocked_circuit"
    assert records.open_circuits(engine.db)[0]["target"] == "pipeline"
    clock[0] += 600
    deliver(engine, payload(alert("f5", starts=later(2100))))
    assert outcomes(engine)[-1] == "blocked_circuit" and len(executor.applied) == 2


def test_the_kill_switch_pauses_everything(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    with state.transaction(engine.db) as conn:
        conn.execute(state.switches.insert().values(name="*", paused_at=0.0, paused_by="test"))
    deliver(engine, payload(alert()))
    assert executor.applied == [] and outcomes(engine) == ["paused"]


def test_a_plan_past_the_blast_radius_is_blocked(tmp_path: Path) -> None:
    executor = RecordingExecutor(objects=11)
    engine = make_engine(tmp_path, policy(max_objects=10), executor=executor)
    deliver(engine, payload(alert()))
    assert executor.applied == [] and outcomes(engine) == ["blocked_blast_radius"]


def test_a_run_interrupted_by_a_restart_ends_failed_not_lost(tmp_path: Path) -> None:
    engine = make_engine(tmp_path)
    run = state.open_run(
        engine.db,
        {
            "action": "retrigger",
            "target": "pipeline",
            "fingerprint": "abc",
            "episode": 1,
            "alertname": "PipelineDataStale",
            "mode": "auto",
            "state": "running",
            "started_at": 1.0,
        },
    )
    restarted = make_engine(tmp_path)
    assert restarted.recover() == 1
    found = records.get_run(restarted.db, run or 0)
    assert found is not None and (found["state"], found["outcome"]) == ("done", "failed")
    assert "interrupted" in found["result"]["error"]
    assert restarted.executed == []  # nothing ran a second time


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
    executor = RecordingExecutor()
    # Each alert names its own prefix, so cooldowns (per target) cannot hide a duplicate run.
    engine = make_engine(tmp, policy("PipelineDataCorrupted", "quarantine"), executor=executor)
    sends = [(i, 0.0, False) for i in range(n)] + extra  # every alert is delivered at least once
    rng.shuffle(sends)  # type: ignore[attr-defined]
    for index, shift, grouped in sends:

        def make(i: int, shift: float = shift) -> dict[str, object]:
            return alert(
                f"fp{i}", name="PipelineDataCorrupted", starts=later(shift), prefix=f"silver/t{i}/"
            )

        body = make(index)
        if grouped:  # the same alert inside a group with another one
            deliver(engine, payload(body, make((index + 1) % n)))
        else:
            deliver(engine, payload(body))
    assert sorted(incident.split("-")[0] for _, _, incident in executor.applied) == [
        f"fp{i}" for i in range(n)
    ]


def test_a_global_rate_limit_stops_a_storm_of_alerts(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, executor=executor)
    engine.max_runs_per_minute = 3
    for i in range(5):
        deliver(engine, payload(alert(f"storm{i}", pipeline=f"p{i}")))
    assert len(executor.applied) == 3
    assert outcomes(engine).count("blocked_rate_limit") == 2


def test_quarantine_and_restore_never_overlap_on_silver(tmp_path: Path) -> None:
    executor = RecordingExecutor()
    engine = make_engine(tmp_path, policy("PipelineDataCorrupted", "quarantine"), executor=executor)
    engine.lock_wait = 0.5
    assert state.acquire(engine.db, "data:silver", "a-restore-elsewhere", 1_800_000_000.0, ttl=3600)
    deliver(engine, payload(alert(name="PipelineDataCorrupted", prefix="silver/t/")))
    assert executor.applied == []
    [run] = records.list_runs(engine.db)
    assert run["outcome"] == "failed" and "data:silver stayed busy" in run["result"]["reason"]
    state.release(engine.db, "data:silver", "a-restore-elsewhere")
