"""`sre actions`: every registered remediation action, built-in and plugin, with its params."""

from __future__ import annotations

import json
from typing import Any

import click

from sre.cli.wiring import actions as registry


@click.command("actions")
@click.option("--json", "as_json", is_flag=True, help="A JSON array of actions.")
def actions(as_json: bool) -> None:
    """The actions a policy may name: built-ins and `sre.actions` plugins, with parameters."""
    found = registry()
    docs: list[dict[str, Any]] = [
        {
            "name": a.name,
            "origin": found.origins[a.name],
            "summary": a.summary,
            "destructive": a.destructive,
            "idempotent": a.idempotent,
            "undoable": a.undoable,
            "target_label": a.target_label,
            "params": [p.describe() for p in a.params],
        }
        for a in found
    ]
    if as_json:
        click.echo(json.dumps(docs, indent=2))
        return
    for doc in docs:
        flags = [f for f in ("destructive", "idempotent", "undoable") if doc[f]]
        click.echo(f"{doc['name']}  ({doc['origin']}{', ' if flags else ''}{', '.join(flags)})")
        click.echo(f"    {doc['summary']}")
        for p in doc["params"]:
            default = "required" if p["required"] else f"default {json.dumps(p['default'])}"
            click.echo(f"    {p['name']:<12} {p['kind']:<6} {default}: {p['help']}")
