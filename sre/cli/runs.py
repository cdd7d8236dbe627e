"""The on-call commands: runs, approvals, undo, the kill switch, circuits, manual remediation."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import click
import sqlalchemy as sa

from sre.cli.common import fail, open_state, state_option
from sre.remediation import records, state

RUN_FIELDS = (
    "id",
    "action",
    "target",
    "alertname",
    "fingerprint",
    "episode",
    "mode",
    "outcome",
    "state",
    "started_at",
    "finished_at",
)


def _when(value: float | None) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds") if value else None


def _public(run: dict[str, Any]) -> dict[str, Any]:
    doc = {k: run[k] for k in RUN_FIELDS}
    doc["started_at"], doc["finished_at"] = _when(run["started_at"]), _when(run["finished_at"])
    return doc


@click.group()
def runs() -> None:
    """Remediation runs: list, show, approve, undo.

    A dry run is a run (outcome dry_run); refusals such as duplicates, cooldowns or an open
    circuit are audit records, not runs."""


@runs.command("list")
@state_option
@click.option("--limit", default=50, show_default=True)
@click.option("--outcome", help="Only runs with this outcome (success, failed, dry_run...).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of runs, newest first.")
def list_cmd(state_url: str, limit: int, outcome: str | None, as_json: bool) -> None:
    """The most recent runs, newest first."""
    found = [_public(r) for r in records.list_runs(open_state(state_url), limit)]
    if outcome:
        found = [r for r in found if r["outcome"] == outcome]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no runs yet")
    for run in found:
        outcome = run["outcome"] or run["state"]
        click.echo(
            f"{run['id']:>5}  {run['started_at']}  {run['action']:<10} {outcome:<18} "
            f"{run['alertname']} {run['target']}"
        )


@runs.command("show")
@click.argument("run_id", type=int)
@state_option
@click.option("--json", "as_json", is_flag=True)
def show(run_id: int, state_url: str, as_json: bool) -> None:
    """One run with its plan, result and undo record."""
    run = records.get_run(open_state(state_url), run_id)
    if run is None:
        fail(f"no run {run_id}", 1)
    doc = {
        **_public(run),
        "plan": run["plan"],
        "result": run["result"],
        "undo": run["undo"],
        "approved_by": run["approved_by"],
    }
    click.echo(json.dumps(doc, indent=2))


@click.command()
@click.argument("action", required=False, default="*")
@state_option
@click.option("--by", "who", default="on-call", show_default=True, help="Who pulls the switch.")
def pause(action: str, state_url: str, who: str) -> None:
    """Kill switch: stop ACTION (or every action) from running until `sre resume`."""
    db = open_state(state_url)
    with state.transaction(db) as conn:
        conn.execute(state.switches.delete().where(state.switches.c.name == action))
        conn.execute(
            state.switches.insert().values(name=action, paused_at=time.time(), paused_by=who)
        )
    state.record(
        db,
        action=None if action == "*" else action,
        outcome="paused",
        reason="kill switch on",
        actor=who,
    )
    click.echo(f"paused {'every action' if action == '*' else action}")


@click.command()
@click.argument("action", required=False, default="*")
@state_option
@click.option("--by", "who", default="on-call", show_default=True)
def resume(action: str, state_url: str, who: str) -> None:
    """Lift the kill switch for ACTION (or the global one)."""
    db = open_state(state_url)
    with state.transaction(db) as conn:
        conn.execute(state.switches.delete().where(state.switches.c.name == action))
    state.record(
        db,
        action=None if action == "*" else action,
        outcome="resumed",
        reason="kill switch off",
        actor=who,
    )
    click.echo(f"resumed {'every action' if action == '*' else action}")


@click.group()
def circuit() -> None:
    """Circuits open when a target spends its daily attempt budget."""


@circuit.command("status")
@state_option
@click.option("--json", "as_json", is_flag=True)
def circuit_status(state_url: str, as_json: bool) -> None:
    db = open_state(state_url)
    found = records.open_circuits(db)
    switches = records.paused(db)
    if as_json:
        click.echo(json.dumps({"open": found, "paused": switches}, indent=2, default=str))
        return
    click.echo(
        "no open circuit"
        if not found
        else "\n".join(
            f"OPEN {c['action']} {c['target']} since {_when(c['opened_at'])}: {c['reason']}"
            for c in found
        )
    )
    for s in switches:
        click.echo(f"PAUSED {s['name']} by {s['paused_by']} since {_when(s['paused_at'])}")


@circuit.command("reset")
@click.argument("action")
@click.argument("target")
@state_option
@click.option("--by", "who", default="on-call", show_default=True)
def circuit_reset(action: str, target: str, state_url: str, who: str) -> None:
    """Close the circuit of ACTION on TARGET so the automation may try again."""
    db = open_state(state_url)
    with state.transaction(db) as conn:
        gone = conn.execute(
            sa.delete(state.circuits).where(
                state.circuits.c.action == action, state.circuits.c.target == target
            )
        ).rowcount
    if not gone:
        fail(f"no open circuit for {action} {target}", 1)
    state.record(
        db, action=action, target=target, outcome="circuit_reset", reason="reset by hand", actor=who
    )
    click.echo(f"circuit of {action} {target} closed")
