"""A run outlives a state store outage: what it must record (its checkpoint, its end) waits for
the store to come back instead of dying with the run left `running` for ever (found by the HA
drill's database-outage fault: the action's job crashed on its progress write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sre.errors import StateError
from sre.remediation.action import Deps, Outcome, Params, Plan
from sre.remediation.registry import Registry
from sre.remediation.run import durably

from .fakes import Recorder, RecordingCommand, alert, deliver, make_engine, outcomes, payload


def test_durably_waits_out_an_outage_then_writes() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def write() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise StateError("state store failed: connection refused")
        return "written"

    assert durably(write, "a test", sleep=slept.append) == "written"
    assert len(calls) == 4 and slept == [0.2, 0.4, 0.8]  # backing off, never busy-looping


def test_durably_gives_up_after_its_patience() -> None:
    def down() -> None:
        raise StateError("state store failed: connection refused")

    with pytest.raises(StateError, match="connection refused"):
        durably(down, "a test", patience=1.0, sleep=lambda _: None)


def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError):
        durably(broken, "a test", sleep=lambda _: None)
    assert calls == [1]


class CheckpointingCommand(RecordingCommand):
    """Saves its progress first, as the real command does once its child has started; from
    then on the state store goes away (see `outage`)."""

    def __init__(self, recorder: Recorder, outage: list[bool]) -> None:
        super().__init__(recorder)
        self.outage = outage

    def apply(self, plan: Plan, params: Params, deps: Deps, incident: str) -> Outcome:
        self.outage[0] = True
        deps.checkpoint.progress({"pid": 4242})
        return super().apply(plan, params, deps, incident)


def test_a_run_whose_store_goes_away_mid_action_still_records_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder, outage = Recorder(), [False]
    registry = Registry.of([CheckpointingCommand(recorder, outage)])
    engine = make_engine(tmp_path, recorder=recorder, registry=registry)
    store = engine.store
    down = {"update": 2, "finish": 2, "record": 1}  # failures left per store method

    def flaky(name: str) -> Any:
        real = getattr(store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if outage[0] and down[name]:
                down[name] -= 1
                raise StateError("state store failed: connection refused")
            return real(*args, **kwargs)

        return call

    for name in down:
        monkeypatch.setattr(store, name, flaky(name))
    deliver(engine, payload(alert()))
    [run] = store.runs()
    assert (run["state"], run["outcome"]) == ("done", "success")
    assert run["progress"] == {"pid": 4242} and len(recorder.applied) == 1
    assert outcomes(engine)[-1] == "success"
    assert down == {"update": 0, "finish": 0, "record": 0}  # every outage was met, and waited out


def test_a_worker_turn_cut_off_by_an_outage_takes_its_claims_back_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from sre.remediation.worker import Worker

    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    store = engine.store
    real_claim, outage = store.claim, [True]

    def claim_then_lose_the_store(now: float, limit: int = 100) -> Any:
        claimed = real_claim(now, limit)  # claimed: then the database goes away mid-turn
        if outage[0] and claimed:
            outage[0] = False
            raise StateError("state store failed: terminating connection")
        return claimed

    monkeypatch.setattr(store, "claim", claim_then_lose_the_store)
    engine.admit(payload(alert()))
    worker = Worker(engine)
    worker.start()
    try:
        deadline = time.monotonic() + 10  # well inside the 120 s lease
        while store.backlog() and time.monotonic() < deadline:
            worker.wake.set()
            time.sleep(0.1)
    finally:
        worker.stop()
        worker.join(timeout=5)
    assert not outage[0], "the outage was never met"
    assert store.backlog() == 0 and len(recorder.applied) == 1


def test_serve_waits_for_its_state_store_at_start_then_says_why_it_gave_up(
    tmp_path: Path,
) -> None:
    import time

    from click.testing import CliRunner

    from sre.cli import main
    from sre.exitcodes import ExitCode
    from tests.support.prometheus import free_port

    token = tmp_path / "token"
    token.write_text("s3cret\n")
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/sre"  # nothing listens there
    args = ["serve", "--port", str(free_port()), "--state", nobody, "--token-file", str(token)]
    args += ["--service", "tests.sre.remediation.spec_fixture:SERVICE", "--state-wait", "2"]
    began = time.monotonic()
    result = CliRunner().invoke(main, args)
    waited = time.monotonic() - began
    assert result.exit_code == ExitCode.UNAVAILABLE, result.output
    assert "cannot open state" in result.output and "s3cret" not in result.output
    assert 1.0 <= waited < 30  # it waited for the store (most of --state-wait), then gave up


def test_a_lock_taken_again_by_its_holder_is_renewed_not_refused(tmp_path: Path) -> None:
    store = make_engine(tmp_path).store
    assert store.acquire("slot:0", "replica-a:7", 100.0, 60.0)
    assert store.acquire("slot:0", "replica-a:7", 101.0, 60.0)  # its own take, retried
    assert not store.acquire("slot:0", "replica-a:8", 102.0, 60.0)  # another run's


def test_a_run_whose_lock_commit_was_lost_in_an_outage_still_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the HA drill: the database went away as a run took its slot; the take had
    committed, the retry found the slot held (by itself) and the run waited for ever."""
    recorder = Recorder()
    engine = make_engine(tmp_path, recorder=recorder)
    engine.runner.lock_wait, engine.runner.max_concurrent = 2.0, 1
    store, lost = engine.store, [True]
    real = store.acquire

    def committed_then_lost(name: str, owner: str, now: float, ttl: float) -> bool:
        taken = real(name, owner, now, ttl)
        if lost[0]:
            lost[0] = False
            raise StateError("state store failed: server closed the connection unexpectedly")
        return taken

    monkeypatch.setattr(store, "acquire", committed_then_lost)
    deliver(engine, payload(alert()))
    [run] = store.runs()
    assert (run["state"], run["outcome"]) == ("done", "success") and len(recorder.applied) == 1
