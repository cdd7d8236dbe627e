"""Load benchmark of `sre serve`: realistic payloads, half of them duplicates, on loopback.

    python scripts/load_webhook.py --rate 200 --seconds 10

Starts `sre serve` (SQLite state in a temp folder) with a spec whose rerun `command` runs `true`,
posts `rate x seconds` Alertmanager v4 payloads at a steady rate from a few keep-alive
connections (about half re-send an episode already sent, some shifted like an HA replica),
then prints requests/s, ack latency p50/p99 and runs started against distinct episodes.
Bounded: at most --max-requests requests and --seconds of sending; loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SRE = str(Path(sys.executable).parent / "sre")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def body(episode: int, shift: float) -> bytes:
    start = datetime(2026, 11, 26, 3, 0, tzinfo=UTC) + timedelta(seconds=shift)
    alert = {
        "status": "firing",
        "labels": {
            "alertname": "PipelineDataStale",
            "pipeline": f"p{episode}",
            "severity": "warning",
            "service": "potato-pipeline",
        },
        "annotations": {
            "summary": "Silver data is stale (> 2 hours old)",
            "runbook_url": "https://github.com/example/potato-weight-nutrition/blob/main/ops/runbook.md#data-freshness-issues",
        },
        "startsAt": start.isoformat().replace("+00:00", "Z"),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=up",
        "fingerprint": f"{episode:016x}",
    }
    return json.dumps(
        {
            "version": "4",
            "receiver": "remediation-webhook",
            "status": "firing",
            "alerts": [alert],
            "groupLabels": {"alertname": "PipelineDataStale"},
            "commonLabels": alert["labels"],
            "commonAnnotations": alert["annotations"],
            "externalURL": "http://127.0.0.1:9093",
            "groupKey": '{}:{alertname="PipelineDataStale"}',
            "truncatedAlerts": 0,
        }
    ).encode()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--log-level", default="info", help="sre serve's --log-level (info logs every request)"
    )
    args = parser.parse_args()
    total = min(int(args.rate * args.seconds), args.max_requests)
    rng = random.Random(args.seed)
    sends: list[tuple[int, float]] = []
    for _ in range(total):  # about half re-send an earlier episode, sometimes replica-shifted
        if sends and rng.random() < 0.5:
            sends.append((rng.choice(sends)[0], rng.choice((0.0, 0.0, 1.0))))
        else:
            sends.append((len({e for e, _ in sends}), 0.0))
    episodes = len({e for e, _ in sends})

    with tempfile.TemporaryDirectory(prefix="sre-load-") as tmp:
        token = Path(tmp) / "token"
        token.write_text("load-token\n")
        port = free_port()
        state = f"sqlite:///{tmp}/state.db"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        server = subprocess.Popen(
            [
                SRE,
                "serve",
                "--port",
                str(port),
                "--state",
                state,
                "--token-file",
                str(token),
                "--service",
                "scripts.bench_spec:SERVICE",
                "--log-level",
                args.log_level,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    conn.request("GET", "/readyz")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("sre serve did not start")
                    time.sleep(0.1)
            latencies: list[float] = []
            codes: dict[int, int] = {}
            lock = threading.Lock()
            interval = args.connections / args.rate
            started = time.perf_counter()

            def worker(index: int) -> None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.connect()
                assert conn.sock is not None  # like Alertmanager's Go client: no Nagle delay
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                headers = {"Content-Type": "application/json", "Authorization": "Bearer load-token"}
                for n, (episode, shift) in enumerate(sends[index :: args.connections]):
                    due = started + index * interval / args.connections + n * interval
                    time.sleep(max(0.0, due - time.perf_counter()))
                    t0 = time.perf_counter()
                    conn.request(
                        "POST", "/alertmanager", body=body(episode, shift), headers=headers
                    )
                    response = conn.getresponse()
                    response.read()
                    took = time.perf_counter() - t0
                    with lock:
                        latencies.append(took)
                        codes[response.status] = codes.get(response.status, 0) + 1

            threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.connections)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - started
            drain_deadline = time.monotonic() + 120
            runs: list[dict[str, object]] = []
            while time.monotonic() < drain_deadline:
                listed = subprocess.run(
                    [SRE, "runs", "list", "--json", "--limit", "100000", "--state", state],
                    capture_output=True,
                    text=True,
                    env=env,
                    check=True,
                )
                runs = json.loads(listed.stdout)
                if len(runs) >= episodes and all(r["state"] == "done" for r in runs):
                    time.sleep(1.0)
                    break
                time.sleep(0.5)
            listed = subprocess.run(
                [SRE, "runs", "list", "--json", "--limit", "100000", "--state", state],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            runs = json.loads(listed.stdout)
        finally:
            server.terminate()
            server.wait(timeout=30)

    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(
        f"requests: {len(ms)} in {elapsed:.1f} s = {len(ms) / elapsed:.0f} req/s over "
        f"{args.connections} connections (target {args.rate:g}/s); codes {codes}"
    )
    print(
        f"ack latency: p50 {statistics.median(ms):.1f} ms, p99 {p99:.1f} ms, "
        f"max {ms[-1]:.1f} ms (target p99 < 25 ms)"
    )
    print(
        f"distinct episodes sent: {episodes}; runs started: {len(runs)}; "
        f"duplicates absorbed: {len(ms) - episodes}"
    )
    print("runs == episodes: " + ("yes" if len(runs) == episodes else "NO"))


if __name__ == "__main__":
    main()
