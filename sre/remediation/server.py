"""`sre serve`: the Alertmanager webhook, its metrics and health, and the worker behind it.

A request is answered as soon as its body is stored durably; the worker thread decides
afterwards and hands the runs that act to an `ActionPool`, so a two-hour command never stops
it from draining the next delivery. Status codes follow what Alertmanager does with them: it
retries only 5xx, so bad input gets a final 4xx with a one-line reason and a failed store gets
a 503. An alert whose target is refused is still a 202: the refusal is an audit record, and a
4xx would lose the rest of its group.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from sre.errors import PayloadError, SreError, StateError
from sre.remediation.engine import Job, RemediationEngine

MAX_BODY = 1 << 20
DRAIN_LIMIT = 16 << 20  # read (and drop) an oversized body up to this, so the client sees the 413
log = logging.getLogger("sre.serve")


@dataclass(frozen=True, slots=True)
class Credentials:
    """Bearer tokens (two during a rotation) and basic-auth pairs; never logged."""

    tokens: tuple[bytes, ...] = ()
    basic: tuple[bytes, ...] = ()  # b"user:password"

    def check(self, header: str | None) -> int:
        """200 when allowed, 401 when no credentials came, 403 when they are wrong."""
        if not header:
            return 401
        scheme, _, value = header.partition(" ")
        given = value.strip().encode()
        if scheme.lower() == "bearer":
            allowed = self.tokens
        elif scheme.lower() == "basic":
            try:
                given = base64.b64decode(given, validate=True)
            except ValueError:
                return 403
            allowed = self.basic
        else:
            return 401
        # Compare against every secret, always, so timing says nothing about which matched.
        matched = False
        for secret in allowed:
            matched |= hmac.compare_digest(given, secret)
        return 200 if matched else 403


class ActionPool:
    """`size` daemon threads that carry out runs, beside the worker that decides. Daemons: a
    stopping `sre serve` does not wait for a two-hour run; the run is found `running` on the
    next start and restarted (idempotent actions) or recorded failed."""

    def __init__(self, size: int) -> None:
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._threads = [
            threading.Thread(target=self._work, name=f"sre-action-{i}", daemon=True)
            for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                job()
            except Exception:  # jobs record their own failures; the thread must live on
                log.exception("an action job crashed")

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def shutdown(self, wait: bool) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        if wait:
            for thread in self._threads:
                thread.join()


class Worker(threading.Thread):
    """Drains stored deliveries whenever woken (and every second, for other replicas' work)."""

    def __init__(self, engine: RemediationEngine) -> None:
        super().__init__(name="sre-worker", daemon=True)
        self.engine = engine
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.wake.wait(1.0)
            self.wake.clear()
            try:
                self.engine.drain()
            except SreError as exc:
                log.error("worker: %s", exc)

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()


def make_handler(
    engine: RemediationEngine, credentials: Credentials, worker: Worker
) -> type[BaseHTTPRequestHandler]:
    metrics = engine.metrics

    class Handler(BaseHTTPRequestHandler):
        server_version = "sre-serve"
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle on, the body waits for the
        # client's delayed ACK (about 40 ms). Alertmanager's Go client disables it too.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def _reply(
            self, code: int, doc: dict[str, object], headers: Sequence[tuple[str, str]] = ()
        ) -> None:
            body = (json.dumps(doc) + "\n").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
            if self.path.split("?")[0] == "/alertmanager":
                metrics.requests.labels(str(code)).inc()

        def _error(self, code: int, reason: str, headers: Sequence[tuple[str, str]] = ()) -> None:
            self._reply(code, {"error": reason}, headers)

        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            if path == "/metrics":
                body = generate_latest(metrics.registry)
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE_LATEST)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif path == "/healthz":
                self._reply(200, {"status": "ok"})
            elif path == "/readyz":
                if not engine.store.ping():
                    self._reply(503, {"status": "state store unavailable"})
                    return
                self._reply(200, {"status": "ready"})
            else:
                self._error(404, "not found")

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/alertmanager":
                self._error(404, "not found: POST /alertmanager")
                return
            code = credentials.check(self.headers.get("Authorization"))
            if code != 200:
                challenge = [("WWW-Authenticate", 'Bearer realm="sre"')] if code == 401 else []
                self._drain_body()
                self._error(
                    code, "missing credentials" if code == 401 else "wrong credentials", challenge
                )
                return
            if self.headers.get_content_type() != "application/json":
                self._drain_body()
                self._error(415, "content type must be application/json")
                return
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit():
                self.close_connection = True
                self._error(411, "a Content-Length is required")
                return
            if int(length) > MAX_BODY:
                self._drain_body(limit=DRAIN_LIMIT)
                self.close_connection = True
                self._error(413, f"body over {MAX_BODY} bytes")
                return
            body = self.rfile.read(int(length))
            try:
                delivery, note = engine.admit(body)
            except PayloadError as exc:
                self._error(400, str(exc))
                return
            except StateError as exc:
                log.error("could not store a delivery: %s", exc)
                self._error(503, "state store unavailable; retry")
                return
            worker.wake.set()
            self._reply(202, {"delivery": delivery, "alerts": len(note.alerts)})

        def _drain_body(self, limit: int = MAX_BODY) -> None:
            length = self.headers.get("Content-Length")
            if length and length.isdigit() and int(length) <= limit:
                remaining = int(length)
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 1 << 16))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True

    return Handler


def serve(
    engine: RemediationEngine, credentials: Credentials, host: str, port: int
) -> tuple[ThreadingHTTPServer, Worker]:
    """Start the worker and the HTTP server (not yet serving: call `serve_forever`)."""
    engine.recover()
    worker = Worker(engine)
    worker.start()
    server = ThreadingHTTPServer((host, port), make_handler(engine, credentials, worker))
    server.daemon_threads = True
    return server, worker
