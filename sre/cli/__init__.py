"""`sre`: the on-call and CI command line of the SRE library."""

from __future__ import annotations

import json
import os
import sys

import click
from deltalake.exceptions import DeltaError

from sre.cli.alertmanager import alertmanager
from sre.cli.check import check
from sre.cli.generate import generate
from sre.cli.init import init
from sre.errors import SreError
from sre.storage import open_store
from sre.storage.delta import current_files, location, open_table, verify_table
from sre.storage.delta_version import find_tables


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="potato-sre")
def main() -> None:
    """SRE tooling for data pipelines: generated alerts, dashboards and runbooks checked
    against each other, Delta table integrity; the remediation webhook builds on it."""


main.add_command(generate)
main.add_command(check)
main.add_command(alertmanager)
main.add_command(init)


@main.command("tables")
@click.argument("lake", metavar="PATH|s3://BUCKET/PREFIX")
@click.option("--root", default="silver", show_default=True, help="Prefix holding the tables.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def tables(lake: str, root: str, as_json: bool) -> None:
    """Show the Delta tables under ROOT (version, files) and check every current data file:
    present, the size its log says, the sha256 recorded when it was written.

    Exit 1 when a file is missing or differs.
    """
    found: dict[str, dict[str, object]] = {}
    problems: list[dict[str, str]] = []
    try:
        store = open_store(lake, env=dict(os.environ))
        for key in find_tables(store, root):
            loc = location(store, key)
            table = open_table(loc)
            if table is None:
                continue
            checks = verify_table(loc, table)
            found[key] = {"version": table.version(), "files": len(current_files(table))}
            problems += [{"key": p.key, "reason": p.reason} for p in checks]
    except (SreError, DeltaError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    if as_json:
        click.echo(json.dumps({"tables": found, "problems": problems}, indent=2))
    elif not found:
        click.echo(f"no Delta table under {lake}/{root}")
    else:
        for key, doc in found.items():
            click.echo(f"{key}: version {doc['version']}, {doc['files']} files")
        click.echo(f"{len(problems)} problem(s)")
        for p in problems:
            click.echo(f"  {p['key']}: {p['reason']}")
    sys.exit(1 if problems else 0)


def _register_remediation() -> None:
    from sre.cli.actions import actions
    from sre.cli.audit import audit
    from sre.cli.remediate import remediate
    from sre.cli.runs import runs
    from sre.cli.serve import serve, simulate
    from sre.cli.switches import circuit, pause, resume

    for command in (serve, simulate, remediate, actions, runs, audit, pause, resume, circuit):
        main.add_command(command)


def _register_stack() -> None:
    from sre.cli.stack import stack

    main.add_command(stack)


_register_remediation()
_register_stack()
