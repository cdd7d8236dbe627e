"""Humans at the controls: approve or undo a run, and run any remediation by hand.

`sre remediate` plans and prints by default; `--execute` acts, after the operator types the
target back (or `--yes` in scripts). Manual runs are runs like the automatic ones: audited,
listed by `sre runs list`, undoable.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click
from prometheus_client import CollectorRegistry

from sre.cli.common import F, env, fail, load, open_state, service_options, state_option
from sre.cli.runs import runs
from sre.cli.serve import location_options, stores_from
from sre.errors import SreError, UnsafeTarget
from sre.remediation import decide, records, state
from sre.remediation.clients import PrometheusCheck
from sre.remediation.engine import RemediationEngine
from sre.remediation.executor import ActionExecutor
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.payload import parse_alert
from sre.remediation.serialize import alert_from, alert_json
from sre.spec.remediation import RemediationPolicy

DESTRUCTIVE = ("quarantine", "restore")


def _engine(
    state_url: str, executor: ActionExecutor, policies: tuple[RemediationPolicy, ...], actor: str
) -> RemediationEngine:
    return RemediationEngine(
        db=open_state(state_url),
        policies=policies,
        executor=executor,
        metrics=RemediationMetrics(CollectorRegistry()),
        actor=actor,
    )


@runs.command("approve")
@click.argument("run_id", type=int)
@click.option("--by", "who", required=True, help="Who approves (recorded in the audit log).")
@state_option
@service_options
@location_options
@click.option("--prometheus", metavar="URL", envvar="PROMETHEUS_URL")
def approve(
    run_id: int,
    who: str,
    state_url: str,
    service_path: str,
    env_name: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    prometheus: str | None,
) -> None:
    """Run a remediation that waits for approval (mode approve), as WHO."""
    service = load(service_path, env_name)
    executor = ActionExecutor(
        stores=stores_from(lake, quarantine, backup),
        env=env(),
        prometheus=PrometheusCheck(prometheus) if prometheus else None,
    )
    engine = _engine(state_url, executor, service.remediation, who)
    run = records.get_run(engine.db, run_id)
    if run is None or run["state"] != "pending":
        fail(f"run {run_id} is not waiting for approval", 1)
    policy = next(
        (
            p
            for p in service.remediation
            if p.alertname == run["alertname"] and p.action == run["action"]
        ),
        None,
    )
    if policy is None:
        fail(f"no policy {run['alertname']} -> {run['action']} in the spec any more", 1)
    with state.transaction(engine.db) as conn:  # claim it, so two approvals cannot both run it
        won = conn.execute(
            state.runs.update()
            .where(state.runs.c.id == run_id, state.runs.c.state == "pending")
            .values(state="running", approved_by=who, outcome=None)
        ).rowcount
    if not won:
        fail(f"run {run_id} was approved by someone else meanwhile", 1)
    alert = alert_from(run["alert"])
    incident = f"{run['fingerprint']}-{run['episode']}"
    try:
        plan = executor.plan(policy, run["target"], alert, incident)
        outcome = engine.execute(run_id, policy, plan, alert, incident)
    except SreError as exc:
        state.update_run(
            engine.db,
            run_id,
            state="done",
            outcome="failed",
            result={"error": str(exc)},
            finished_at=time.time(),
        )
        fail(f"run {run_id} failed: {exc}", 1)
    click.echo(f"run {run_id} approved by {who}: {outcome}")


@runs.command("undo")
@click.argument("run_id", type=int)
@state_option
@location_options
@click.option("--by", "who", default="on-call", show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def undo(
    run_id: int,
    state_url: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    who: str,
    yes: bool,
) -> None:
    """Reverse a run from its undo record (quarantine: move objects back; restore: old pointer)."""
    db = open_state(state_url)
    run = records.get_run(db, run_id)
    if run is None:
        fail(f"no run {run_id}", 1)
    if not run["undo"]:
        fail(f"run {run_id} ({run['action']}, {run['outcome']}) has no undo record", 1)
    if not yes:
        click.confirm(f"undo {run['action']} of {run['target']} (run {run_id})?", abort=True)
    executor = ActionExecutor(stores=stores_from(lake, quarantine, backup))
    try:
        outcome = executor.undo(run["action"], run["undo"])
    except SreError as exc:
        fail(str(exc), 1)
    state.update_run(
        db,
        run_id,
        outcome="undone" if outcome.ok else run["outcome"],
        result={**(run["result"] or {}), "undo": outcome.detail},
    )
    state.record(
        db,
        alertname=run["alertname"],
        fingerprint=run["fingerprint"],
        episode=run["episode"],
        action=run["action"],
        target=run["target"],
        outcome="undone" if outcome.ok else "undo_failed",
        reason=outcome.detail,
        actor=who,
        run=run_id,
    )
    if not outcome.ok:
        fail(f"undo of run {run_id} failed: {outcome.detail}", 1)
    click.echo(f"run {run_id} undone: {outcome.detail}")


@click.group()
def remediate() -> None:
    """Run a remediation by hand: prints the plan unless --execute is given."""


def _manual(
    action: str,
    target_label: dict[str, str],
    execute: bool,
    yes: bool,
    as_json: bool,
    state_url: str,
    service_path: str,
    env_name: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    who: str,
) -> None:
    service = load(service_path, env_name)
    policies = [p for p in service.remediation if p.action == action]
    if not policies:
        fail(f"the spec has no {action} policy", 2)
    policy = policies[0]
    now = datetime.now(UTC)
    alert = parse_alert(
        {
            "status": "firing",
            "labels": {"alertname": policy.alertname, **target_label},
            "startsAt": now.isoformat(),
            "fingerprint": "manual",
        }
    )
    try:
        target = decide.target(policy, alert.labels)
    except UnsafeTarget as exc:
        fail(str(exc), 2)
    executor = ActionExecutor(stores=stores_from(lake, quarantine, backup), env=env())
    incident = f"manual-{int(now.timestamp())}"
    try:
        plan = executor.plan(policy, target, alert, incident)
    except SreError as exc:
        fail(f"cannot plan: {exc}", 1)
    if as_json and not execute:
        click.echo(
            json.dumps(
                {
                    "action": action,
                    "target": target,
                    "objects": plan.objects,
                    "bytes": plan.bytes,
                    "steps": plan.describe(),
                },
                indent=2,
            )
        )
        return
    click.echo(f"plan: {action} {target} ({plan.objects} objects, {plan.bytes:,} bytes)")
    for line in plan.describe():
        click.echo(f"  {line}")
    if not execute:
        click.echo("dry run: nothing changed (add --execute to act)")
        return
    if action in DESTRUCTIVE and not yes:
        typed = click.prompt(
            f"type the target ({target}) to confirm", default="", show_default=False
        )
        if typed != target:
            fail("confirmation did not match: nothing changed", 1)
    engine = _engine(state_url, executor, service.remediation, who)
    run = state.open_run(
        engine.db,
        {
            "action": action,
            "target": target,
            "fingerprint": "manual",
            "episode": int(time.time() * 1000) % 2**31,
            "alertname": policy.alertname,
            "mode": "manual",
            "state": "running",
            "outcome": None,
            "plan": {"steps": plan.describe()},
            "alert": alert_json(alert),
            "approved_by": who,
            "started_at": time.time(),
        },
    )
    assert run is not None
    outcome = engine.execute(run, policy, plan, alert, incident)
    click.echo(f"run {run}: {outcome}")
    if outcome != "success":
        raise SystemExit(1)


def _common(func: F) -> F:
    func = click.option("--execute", is_flag=True, help="Act (default: print the plan only).")(func)
    func = click.option("--yes", is_flag=True, help="Skip the typed confirmation (scripts).")(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")(func)
    func = click.option("--by", "who", default="on-call", show_default=True)(func)
    return location_options(service_options(state_option(func)))


@remediate.command("retrigger")
@click.option(
    "--pipeline", "pipeline_name", default=None, help="The pipeline (default: the spec's)."
)
@_common
def retrigger_cmd(pipeline_name: str | None, **options: object) -> None:
    """Run the pipeline again (the spec's command, no shell)."""
    _manual("retrigger", {"pipeline": pipeline_name} if pipeline_name else {}, **options)  # type: ignore[arg-type]


@remediate.command("quarantine")
@click.argument("prefix")
@_common
def quarantine_cmd(prefix: str, **options: object) -> None:
    """Move every object under PREFIX (under silver/) to the quarantine location, verified."""
    _manual("quarantine", {"prefix": prefix}, **options)  # type: ignore[arg-type]


@remediate.command("restore")
@click.argument("date")
@_common
def restore_cmd(date: str, **options: object) -> None:
    """Restore silver from the backup of DATE (YYYY-MM-DD or latest), keeping the current aside."""
    _manual("restore", {"backup": date}, **options)  # type: ignore[arg-type]
