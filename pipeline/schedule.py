"""`run --every`: run on a fixed interval until told to stop, serving /metrics meanwhile."""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, start_http_server

from pipeline import ledger, silver
from pipeline.errors import TaskFailed
from pipeline.observability.metrics import PipelineMetrics
from pipeline.observability.totals import Totals
from pipeline.progress import LogObserver
from pipeline.runner import Observer, run_pipeline
from sre.storage import ObjectStore

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(text: str) -> float:
    """'30s', '5m', '1h', '1.5h', '250ms' or bare seconds -> seconds; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 5m, 1h)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def every(interval: float, job: Callable[[], None], stop: threading.Event) -> None:
    """Call `job` now and then every `interval` seconds (start to start) until `stop` is set."""
    while not stop.is_set():
        started = time.monotonic()
        job()
        stop.wait(max(0.0, interval - (time.monotonic() - started)))


def stop_on_signals(stop: threading.Event) -> None:
    """SIGTERM and SIGINT end the loop after the current run instead of killing it midway."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def serve(
    store: ObjectStore,
    observers: list[Observer],
    live: PipelineMetrics,
    interval: float,
    host: str,
    port: int,
    work_dir: Path | None,
) -> None:
    """Run on `interval` until SIGTERM or SIGINT, serving the live metrics on host:port."""
    registry = CollectorRegistry()
    registry.register(live)
    live.update(Totals.from_dict(ledger.latest_totals(store)), silver.read(store))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    log = logging.getLogger("pipeline.schedule")
    log.info("serving /metrics on http://%s:%d/metrics; a run every %gs", host, port, interval)

    def once() -> None:
        try:
            run_pipeline(store, observers=[LogObserver(), *observers], work_dir=work_dir)
        except TaskFailed as exc:
            log.error("run failed: %s; committed silver is unchanged", exc)

    stop = threading.Event()
    stop_on_signals(stop)
    try:
        every(interval, once, stop)
    finally:
        server.shutdown()
