"""Two `sre serve` processes on one PostgreSQL state: the same deliveries run exactly once."""

from __future__ import annotations

import concurrent.futures
import http.client
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.components import require
from tests.support.prometheus import free_port

from .fakes import alert, later, payload

SRE = str(Path(sys.executable).parent / "sre")
PG = "postgresql://postgres@127.0.0.1:5432"


def postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001 (any failure means: not available here)
        return False


@pytest.fixture
def database() -> Iterator[str]:
    require("PostgreSQL", postgres_available(), f"nothing answers at {PG} (.ci/run starts it)")
    import psycopg

    name = f"sre_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_ready(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"sre serve on {port} never became ready")


def post(port: int, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        "POST",
        "/alertmanager",
        body=body,
        headers={"Content-Type": "application/json", "Authorization": "Bearer t0ken"},
    )
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.mark.integration
def test_two_replicas_sharing_postgres_run_each_episode_once(database: str, tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    marker = tmp_path / "executions"
    env = {**os.environ, "SRE_TEST_MARKER": str(marker), "PYTHONPATH": str(Path.cwd())}
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(
            [
                SRE,
                "serve",
                "--port",
                str(port),
                "--state",
                database,
                "--token-file",
                str(token),
                "--service",
                "tests.sre.remediation.spec_fixture:SERVICE",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_ready(port, process)
        episodes = 5
        bodies = [
            payload(alert(f"f{i}", starts=later(shift), pipeline=f"p{i}"))
            for i in range(episodes)
            for shift in (0.0, 0.0, 1.0)
        ]  # repeat + replica shift
        sends = [(ports[n % 2], body) for n, body in enumerate(bodies * 2)]  # both replicas get all
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda pb: post(*pb), sends))
        assert set(codes) == {202}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            lines = marker.read_text().splitlines() if marker.exists() else []
            if len(lines) >= episodes:
                break
            time.sleep(0.2)
        time.sleep(2)  # let any (wrong) second execution show up
        lines = marker.read_text().splitlines()
        audit = subprocess.run(
            [SRE, "runs", "list", "--json", "--state", database],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert len(lines) == episodes, audit.stdout + audit.stderr
        listed = subprocess.run(
            [SRE, "runs", "list", "--json", "--state", database],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        import json

        runs = json.loads(listed.stdout)
        assert sorted(r["fingerprint"] for r in runs) == [f"f{i}" for i in range(episodes)]
        assert {r["outcome"] for r in runs} == {"success"}
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                raise
