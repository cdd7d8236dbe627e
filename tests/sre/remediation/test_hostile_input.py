"""Each poison from the field, posted to a real `sre serve` on SQLite and on PostgreSQL: a
one-line 4xx (never a traceback, never a hang), the worker alive, and a valid delivery after
it acted on."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre.remediation.engine import RemediationEngine
from sre.remediation.server import Credentials, ServerSettings, WebhookServer
from sre.remediation.state.schema import MAX_ATTEMPTS

from .fakes import Recorder, alert, make_engine, payload, policy
from .test_replicas import database as database

TOKEN = "t0ken"
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[WebhookServer, RemediationEngine, Recorder]]:
    db = request.getfixturevalue("database") if request.param == "postgresql" else None
    recorder = Recorder()
    per_pipeline = policy(
        params={"argv": ["true", "${pipeline}"], "labels": ["pipeline"]},
        max_targets_per_delivery=3,
    )
    engine = make_engine(tmp_path, per_pipeline, recorder=recorder, db=db)
    engine.max_runs_per_minute = 10
    server = WebhookServer(
        engine, Credentials(tokens=(TOKEN.encode(),)), ServerSettings(port=0, header_timeout=2)
    )
    server.start()
    yield server, engine, recorder
    server.stop()


def post(port: int, body: bytes) -> tuple[int, dict[str, object]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/alertmanager", body=body, headers=HEADERS)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, json.loads(raw) if raw else {}


def raw_request(port: int, head: bytes, body: bytes = b"") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head + body)
        return sock.recv(65536)


def settle(engine: RemediationEngine) -> None:
    deadline = time.monotonic() + 30
    while engine.store.backlog() and time.monotonic() < deadline:
        time.sleep(0.05)


def valid_is_acted_on(server: WebhookServer, engine: RemediationEngine, rec: Recorder) -> None:
    before = len(rec.applied)
    code, _ = post(server.port, payload(alert("900d", pipeline="after")))
    assert code == 202
    settle(engine)
    assert len(rec.applied) == before + 1 and rec.applied[-1][1] == "pipeline=after"
    assert server.worker.health() is None


BASE = json.loads(payload(alert("abc", pipeline="potato")))
POISONS = {
    "lone surrogate in alertname": json.dumps(BASE)
    .replace('"PipelineDataStale"', '"X\\ud800"')
    .encode(),
    "400-digit truncatedAlerts": json.dumps(BASE)
    .replace('"truncatedAlerts": 0', '"truncatedAlerts": ' + "9" * 400)
    .encode(),
    "UTF-16 body": json.dumps(BASE).encode("utf-16"),
    "nesting 5k deep": b"[" * 5000 + b"]" * 5000,
    "nesting 100k deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "lone surrogate in a prefix": json.dumps(BASE).replace('"potato"', '"../\\udfff"').encode(),
    "NUL in a label": json.dumps(BASE).replace('"potato"', '"pot\\u0000ato"').encode(),
    "NaN": json.dumps(BASE).replace('"truncatedAlerts": 0', '"truncatedAlerts": NaN').encode(),
}


@pytest.mark.parametrize("name", POISONS)
def test_each_poison_gets_a_one_line_400_and_the_next_delivery_is_acted_on(
    served: tuple[WebhookServer, RemediationEngine, Recorder], name: str
) -> None:
    server, engine, rec = served
    code, doc = post(server.port, POISONS[name])
    assert code == 400, doc
    assert "\n" not in str(doc["error"]) and "Traceback" not in str(doc["error"])
    valid_is_acted_on(server, engine, rec)


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        b"Content-Length: 5\r\nContent-Length: 5\r\n",
        b"Content-Length: 5\r\nContent-Length: 6\r\n",
    ],
)
def test_ambiguous_framing_is_a_400(
    served: tuple[WebhookServer, RemediationEngine, Recorder], framing: bytes
) -> None:
    server, engine, rec = served
    head = (
        b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {TOKEN}\r\n".encode()
        + framing
        + b"\r\n"
    )
    answer = raw_request(server.port, head, b"0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    valid_is_acted_on(server, engine, rec)


def test_headers_past_the_cap_are_a_400(
    served: tuple[WebhookServer, RemediationEngine, Recorder],
) -> None:
    server, engine, rec = served
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 << 10) + b"\r\n\r\n"
    assert raw_request(server.port, head).startswith(b"HTTP/1.1 400")
    valid_is_acted_on(server, engine, rec)


def test_a_real_sized_alert_is_stored_and_acted_on(
    served: tuple[WebhookServer, RemediationEngine, Recorder],
) -> None:
    server, engine, rec = served
    big = alert("b16", pipeline="wide", **{f"label_{i}": f"v{i}" * 50 for i in range(100)})
    big["annotations"]["description"] = "line\n" * 2000  # 10 kB, multi-line
    assert post(server.port, payload(big))[0] == 202
    settle(engine)
    assert rec.applied[-1][1] == "pipeline=wide"


def test_one_delivery_cannot_fan_out_past_the_policy_cap(
    served: tuple[WebhookServer, RemediationEngine, Recorder],
) -> None:
    server, engine, rec = served
    storm = [alert(f"{i:x}0", pipeline=f"p{i}") for i in range(300)]
    assert post(server.port, payload(*storm))[0] == 202
    settle(engine)
    assert len(rec.applied) == 3  # max_targets_per_delivery
    refused = [a for a in engine.store.audit(1000) if a["outcome"] == "refused_fanout"]
    assert len(refused) == 297
    valid_is_acted_on(server, engine, rec)  # the global rate limit was not spent


def test_a_delivery_that_keeps_failing_is_dead_lettered_and_the_worker_lives(
    served: tuple[WebhookServer, RemediationEngine, Recorder],
) -> None:
    server, engine, rec = served
    poisoned = engine.store.admit(b'{"stored": "by an older sre, unparseable now"}', time.time())
    server.worker.wake.set()
    settle(engine)
    assert engine.store.dead_letters() == [poisoned]
    outcomes = [a["outcome"] for a in engine.store.audit() if a["delivery"] == poisoned]
    assert outcomes.count("error") == MAX_ATTEMPTS and outcomes[0] == "dead_lettered"
    text = engine.metrics.registry.get_sample_value("sre_deliveries_dead_lettered_total")
    assert text == 1.0
    valid_is_acted_on(server, engine, rec)


def test_readyz_says_when_the_worker_is_dead(
    served: tuple[WebhookServer, RemediationEngine, Recorder],
) -> None:
    server, _, _ = served
    server.worker.stop()
    server.worker.join(5)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/readyz")
    response = conn.getresponse()
    assert (response.status, json.loads(response.read())) == (
        503,
        {"status": "worker thread is dead"},
    )
