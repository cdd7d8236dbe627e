"""The local stack: Pushgateway, Prometheus, Alertmanager and `sre serve` on loopback.

`up` writes everything under one folder (configs, data, `logs/`, the webhook token, the
remediation state and `stack.json`, which records each PID as soon as it is started), waits
until each component is really ready (Prometheus: its first scrape of both targets, not just
`/-/ready`) and stops whatever it started if any of that fails. `down` stops the recorded PIDs,
each only if it is still the program the stack started.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sre.stack import config, processes, topology
from sre.stack.errors import StackError
from sre.stack.packages import ensure_binaries
from sre.stack.topology import Shape

__all__ = ["Running", "Shape", "StackSpec", "down", "recorded", "running", "save", "status", "up"]

RECORD = "stack.json"
READY_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class StackSpec:
    """What to start. `artefacts` is the output folder of `sre generate --env ENV --out DIR`;
    `lake`, `quarantine` and `backup` (paths or s3:// URLs) enable the data actions; `environ`
    is given to `sre serve`, so to the commands its actions run (the service's own settings,
    such as where its job finds its data), and recorded in `stack.json` for whoever runs the
    service's jobs against the stack: secrets belong in the environment `sre stack up` runs in,
    which `sre serve` inherits, not here."""

    folder: Path
    artefacts: Path
    service: str = ""  # empty: the project's (see sre.spec.project)
    env: str = "demo"
    lake: str | None = None
    quarantine: str | None = None
    backup: str | None = None
    interval: str = "1s"
    install: bool = True
    shape: Shape = field(default_factory=Shape)  # Shape.ha(): 3 Alertmanagers, 2 + 2 replicas
    state_url: str | None = None  # default: a SQLite file in the folder (one replica only)
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Running:
    """A started stack as recorded in `<folder>/stack.json`."""

    folder: str
    urls: Mapping[str, str]
    pids: Mapping[str, int]
    programs: Mapping[str, str]
    token_file: str
    state_url: str
    started_at: float
    lake: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # what a job needs to report here

    @property
    def webhook(self) -> str:
        return f"{self.urls['remediator']}/alertmanager"

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, folder: Path) -> Running | None:
        try:
            doc: dict[str, Any] = json.loads((folder / RECORD).read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StackError(f"{folder / RECORD}: {exc}") from exc
        return cls(**doc)


def _answers(url: str) -> Callable[[], bool]:
    return lambda: processes.get(url) is not None


def _scraped(prometheus: str) -> bool:
    query = urllib.parse.urlencode({"query": "up == 1"})
    found = json.loads(processes.get(f"{prometheus}/api/v1/query?{query}"))["data"]["result"]
    return {s["metric"].get("job") for s in found} >= {
        config.PUSHGATEWAY_JOB,
        config.REMEDIATOR_JOB,
    }


def _peers_joined(alertmanager: str, peers: int) -> bool:
    status = json.loads(processes.get(f"{alertmanager}/api/v2/status"))
    return len(status.get("cluster", {}).get("peers") or []) >= peers


def up(spec: StackSpec) -> Running:
    """Start the stack and wait until it is ready; on any failure stop what was started."""
    spec.folder.mkdir(parents=True, exist_ok=True)
    if any(status(spec.folder).get("alive", {}).values()):
        raise StackError(f"a stack is already running from {spec.folder}: sre stack down first")
    if spec.shape.remediators > 1 and not spec.state_url:
        raise StackError("several sre serve replicas share one database: give --state URL")
    bins = ensure_binaries(install=spec.install)
    ports = {name: processes.free_port() for name in topology.port_names(spec.shape)}
    if not spec.state_url:
        (spec.folder / "state.db").unlink(missing_ok=True)
    state_url = spec.state_url or f"sqlite:///{(spec.folder / 'state.db').resolve()}"
    parts = topology.components(spec, bins, spec.shape, ports, state_url)
    urls = {c.name: c.url for c in parts}
    env_for_pipeline = {**spec.environ, "PUSHGATEWAY_URL": urls["pushgateway"]}
    lake = topology.local(spec.lake)
    record = Running(
        folder=str(spec.folder.resolve()),
        urls=urls,
        pids={},
        programs={},
        token_file=str((spec.folder / "webhook-token").resolve()),
        state_url=state_url,
        started_at=time.time(),
        lake=lake,
        env=env_for_pipeline,
    )
    bindir = str(Path(sys.executable).parent)
    serve_env = {**os.environ, **env_for_pipeline}
    serve_env["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
    started: dict[str, subprocess.Popen[bytes]] = {}
    logs = spec.folder / "logs"
    try:
        for part in parts:
            env = serve_env if part.kind == "remediator" else None
            log = logs / f"{part.name}.log"
            started[part.name] = processes.start(part.argv, log, env=env, cwd=spec.folder)
            record = recorded(record, part.name, started[part.name].pid, part.argv[0])
            save(spec.folder, record)
        for part in parts:
            processes.wait_until(
                _answers(part.ready),
                timeout=READY_TIMEOUT,
                what=part.name,
                process=started[part.name],
                log=logs / f"{part.name}.log",
            )
        # /-/ready comes about 5 s before the first scrape: wait for both targets to be up.
        for part in parts:
            if part.kind == "prometheus":
                processes.wait_until(
                    lambda url=part.url: _scraped(url),  # type: ignore[misc]
                    timeout=READY_TIMEOUT,
                    what=part.name,
                    process=started[part.name],
                    log=logs / f"{part.name}.log",
                )
            if part.kind == "alertmanager" and spec.shape.clustered:
                processes.wait_until(
                    lambda url=part.url: _peers_joined(url, spec.shape.alertmanagers),  # type: ignore[misc]
                    timeout=READY_TIMEOUT,
                    what=f"{part.name} (cluster)",
                    process=started[part.name],
                    log=logs / f"{part.name}.log",
                )
    except BaseException:
        down(spec.folder)
        raise
    return record


def recorded(record: Running, name: str, pid: int, program: str) -> Running:
    return Running(
        **{
            **asdict(record),
            "pids": {**record.pids, name: pid},
            "programs": {**record.programs, name: program},
        }
    )


def save(folder: Path, record: Running) -> None:
    tmp = folder / f".{RECORD}.tmp"
    tmp.write_text(record.to_json())
    tmp.replace(folder / RECORD)


def down(folder: Path) -> dict[str, bool]:
    """Stop every recorded component (Prometheus first, so it sends nothing more); name ->
    whether it was running. The logs stay; the record goes."""
    record = Running.load(folder)
    if record is None:
        return {}
    stopped = {}
    last_first = sorted(record.pids, key=lambda n: -topology.KINDS.index(topology.kind_of(n)))
    for name in last_first:
        stopped[name] = processes.stop(record.pids[name], record.programs[name])
    (folder / RECORD).unlink(missing_ok=True)
    return stopped


def status(folder: Path) -> dict[str, Any]:
    """The recorded stack: URLs, PIDs and which components still run."""
    record = Running.load(folder)
    if record is None:
        return {}
    alive = {name: processes.alive(pid, record.programs[name]) for name, pid in record.pids.items()}
    return {**asdict(record), "alive": alive}


@contextmanager
def running(spec: StackSpec) -> Iterator[Running]:
    """`up`, then `down` whatever happens."""
    record = up(spec)
    try:
        yield record
    finally:
        down(spec.folder)
