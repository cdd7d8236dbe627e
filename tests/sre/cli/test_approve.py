"""`sre runs approve|reject` as an approver meets them: only a server URL and a token, and exit
codes that say what happened."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sre.cli import main
from sre.exitcodes import ExitCode
from sre.remediation.auth import Approvers
from sre.remediation.engine import RemediationEngine
from sre.remediation.server import Credentials, ServerSettings, WebhookServer
from tests.sre.remediation.fakes import Recorder, alert, make_engine, payload, policy
from tests.support.prometheus import free_port

TOKEN = "carol-approver-token-0123456789"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, RemediationEngine, Recorder, Path]]:
    rec = Recorder()
    engine = make_engine(tmp_path, dataclasses.replace(policy(mode="approve")), recorder=rec)
    served = WebhookServer(
        engine,
        Credentials(tokens=(b"webhook-token",)),
        ServerSettings(port=0),
        approvers=Approvers((("carol", TOKEN.encode()),)),
    )
    served.start()
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n")
    yield f"http://127.0.0.1:{served.port}", engine, rec, token
    served.stop()


def sre(*args: str, **env: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def pending(engine: RemediationEngine, fingerprint: str = "abc123") -> str:
    engine.admit(payload(alert(fingerprint)))
    engine.drain()
    return str(engine.store.pending()[-1]["id"])


def test_approve_waits_for_the_run_and_exits_with_its_result(
    server: tuple[str, RemediationEngine, Recorder, Path],
) -> None:
    url, engine, rec, token = server
    run = pending(engine)
    code, out, err = sre("runs", "approve", run, "--server", url, "--token-file", str(token))
    assert code == ExitCode.OK, err
    assert f"run {run} approved by carol" in out and "command pipeline: success" in out
    assert len(rec.applied) == 1
    code, _, err = sre("runs", "approve", run, SRE_SERVER=url, SRE_APPROVER_TOKEN_FILE=str(token))
    assert code == ExitCode.FAILED and "not waiting for approval: success (by carol)" in err


def test_a_failed_run_is_exit_1(server: tuple[str, RemediationEngine, Recorder, Path]) -> None:
    url, engine, rec, token = server
    rec.fail = True
    code, out, _ = sre(
        "runs", "approve", pending(engine), "--server", url, "--token-file", str(token)
    )
    assert code == ExitCode.FAILED and ": failed" in out


def test_reject_ends_the_run_without_acting(
    server: tuple[str, RemediationEngine, Recorder, Path],
) -> None:
    url, engine, rec, token = server
    run = pending(engine)
    code, out, _ = sre("runs", "reject", run, "--server", url, "--token-file", str(token))
    assert code == ExitCode.OK and f"run {run} rejected by carol" in out
    assert rec.applied == []


def test_a_wrong_token_a_missing_token_and_no_server_are_told_apart(
    server: tuple[str, RemediationEngine, Recorder, Path], tmp_path: Path
) -> None:
    url, engine, _, _ = server
    run = pending(engine)
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-token\n")
    code, _, err = sre("runs", "approve", run, "--server", url, "--token-file", str(wrong))
    assert code == ExitCode.USAGE and "refused the token" in err
    code, _, err = sre("runs", "approve", run, "--server", url, "--token-file", str(tmp_path / "x"))
    assert code == ExitCode.USAGE and "cannot read the approver token" in err
    down = f"http://127.0.0.1:{free_port()}"
    code, _, err = sre("runs", "approve", run, "--server", down, "--token-file", str(wrong))
    assert code == ExitCode.UNAVAILABLE and "cannot reach" in err
    assert engine.store.run(int(run))["state"] == "pending"  # type: ignore[index]
