"""Approvals through the server: an approver's token names them, the server carries out the run
once, whoever races for it, and a pending run expires after its policy's approval_timeout."""

from __future__ import annotations

import dataclasses
import http.client
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sre.remediation.approvals import expire_due
from sre.remediation.auth import Approvers
from sre.remediation.engine import RemediationEngine
from sre.remediation.server import Credentials, ServerSettings, WebhookServer

from .fakes import Recorder, alert, make_engine, payload, policy
from .test_replicas import database as database

WEBHOOK, ALICE, BOB = b"alertmanager-token", b"alice-token-0123456789", b"bob-token-0123456789"


@dataclasses.dataclass
class Served:
    port: int
    engine: RemediationEngine
    rec: Recorder
    now: list[float]


def approvals_server(engine: RemediationEngine) -> WebhookServer:
    """`engine` served on a free port, with alice and bob as approvers."""
    server = WebhookServer(
        engine,
        Credentials(tokens=(WEBHOOK,)),
        ServerSettings(port=0),
        approvers=Approvers((("alice", ALICE), ("bob", BOB))),
    )
    server.start()
    return server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    rec, now = Recorder(), [1_800_000_000.0]
    waiting = dataclasses.replace(policy(mode="approve"), approval_timeout=600)
    engine = make_engine(tmp_path, waiting, recorder=rec, clock=now)
    server = approvals_server(engine)
    yield Served(server.port, engine, rec, now)
    server.stop()


def call(
    port: int, method: str, path: str, token: bytes | None, body: bytes = b""
) -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token.decode()}"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    doc = json.loads(response.read() or b"{}")
    conn.close()
    return response.status, doc


def pending_run(s: Served, fingerprint: str = "abc123") -> int:
    s.engine.admit(payload(alert(fingerprint, pipeline=f"p{fingerprint}")))
    s.engine.drain()
    [run] = [r for r in s.engine.store.pending() if r["fingerprint"] == fingerprint]
    return int(run["id"])


def test_an_approver_approves_and_the_server_runs_it_in_their_name(served: Served) -> None:
    run = pending_run(served)
    assert served.rec.applied == []
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)
    assert code == 202, doc
    assert doc["run"]["approved_by"] == "alice"
    code, shown = call(served.port, "GET", f"/api/v1/runs/{run}", BOB)
    assert (code, shown["state"], shown["outcome"]) == (200, "done", "success")
    assert [a[1] for a in served.rec.applied] == ["pipeline"]
    approved = [a for a in served.engine.store.audit() if a["outcome"] == "approved"]
    assert [(a["run"], a["actor"]) for a in approved] == [(run, "alice")]


def test_the_webhook_token_cannot_approve_and_an_approver_cannot_post_alerts(
    served: Served,
) -> None:
    run = pending_run(served)
    assert call(served.port, "POST", f"/api/v1/runs/{run}/approve", WEBHOOK)[0] == 403
    assert call(served.port, "POST", f"/api/v1/runs/{run}/approve", None)[0] == 401
    assert call(served.port, "POST", f"/api/v1/runs/{run}/approve", b"alice-token-x")[0] == 403
    assert call(served.port, "POST", "/alertmanager", ALICE, payload(alert("f2")))[0] == 403
    assert served.engine.store.run(run)["state"] == "pending"  # type: ignore[index]
    assert served.rec.applied == []


def test_simultaneous_approvals_run_the_action_once(served: Served) -> None:
    run = pending_run(served)
    codes: list[int] = []
    start = threading.Barrier(16)
    read = served.engine.store.run

    def slow_read(run_id: int) -> Any:  # every request sees the run pending before any claims
        found = read(run_id)
        time.sleep(0.3)
        return found

    served.engine.store.run = slow_read  # type: ignore[method-assign]

    def approve(token: bytes) -> None:
        start.wait()
        codes.append(call(served.port, "POST", f"/api/v1/runs/{run}/approve", token)[0])

    threads = [threading.Thread(target=approve, args=(t,)) for t in (ALICE, BOB) * 8]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [202] + [409] * 15
    assert len(served.rec.applied) == 1
    assert call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)[0] == 409  # later


def test_a_rejected_run_cannot_be_approved_and_never_acts(served: Served) -> None:
    run = pending_run(served)
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/reject", BOB)
    assert (code, doc["run"]["outcome"], doc["run"]["approved_by"]) == (200, "rejected", "bob")
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)
    assert code == 409 and "rejected (by bob)" in doc["error"]
    assert served.rec.applied == []


def test_a_pending_run_expires_after_the_policy_timeout_and_is_audited(served: Served) -> None:
    run = pending_run(served)
    served.now[0] += 599
    assert expire_due(served.engine) == []
    served.now[0] += 2
    assert expire_due(served.engine) == [run]
    assert expire_due(served.engine) == []  # once
    found = served.engine.store.run(run)
    assert found is not None and (found["state"], found["outcome"]) == ("done", "approval_expired")
    expired = [a for a in served.engine.store.audit() if a["outcome"] == "approval_expired"]
    assert [a["run"] for a in expired] == [run]
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)
    assert code == 409 and "approval_expired" in doc["error"]
    assert served.rec.applied == []


def test_an_approval_after_the_deadline_expires_the_run_instead(served: Served) -> None:
    run = pending_run(served)
    served.now[0] += 601  # the worker has not expired it yet
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)
    assert code == 409 and "expired" in doc["error"]
    assert served.engine.store.run(run)["outcome"] == "approval_expired"  # type: ignore[index]
    assert served.rec.applied == []


def test_unknown_and_other_services_runs_are_404(served: Served, tmp_path: Path) -> None:
    other = make_engine(tmp_path, policy(mode="approve"), service="orders-etl")
    other.admit(payload(alert("f9", pipeline="x")))
    other.drain()
    [theirs] = other.store.pending()
    for path in (f"/api/v1/runs/{theirs['id']}/approve", "/api/v1/runs/999/approve"):
        assert call(served.port, "POST", path, ALICE)[0] == 404
    assert call(served.port, "POST", "/api/v1/runs/" + "9" * 40 + "/approve", ALICE)[0] == 404
    assert other.store.run(theirs["id"])["state"] == "pending"  # type: ignore[index]


def test_without_approvers_the_api_is_closed(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, policy(mode="approve"))
    server = WebhookServer(engine, Credentials(tokens=(WEBHOOK,)), ServerSettings(port=0))
    server.start()
    try:
        code, doc = call(server.port, "POST", "/api/v1/runs/1/approve", ALICE)
        assert code == 403 and "--approvers-dir" in doc["error"]
    finally:
        server.stop()


def test_the_kill_switch_holds_an_approval_back_and_the_run_stays_pending(served: Served) -> None:
    run = pending_run(served)
    served.engine.store.pause("command", "carol", served.now[0])
    code, doc = call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)
    assert code == 409 and "kill switch" in doc["error"]
    assert served.engine.store.run(run)["state"] == "pending"  # type: ignore[index]
    served.engine.store.resume("command")
    assert call(served.port, "POST", f"/api/v1/runs/{run}/approve", ALICE)[0] == 202
    assert len(served.rec.applied) == 1


def test_two_replicas_on_postgresql_run_an_approved_run_once(
    tmp_path: Path, database: str
) -> None:
    """Approvers hitting both replicas at once: one claim wins across the shared state."""
    rec, servers = Recorder(), []
    for replica in ("replica-a", "replica-b"):
        engine = make_engine(
            tmp_path, policy(mode="approve"), recorder=rec, db=database, owner=replica
        )
        servers.append(approvals_server(engine))
    try:
        first = servers[0].engine
        first.admit(payload(alert("ab1", pipeline="x")))
        first.drain()
        [run] = first.store.pending()
        codes: list[int] = []
        start = threading.Barrier(12)

        def approve(port: int, token: bytes) -> None:
            start.wait()
            codes.append(call(port, "POST", f"/api/v1/runs/{run['id']}/approve", token)[0])

        threads = [
            threading.Thread(target=approve, args=(s.port, t))
            for s in servers
            for t in (ALICE, BOB, ALICE, BOB, ALICE, BOB)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes) == [202] + [409] * 11
        assert len(rec.applied) == 1
        approved = [a for a in first.store.audit() if a["outcome"] == "approved"]
        assert len(approved) == 1
    finally:
        for server in servers:
            server.stop()
