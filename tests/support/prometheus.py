"""Real Prometheus and Pushgateway (Debian packages) on loopback for tests, stopped by PID."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.seaweedfs import log_tail, stop

START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def binaries(*names: str) -> dict[str, str | None]:
    return {name: shutil.which(name) for name in names}


def _get(url: str, timeout: float = 2.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log_tail(log)}")
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(
        f"{what} did not answer {url} within {START_TIMEOUT:.0f} s:\n{log_tail(log)}"
    )


@contextmanager
def _running(argv: list[str], ready_url: str, what: str, workdir: Path) -> Iterator[None]:
    log = workdir / f"{what}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir)
    try:
        _wait(ready_url, process, log, what)
        yield
    finally:
        stop(process)


@dataclass(frozen=True, slots=True)
class Prometheus:
    url: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar as one sample) `expr` evaluates to now."""
        body = _get(f"{self.url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        data = json.loads(body)["data"]
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        result: list[dict[str, Any]] = data["result"]
        return result

    def values(self, expr: str) -> dict[str, float]:
        """Each series of `expr` keyed by its labels rendered as `k=v,...`, with its value."""
        return {
            ",".join(f"{k}={v}" for k, v in sorted(s["metric"].items())): float(s["value"][1])
            for s in self.query(expr)
        }

    def wait_for(self, expr: str, timeout: float = 30.0) -> dict[str, float]:
        """Poll until `expr` returns at least one series; return its values."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.values(expr)
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"Prometheus at {self.url} never answered {expr!r} within {timeout} s")


@contextmanager
def running_stack(prometheus: str, pushgateway: str) -> Iterator[tuple[Prometheus, str]]:
    """Pushgateway plus a Prometheus scraping it every second with honor_labels."""
    with tempfile.TemporaryDirectory(prefix="prom-") as tmp:
        workdir = Path(tmp)
        push_port, prom_port = free_port(), free_port()
        gateway = f"http://127.0.0.1:{push_port}"
        config = workdir / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: pushgateway\n"
            "    honor_labels: true\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{push_port}']}}]\n"
        )
        # Debian's Pushgateway persists to a shared file by default: start empty, keep nothing.
        push_argv = [
            pushgateway,
            f"--web.listen-address=127.0.0.1:{push_port}",
            "--persistence.file=",
        ]
        prom_argv = [
            prometheus,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{prom_port}",
            f"--web.external-url=http://127.0.0.1:{prom_port}",
        ]
        with (
            _running(push_argv, f"{gateway}/-/ready", "pushgateway", workdir),
            _running(prom_argv, f"http://127.0.0.1:{prom_port}/-/ready", "prometheus", workdir),
        ):
            server = Prometheus(f"http://127.0.0.1:{prom_port}")
            # /-/ready answers before the first scrape (about 5 s later): wait for up == 1.
            server.wait_for('up{job="pushgateway"} == 1')
            yield server, gateway
