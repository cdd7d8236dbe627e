"""`sre pause|resume [ACTION]` (the kill switch) and `sre circuit status|reset`."""

from __future__ import annotations

import json
import time

import click

from sre.cli.common import fail, state_option
from sre.cli.runs import when
from sre.cli.wiring import open_state_store
from sre.exitcodes import ExitCode


@click.command()
@click.argument("action", required=False, default="*")
@state_option
@click.option("--by", "who", default="on-call", show_default=True, help="Who pulls the switch.")
def pause(action: str, state_url: str, who: str) -> None:
    """Kill switch: stop ACTION (or every action) from running until `sre resume`."""
    store = open_state_store(state_url)
    store.pause(action, who, time.time())
    store.record(
        time.time(),
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
    store = open_state_store(state_url)
    if not store.resume(action):
        click.echo(f"{'every action' if action == '*' else action} was not paused")
        return
    store.record(
        time.time(),
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
    """Open circuits and paused actions."""
    store = open_state_store(state_url)
    found, switches = store.circuits(), store.paused()
    if as_json:
        click.echo(json.dumps({"open": found, "paused": switches}, indent=2, default=str))
        return
    if not found:
        click.echo("no open circuit")
    for c in found:
        click.echo(
            f"OPEN {c['service']} {c['action']} {c['target']} since "
            f"{when(c['opened_at'])}: {c['reason']}"
        )
    for s in switches:
        click.echo(f"PAUSED {s['name']} by {s['paused_by']} since {when(s['paused_at'])}")


@circuit.command("reset")
@click.argument("action")
@click.argument("target")
@state_option
@click.option("--service-name", "service_name", metavar="NAME", help="Only this service's circuit.")
@click.option("--by", "who", default="on-call", show_default=True)
def circuit_reset(
    action: str, target: str, state_url: str, service_name: str | None, who: str
) -> None:
    """Close the circuit of ACTION on TARGET so the automation may try again."""
    store = open_state_store(state_url, service_name or "")
    if not store.reset_circuit(action, target):
        fail(f"no open circuit for {action} {target}", ExitCode.FAILED)
    store.record(
        time.time(),
        action=action,
        target=target,
        outcome="circuit_reset",
        reason="reset by hand",
        actor=who,
    )
    click.echo(f"circuit of {action} {target} closed")
