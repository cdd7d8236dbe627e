"""Operator commands of the pipeline: `verify` (silver integrity) and `backup`."""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime

import click

from pipeline import integrity, silver
from pipeline.options import EXIT_UNAVAILABLE, fail, json_option, lake_option
from pipeline.settings import Settings
from sre.errors import SreError
from sre.remediation.actions import backup as backups
from sre.remediation.deps import Stores
from sre.storage import open_store


@click.command()
@lake_option
@click.option(
    "--pushgateway",
    metavar="URL",
    help="Push the integrity metrics here (default $PUSHGATEWAY_URL).",
)
@json_option
def verify(lake: str | None, pushgateway: str | None, as_json: bool) -> None:
    """Check every data file of the silver tables' current versions (size from the Delta log,
    sha256 recorded when the file was written).

    Exports potato_pipeline_silver_integrity_ok (1 or 0) so the corruption alert can fire.
    Exit 1 when a file is missing or differs.
    """
    settings = Settings.from_env(os.environ, lake=lake, pushgateway=pushgateway)
    try:
        store = open_store(settings.lake, env=settings.aws_env)
        report = integrity.check(store)
        integrity.export(report, time.time(), store, settings.pushgateway)
    except SreError as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    doc = {
        "snapshot": report.snapshot,
        "versions": report.versions or {},
        "files": report.files,
        "ok": report.ok,
        "problems": [{"key": p.key, "reason": p.reason} for p in report.problems],
    }
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    elif report.snapshot is None:
        click.echo("no silver table committed yet: nothing to verify")
    else:
        click.echo(
            f"run {report.snapshot}: {report.files} files, {len(report.problems)} problem(s)"
        )
        for problem in report.problems:
            click.echo(f"  {problem.key}: {problem.reason}")
    sys.exit(0 if report.ok else 1)


@click.command()
@lake_option
@click.option(
    "--to",
    "target",
    metavar="PATH|s3://BUCKET/PREFIX",
    envvar="SRE_BACKUP",
    required=True,
    help="The backup location ($SRE_BACKUP).",
)
@click.option("--date", "label", help="The backup's date label (default: today, UTC).")
@json_option
def backup(lake: str | None, target: str, label: str | None, as_json: bool) -> None:
    """Copy the silver tables at the versions of the last complete run (each table's log and
    data files) to TARGET under silver/YYYY-MM-DD/, then validate it.

    Every copy is checked against the checksum recorded when the file was written; validation
    reads every file back and opens each table in the backup at its version. The versions
    backed up are pinned, so `vacuum` keeps their files. Exit 1 when it does not validate.
    """
    settings = Settings.from_env(os.environ, lake=lake)
    now = datetime.now(UTC)
    day = label or now.date().isoformat()
    try:
        lake_store = open_store(settings.lake, env=settings.aws_env)
        backup_store = open_store(
            target, env=settings.aws_env, create=not target.startswith("s3://")
        )
        tables = backups.inspect(lake_store, consistent_versions(silver.read(lake_store)))
        plan = backups.plan(day, tables)
        outcome = backups.apply(
            plan, Stores(lake_store, backup_store, backup_store), incident=f"backup-{day}", now=now
        )
        problems = backups.validate(backup_store, day) if outcome.ok else []
    except SreError as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    doc = {
        "label": day,
        "ok": outcome.ok and not problems,
        "objects": plan.objects,
        "bytes": plan.bytes,
        "detail": outcome.detail,
        "problems": [{"key": p.key, "reason": p.reason} for p in problems],
    }
    if as_json:
        click.echo(json.dumps(doc, indent=2))
    else:
        verdict = "valid" if doc["ok"] else "NOT valid"
        click.echo(
            f"backup {day} at {target}: {plan.objects} objects, {plan.bytes:,} bytes, {verdict}"
        )
        for problem in problems:
            click.echo(f"  {problem.key}: {problem.reason}")
        if not outcome.ok:
            click.echo(f"  {outcome.detail}")
    sys.exit(0 if doc["ok"] else 1)


def consistent_versions(state: silver.Silver | None) -> dict[str, int]:
    """The table versions of the last complete run: a run that committed some tables only
    (a crash between two table commits) is left out until a rerun completes it."""
    if state is None:
        return {}
    versions = dict(state.base) if state.pending is not None else state.versions
    return {silver.table_key(name): v for name, v in versions.items() if v >= 0}
