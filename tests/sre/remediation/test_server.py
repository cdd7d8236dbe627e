"""The webhook as Alertmanager meets it: auth, strict input, honest status codes, fast acks."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre.remediation.engine import RemediationEngine
from sre.remediation.server import Credentials, Limits, ServerSettings, WebhookServer
from sre.remediation.state.schema import transaction

from .fakes import Recorder, alert, make_engine, payload, policy

TOKEN, NEXT_TOKEN = b"s3cret-token", b"next-token"
# Copies of the real Alertmanager 0.25 payloads from shared/reference.
REFERENCE = Path(__file__).parent / "data"


@pytest.fixture
def webhook(tmp_path: Path) -> Iterator[tuple[int, RemediationEngine, Recorder]]:
    executor = Recorder()
    engine = make_engine(
        tmp_path, policy(), policy("PipelineDataCorrupted", "quarantine"), recorder=executor
    )
    server = WebhookServer(
        engine,
        Credentials(tokens=(TOKEN, NEXT_TOKEN), basic=(b"am:pw",)),
        ServerSettings(port=0),
        Limits(max_body=1 << 20),
    )
    server.start()
    yield server.port, engine, executor
    server.stop()


def post(
    port: int,
    body: bytes,
    *,
    auth: str | None = f"Bearer {TOKEN.decode()}",
    content_type: str = "application/json",
    path: str = "/alertmanager",
) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": content_type}
    if auth:
        headers["Authorization"] = auth
    # The server may answer (413) and close before the whole body is sent: read it anyway.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw) if raw else {}


def wait_idle(engine: RemediationEngine) -> None:
    """Until the worker (or this call) has processed every stored delivery."""
    deadline = time.monotonic() + 10
    engine.drain()
    while engine.store.backlog() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_valid_delivery_is_acknowledged_then_acted_on(
    webhook: tuple[int, RemediationEngine, Recorder],
) -> None:
    port, engine, executor = webhook
    code, doc = post(port, payload(alert()))
    assert (code, doc["alerts"]) == (202, 1)
    wait_idle(engine)
    assert len(executor.applied) == 1


def test_the_real_alertmanager_payload_is_accepted(
    webhook: tuple[int, RemediationEngine, Recorder],
) -> None:
    port, engine, _ = webhook
    code, _ = post(port, (REFERENCE / "alertmanager-webhook-firing.json").read_bytes())
    assert code == 202
    wait_idle(engine)
    assert [a["outcome"] for a in engine.store.audit()] == ["no_policy"]  # unknown alertname


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, 401),
        ("Bearer wrong", 403),
        (f"Bearer {NEXT_TOKEN.decode()}", 202),
        (f"Basic {base64.b64encode(b'am:pw').decode()}", 202),
        (f"Basic {base64.b64encode(b'am:no').decode()}", 403),
        ("Token abc", 401),
    ],
)
def test_bearer_or_basic_auth_with_two_tokens_during_rotation(
    webhook: tuple[int, RemediationEngine, Recorder], auth: str | None, code: int
) -> None:
    port, _, _ = webhook
    got, doc = post(port, payload(alert()), auth=auth)
    assert got == code
    assert TOKEN.decode() not in json.dumps(doc)


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        (b"{not json", 400, "body is not JSON"),
        (json.dumps({"version": "3", "alerts": []}).encode(), 400, "unsupported payload version"),
        (json.dumps({"version": "4", "status": "firing"}).encode(), 400, "missing field"),
    ],
)
def test_bad_input_gets_its_code_and_a_one_line_reason_and_nothing_runs(
    webhook: tuple[int, RemediationEngine, Recorder], body: bytes, code: int, reason: str
) -> None:
    port, engine, executor = webhook
    got, doc = post(port, body)
    assert got == code
    assert reason in str(doc["error"]) and "\n" not in str(doc["error"])
    wait_idle(engine)
    assert executor.applied == []
    assert post(port, payload(alert()))[0] == 202  # and it keeps serving


@pytest.mark.parametrize(
    "prefix",
    ["../bronze/", "/etc/passwd", "s3://other-bucket/silver/", "silver/x;rm -rf /", "silver/"],
)
def test_an_unsafe_target_is_accepted_refused_and_audited_with_the_rest_of_its_group(
    webhook: tuple[int, RemediationEngine, Recorder], prefix: str
) -> None:
    port, engine, executor = webhook
    bad = alert("bad1", name="PipelineDataCorrupted", prefix=prefix)
    good = alert("900d1")  # same group: a 4xx would have lost it
    code, doc = post(port, payload(bad, good))
    assert (code, doc["alerts"]) == (202, 2)
    refusals = [a for a in engine.store.audit() if a["outcome"] == "refused_target"]
    assert [(a["fingerprint"], a["action"]) for a in refusals] == [("bad1", "quarantine")]
    assert refusals[0]["delivery"] == doc["delivery"]  # recorded with the delivery itself
    wait_idle(engine)
    assert executor.applied == [("command", "pipeline", f"900d1-{_episode(engine, '900d1')}")]
    assert [a["outcome"] for a in engine.store.audit()].count("refused_target") == 1
    assert engine.store.runs()[0]["fingerprint"] == "900d1"


def _episode(engine: RemediationEngine, fingerprint: str) -> int:
    return int(next(r["episode"] for r in engine.store.runs() if r["fingerprint"] == fingerprint))


def test_wrong_content_type_and_huge_bodies_are_refused(
    webhook: tuple[int, RemediationEngine, Recorder],
) -> None:
    port, _, _ = webhook
    assert post(port, payload(alert()), content_type="text/plain")[0] == 415
    assert post(port, b"x" * (2 << 20))[0] == 413


def test_a_failed_store_answers_503_so_alertmanager_retries(
    webhook: tuple[int, RemediationEngine, Recorder], tmp_path: Path
) -> None:
    port, engine, _ = webhook
    with transaction(engine.store.db) as conn:
        conn.exec_driver_sql("DROP TABLE deliveries")
    assert post(port, payload(alert()))[0] == 503


def test_metrics_health_and_readiness(
    webhook: tuple[int, RemediationEngine, Recorder],
) -> None:
    port, engine, _ = webhook
    post(port, payload(alert()))
    post(
        port,
        b"{",
    )
    wait_idle(engine)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    for path, expected in (("/healthz", 200), ("/readyz", 200)):
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        assert response.status == expected
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    assert 'sre_remediations_total{action="command",outcome="success"} 1.0' in text
    assert 'sre_webhook_requests_total{code="202"} 1.0' in text
    assert 'sre_webhook_requests_total{code="400"} 1.0' in text


def test_truncated_alerts_kill_switch_and_circuits_show_on_metrics(
    webhook: tuple[int, RemediationEngine, Recorder],
) -> None:
    port, engine, _ = webhook
    engine.store.pause("restore", "t", 0.0)
    engine.store.open_circuit("command", "p9", "t", 0.0)
    assert post(port, payload(alert(name="Other"), truncated=7))[0] == 202
    wait_idle(engine)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    assert "sre_webhook_truncated_alerts_total 7.0" in text
    assert 'sre_kill_switch{action="restore"} 1.0' in text
    assert 'sre_circuit_open{action="command",target="p9"} 1.0' in text
