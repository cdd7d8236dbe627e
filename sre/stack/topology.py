"""What the stack starts: one of each component, or the highly available topology (`--ha`).

HA on loopback, as it runs in production: three Alertmanager peers gossiping over
`--cluster.listen-address`/`--cluster.peer` (free ports), two Prometheus replicas that evaluate
the same rules and carry a `replica` external label which `alert_relabel_configs` drops (so
both replicas' copies of an alert have one fingerprint and Alertmanager deduplicates them),
every Prometheus sending to every peer, each peer delivering to one of two `sre serve` replicas
(different `--replica-id`) that share one state database. The first instance of each component
keeps the plain name (`alertmanager`, `prometheus`, `remediator`), the others get `-2`, `-3`.

`components` writes the configuration files and returns the argv of each, in start order.
Pure apart from the files it writes under the stack's folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sre.generate.alertmanager_merge import MergeError, merge, minimal_base
from sre.spec.project import find_project
from sre.stack import config
from sre.stack.errors import StackError

__all__ = ["KINDS", "Component", "Shape", "components", "kind_of", "local"]

PEER_TIMEOUT = "1s"
KINDS = ("pushgateway", "alertmanager", "remediator", "prometheus")  # start order


@dataclass(frozen=True, slots=True)
class Shape:
    """How many of each: (1, 1, 1) is the plain stack, `Shape.ha()` the HA one."""

    alertmanagers: int = 1
    prometheus: int = 1
    remediators: int = 1

    @classmethod
    def ha(cls) -> Shape:
        return cls(3, 2, 2)

    @property
    def clustered(self) -> bool:
        return self.alertmanagers > 1


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    kind: str
    port: int
    argv: list[str]
    ready: str  # the URL that answers 200 when it is ready

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def kind_of(name: str) -> str:
    return name.rsplit("-", 1)[0] if name[-1].isdigit() and "-" in name else name


def names(kind: str, count: int) -> list[str]:
    return [kind if i == 0 else f"{kind}-{i + 1}" for i in range(count)]


def local(location: str | None) -> str | None:
    if location is None or "://" in location:
        return location
    return str(Path(location).resolve())


def components(
    spec: Any, bins: Mapping[str, str], shape: Shape, ports: Mapping[str, int], state_url: str
) -> list[Component]:
    """Write configs under `spec.folder` and return every component in start order.

    `ports` has one port per component name and, for a cluster, `cluster:<name>` ones."""
    folder = spec.folder.resolve()
    rules = sorted((spec.artefacts / "alerts").glob("*.rules.yml"))
    fragments = sorted((spec.artefacts / "alerts").glob("*.alertmanager.yml"))
    if not rules or not fragments:
        raise StackError(
            f"no generated rules or alerts/*.alertmanager.yml under {spec.artefacts}: run "
            f"`sre generate --env {spec.env} --out {spec.artefacts}` first"
        )
    try:  # every service's fragment, merged as a team would into its own config
        generated_am = merge(
            minimal_base(), [(f.name, yaml.safe_load(f.read_text())) for f in fragments]
        )
    except MergeError as exc:
        raise StackError(str(exc), component="alertmanager") from exc
    for sub in ("logs", *(f"{n}-data" for n in _all(shape) if kind_of(n) != "remediator")):
        shutil.rmtree(folder / sub, ignore_errors=True)
        (folder / sub).mkdir(parents=True)
    token = folder / "webhook-token"
    token.write_text(secrets.token_urlsafe(24) + "\n")
    token.chmod(0o600)
    addr = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    ams, proms = names("alertmanager", shape.alertmanagers), names("prometheus", shape.prometheus)
    serves = names("remediator", shape.remediators)
    found = [
        Component(
            "pushgateway",
            "pushgateway",
            ports["pushgateway"],
            [
                bins["prometheus-pushgateway"],
                f"--web.listen-address={addr['pushgateway']}",
                # Debian's build persists to /var/lib/prometheus/pushgateway.data by default,
                # which every Pushgateway on the machine shares: other runs' metrics come back.
                "--persistence.file=",
            ],
            f"http://{addr['pushgateway']}/-/ready",
        )
    ]
    for i, name in enumerate(ams):
        remediator = serves[i % len(serves)]  # each peer delivers to one replica
        (folder / f"{name}.yml").write_text(
            yaml.safe_dump(
                config.alertmanager_config(
                    generated_am,
                    webhook_url=f"http://{addr[remediator]}/alertmanager",
                    token_file=str(token),
                ),
                sort_keys=False,
            )
        )
        cluster = [f"--cluster.listen-address={addr[f'cluster:{name}']}"] if shape.clustered else []
        cluster += [f"--cluster.peer={addr[f'cluster:{p}']}" for p in ams if p != name]
        if shape.clustered:
            # Peer n waits n x peer-timeout before it notifies, in case peer 0 failed. The
            # default 15 s is longer than a whole demo incident (hours are seconds here): the
            # late copies would land after the resolve and overwrite the notification log.
            cluster.append(f"--cluster.peer-timeout={PEER_TIMEOUT}")
        found.append(
            Component(
                name,
                "alertmanager",
                ports[name],
                [
                    bins["prometheus-alertmanager"],
                    f"--config.file={folder / f'{name}.yml'}",
                    f"--storage.path={folder / f'{name}-data'}",
                    f"--web.listen-address={addr[name]}",
                    *(cluster or ["--cluster.listen-address="]),
                    f"--web.external-url=http://{addr[name]}",
                ],
                f"http://{addr[name]}/-/ready",
            )
        )
    for name in serves:
        found.append(
            Component(
                name,
                "remediator",
                ports[name],
                _serve(
                    spec,
                    folder,
                    ports[name],
                    state_url,
                    name,
                    f"http://{addr[ams[0]]}",
                    f"http://{addr[proms[0]]}",
                ),
                f"http://{addr[name]}/readyz",
            )
        )
    for i, name in enumerate(proms):
        (folder / f"{name}.yml").write_text(
            yaml.safe_dump(
                config.prometheus_config(
                    pushgateway=addr["pushgateway"],
                    remediators=[addr[s] for s in serves],
                    alertmanagers=[addr[a] for a in ams],
                    rule_files=[str(r.resolve()) for r in rules],
                    interval=spec.interval,
                    replica=str(i + 1) if shape.prometheus > 1 else None,
                ),
                sort_keys=False,
            )
        )
        found.append(
            Component(
                name,
                "prometheus",
                ports[name],
                [
                    bins["prometheus"],
                    f"--config.file={folder / f'{name}.yml'}",
                    f"--storage.tsdb.path={folder / f'{name}-data'}",
                    f"--web.listen-address={addr[name]}",
                    "--web.enable-lifecycle",
                    f"--web.external-url=http://{addr[name]}",
                    # Re-send alerts every interval, not every minute: when an alert clears
                    # while the engine's silence is still on, Alertmanager drops the muted
                    # resolved notice, and only a re-send brings it (it closes the episode).
                    f"--rules.alert.resend-delay={spec.interval}",
                ],
                f"http://{addr[name]}/-/ready",
            )
        )
    return found


def port_names(shape: Shape) -> list[str]:
    """Every name `components` needs a port for."""
    found = _all(shape)
    if shape.clustered:
        found += [f"cluster:{n}" for n in names("alertmanager", shape.alertmanagers)]
    return found


def _all(shape: Shape) -> list[str]:
    return [
        "pushgateway",
        *names("alertmanager", shape.alertmanagers),
        *names("remediator", shape.remediators),
        *names("prometheus", shape.prometheus),
    ]


def _service(ref: str) -> str:
    """The spec `sre serve` loads, whatever folder it runs in: the project's when none is
    named, file paths made absolute."""
    ref = ref or find_project(None, dict(os.environ)).service
    path, sep, attr = ref.partition(":")
    if path.endswith((".py", ".yaml", ".yml")):
        return str(Path(path).resolve()) + sep + attr
    return ref


def _serve(
    spec: Any, folder: Path, port: int, state_url: str, name: str, am: str, prom: str
) -> list[str]:
    serve = [str(Path(sys.executable).parent / "sre"), "serve", "--host", "127.0.0.1"]
    serve += ["--port", str(port), "--state", state_url, "--replica-id", name]
    serve += ["--token-file", str(folder / "webhook-token"), "--service", _service(spec.service)]
    serve += ["--env", spec.env, "--alertmanager", am, "--prometheus", prom]
    for flag, value in (
        ("--lake", spec.lake),
        ("--quarantine", spec.quarantine),
        ("--backup", spec.backup),
    ):
        if value:
            serve += [flag, str(local(value))]
    return serve
