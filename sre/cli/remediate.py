"""`sre remediate ACTION [TARGET]`: run one of the service's remediations by hand.

It plans and prints by default; `--execute` acts, after the operator types the target back
for a destructive action (or `--yes` in scripts). The policy is the service's policy for
ACTION (`--alert` picks one when several alerts use it); TARGET sets the label the action
reads its target from (a quarantine's prefix, a restore's backup), `--label` sets others. A
manual run is a run like the automatic ones: audited, listed by `sre runs list`, undoable.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import click

from sre.cli.common import fail, service_options, state_option
from sre.cli.wiring import (
    actions,
    deps_from,
    location_options,
    open_state_store,
    runner_for,
    service_name_option,
    spec,
)
from sre.errors import SreError, UnsafeTarget
from sre.exitcodes import ExitCode
from sre.remediation.payload import alert_json, parse_alert
from sre.remediation.run import make_plan


def _labels(pairs: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            fail(f"--label {pair!r}: expected KEY=VALUE", ExitCode.USAGE)
        found[key] = value
    return found


@click.command()
@click.argument("action_name", metavar="ACTION")
@click.argument("target", required=False)
@click.option(
    "--alert",
    "alertname",
    metavar="ALERTNAME",
    help="The policy of this alert (when several alerts use ACTION).",
)
@click.option(
    "--label",
    "labels",
    multiple=True,
    metavar="KEY=VALUE",
    help="An alert label the action may read (repeatable).",
)
@click.option("--execute", is_flag=True, help="Act (default: print the plan only).")
@click.option("--yes", is_flag=True, help="Skip the typed confirmation (scripts).")
@click.option("--json", "as_json", is_flag=True, help="Print the plan (or the run) as JSON.")
@click.option("--by", "who", default="on-call", show_default=True, help="Who runs it (audited).")
@state_option
@service_options
@service_name_option
@location_options
def remediate(
    action_name: str,
    target: str | None,
    alertname: str | None,
    labels: tuple[str, ...],
    execute: bool,
    yes: bool,
    as_json: bool,
    who: str,
    state_url: str,
    service_path: str,
    env_name: str,
    service_name: str | None,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    prometheus: str | None,
) -> None:
    """Plan ACTION of the service's policies by hand; act with --execute.

    `sre actions` lists the actions; the runbook page of each alert prints its command.
    """
    registry = actions()
    action = registry.get(action_name) if action_name in registry else None
    if action is None:
        fail(
            f"unknown action {action_name!r}; known: {', '.join(sorted(registry.actions))}",
            ExitCode.USAGE,
        )
    service = spec(service_path, env_name, service_name)
    policies = [
        p
        for p in service.remediation
        if p.action == action_name and (alertname is None or p.alertname == alertname)
    ]
    if not policies:
        which = f" for {alertname}" if alertname else ""
        fail(f"service {service.name} has no {action_name} policy{which}", ExitCode.USAGE)
    if len({p.alertname for p in policies}) > 1:
        names = ", ".join(sorted({p.alertname for p in policies}))
        fail(f"several alerts use {action_name} ({names}): pick one with --alert", ExitCode.USAGE)
    policy = policies[0]
    given = _labels(labels)
    if target is not None:
        if not action.target_label:
            fail(
                f"{action_name} takes no TARGET; its target comes from the policy or --label",
                ExitCode.USAGE,
            )
        given[action.target_label] = target
    now = datetime.now(UTC)
    alert = parse_alert(
        {
            "status": "firing",
            "startsAt": now.isoformat(),
            "fingerprint": "manual",
            "labels": {**given, "alertname": policy.alertname},
        }
    )
    try:
        resolved = action.target(alert.labels, policy.params)
    except UnsafeTarget as exc:
        fail(str(exc), ExitCode.USAGE)
    deps = deps_from(lake, quarantine, backup, prometheus, service)
    incident = f"manual-{int(now.timestamp())}"
    try:
        plan = make_plan(registry, policy, resolved, deps, incident)
    except SreError as exc:
        fail(f"cannot plan: {exc}", ExitCode.FAILED)
    if as_json and not execute:
        click.echo(
            json.dumps({**plan.json(), "service": service.name, "policy": policy.key}, indent=2)
        )
        return
    click.echo(
        f"plan: {action_name} {resolved} for {service.name} "
        f"({plan.objects} objects, {plan.bytes:,} bytes)"
    )
    for line in plan.describe():
        click.echo(f"  {line}")
    if not execute:
        click.echo("dry run: nothing changed (add --execute to act)")
        return
    if action.destructive and not yes:
        typed = click.prompt(
            f"type the target ({resolved}) to confirm", default="", show_default=False
        )
        if typed != resolved:
            fail("confirmation did not match: nothing changed", ExitCode.FAILED)
    store = open_state_store(state_url, service.name)
    run = store.open_run(
        {
            "action": action_name,
            "target": resolved,
            "fingerprint": "manual",
            "episode": int(time.time() * 1000) % 2**31,
            "alertname": policy.alertname,
            "mode": "manual",
            "state": "running",
            "outcome": None,
            "plan": plan.json(),
            "alert": alert_json(alert),
            "approved_by": who,
            "attempt": 1,
            "started_at": time.time(),
        }
    )
    if run is None:
        fail("a manual run of this target started this very millisecond; retry", ExitCode.FAILED)
    store.record(
        time.time(),
        alertname=policy.alertname,
        fingerprint="manual",
        action=action_name,
        target=resolved,
        outcome="manual",
        reason=f"run by hand by {who}",
        actor=who,
        run=run,
    )
    outcome = runner_for(store, deps, who).execute(run, policy, plan, alert, incident)
    click.echo(f"run {run}: {outcome}")
    if outcome != "success":
        raise SystemExit(ExitCode.FAILED)
