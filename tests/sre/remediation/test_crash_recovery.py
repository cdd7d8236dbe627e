"""`sre serve` killed (SIGKILL) in the middle of a command: the child runs on, and the restarted
replica finds it and records what really happened, instead of `failed` or a second run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sre.remediation.state.store import StateStore
from tests.support.prometheus import free_port

from .fakes import alert, later, payload
from .test_replicas import SRE, post, wait_ready


def _serve(port: int, state: str, token: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(SRE, "serve", "--port", str(port), "--state", state, "--token-file", str(token)),
            *("--service", "tests.sre.remediation.spec_fixture:SERVICE", "--replica-id", "r1"),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.mark.integration
def test_a_killed_server_finds_its_command_after_restart(tmp_path: Path) -> None:
    token, marker = tmp_path / "token", tmp_path / "executions"
    token.write_text("t0ken\n")
    state = f"sqlite:///{tmp_path / 'state.db'}"
    env = {
        **os.environ,
        "SRE_TEST_MARKER": str(marker),
        "SRE_TEST_SLEEP": "3",
        "PYTHONPATH": str(Path.cwd()),
        "TMPDIR": str(tmp_path),
    }
    port = free_port()
    server = _serve(port, state, token, env)
    try:
        wait_ready(port, server)
        assert post(port, payload(alert("fp1", starts=later(0), pipeline="p1"))) == 202
        store = StateStore.open(state)
        _wait(lambda: any(r["progress"] for r in store.runs()), 20, "the run never started")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        assert not marker.exists()  # the child is still at work
        server = _serve(port, state, token, env)
        wait_ready(port, server)
        _wait(lambda: store.runs()[0]["state"] == "done", 30, "the run was never settled")
        [run] = store.runs()
        assert (run["outcome"], run["attempt"]) == ("success", 1), run
        assert run["result"]["detail"].startswith("found after a restart")
        assert len(marker.read_text().splitlines()) == 1  # ran once, and to its end
    finally:
        server.terminate()
        server.wait(timeout=30)
