"""`sre serve` (the webhook) and `sre simulate` (what it would do, touching nothing)."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import click
from prometheus_client import CollectorRegistry

from sre.cli.common import F, env, fail, load, open_state, service_options, state_option
from sre.errors import PayloadError, SreError, UnsafeTarget
from sre.remediation import decide, payload, records
from sre.remediation.actions.base import Stores
from sre.remediation.clients import AlertmanagerGuard, PrometheusCheck
from sre.remediation.engine import RemediationEngine
from sre.remediation.executor import ActionExecutor
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.server import Credentials
from sre.remediation.server import serve as start_server
from sre.storage import open_store


def _secrets(paths: tuple[Path, ...]) -> tuple[bytes, ...]:
    found: list[bytes] = []
    for path in paths:
        try:
            lines = path.read_bytes().splitlines()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}", 2)
        found.extend(line.strip() for line in lines if line.strip())
    return tuple(found)


def stores_from(lake: str | None, quarantine: str | None, backup: str | None) -> Stores | None:
    if not (lake and quarantine and backup):
        return None
    settings = env()
    try:
        return Stores(
            lake=open_store(lake, env=settings),
            quarantine=open_store(
                quarantine, env=settings, create=not quarantine.startswith("s3://")
            ),
            backup=open_store(backup, env=settings, create=not backup.startswith("s3://")),
        )
    except SreError as exc:
        fail(str(exc), 3)


def location_options(func: F) -> F:
    func = click.option(
        "--lake", metavar="URL", envvar="POTATO_LAKE", help="The lake ($POTATO_LAKE)."
    )(func)
    func = click.option(
        "--quarantine",
        metavar="URL",
        envvar="SRE_QUARANTINE",
        help="Where quarantined objects go ($SRE_QUARANTINE).",
    )(func)
    return click.option(
        "--backup", metavar="URL", envvar="SRE_BACKUP", help="Backups ($SRE_BACKUP)."
    )(func)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=9095, show_default=True, type=int)
@state_option
@click.option(
    "--token-file",
    "token_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A file holding a bearer token; give it twice (or two lines) during a rotation.",
)
@click.option(
    "--basic-auth-file",
    "basic_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A file of user:password lines for basic auth.",
)
@service_options
@location_options
@click.option(
    "--alertmanager",
    metavar="URL",
    envvar="ALERTMANAGER_URL",
    help="Pre-check and silence through this Alertmanager.",
)
@click.option(
    "--prometheus",
    metavar="URL",
    envvar="PROMETHEUS_URL",
    help="Verify that conditions cleared through this Prometheus.",
)
def serve(
    host: str,
    port: int,
    state_url: str,
    token_files: tuple[Path, ...],
    basic_files: tuple[Path, ...],
    service_path: str,
    env_name: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    alertmanager: str | None,
    prometheus: str | None,
) -> None:
    """Receive Alertmanager webhooks at POST /alertmanager and remediate, once per episode.

    Answers as soon as the delivery is stored; actions run afterwards. Also serves /metrics,
    /healthz and /readyz.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    credentials = Credentials(tokens=_secrets(token_files), basic=_secrets(basic_files))
    if not credentials.tokens and not credentials.basic:
        fail("give --token-file or --basic-auth-file: the webhook never runs unauthenticated", 2)
    service = load(service_path, env_name)
    engine = RemediationEngine(
        db=open_state(state_url),
        policies=service.remediation,
        executor=ActionExecutor(
            stores=stores_from(lake, quarantine, backup),
            env=env(),
            prometheus=PrometheusCheck(prometheus) if prometheus else None,
        ),
        metrics=RemediationMetrics(CollectorRegistry()),
        guard=AlertmanagerGuard(alertmanager) if alertmanager else None,
    )
    try:
        server, worker = start_server(engine, credentials, host, port)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror}", 3)
    # shutdown() waits for serve_forever() to return, so it must run off the main thread.
    signal.signal(
        signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()
    )
    logging.getLogger("sre.serve").info(
        "listening on http://%s:%d (state %s)", host, server.server_port, state_url.split("@")[-1]
    )
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        worker.join(timeout=30)
        server.server_close()


@click.command()
@click.argument(
    "payload_file",
    metavar="PAYLOAD.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@state_option
@service_options
@location_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def simulate(
    payload_file: Path,
    state_url: str,
    service_path: str,
    env_name: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    as_json: bool,
) -> None:
    """What the webhook would do with PAYLOAD.json now, without doing any of it."""
    service = load(service_path, env_name)
    try:
        note = payload.parse(payload_file.read_bytes())
    except PayloadError as exc:
        fail(f"{payload_file}: {exc}", 2)
    db = open_state(state_url)
    executor = ActionExecutor(stores=stores_from(lake, quarantine, backup))
    import time

    found: list[dict[str, object]] = []
    for alert in note.alerts:
        policies = decide.select(service.remediation, alert)
        if alert.status == "resolved" or not policies:
            found.append(
                {
                    "alert": alert.name,
                    "fingerprint": alert.fingerprint,
                    "outcome": "resolved" if alert.status == "resolved" else "no_policy",
                }
            )
            continue
        for policy in policies:
            entry: dict[str, object] = {
                "alert": alert.name,
                "fingerprint": alert.fingerprint,
                "action": policy.action,
                "mode": policy.mode,
            }
            try:
                target = decide.target(policy, alert.labels)
            except UnsafeTarget as exc:
                found.append({**entry, "outcome": "refused_target", "reason": str(exc)})
                continue
            decision = decide.decide(policy, records.facts(db, policy.action, target, time.time()))
            entry.update(target=target, outcome=decision.outcome, reason=decision.reason)
            if decision.runs:
                try:
                    plan = executor.plan(policy, target, alert, "simulation")
                    entry["plan"] = plan.describe()
                    too_big = decide.within_blast_radius(policy, plan.objects, plan.bytes)
                    if too_big:
                        entry.update(outcome="blocked_blast_radius", reason=too_big)
                except SreError as exc:
                    entry["plan"] = [f"cannot plan: {exc}"]
            found.append(entry)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for entry in found:
        line = f"{entry['alert']} ({entry['fingerprint']}): {entry['outcome']}"
        if "action" in entry:
            target = str(entry.get("target", ""))
            line += f" -> {entry['action']} {target} [{entry['mode']}]: {entry.get('reason', '')}"
        click.echo(line)
        for step in entry.get("plan", []):  # type: ignore[attr-defined]
            click.echo(f"    {step}")
    sys.exit(0)
