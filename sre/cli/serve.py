"""`sre serve` (the webhook) and `sre simulate` (what it would do now, touching nothing)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import click
from prometheus_client import CollectorRegistry

from sre.cli.common import fail, service_options, state_option
from sre.cli.serve_people import approvers_from, notifier_for
from sre.cli.wiring import (
    actions,
    deps_from,
    location_options,
    open_state_store,
    runner_for,
    service_name_option,
    spec,
)
from sre.errors import PayloadError, SreError
from sre.exitcodes import ExitCode
from sre.remediation import payload
from sre.remediation.auth import Credentials
from sre.remediation.clients import AlertmanagerGuard
from sre.remediation.engine import RemediationEngine
from sre.remediation.evaluate import evaluate, over_blast_radius, targets_of
from sre.remediation.logs import configure
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.run import make_plan
from sre.remediation.server import Limits, ServerSettings, WebhookServer
from sre.remediation.state.liveness import default_owner
from sre.remediation.worker import ActionPool

_LIMITS, _SETTINGS = Limits(), ServerSettings()  # the defaults, for --help


def _secrets(paths: tuple[Path, ...]) -> tuple[bytes, ...]:
    found: list[bytes] = []
    for path in paths:
        try:
            lines = path.read_bytes().splitlines()
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}", ExitCode.USAGE)
        found.extend(line.strip() for line in lines if line.strip())
    return tuple(found)


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
    help="Pre-check, silence, and post the remediator's notices (awaiting approval, failed, "
    "expired, circuit open) through this Alertmanager.",
)
@click.option(
    "--notify",
    "notify",
    multiple=True,
    metavar="URL",
    help="Post notices to this Alertmanager too (each HA peer; default: --alertmanager).",
)
@click.option(
    "--notice-interval",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.2),
    help="Seconds between re-posts of the active notices (they end 4 intervals after the "
    "last post, so a stopped remediator's notices resolve by themselves).",
)
@click.option(
    "--approvers-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="One file per approver, named after them, holding their bearer token: they may "
    "approve and reject runs through POST /api/v1/runs/ID/approve|reject.",
)
@click.option(
    "--public-url",
    metavar="URL",
    envvar="SRE_PUBLIC_URL",
    help="The URL approvers reach this server at (in the approve command of a notice). "
    "Default: http(s)://HOST:PORT.",
)
@click.option(
    "--actions",
    "parallel",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Runs carried out at once (each on its own thread; the worker keeps draining).",
)
@click.option(
    "--replica-id",
    envvar="SRE_REPLICA_ID",
    metavar="NAME",
    help="This replica's name in the runs it owns; keep it stable across restarts (a pod or "
    "compose service name). Default: HOST:PORT.",
)
@click.option(
    "--max-body",
    default=_LIMITS.max_body,
    show_default=True,
    type=click.IntRange(1024),
    help="Largest delivery body in bytes (the only size limit; larger gets 413).",
)
@click.option(
    "--max-inflight",
    default=_LIMITS.max_inflight,
    show_default=True,
    type=click.IntRange(1),
    help="Webhook requests in progress at once; more get 503 + Retry-After.",
)
@click.option(
    "--max-connections",
    default=_SETTINGS.max_connections,
    show_default=True,
    type=click.IntRange(1),
    help="Open connections; a new one past this is closed at once.",
)
@click.option(
    "--header-timeout",
    default=_SETTINGS.header_timeout,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a connection has to send a whole request head (idle and slow clients).",
)
@click.option(
    "--keep-alive-timeout",
    default=_SETTINGS.keep_alive_timeout,
    show_default=True,
    type=click.FloatRange(1),
    help="Seconds an idle keep-alive connection stays open.",
)
@click.option(
    "--body-timeout",
    default=_LIMITS.body_timeout,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds to receive a whole body once the head is in (else 408).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["debug", "info", "warning", "error"]),
    help="info logs every request and every decision (JSON lines on stderr).",
)
@click.option(
    "--state-wait",
    default=300.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds to wait at start for an unreachable state store before giving up.",
)
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="Serve HTTPS.")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="Its key.")
@click.option(
    "--tls-client-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="mTLS: require client certificates signed by this CA (with --tls-cert).",
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
    prometheus: str | None,
    alertmanager: str | None,
    notify: tuple[str, ...],
    notice_interval: float,
    approvers_dir: Path | None,
    public_url: str | None,
    parallel: int,
    replica_id: str | None,
    max_body: int,
    max_inflight: int,
    max_connections: int,
    header_timeout: float,
    keep_alive_timeout: float,
    body_timeout: float,
    tls_cert: str | None,
    tls_key: str | None,
    tls_client_ca: str | None,
    log_level: str,
    state_wait: float,
) -> None:
    """Receive Alertmanager webhooks at POST /alertmanager and remediate, once per episode.

    Answers as soon as the delivery is stored; actions run afterwards. Also serves the
    approvals API (/api/v1/runs/ID[/approve|/reject], for --approvers-dir), /metrics,
    /healthz, /readyz and /openapi.json. Logs are JSON lines, each with its request id; every
    decision is one line. SIGTERM stops accepting, finishes requests in flight and gives back
    the deliveries the worker had claimed.
    """
    configure(getattr(logging, log_level.upper()))
    credentials = Credentials(tokens=_secrets(token_files), basic=_secrets(basic_files))
    if not credentials.tokens and not credentials.basic:
        fail(
            "give --token-file or --basic-auth-file: the webhook never runs unauthenticated",
            ExitCode.USAGE,
        )
    if bool(tls_cert) != bool(tls_key) or (tls_client_ca and not tls_cert):
        fail("give --tls-cert and --tls-key together (and --tls-client-ca only with them)")
    approvers = approvers_from(approvers_dir, credentials.tokens)
    service = spec(service_path, env_name)
    owner = replica_id or default_owner(port)
    store = open_state_store(state_url, service.name, owner, wait=state_wait)
    metrics = RemediationMetrics(CollectorRegistry(), (p.action for p in service.remediation))
    deps = deps_from(lake, quarantine, backup, prometheus, service)
    guard = AlertmanagerGuard(alertmanager) if alertmanager else None
    pool = ActionPool(parallel)
    engine = RemediationEngine(
        store=store,
        policies=service.remediation,
        registry=actions(),
        runner=runner_for(store, deps, "sre serve", guard, metrics),
        metrics=metrics,
        dispatch=pool.submit,
    )
    engine.runner.max_concurrent = parallel
    settings = ServerSettings(
        host=host,
        port=port,
        header_timeout=header_timeout,
        keep_alive_timeout=keep_alive_timeout,
        max_connections=max_connections,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_client_ca=tls_client_ca,
    )
    limits = Limits(max_body=max_body, body_timeout=body_timeout, max_inflight=max_inflight)
    server_url = public_url or f"{'https' if tls_cert else 'http'}://{host}:{port}"
    notifier = notifier_for(
        service,
        env_name,
        store,
        notify or ((alertmanager,) if alertmanager else ()),
        server_url,
        notice_interval,
    )
    server = WebhookServer(engine, credentials, settings, limits, approvers, notifier)
    if any(p.mode == "approve" for p in service.remediation):
        if not approvers.tokens:
            logging.getLogger("sre.serve").warning(
                "policies wait for approval but no --approvers-dir: their runs can only expire"
            )
        if notifier is None:
            logging.getLogger("sre.serve").warning(
                "policies wait for approval but no --alertmanager: nobody is told a run waits"
            )
    logging.getLogger("sre.serve").info(
        "serving %s on %s://%s:%d (state %s)",
        service.name,
        "https" if tls_cert else "http",
        host,
        port,
        state_url.split("@")[-1],
    )
    try:
        server.run()
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}", ExitCode.UNAVAILABLE)
    except KeyboardInterrupt:
        pass
    finally:
        # Commands run on under their supervisors: the replica that starts next on this host
        # (same --replica-id) finds each one and records its real exit (Command.resume).
        pool.shutdown(wait=False)


@click.command()
@click.argument(
    "payload_file",
    metavar="PAYLOAD.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@state_option
@service_options
@service_name_option
@location_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def simulate(
    payload_file: Path,
    state_url: str,
    service_path: str,
    env_name: str,
    service_name: str | None,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    prometheus: str | None,
    as_json: bool,
) -> None:
    """What the webhook would do with PAYLOAD.json now, without doing any of it.

    The same decisions as `sre serve` (duplicates, cooldowns, circuits, rate limit included),
    from the state store as it is; plans are read, never applied.
    """
    service = spec(service_path, env_name, service_name)
    try:
        note = payload.parse(payload_file.read_bytes())
    except PayloadError as exc:
        fail(f"{payload_file}: {exc}", ExitCode.USAGE)
    store = open_state_store(state_url, service.name)
    registry, deps = actions(), deps_from(lake, quarantine, backup, prometheus)
    found: list[dict[str, Any]] = []
    for alert in note.alerts:
        chosen = targets_of(alert, service.remediation, registry)
        episode, stale = store.episode_of(
            alert.fingerprint, alert.starts_at.timestamp(), time.time()
        )
        facts = store.facts(
            [(p.action, t) for p, t in chosen if isinstance(t, str)],
            fingerprint=alert.fingerprint,
            episode=episode,
            stale=stale,
            now=time.time(),
            max_runs_per_minute=30,
            since=min(alert.starts_at.timestamp(), time.time()),
        )
        for verdict in evaluate(alert, service.remediation, facts, registry):
            entry: dict[str, Any] = {
                "alert": alert.name,
                "fingerprint": alert.fingerprint,
                "outcome": verdict.outcome,
                "reason": verdict.reason,
            }
            if verdict.policy is not None:
                entry.update(
                    action=verdict.policy.action, mode=verdict.policy.mode, target=verdict.target
                )
            if verdict.runs and verdict.policy is not None:
                try:
                    plan = make_plan(registry, verdict.policy, verdict.target, deps, "simulation")
                    entry["plan"] = plan.describe()
                    too_big = over_blast_radius(verdict.policy, plan.objects, plan.bytes)
                    if too_big:
                        entry.update(outcome="blocked_blast_radius", reason=too_big)
                except SreError as exc:
                    entry.update(outcome="plan_failed", reason=f"cannot plan: {exc}")
            found.append(entry)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for entry in found:
        line = f"{entry['alert']} ({entry['fingerprint']}): {entry['outcome']}"
        if "action" in entry:
            line += f" -> {entry['action']} {entry['target']} [{entry['mode']}]"
        click.echo(f"{line}: {entry['reason']}")
        for step in entry.get("plan", []):
            click.echo(f"    {step}")
