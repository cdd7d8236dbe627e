"""http: one request from the spec, success by status code, evidence kept, labels validated."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sre.errors import SpecError, UnsafeTarget
from sre.remediation.action import Deps
from sre.remediation.actions.http import Http

from ..fakes import policy


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen.append(
                {
                    "path": self.path,
                    "body": body.decode(),
                    "auth": self.headers.get("Authorization"),
                }
            )
            if self.path.startswith("/moved"):
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            code = 500 if "broken" in self.path else 202
            answer = json.dumps({"restarted": code == 202, "pad": "x" * 2000}).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def params(url: str, **extra: Any) -> Any:
    given = {
        "url": url + "/connectors/${connector}/restart",
        "labels": ["connector"],
        "body": '{"connector": "${connector}"}',
        **extra,
    }
    return policy("ConnectorDown", "http", params=given).params


def run(url: str, labels: dict[str, str], **extra: Any) -> Any:
    action, given = Http(), params(url, **extra)
    target = action.target(labels, given)
    plan = action.plan(target, given, None, "inc-1")
    return action.apply(plan, given, Deps(), "inc-1")


def test_the_request_is_sent_once_and_its_status_and_body_are_kept(
    endpoint: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    url, seen = endpoint
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    outcome = run(url, {"connector": "orders-sink"}, token_file=str(token))
    assert outcome.ok and outcome.evidence["status"] == "202"
    assert len(outcome.evidence["body"]) == 500 and '"restarted": true' in outcome.evidence["body"]
    assert seen == [
        {
            "path": "/connectors/orders-sink/restart",
            "body": '{"connector": "orders-sink"}',
            "auth": "Bearer s3cret",
        }
    ]
    assert "s3cret" not in outcome.detail


def test_a_status_outside_the_success_list_fails_with_an_excerpt(
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, _ = endpoint
    outcome = run(url, {"connector": "broken"})
    assert (
        not outcome.ok and outcome.evidence["status"] == "500" and "answered 500" in outcome.detail
    )
    assert run(url, {"connector": "broken"}, success=["500"]).ok


def test_a_redirect_is_not_followed(endpoint: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = endpoint
    outcome = run(url.rstrip("/") + "/moved", {"connector": "x"})
    assert not outcome.ok and outcome.evidence["status"] == "302"
    assert len(seen) == 1


def test_an_endpoint_that_is_down_is_a_failed_outcome_not_a_crash() -> None:
    outcome = run("http://127.0.0.1:9", {"connector": "x"}, timeout=2.0)
    assert not outcome.ok and "POST" in outcome.detail


@pytest.mark.parametrize("value", ["a/../b", "x?admin=1", "a b", "é", "x\n"])
def test_a_label_that_could_change_the_url_or_body_is_refused(value: str) -> None:
    with pytest.raises(UnsafeTarget):
        Http().target({"connector": value}, params("http://h"))


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"url": "file:///etc/passwd"}, "http or https"),
        ({"method": "TRACE"}, "must be one of"),
        ({"success": ["2xx"]}, "3-digit"),
        ({"body": "${secret}"}, "not in params.labels"),
    ],
)
def test_a_bad_http_policy_is_a_spec_error(extra: dict[str, Any], match: str) -> None:
    given = {"url": "http://h/x", "target": "t", **extra}
    with pytest.raises(SpecError, match=match):
        policy("ConnectorDown", "http", params=given)
