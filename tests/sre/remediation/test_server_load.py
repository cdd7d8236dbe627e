"""`sre serve` as a process under hostile load: simultaneous posts, idle and slow-header
connections. Bounded: a few hundred requests, about half a minute."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import os
import resource
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.support.prometheus import free_port

from .fakes import alert, payload
from .test_replicas import SRE, wait_ready

HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer t0ken"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, psutil.Process, Path]]:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    db = tmp_path / "state.db"
    env = {**os.environ, "SRE_TEST_MARKER": str(tmp_path / "runs"), "PYTHONPATH": str(Path.cwd())}
    port = free_port()
    process = subprocess.Popen(
        [SRE, "serve", "--port", str(port), "--state", f"sqlite:///{db}", "--token-file",
         str(token), "--service", "tests.sre.remediation.spec_fixture:SERVICE",
         "--header-timeout", "3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_ready(port, process)
        yield port, psutil.Process(process.pid), db
    finally:
        process.terminate()
        process.wait(30)


def post(port: int, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/alertmanager", body=body, headers=HEADERS)
    status = conn.getresponse().status
    conn.close()
    return status, time.perf_counter() - started


def stored(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM deliveries").fetchone()[0])


def test_a_hundred_simultaneous_posts_are_all_answered_and_stored(
    served: tuple[int, psutil.Process, Path],
) -> None:
    port, _, db = served
    gate = threading.Barrier(100)

    def one(i: int) -> int:
        body = payload(alert(f"{i + 1:x}", pipeline="potato-pipeline"))
        gate.wait()
        return post(port, body)[0]

    with concurrent.futures.ThreadPoolExecutor(100) as pool:
        codes = list(pool.map(one, range(100)))  # a reset would raise here
    assert codes == [202] * 100
    assert stored(db) == 100


def test_idle_and_slow_header_connections_do_not_starve_valid_deliveries(
    served: tuple[int, psutil.Process, Path],
) -> None:
    port, server, db = served
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2000:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(1000)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
    for sock in slow:
        sock.sendall(b"POST /alertmanager HTTP/1.1\r\nHost: x\r\n")
    stop = threading.Event()

    def dribble() -> None:  # one header byte per connection every 0.5 s, like slowloris
        while not stop.wait(0.5):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")

    trickle = threading.Thread(target=dribble, daemon=True)
    trickle.start()
    try:
        results = []
        for i in range(100):
            results.append(post(port, payload(alert(f"{i + 1:x}", pipeline="potato-pipeline"))))
            time.sleep(0.02)
        rss = server.memory_info().rss
        latencies = sorted(t for _, t in results)
        assert [c for c, _ in results] == [202] * 100
        assert latencies[98] < 1.0, latencies[-5:]
        assert rss < 300 << 20, f"server RSS {rss >> 20} MB"
        assert stored(db) == 100
        time.sleep(4)  # past --header-timeout 3: the server closed them
        for sock in [*idle[:50], *slow[:50]]:
            sock.settimeout(2)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1) == b""
    finally:
        stop.set()
        for sock in [*idle, *slow]:
            sock.close()
