"""Analyst and maintenance commands on the silver Delta tables: `read` (time travel) and
`vacuum` (bounded history, then a checkpoint)."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import UTC, datetime

import click
import polars as pl
from deltalake.exceptions import DeltaError

from pipeline import silver
from pipeline.lake import TABLES
from pipeline.options import EXIT_FAILED, EXIT_UNAVAILABLE, fail, json_option, lake_option
from pipeline.schedule import parse_duration
from pipeline.settings import Settings
from sre.errors import SreError
from sre.storage import open_store
from sre.storage.delta import location, open_table, vacuum_table

DEFAULT_RETAIN = "7d"
WEEK_HOURS = 7 * 24


def _store(lake: str | None):  # type: ignore[no-untyped-def]
    settings = Settings.from_env(os.environ, lake=lake)
    try:
        return open_store(settings.lake, env=settings.aws_env)
    except SreError as exc:
        fail(str(exc), EXIT_UNAVAILABLE)


def _as_of(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO time: {text!r}", param_hint="--as-of") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command("read")
@lake_option
@click.argument("table", type=click.Choice(TABLES))
@click.option("--as-of-version", "version", type=int, metavar="N", help="Read version N.")
@click.option("--as-of", "as_of", metavar="TIME", help="Read the version current at TIME (ISO).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "json"]),
    default="csv",
    show_default=True,
    help="json is one object per line; parquet needs --output or a redirected stdout.",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here, not stdout.")
def read(
    lake: str | None,
    table: str,
    version: int | None,
    as_of: str | None,
    fmt: str,
    output: str | None,
) -> None:
    """Print TABLE (its current version, or an older one) for analysts: the rows any Delta
    reader (Polars, deltalake, Spark, DuckDB) sees at that version."""
    if version is not None and as_of is not None:
        raise click.UsageError("give --as-of-version or --as-of, not both")
    store = _store(lake)
    loc = location(store, silver.table_key(table))
    try:
        if open_table(loc) is None:
            fail(f"no silver table {table} in {store.url} yet", EXIT_FAILED)
        when: int | datetime | None = version if version is not None else None
        if as_of is not None:
            when = _as_of(as_of)
        frame = pl.read_delta(loc.uri, version=when, storage_options=dict(loc.options) or None)
    except (DeltaError, pl.exceptions.PolarsError, OSError) as exc:
        fail(f"cannot read {table}: {str(exc).splitlines()[0]}", EXIT_FAILED)
    if fmt == "parquet" and output is None and sys.stdout.isatty():
        fail("parquet is binary: give --output FILE or redirect stdout", EXIT_FAILED)
    buffer = io.BytesIO()
    if fmt == "csv":
        frame.write_csv(buffer)
    elif fmt == "json":
        frame.write_ndjson(buffer)
    else:
        frame.write_parquet(buffer)
    data = buffer.getvalue()
    if output:
        with open(output, "wb") as handle:  # noqa: PTH123
            handle.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


@click.command()
@lake_option
@click.option(
    "--retain",
    default=DEFAULT_RETAIN,
    show_default=True,
    metavar="DURATION",
    help="Keep every version newer than this (e.g. 7d, 36h; 0h keeps only the current one).",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
@json_option
def vacuum(lake: str | None, retain: str, dry_run: bool, as_json: bool) -> None:
    """Remove data files no version inside the retention needs, then write a checkpoint.

    Files a kept backup or an open restore pinned (`<table>/_pins/`) are never removed.
    A retention shorter than 7 days is allowed with a warning: time travel and readers still
    on an older version lose what it removes.
    """
    hours = 0.0 if retain.strip() in ("0", "0h", "0d", "0s") else parse_hours(retain)
    if hours < WEEK_HOURS:
        click.echo(
            f"warning: --retain {retain} is shorter than 7 days; versions older than it "
            "lose their files (time travel and slow readers)",
            err=True,
        )
    store = _store(lake)
    report: dict[str, list[str]] = {}
    try:
        for table in TABLES:
            loc = location(store, silver.table_key(table))
            if open_table(loc) is not None:
                report[table] = vacuum_table(loc, hours=hours, dry_run=dry_run)
    except (DeltaError, SreError, OSError) as exc:
        fail(f"vacuum failed: {str(exc).splitlines()[0]}", EXIT_FAILED)
    if as_json:
        doc = {"retain_hours": hours, "dry_run": dry_run, "files": report}
        click.echo(json.dumps(doc, indent=2))
        return
    verb = "would remove" if dry_run else "removed"
    for table, files in report.items():
        click.echo(f"{table}: {verb} {len(files)} file(s)")
        if dry_run:
            for name in files:
                click.echo(f"  {name}")


def parse_hours(text: str) -> float:
    try:
        return parse_duration(text) / 3600.0
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--retain") from exc
