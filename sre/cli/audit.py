"""`sre audit list|show`: every decision the remediator recorded, refusals included."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import click

from sre.cli.common import fail, state_option
from sre.cli.wiring import open_state_store
from sre.exitcodes import ExitCode

FIELDS: tuple[str, ...] = ("id", "at", "service", "delivery", "alertname", "fingerprint")
FIELDS += ("episode", "action", "target", "policy", "outcome", "reason", "actor", "run")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _since(value: str | None) -> float | None:
    """`30m`, `2h`, `7d` ago, or an ISO 8601 time (UTC when it names no zone)."""
    if not value:
        return None
    if value[:-1].isdigit() and value[-1] in _UNITS:
        return time.time() - int(value[:-1]) * _UNITS[value[-1]]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"--since {value!r}: give 30m, 2h, 7d or an ISO 8601 time", ExitCode.USAGE)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _public(row: dict[str, Any]) -> dict[str, Any]:
    doc = {k: row.get(k) for k in FIELDS}
    doc["at"] = datetime.fromtimestamp(row["at"], UTC).isoformat(timespec="seconds")
    return doc


@click.group()
def audit() -> None:
    """The append-only audit log: decisions, refusals, run ends, dead letters."""


@audit.command("list")
@state_option
@click.option("--since", metavar="WHEN", help="Only records from then on: 30m, 2h, 7d or ISO 8601.")
@click.option("--alert", "alertname", metavar="NAME", help="Only records of this alert.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1))
@click.option("--service-name", "service_name", metavar="NAME", help="Only this service.")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, newest first.")
def list_cmd(
    state_url: str,
    since: str | None,
    alertname: str | None,
    limit: int,
    service_name: str | None,
    as_json: bool,
) -> None:
    """The most recent audit records, newest first."""
    store = open_state_store(state_url, service_name or "")
    found = [_public(r) for r in store.audit(limit, since=_since(since), alertname=alertname)]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no audit records match")
        return
    click.echo(f"{'ID':>6}  {'AT':<25} {'ALERT':<24} {'ACTION':<12} {'OUTCOME':<20} REASON")
    for row in found:
        click.echo(
            f"{row['id']:>6}  {row['at']:<25} {(row['alertname'] or '-')[:24]:<24} "
            f"{(row['action'] or '-'):<12} {row['outcome']:<20} {(row['reason'] or '')[:80]}"
        )


@audit.command("show")
@click.argument("record_id", metavar="ID", type=int)
@state_option
def show(record_id: int, state_url: str) -> None:
    """One audit record with its plan, as JSON."""
    row = open_state_store(state_url).audit_record(record_id)
    if row is None:
        fail(f"no audit record {record_id}", ExitCode.FAILED)
    click.echo(json.dumps({**_public(row), "plan": row["plan"]}, indent=2))
