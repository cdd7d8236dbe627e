"""`sre serve`'s HTTP stack: the ASGI app on uvicorn, with the limits a public endpoint needs.

- header read timeout: a connection that has not sent a whole request head within
  `header_timeout` seconds of opening (or of its last response) is closed, so idle and
  slow-header connections cannot pile up; the keep-alive timeout closes idle keep-alives;
- header bytes capped (`max_header_bytes`, 400 past it); two `Content-Length` headers, or one
  with `Transfer-Encoding`, get a 400 (request smuggling behind a proxy);
- at most `max_connections` open connections (more are closed at once), at most
  `Limits.max_inflight` webhook requests in progress (more get 503 + Retry-After, which
  Alertmanager retries), a listen backlog of `backlog`;
- SIGTERM: stop accepting, finish the requests in flight, stop the worker after its current
  delivery and release the deliveries it had claimed, so another replica takes them at once;
- optional TLS, and mTLS when a client CA is given (client certificates required);
- with a `Notifier`, the remediator's notices go to Alertmanager on their own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from sre.remediation.app import Limits, make_app
from sre.remediation.auth import Approvers, Credentials
from sre.remediation.engine import RemediationEngine
from sre.remediation.notifier import Notifier
from sre.remediation.worker import Worker

__all__ = ["Credentials", "Limits", "ServerSettings", "WebhookServer"]

log = logging.getLogger("sre.serve")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 9095
    header_timeout: float = 10.0
    keep_alive_timeout: float = 5.0
    max_header_bytes: int = 32 << 10
    max_connections: int = 4096
    backlog: int = 2048
    graceful_timeout: float = 20.0
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None  # mTLS: client certificates signed by this CA required


def _protocol(settings: ServerSettings) -> type[H11Protocol]:
    class Guarded(H11Protocol):
        """uvicorn's h11 protocol with a header read timeout, a connection cap and a check for
        repeated Content-Length that h11 would otherwise fold into one."""

        _head = b""
        _timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > settings.max_connections:
                log.warning("over %d connections: closing a new one", settings.max_connections)
                transport.close()
                return
            self._arm()

        def _arm(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self.loop.call_later(settings.header_timeout, self._head_timeout)

        def _head_timeout(self) -> None:
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.transport.close()  # no whole request head in time: slow or idle client

        def data_received(self, data: bytes) -> None:
            if self.conn.their_state is h11.IDLE:
                cap = settings.max_header_bytes
                self._head = (self._head + data)[: cap + 4]
                end = self._head.find(b"\r\n\r\n")
                if end > cap or (end < 0 and len(self._head) > cap):
                    self.send_400_response(f"request head over {cap} bytes")
                    return
                if end >= 0:
                    head, self._head = self._head[:end].lower(), b""
                    if head.count(b"\ncontent-length:") > 1:
                        self.send_400_response("Content-Length given twice")
                        return
            super().data_received(data)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._timer is not None:
                self._timer.cancel()
            super().connection_lost(exc)

    return Guarded


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard > 0 else soft, hard))


class _Server(uvicorn.Server):
    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        # uvicorn re-raises the signal after its shutdown, which would kill the process
        # before the worker gives its claimed deliveries back: exit normally instead.
        self._captured_signals.clear()


class WebhookServer:
    """The worker plus uvicorn. `run()` blocks (the CLI: uvicorn handles SIGTERM/SIGINT);
    `start()` serves on a thread (tests) until `stop()`."""

    def __init__(
        self,
        engine: RemediationEngine,
        credentials: Credentials,
        settings: ServerSettings | None = None,
        limits: Limits | None = None,
        approvers: Approvers | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        settings = settings or ServerSettings()
        self.engine, self.settings, self.notifier = engine, settings, notifier
        engine.recover()
        changed = notifier.wake.set if notifier is not None else (lambda: None)
        self.worker = Worker(engine, changed=changed)
        app = make_app(
            engine,
            credentials,
            self.worker.wake.set,
            self.worker.health,
            limits,
            approvers,
            changed,
        )
        ssl_options: dict[str, Any] = {}
        if settings.tls_cert:
            ssl_options = {"ssl_certfile": settings.tls_cert, "ssl_keyfile": settings.tls_key}
            if settings.tls_client_ca:
                ssl_options |= {"ssl_ca_certs": settings.tls_client_ca}
                ssl_options |= {"ssl_cert_reqs": ssl.CERT_REQUIRED}
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            http=_protocol(settings),
            ws="none",
            lifespan="off",
            access_log=False,
            log_config=None,
            timeout_keep_alive=int(max(1, settings.keep_alive_timeout)),
            timeout_graceful_shutdown=int(settings.graceful_timeout),
            h11_max_incomplete_event_size=settings.max_header_bytes,
            backlog=settings.backlog,
            server_header=False,
            **ssl_options,
        )
        self.server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.settings.port

    def _start_threads(self) -> None:
        self.worker.start()
        if self.notifier is not None:
            self.notifier.start()

    def run(self) -> None:
        _raise_file_limit()
        self._start_threads()
        try:
            self.server.run()
        finally:
            self._stop_worker()
        if not self.server.started:
            raise OSError(f"cannot listen on {self.settings.host}:{self.settings.port}")

    def start(self) -> None:
        _raise_file_limit()
        self._start_threads()
        self._thread = threading.Thread(target=self.server.run, name="sre-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"cannot listen on {self.settings.host}:{self.settings.port}")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(self.settings.graceful_timeout + 5)
        self._stop_worker()

    def _stop_worker(self) -> None:
        if self.notifier is not None:
            self.notifier.stop()
        self.worker.stop()
        if self.worker.is_alive():
            self.worker.join(timeout=30)
