"""`sre`: the on-call and CI command line of the SRE library."""

from __future__ import annotations

import json
import os
import sys

import click

from sre.cli.alertmanager import alertmanager
from sre.cli.check import check
from sre.cli.generate import generate
from sre.cli.init import init
from sre.errors import SreError
from sre.storage import open_store
from sre.storage.manifest import read_current, verify


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="potato-sre")
def main() -> None:
    """SRE tooling for data pipelines: generated alerts, dashboards and runbooks checked
    against each other, snapshots and integrity; the remediation webhook builds on it."""


main.add_command(generate)
main.add_command(check)
main.add_command(alertmanager)
main.add_command(init)


@main.command("snapshot")
@click.argument("lake", metavar="PATH|s3://BUCKET/PREFIX")
@click.option("--root", default="silver", show_default=True, help="Prefix holding the manifests.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def snapshot(lake: str, root: str, as_json: bool) -> None:
    """Show the committed snapshot under ROOT and check every file against its manifest.

    Exit 1 when a file is missing or its size or sha256 differs.
    """
    try:
        store = open_store(lake, env=dict(os.environ))
        manifest = read_current(store, root)
        problems = verify(store, manifest) if manifest else []
    except SreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(3)
    doc = {
        "snapshot": manifest.snapshot if manifest else None,
        "files": len(manifest.files()) if manifest else 0,
        "problems": [{"key": p.key, "reason": p.reason} for p in problems],
    }
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    elif manifest is None:
        click.echo(f"no snapshot committed under {lake}/{root}")
    else:
        click.echo(
            f"snapshot {manifest.snapshot}: {doc['files']} files, {len(problems)} problem(s)"
        )
        for p in problems:
            click.echo(f"  {p.key}: {p.reason}")
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
