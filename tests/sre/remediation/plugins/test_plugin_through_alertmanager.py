"""The example plugin, installed by entry point, driven by a real Alertmanager: once in
`auto`, held in `approve` until `sre runs approve`, visible in `sre runs list` and the audit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.alertmanager import SRE, serve_and_alertmanager, webhook_only

from .install import install

SPEC = "tests.sre.remediation.plugins.spec:SERVICE"


@dataclass
class Connect:
    """A Kafka Connect REST API stand-in: counts restarts, reports RUNNING once restarted."""

    url: str = ""
    restarts: list[str] = field(default_factory=list)


@pytest.fixture
def connect() -> Iterator[Connect]:
    found = Connect()

    class Api(BaseHTTPRequestHandler):
        def _send(self, code: int, doc: Any) -> None:
            body = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            match = re.fullmatch(r"/connectors/([a-z0-9_-]+)/restart\?.*", self.path)
            if not match:
                self._send(404, {"error_code": 404})
                return
            found.restarts.append(match.group(1))
            self._send(202, {"name": match.group(1)})

        def do_GET(self) -> None:
            match = re.fullmatch(r"/connectors/([a-z0-9_-]+)/status", self.path)
            name = match.group(1) if match else ""
            state = "RUNNING" if name in found.restarts else "FAILED"
            self._send(200, {"name": name, "connector": {"state": state}})

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    found.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield found
    server.shutdown()
    server.server_close()


APPROVER = "alice-approver-token-0123456789"


@pytest.fixture
def stack(tmp_path: Path, connect: Connect) -> Iterator[tuple[str, dict[str, str], str, str]]:
    site = install(tmp_path / "site")
    env = {
        **os.environ,
        "PYTHONPATH": f"{site}{os.pathsep}{Path.cwd()}",
        "CONNECT_URL": connect.url,
    }
    approvers = tmp_path / "approvers"
    approvers.mkdir()
    (approvers / "alice").write_text(APPROVER)
    (tmp_path / "approver-token").write_text(APPROVER)
    with serve_and_alertmanager(
        tmp_path,
        spec=SPEC,
        env=env,
        config=webhook_only(["alertname", "connector"]),
        serve_args=["--approvers-dir", str(approvers)],
    ) as running:
        yield running.am_url, env, running.state, running.sre_url


def sre(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run([SRE, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def wait_until(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError("timed out waiting")


@pytest.mark.integration
def test_the_plugin_runs_once_in_auto_and_waits_in_approve_until_approved(
    stack: tuple[str, dict[str, str], str, str], connect: Connect, tmp_path: Path
) -> None:
    am_url, env, state, server = stack
    actions = sre(env, "actions", "--json")
    plugin = next(a for a in actions if a["name"] == "restart-connector")
    assert plugin["origin"] == "plugin sre-connector-restart"

    def add(alertname: str, connector: str) -> None:
        subprocess.run(
            [
                "amtool",
                f"--alertmanager.url={am_url}",
                "alert",
                "add",
                alertname,
                f"connector={connector}",
                "severity=critical",
            ],
            check=True,
            capture_output=True,
        )

    def runs() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = sre(env, "runs", "list", "--json", "--state", state)
        return found

    add("JobStale", "orders-sink")
    wait_until(lambda: any(r["outcome"] == "success" for r in runs()))
    add("JobStale", "orders-sink")  # Alertmanager sends it again: the same episode
    add("JobFailing", "billing-sink")
    pending = wait_until(lambda: [r for r in runs() if r["outcome"] == "awaiting_approval"])
    time.sleep(3)  # several group intervals: any duplicate delivery has arrived by now
    assert connect.restarts == ["orders-sink"]  # once in auto; approve has not acted
    [waiting] = pending
    sre(
        env,
        "runs",
        "approve",
        str(waiting["id"]),
        "--server",
        server,
        "--token-file",
        str(tmp_path / "approver-token"),
    )
    assert connect.restarts == ["orders-sink", "billing-sink"]
    listed = {(r["alertname"], r["action"], r["target"], r["outcome"]) for r in runs()}
    assert listed == {
        ("JobStale", "restart-connector", "orders-sink", "success"),
        ("JobFailing", "restart-connector", "billing-sink", "success"),
    }
    audit = sre(env, "runs", "audit", "--json", "--state", state)
    outcomes = [(a["action"], a["outcome"]) for a in audit if a["action"] == "restart-connector"]
    assert ("restart-connector", "approved") in outcomes
    assert outcomes.count(("restart-connector", "success")) == 2
