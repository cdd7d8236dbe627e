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


def _certs(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, by openssl."""
    import shutil
    import subprocess

    from tests.support.components import require

    openssl = shutil.which("openssl")
    require("openssl", openssl is not None, "the openssl command line")
    assert openssl is not None

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=folder, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "1", "-subj", "/CN=test-ca")  # fmt: skip
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name, ext in (("server", ["-extfile", "san.ext"]), ("client", [])):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
            f"{name}.csr", "-subj", f"/CN={name}")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", *ext)  # fmt: skip
    names = ("ca", "server", "client")
    return {f"{n}_{kind}": folder / f"{n}.{kind}" for n in names for kind in ("pem", "key")}


def test_approve_over_mtls_needs_the_client_certificate(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    found = _certs(certs)
    rec = Recorder()
    engine = make_engine(tmp_path, policy(mode="approve"), recorder=rec)
    settings = ServerSettings(
        port=0,
        tls_cert=str(found["server_pem"]),
        tls_key=str(found["server_key"]),
        tls_client_ca=str(found["ca_pem"]),
    )
    served = WebhookServer(
        engine,
        Credentials(tokens=(b"webhook-token",)),
        settings,
        approvers=Approvers((("carol", TOKEN.encode()),)),
    )
    served.start()
    try:
        token = tmp_path / "token"
        token.write_text(TOKEN)
        run, url = pending(engine), f"https://127.0.0.1:{served.port}"
        base = ["runs", "approve", run, "--server", url, "--token-file", str(token)]
        code, _, err = sre(*base, "--ca-file", str(found["ca_pem"]))
        assert code == ExitCode.UNAVAILABLE and "cannot reach" in err  # no client certificate
        assert rec.applied == []
        mine = ["--client-cert", str(found["client_pem"]), "--client-key", str(found["client_key"])]
        code, out, err = sre(*base, "--ca-file", str(found["ca_pem"]), *mine)
        assert code == ExitCode.OK, err
        assert "approved by carol" in out and len(rec.applied) == 1
    finally:
        served.stop()
