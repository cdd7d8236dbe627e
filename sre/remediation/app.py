"""The webhook's ASGI app (Starlette): POST /alertmanager, the approvals API
(/api/v1/runs/{id}, .../approve, .../reject), /metrics, /healthz, /readyz and /openapi.json.

A delivery is answered as soon as its body is stored; the worker decides afterwards. Status
codes follow what Alertmanager does with them: it retries only 5xx, so input that can never be
valid gets a final 4xx with a one-line reason, and a failed store or a saturated server gets a
503 (with Retry-After). An alert that cannot be acted on is still stored: its refusal is an
audit record, because a 4xx would lose the rest of its group.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sre.errors import PayloadError, StateError
from sre.remediation import approvals
from sre.remediation.auth import Approvers, Credentials
from sre.remediation.engine import RemediationEngine
from sre.remediation.logs import request_id
from sre.remediation.openapi import document

__all__ = ["Limits", "make_app"]

log = logging.getLogger("sre.serve")
access = logging.getLogger("sre.serve.access")


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may cost. The body cap is the only limit on what Alertmanager sends."""

    max_body: int = 16 << 20  # 16 MiB: 1,000 alerts of 100 labels and a 10 kB annotation fit
    body_timeout: float = 10.0  # seconds to receive the whole body once headers are in
    max_inflight: int = 256  # webhook requests in progress at once; more get 503 + Retry-After
    retry_after: int = 1


def _error(code: int, reason: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": reason}, status_code=code, headers=headers)


class Edge:
    """Pure ASGI middleware: request id, request-smuggling guard, access log, backpressure."""

    def __init__(self, app: ASGIApp, limits: Limits, count: Callable[[int], None]) -> None:
        self.app, self.limits, self.count = app, limits, count
        self.inflight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        token = request_id.set(rid)
        started, status = time.perf_counter(), [0]

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        webhook = scope["path"] == "/alertmanager"
        try:
            names = [name for name, _ in scope["headers"]]
            if names.count(b"content-length") > 1 or (
                b"content-length" in names and b"transfer-encoding" in names
            ):
                reason = "Content-Length with Transfer-Encoding (or twice) is refused"
                response = _error(400, reason, connection="close")
                await response(scope, receive, stamped)
            elif webhook and self.inflight >= self.limits.max_inflight:
                reason = "saturated: retry later"
                retry = str(self.limits.retry_after)
                await _error(503, reason, **{"retry-after": retry})(scope, receive, stamped)
            else:
                self.inflight += webhook
                try:
                    await self.app(scope, receive, stamped)
                finally:
                    self.inflight -= webhook
        finally:
            if webhook:
                self.count(status[0])
            access.info(
                "%s %s %s",
                scope["method"],
                scope["path"],
                status[0],
                extra={
                    "status": status[0],
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": (scope.get("client") or ("-",))[0],
                },
            )
            request_id.reset(token)


async def _body(request: Request, limits: Limits) -> bytes | Response:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        return _error(411, "a Content-Length is required", connection="close")
    if int(length) > limits.max_body:
        return _error(413, f"body over {limits.max_body} bytes", connection="close")
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(limits.body_timeout):
            async for chunk in request.stream():
                chunks.append(chunk)
    except TimeoutError:
        return _error(
            408, f"body not received within {limits.body_timeout:g} s", connection="close"
        )
    return b"".join(chunks)


def make_app(
    engine: RemediationEngine,
    credentials: Credentials,
    wake: Callable[[], None],
    health: Callable[[], str | None],
    limits: Limits | None = None,
    approvers: Approvers | None = None,
    changed: Callable[[], None] = lambda: None,
) -> ASGIApp:
    """The ASGI app; `wake` nudges the worker, `health` says why it is not ready (or None);
    `approvers` may use the approvals API (none: it answers 403); `changed` is called after
    a decision on a run (the notices are posted again)."""
    limits = limits or Limits()
    approvers = approvers or Approvers()
    metrics = engine.metrics
    # Our own pool for the store's blocking calls: its idle threads end at once when the
    # process exits (anyio's would hold a stopping `sre serve` up to 10 s).
    pool = concurrent.futures.ThreadPoolExecutor(32, thread_name_prefix="sre-http")

    async def run_in_threadpool(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    async def alertmanager(request: Request) -> Response:
        code = credentials.check(request.headers.get("authorization"))
        if code != 200:
            if code == 401:
                return _error(
                    401, "missing credentials", **{"www-authenticate": 'Bearer realm="sre"'}
                )
            return _error(403, "wrong credentials")
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _error(415, "content type must be application/json")
        body = await _body(request, limits)
        if isinstance(body, Response):
            return body
        try:
            delivery, note = await run_in_threadpool(engine.admit, body)
        except PayloadError as exc:
            log.info("refused a delivery: %s", exc, extra={"status": 400})
            return _error(400, str(exc))
        except StateError as exc:
            log.error("could not store a delivery: %s", exc)
            return _error(503, "state store unavailable; retry", **{"retry-after": "5"})
        alerts = len(note.alerts)
        wake()
        log.debug("stored delivery %d (%d alerts)", delivery, alerts, extra={"delivery": delivery})
        return JSONResponse({"delivery": delivery, "alerts": alerts}, status_code=202)

    def approver(request: Request) -> str | Response:
        if not approvers.tokens:
            return _error(403, "approvals through the API are off (sre serve --approvers-dir)")
        code, who = approvers.who(request.headers.get("authorization"))
        if code == 401:
            return _error(401, "missing credentials", **{"www-authenticate": 'Bearer realm="sre"'})
        if who is None:
            return _error(403, "not an approver's token")
        return who

    def run_id(request: Request) -> int | None:
        text = request.path_params["run"]
        # at most 9 digits: every id fits PostgreSQL's integer column
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None

    async def show_run(request: Request) -> Response:
        who, run = approver(request), run_id(request)
        if isinstance(who, Response):
            return who
        try:
            found = await run_in_threadpool(engine.store.run, run) if run is not None else None
        except StateError as exc:
            log.error("could not read run %s: %s", run, exc)
            return _error(503, "state store unavailable; retry", **{"retry-after": "5"})
        if found is None or found["service"] != engine.store.service:
            return _error(404, f"no run {request.path_params['run']}")
        return JSONResponse(approvals.public(found))

    def decide(verb: Callable[[RemediationEngine, int, str], approvals.Answer], done: int) -> Any:
        async def endpoint(request: Request) -> Response:
            who, run = approver(request), run_id(request)
            if isinstance(who, Response):
                return who
            if run is None:
                return _error(404, f"no run {request.path_params['run']}")
            try:
                answer = await run_in_threadpool(verb, engine, run, who)
            except StateError as exc:
                log.error("could not decide run %s: %s", run, exc)
                return _error(503, "state store unavailable; retry", **{"retry-after": "5"})
            if answer.status == "not_found":
                return _error(404, answer.detail)
            if answer.status == "conflict":
                return _error(409, answer.detail)
            assert answer.run is not None
            changed()
            return JSONResponse(
                {"detail": answer.detail, "run": approvals.public(answer.run)}, status_code=done
            )

        return endpoint

    async def metrics_page(request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if not await run_in_threadpool(engine.store.ping):
            return JSONResponse({"status": "state store unavailable"}, status_code=503)
        problem = health()
        if problem:
            return JSONResponse({"status": problem}, status_code=503)
        return JSONResponse({"status": "ready"})

    async def openapi(request: Request) -> Response:
        return JSONResponse(document(limits.max_body))

    routes = [
        Route("/alertmanager", alertmanager, methods=["POST"]),
        Route("/api/v1/runs/{run}", show_run, methods=["GET"]),
        Route("/api/v1/runs/{run}/approve", decide(approvals.approve, 202), methods=["POST"]),
        Route("/api/v1/runs/{run}/reject", decide(approvals.reject, 200), methods=["POST"]),
        Route("/metrics", metrics_page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]

    async def not_found(request: Request, exc: Any) -> Response:
        return _error(404, f"not found: {request.method} {request.url.path}")

    async def not_allowed(request: Request, exc: Any) -> Response:
        allow = dict(getattr(exc, "headers", None) or {})  # RFC 9110: a 405 says what is
        return _error(405, f"method {request.method} not allowed on {request.url.path}", **allow)

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
    return Edge(app, limits, lambda code: metrics.requests.labels(str(code)).inc())
