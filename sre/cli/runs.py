"""`sre runs list|show|approve|reject|undo`: remediation runs, and the humans who decide on them
(`approve` and `reject` call the server: sre/cli/approve.py)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import click

from sre.cli.approve import approve, reject
from sre.cli.common import fail, state_option
from sre.cli.wiring import actions, deps_from, location_options, open_state_store
from sre.errors import SreError
from sre.exitcodes import ExitCode

RUN_FIELDS = (
    "id",
    "service",
    "action",
    "target",
    "alertname",
    "fingerprint",
    "episode",
    "mode",
    "outcome",
    "state",
    "attempt",
    "started_at",
    "finished_at",
)


def when(value: float | None) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds") if value else None


def _public(run: dict[str, Any]) -> dict[str, Any]:
    doc = {k: run[k] for k in RUN_FIELDS}
    doc["started_at"], doc["finished_at"] = when(run["started_at"]), when(run["finished_at"])
    return doc


@click.group()
def runs() -> None:
    """Remediation runs: list, show, approve, reject, undo.

    A dry run is a run (outcome dry_run); refusals such as duplicates, cooldowns or an open
    circuit are audit records, not runs (`sre audit list`)."""


@runs.command("list")
@state_option
@click.option("--limit", default=50, show_default=True)
@click.option("--outcome", help="Only runs with this outcome (success, failed, timed_out...).")
@click.option("--service-name", "service_name", metavar="NAME", help="Only this service's runs.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of runs, newest first.")
def list_cmd(
    state_url: str, limit: int, outcome: str | None, service_name: str | None, as_json: bool
) -> None:
    """The most recent runs, newest first."""
    found = [
        _public(r) for r in open_state_store(state_url, service_name or "").runs(limit, outcome)
    ]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no runs yet")
        return
    click.echo(
        f"{'ID':>5}  {'STARTED':<25} {'SERVICE':<16} {'ACTION':<12} {'OUTCOME':<18} ALERT TARGET"
    )
    for run in found:
        shown = run["outcome"] or run["state"]
        click.echo(
            f"{run['id']:>5}  {run['started_at']}  {run['service']:<16} {run['action']:<12} "
            f"{shown:<18} {run['alertname']} {run['target']}"
        )


@runs.command("show")
@click.argument("run_id", type=int)
@state_option
def show(run_id: int, state_url: str) -> None:
    """One run with its plan, result (evidence included) and undo record, as JSON."""
    run = open_state_store(state_url).run(run_id)
    if run is None:
        fail(f"no run {run_id}", ExitCode.FAILED)
    doc = {
        **_public(run),
        "plan": run["plan"],
        "result": run["result"],
        "undo": run["undo"],
        "approved_by": run["approved_by"],
    }
    click.echo(json.dumps(doc, indent=2))


@runs.command("audit")
@state_option
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def audit_cmd(state_url: str, limit: int, as_json: bool) -> None:
    """Every decision, refusals included, newest first."""
    found = open_state_store(state_url).audit(limit)
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    for row in found:
        click.echo(
            f"{when(row['at'])}  {row['outcome']:<20} {row['action'] or '-':<12} "
            f"{row['alertname'] or '-'} {row['target'] or ''}: {row['reason'] or ''}"
        )


runs.add_command(approve)
runs.add_command(reject)


@runs.command("undo")
@click.argument("run_id", type=int)
@state_option
@location_options
@click.option("--by", "who", default="on-call", show_default=True)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--force",
    is_flag=True,
    help="Undo a run still recorded as running (its replica was killed and no replica has "
    "recovered it yet). Never while that replica is alive: the action may still be at work.",
)
def undo(
    run_id: int,
    state_url: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    prometheus: str | None,
    who: str,
    yes: bool,
    force: bool,
) -> None:
    """Reverse a run from its undo record (quarantine: move the objects back; restore: delete
    the files it put back). The record is saved before the action changes anything and after
    every step, so a run killed half-way is undone too."""
    store = open_state_store(state_url)
    run = store.run(run_id)
    if run is None:
        fail(f"no run {run_id}", ExitCode.FAILED)
    action = actions().get(run["action"]) if run["action"] in actions() else None
    if action is None or not action.undoable or not run["undo"]:
        fail(
            f"run {run_id} ({run['action']}, {run['outcome']}) has no undo record", ExitCode.FAILED
        )
    if run["state"] == "running" and not force:
        fail(
            f"run {run_id} is still running (owner {run.get('owner') or '?'}): undo it when it "
            "has ended, or with --force once that replica is gone",
            ExitCode.FAILED,
        )
    if not yes:
        click.confirm(f"undo {run['action']} of {run['target']} (run {run_id})?", abort=True)
    try:
        outcome = action.undo(run["undo"], deps_from(lake, quarantine, backup, prometheus))
    except SreError as exc:
        fail(str(exc), ExitCode.FAILED)
    ended = {"state": "done", "finished_at": time.time()} if run["state"] == "running" else {}
    store.update(
        run_id,
        **ended,
        outcome="undone" if outcome.ok else run["outcome"],
        result={**(run["result"] or {}), "undo": outcome.detail},
    )
    verdict = "undone" if outcome.ok else "undo_failed"
    store.record_run(time.time(), {**run, "id": run_id}, verdict, outcome.detail, who)
    if not outcome.ok:
        fail(f"undo of run {run_id} failed: {outcome.detail}", ExitCode.FAILED)
    click.echo(f"run {run_id} undone: {outcome.detail}")
