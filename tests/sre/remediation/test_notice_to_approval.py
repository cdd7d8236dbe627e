"""From a page to an approval, with real processes: Alertmanager delivers an alert to
`sre serve`, whose policy waits for a human; the remediator's notice goes back through
Alertmanager (the generated routes) to the team's receiver (a webhook on loopback); the approve
command printed in that notice, run by a CLI process with no spec, no state and no service in
an empty folder, makes the server carry out the action, once; the notice then resolves.

Also: a real Alertmanager's delivery of an alert with 100 labels and a 10 kB annotation is
stored and acted on."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sre.generate.alertmanager import alertmanager_standalone
from sre.remediation.state import StateStore
from sre.spec.receiver import Receiver
from tests.sre.remediation.spec_fixture import APPROVING
from tests.support.alertmanager import SRE, Stack, serve_and_alertmanager

pytestmark = pytest.mark.integration
APPROVER_TOKEN = "alice-approver-token-0123456789"


class Inbox:
    """A team's receiver: every notification Alertmanager posts to it."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        inbox = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                inbox.received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, alertname: str, status: str) -> list[dict[str, Any]]:
        return [
            a
            for n in self.received
            for a in n["alerts"]
            if a["labels"]["alertname"] == alertname and a["status"] == status
        ]


def wait_for(check: Callable[[], Any], timeout: float = 45) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.2)
    raise AssertionError("timed out")


def generated_config(inbox: Inbox) -> Callable[[str, Path], dict[str, Any]]:
    """The service's generated standalone config, with the test's addresses: its default
    receiver is the inbox, its remediation webhook this `sre serve`."""

    def config(webhook: str, token: Path) -> dict[str, Any]:
        env = dataclasses.replace(
            APPROVING.environment("prod"),
            webhook_url=webhook,
            webhook_credentials_file=str(token),
            receivers=(Receiver("oncall", {"webhook_configs": [{"url": inbox.url}]}),),
        )
        doc = alertmanager_standalone(APPROVING.resolved(env), env)
        for route in _walk(doc["route"]):
            if "group_interval" in route:
                route["group_interval"] = "1s"  # the test's clock; the routing is as generated
            if "group_wait" in route:
                route["group_wait"] = "0s"
        return doc

    return config


def _walk(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _walk(child)


@pytest.fixture(params=["APPROVING"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Stack, Inbox, Path]]:
    inbox = Inbox()
    approvers = tmp_path / "approvers"
    approvers.mkdir()
    (approvers / "alice").write_text(APPROVER_TOKEN + "\n")
    env = {
        **os.environ,
        "SRE_TEST_MARKER": str(tmp_path / "executions"),
        "PYTHONPATH": str(Path.cwd()),
    }
    spec = f"tests.sre.remediation.spec_fixture:{request.param}"
    args = ["--alertmanager", "{am_url}", "--notice-interval", "0.5",
            "--approvers-dir", str(approvers)]  # fmt: skip
    with serve_and_alertmanager(
        tmp_path, spec=spec, env=env, config=generated_config(inbox), serve_args=args
    ) as running:
        yield running, inbox, tmp_path / "executions"
    inbox.server.shutdown()
    inbox.server.server_close()


def fire(am_url: str, labels: dict[str, str], annotations: dict[str, str]) -> None:
    body = json.dumps([{"labels": labels, "annotations": annotations}]).encode()
    request = urllib.request.Request(
        f"{am_url}/api/v2/alerts",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).read()


def runs(state: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        [SRE, "runs", "list", "--json", "--state", state], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def test_a_notice_reaches_the_receiver_and_its_command_approves_the_run_once(
    stack: tuple[Stack, Inbox, Path], tmp_path: Path
) -> None:
    running, inbox, executions = stack
    fire(running.am_url, {"alertname": "PipelineDataStale", "pipeline": "potato-pipeline",
                          "severity": "warning"}, {"summary": "stale"})  # fmt: skip
    [notice] = wait_for(lambda: inbox.alerts("RemediationAwaitingApproval", "firing"))[:1]
    assert not executions.exists()  # waiting for a human
    command = notice["annotations"]["approve_command"]
    [waiting] = [r for r in runs(running.state) if r["state"] == "pending"]
    assert notice["labels"]["run"] == str(waiting["id"])
    assert command == f"sre runs approve {waiting['id']} --server {running.sre_url}"
    assert "/notices/RemediationAwaitingApproval/" in notice["annotations"]["runbook_url"]

    # The approver's machine: the sre CLI, a token in the default place, nothing else.
    home, empty = tmp_path / "home", tmp_path / "empty"
    (home / ".config" / "sre").mkdir(parents=True)
    (home / ".config" / "sre" / "approver-token").write_text(APPROVER_TOKEN + "\n")
    empty.mkdir()
    argv = shlex.split(command)
    bare = {"PATH": os.environ["PATH"], "HOME": str(home)}
    done = subprocess.run(
        [SRE, *argv[1:]], cwd=empty, env=bare, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "approved by alice" in done.stdout and ": success" in done.stdout
    assert executions.read_text().count("\n") == 1
    again = subprocess.run(
        [SRE, *argv[1:]], cwd=empty, env=bare, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1 and "not waiting for approval" in again.stderr
    assert executions.read_text().count("\n") == 1  # once
    [run] = runs(running.state)
    assert (run["outcome"], run["id"]) == ("success", waiting["id"])
    wait_for(lambda: inbox.alerts("RemediationAwaitingApproval", "resolved"))


def test_a_real_delivery_of_100_labels_and_a_10_kb_annotation_is_stored_and_acted_on(
    stack: tuple[Stack, Inbox, Path],
) -> None:
    running, _, executions = stack
    labels = {f"label_{i:03d}": f"value-{i}-" + "x" * 40 for i in range(97)}
    labels |= {"alertname": "PipelineDataStale", "pipeline": "potato-pipeline",
               "severity": "warning"}  # fmt: skip
    description = "a line of the incident\n" * 440
    assert len(labels) == 100 and len(description) > 10_000
    fire(running.am_url, labels, {"description": description})
    [run] = wait_for(lambda: [r for r in runs(running.state) if r["state"] == "pending"])
    stored = StateStore.open(running.state).run(run["id"])
    assert stored is not None and stored["alert"]["labels"] == labels
    assert stored["alert"]["annotations"]["description"] == description
    request = urllib.request.Request(
        f"{running.sre_url}/api/v1/runs/{run['id']}/approve",
        data=b"",
        method="POST",
        headers={"Authorization": f"Bearer {APPROVER_TOKEN}"},
    )
    assert urllib.request.urlopen(request, timeout=10).status == 202
    wait_for(lambda: executions.exists())
    done = wait_for(lambda: [r for r in runs(running.state) if r["state"] == "done"])
    assert [r["outcome"] for r in done] == ["success"]
    assert executions.read_text().count("\n") == 1


@pytest.mark.parametrize("stack", ["EXPIRING"], indirect=True)
def test_an_approval_nobody_gives_expires_and_the_expiry_is_noticed(
    stack: tuple[Stack, Inbox, Path],
) -> None:
    running, inbox, executions = stack
    fire(running.am_url, {"alertname": "PipelineDataStale", "pipeline": "potato-pipeline",
                          "severity": "warning"}, {"summary": "stale"})  # fmt: skip
    wait_for(lambda: inbox.alerts("RemediationAwaitingApproval", "firing"))
    [expired] = wait_for(lambda: inbox.alerts("RemediationApprovalExpired", "firing"))[:1]
    assert "nobody approved it in time" in expired["annotations"]["description"]
    wait_for(lambda: inbox.alerts("RemediationAwaitingApproval", "resolved"))
    [run] = runs(running.state)
    assert (run["state"], run["outcome"]) == ("done", "approval_expired")
    audit = subprocess.run(
        [SRE, "audit", "list", "--json", "--state", running.state], capture_output=True, text=True
    )
    assert "approval_expired" in {a["outcome"] for a in json.loads(audit.stdout)}
    assert not executions.exists()
