"""Load benchmark of `sre serve`: realistic payloads, half of them duplicates, on loopback.

    python scripts/load_webhook.py --rate 200 --seconds 10

Starts `sre serve` (SQLite state in a temp folder) with a spec whose rerun `command` runs `true`,
posts `rate x seconds` Alertmanager v4 payloads at a steady rate from a few keep-alive
connections (about half re-send an episode already sent, some shifted like an HA replica),
then prints requests/s, ack latency p50/p99 and runs started against distinct episodes.
Bounded: at most --max-requests requests and --seconds of sending; loopback only.

    python scripts/load_webhook.py --find-max --seconds 5

finds the highest sustained rate with p99 < 25 ms: steps of --step req/s from --rate up to
--max-rate, each --seconds long against one server, until two steps in a row miss (p99 over
the target, fewer than 95 % of the requests sent on time, or an answer other than 202).
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
from collections.abc import Iterator
from contextlib import contextmanager
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


P99_TARGET_MS = 25.0


def plan(total: int, rng: random.Random, first: int = 0) -> list[tuple[int, float]]:
    """(episode, startsAt shift) per request: about half re-send an earlier episode, sometimes
    replica-shifted; new episodes are numbered from `first`."""
    sends: list[tuple[int, float]] = []
    fresh = first
    for _ in range(total):
        if sends and rng.random() < 0.5:
            sends.append((rng.choice(sends)[0], rng.choice((0.0, 0.0, 1.0))))
        else:
            sends.append((fresh, 0.0))
            fresh += 1
    return sends


@contextmanager
def serving(tmp: str, log_level: str) -> Iterator[tuple[int, str, dict[str, str]]]:
    """`sre serve` on a free loopback port; yields (port, state URL, env)."""
    token = Path(tmp) / "token"
    token.write_text("load-token\n")
    port = free_port()
    state = f"sqlite:///{tmp}/state.db"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    argv = [SRE, "serve", "--port", str(port), "--state", state, "--token-file", str(token),
            "--service", "scripts.bench_spec:SERVICE", "--log-level", log_level]  # fmt: skip
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield port, state, env
    finally:
        server.terminate()
        server.wait(timeout=30)


def load(
    port: int, sends: list[tuple[int, float]], rate: float, connections: int
) -> tuple[list[float], dict[int, int], float]:
    """Post `sends` at `rate` from `connections` keep-alive connections; returns (latencies in
    seconds, codes, elapsed seconds)."""
    latencies: list[float] = []
    codes: dict[int, int] = {}
    lock = threading.Lock()
    interval = connections / rate
    started = time.perf_counter()

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.connect()
        assert conn.sock is not None  # like Alertmanager's Go client: no Nagle delay
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer load-token"}
        for n, (episode, shift) in enumerate(sends[index::connections]):
            due = started + index * interval / connections + n * interval
            time.sleep(max(0.0, due - time.perf_counter()))
            t0 = time.perf_counter()
            conn.request("POST", "/alertmanager", body=body(episode, shift), headers=headers)
            response = conn.getresponse()
            response.read()
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took)
                codes[response.status] = codes.get(response.status, 0) + 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, codes, time.perf_counter() - started


def summary(latencies: list[float]) -> tuple[float, float, float]:
    """(p50, p99, max) in ms."""
    ms = sorted(x * 1000 for x in latencies)
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.99 * len(ms)))], ms[-1]


def runs_of(state: str, env: dict[str, str]) -> list[dict[str, object]]:
    listed = subprocess.run(
        [SRE, "runs", "list", "--json", "--limit", "100000", "--state", state],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    found: list[dict[str, object]] = json.loads(listed.stdout)
    return found


def find_max(args: argparse.Namespace) -> None:
    """Step the rate up until two steps in a row miss; print each step and the best."""
    rng = random.Random(args.seed)
    best: float | None = None
    misses, first, rate = 0, 0, args.rate
    with tempfile.TemporaryDirectory(prefix="sre-load-") as tmp, serving(tmp, args.log_level) as (
        port,
        _,
        _,
    ):
        print(f"{'target/s':>9} {'sent/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}  codes")
        while rate <= args.max_rate and misses < 2:
            sends = plan(min(int(rate * args.seconds), args.max_requests), rng, first)
            first += len(sends)
            latencies, codes, elapsed = load(port, sends, rate, args.connections)
            p50, p99, top = summary(latencies)
            sent = len(latencies) / elapsed
            ok = p99 < P99_TARGET_MS and sent >= 0.95 * rate and set(codes) == {202}
            print(f"{rate:>9g} {sent:>7.0f} {p50:>7.1f} {p99:>7.1f} {top:>7.1f}  {codes}"
                  + ("" if ok else "  miss"))  # fmt: skip
            if ok:
                best, misses = rate, 0
            else:
                misses += 1
            rate += args.step
            time.sleep(1.0)  # let the worker catch up between steps
    print(
        "highest sustained rate with p99 < 25 ms: "
        + (f"{best:g} req/s" if best is not None else f"none (below {args.rate:g} req/s)")
    )


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
    parser.add_argument("--find-max", action="store_true", help="step the rate up (see above)")
    parser.add_argument("--step", type=float, default=50, help="--find-max: req/s per step")
    parser.add_argument("--max-rate", type=float, default=1000, help="--find-max: stop here")
    args = parser.parse_args()
    if args.find_max:
        find_max(args)
        return
    sends = plan(min(int(args.rate * args.seconds), args.max_requests), random.Random(args.seed))
    episodes = len({e for e, _ in sends})
    with tempfile.TemporaryDirectory(prefix="sre-load-") as tmp, serving(tmp, args.log_level) as (
        port,
        state,
        env,
    ):
        latencies, codes, elapsed = load(port, sends, args.rate, args.connections)
        # Wait until the worker is done: every run finished and no new one for 3 s (the
        # global rate limit refuses most of a storm's distinct episodes, audited).
        drain_deadline, seen, still = time.monotonic() + 120, -1, 0
        runs = runs_of(state, env)
        while time.monotonic() < drain_deadline and still < 6:
            time.sleep(0.5)
            runs = runs_of(state, env)
            settled = len(runs) == seen and all(r["state"] == "done" for r in runs)
            still, seen = (still + 1 if settled else 0), len(runs)
    p50, p99, top = summary(latencies)
    print(
        f"requests: {len(latencies)} in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} req/s "
        f"over {args.connections} connections (target {args.rate:g}/s); codes {codes}"
    )
    print(
        f"ack latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {top:.1f} ms "
        f"(target p99 < {P99_TARGET_MS:g} ms)"
    )
    print(
        f"distinct episodes sent: {episodes}; runs started: {len(runs)}; "
        f"duplicates absorbed: {len(latencies) - episodes}"
    )
    print(
        "one run per episode at most: "
        + ("yes" if len({(r["fingerprint"], r["episode"]) for r in runs}) == len(runs) else "NO")
    )


if __name__ == "__main__":
    main()
