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
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sre.generate.alertmanager import ALERTMANAGER_FILE
from sre.stack import config, processes
from sre.stack.errors import StackError
from sre.stack.packages import ensure_binaries

__all__ = ["Running", "StackSpec", "down", "running", "status", "up"]

RECORD = "stack.json"
READY_TIMEOUT = 60.0
ORDER = ("pushgateway", "alertmanager", "remediator", "prometheus")


@dataclass(frozen=True, slots=True)
class StackSpec:
    """What to start. `artefacts` is the output folder of `sre generate --env ENV --out DIR`;
    `lake`, `quarantine` and `backup` (paths or s3:// URLs) enable the data actions."""

    folder: Path
    artefacts: Path
    service: str = ""  # empty: the project's (see sre.spec.project)
    env: str = "demo"
    lake: str | None = None
    quarantine: str | None = None
    backup: str | None = None
    interval: str = "1s"
    install: bool = True


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
    env: Mapping[str, str] = field(default_factory=dict)  # what the pipeline needs to report here

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


def _local(location: str | None) -> str | None:
    if location is None or "://" in location:
        return location
    return str(Path(location).resolve())


def _prepare(spec: StackSpec, ports: Mapping[str, int]) -> tuple[Path, Path]:
    """Write the token and both configs; return (prometheus.yml, alertmanager.yml)."""
    folder = spec.folder
    for sub in ("logs", "prometheus-data", "alertmanager-data"):
        shutil.rmtree(folder / sub, ignore_errors=True)
        (folder / sub).mkdir(parents=True)
    (folder / "state.db").unlink(missing_ok=True)
    token = folder / "webhook-token"
    token.write_text(secrets.token_urlsafe(24) + "\n")
    token.chmod(0o600)
    rules = sorted((spec.artefacts / "alerts").glob("*.rules.yml"))
    generated = spec.artefacts / ALERTMANAGER_FILE
    if not rules or not generated.is_file():
        raise StackError(
            f"no generated rules or {ALERTMANAGER_FILE} under {spec.artefacts}: run "
            f"`sre generate --env {spec.env} --out {spec.artefacts}` first"
        )
    addr = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    prom = folder / "prometheus.yml"
    prom.write_text(
        yaml.safe_dump(
            config.prometheus_config(
                pushgateway=addr["pushgateway"],
                remediator=addr["remediator"],
                alertmanager=addr["alertmanager"],
                rule_files=[str(r.resolve()) for r in rules],
                interval=spec.interval,
            ),
            sort_keys=False,
        )
    )
    am = folder / "alertmanager.yml"
    am.write_text(
        yaml.safe_dump(
            config.alertmanager_config(
                yaml.safe_load(generated.read_text()),
                webhook_url=f"http://{addr['remediator']}/alertmanager",
                token_file=str(token.resolve()),
            ),
            sort_keys=False,
        )
    )
    return prom, am


def _argv(spec: StackSpec, bins: Mapping[str, str], ports: Mapping[str, int]) -> dict[str, Any]:
    folder = spec.folder.resolve()
    url = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    serve = [str(Path(sys.executable).parent / "sre"), "serve", "--host", "127.0.0.1"]
    serve += ["--port", str(ports["remediator"]), "--state", f"sqlite:///{folder / 'state.db'}"]
    serve += ["--token-file", str(folder / "webhook-token")]
    if spec.service:
        serve += ["--service", spec.service]
    serve += ["--env", spec.env, "--alertmanager", url["alertmanager"]]
    serve += ["--prometheus", url["prometheus"]]
    for flag, value in (("--lake", spec.lake), ("--quarantine", spec.quarantine)):
        if value:
            serve += [flag, str(_local(value))]
    if spec.backup:
        serve += ["--backup", str(_local(spec.backup))]
    return {
        "pushgateway": [
            bins["prometheus-pushgateway"],
            f"--web.listen-address=127.0.0.1:{ports['pushgateway']}",
            # Debian's build persists to /var/lib/prometheus/pushgateway.data by default, which
            # every Pushgateway on the machine shares: metrics of other runs would come back.
            "--persistence.file=",
        ],
        "alertmanager": [
            bins["prometheus-alertmanager"],
            f"--config.file={folder / 'alertmanager.yml'}",
            f"--storage.path={folder / 'alertmanager-data'}",
            f"--web.listen-address=127.0.0.1:{ports['alertmanager']}",
            "--cluster.listen-address=",
            f"--web.external-url={url['alertmanager']}",
        ],
        "remediator": serve,
        "prometheus": [
            bins["prometheus"],
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'prometheus-data'}",
            f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
            "--web.enable-lifecycle",
            f"--web.external-url={url['prometheus']}",
            # Re-send alerts every interval, not every minute: when an alert clears while the
            # engine's silence is still on, Alertmanager drops the muted resolved notice, and
            # only a re-send brings it (the notice closes the episode).
            f"--rules.alert.resend-delay={spec.interval}",
        ],
    }


def _answers(url: str) -> Callable[[], bool]:
    return lambda: processes.get(url) is not None


def _scraped(prometheus: str) -> bool:
    query = urllib.parse.urlencode({"query": "up == 1"})
    found = json.loads(processes.get(f"{prometheus}/api/v1/query?{query}"))["data"]["result"]
    return {s["metric"].get("job") for s in found} >= {
        config.PUSHGATEWAY_JOB,
        config.REMEDIATOR_JOB,
    }


def up(spec: StackSpec) -> Running:
    """Start the stack and wait until it is ready; on any failure stop what was started."""
    spec.folder.mkdir(parents=True, exist_ok=True)
    if any(status(spec.folder).get("alive", {}).values()):
        raise StackError(f"a stack is already running from {spec.folder}: sre stack down first")
    bins = ensure_binaries(install=spec.install)
    ports = {name: processes.free_port() for name in ORDER}
    _prepare(spec, ports)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env_for_pipeline = {"PUSHGATEWAY_URL": urls["pushgateway"]}
    lake = _local(spec.lake)
    if lake:
        env_for_pipeline["POTATO_LAKE"] = lake
    record = Running(
        folder=str(spec.folder.resolve()),
        urls=urls,
        pids={},
        programs={},
        token_file=str((spec.folder / "webhook-token").resolve()),
        state_url=f"sqlite:///{(spec.folder / 'state.db').resolve()}",
        started_at=time.time(),
        lake=lake,
        env=env_for_pipeline,
    )
    bindir = str(Path(sys.executable).parent)
    serve_env = {**os.environ, **env_for_pipeline}
    serve_env["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
    started: dict[str, subprocess.Popen[bytes]] = {}
    argvs = _argv(spec, bins, ports)
    try:
        for name in ORDER:
            log = spec.folder / "logs" / f"{name}.log"
            env = serve_env if name == "remediator" else None
            started[name] = processes.start(argvs[name], log, env=env, cwd=spec.folder)
            record = _with(record, name, started[name].pid, argvs[name][0])
            _save(spec.folder, record)
        ready = {
            "pushgateway": f"{urls['pushgateway']}/-/ready",
            "alertmanager": f"{urls['alertmanager']}/-/ready",
            "remediator": f"{urls['remediator']}/readyz",
            "prometheus": f"{urls['prometheus']}/-/ready",
        }
        for name in ORDER:
            processes.wait_until(
                _answers(ready[name]),
                timeout=READY_TIMEOUT,
                what=name,
                process=started[name],
                log=spec.folder / "logs" / f"{name}.log",
            )
        # /-/ready comes about 5 s before the first scrape: wait for both targets to be up.
        processes.wait_until(
            lambda: _scraped(urls["prometheus"]),
            timeout=READY_TIMEOUT,
            what="prometheus",
            process=started["prometheus"],
            log=spec.folder / "logs" / "prometheus.log",
        )
    except BaseException:
        down(spec.folder)
        raise
    return record


def _with(record: Running, name: str, pid: int, program: str) -> Running:
    return Running(
        **{
            **asdict(record),
            "pids": {**record.pids, name: pid},
            "programs": {**record.programs, name: program},
        }
    )


def _save(folder: Path, record: Running) -> None:
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
    for name in reversed(ORDER):
        if name in record.pids:
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
