"""`potato-pipeline`: run the pipeline, make sample data, validate bronze, show status."""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from prometheus_api_client.exceptions import PrometheusApiClientException
from rich.console import Console

from pipeline import ledger, logs, render, silver
from pipeline.context import Bookkeeping
from pipeline.errors import PipelineError, TaskFailed
from pipeline.ledger import RunRecord
from pipeline.observability import slis
from pipeline.observability.metrics import PipelineMetrics
from pipeline.observability.setup import instrumentation
from pipeline.observability.totals import Totals
from pipeline.options import EXIT_FAILED, EXIT_UNAVAILABLE, fail, json_option, lake_option
from pipeline.progress import LogObserver, TerminalProgress
from pipeline.runner import Observer, run_pipeline
from pipeline.sample import SampleSpec, write_sample
from pipeline.schedule import parse_duration, serve
from pipeline.settings import Settings
from pipeline.status import status_document
from pipeline.tasks import ingest, validate
from sre.errors import SreError, StorageError
from sre.storage import ObjectStore, open_store

DEFAULTS = SampleSpec()


@contextmanager
def _lake(
    lake: str | None, *, create: bool = False, pushgateway: str | None = None
) -> Iterator[tuple[Settings, ObjectStore]]:
    settings = Settings.from_env(os.environ, lake=lake, pushgateway=pushgateway)
    try:
        store = open_store(
            settings.lake, env=settings.aws_env, create=create and settings.is_default_lake
        )
    except StorageError as exc:
        fail(f"{exc} (set --lake or POTATO_LAKE)", EXIT_UNAVAILABLE)
    try:
        yield settings, store
    except StorageError as exc:
        fail(f"lake {store.url}: {exc}", EXIT_UNAVAILABLE)
    except SreError as exc:
        fail(str(exc), EXIT_FAILED)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="potato-sre")
def main() -> None:
    """The potato-weight-nutrition pipeline: bronze CSV drops become silver Parquet tables.

    \b
    Typical use:
      potato-pipeline sample-data --out ./lake      # dirty sample bronze drops
      potato-pipeline run                           # process new drops into silver
      potato-pipeline status                        # what silver holds, recent runs

    The lake is --lake, else $POTATO_LAKE, else ./lake; s3://BUCKET/PREFIX uses S3
    (AWS_ENDPOINT_URL selects an S3-compatible server). Exit codes: 0 ok, 1 failed
    (nothing published), 2 usage error, 3 lake unavailable.
    """


@main.command()
@lake_option
@json_option
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to stage intermediate files (default: the system temp folder).",
)
@click.option(
    "--pushgateway",
    metavar="URL",
    help="Push metrics here after each run (default: $PUSHGATEWAY_URL). Without one they are "
    "written to _metrics/potato_pipeline.prom in the lake (node_exporter textfile format).",
)
@click.option(
    "--every",
    metavar="DURATION",
    help="Keep running: a run every DURATION (30s, 5m, 1h) while serving /metrics.",
)
@click.option("--metrics-port", type=int, default=9108, show_default=True, help="With --every.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="With --every.")
def run(
    lake: str | None,
    as_json: bool,
    work_dir: Path | None,
    pushgateway: str | None,
    every: str | None,
    metrics_port: int,
    metrics_host: str,
) -> None:
    """Process new bronze partitions into the silver Delta tables and reports.

    Only partitions no committed run holds are read; a rerun with nothing new publishes
    nothing. Rows that break a contract go to rejects/ with their rule, file and line. A crash
    or failure at any point leaves the committed silver exactly as it was.

    Every run records metrics (Pushgateway or textfile), OpenTelemetry spans when OTEL_*
    variables configure an exporter, and OpenLineage events (openlineage.yml or
    OPENLINEAGE_* variables; by default JSON files under _lineage/ in the lake).
    """
    interactive = sys.stderr.isatty() and not as_json and not every
    logs.configure(
        json_lines=not interactive, level=logging.WARNING if interactive else logging.INFO
    )
    try:
        interval = parse_duration(every) if every else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every") from exc
    with _lake(lake, create=True, pushgateway=pushgateway) as (settings, store):
        live = PipelineMetrics() if interval else None
        observers = instrumentation(settings, os.environ, live=live, lineage_store=store)
        if interval is not None:
            assert live is not None
            serve(store, observers, live, interval, metrics_host, metrics_port, work_dir)
            return
        try:
            record = _run_once(store, observers, interactive, work_dir)
        except TaskFailed as exc:
            if as_json:
                doc = {"status": "failure", "task": exc.task, "error": str(exc.__cause__)}
                click.echo(json.dumps(doc))
            fail(f"{exc}; committed silver is unchanged", EXIT_FAILED)
        if as_json:
            click.echo(json.dumps({**record.to_dict(), "lake": store.url}, indent=2))
        else:
            render.run_summary(Console(), record, silver.read(store), store.url)


def _run_once(
    store: ObjectStore, observers: list[Observer], interactive: bool, work_dir: Path | None
) -> RunRecord:
    if not interactive:
        return run_pipeline(store, observers=[LogObserver(), *observers], work_dir=work_dir)
    with TerminalProgress(Console(stderr=True)) as shown:
        return run_pipeline(store, observers=[shown, *observers], work_dir=work_dir)


@main.command("sample-data")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The lake folder to write bronze/ingest_date=.../ drops into.",
)
@click.option("--participants", type=int, default=DEFAULTS.participants, show_default=True)
@click.option(
    "--days",
    type=int,
    default=DEFAULTS.days,
    show_default=True,
    help="Trial days; one drop per day.",
)
@click.option("--seed", type=int, default=DEFAULTS.seed, show_default=True)
@click.option(
    "--dirt",
    type=float,
    default=DEFAULTS.dirt,
    show_default=True,
    help="Fraction of rows carrying one defect (BOM, CRLF, units in numbers, bad dates...).",
)
@click.option(
    "--size-mb",
    type=float,
    default=None,
    help="Write ONE drop of about this size instead (for benchmarks; streamed to disk).",
)
def sample_data(
    out: Path, participants: int, days: int, seed: int, dirt: float, size_mb: float | None
) -> None:
    """Write seeded, deliberately dirty bronze drops of the potato-diet trial."""
    try:
        spec = SampleSpec(
            participants=participants, days=days, seed=seed, dirt=dirt, size_mb=size_mb
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    progress: Callable[[int], None] | None = None
    if size_mb and sys.stderr.isatty():
        progress = render.bytes_progress(Console(stderr=True), int(size_mb * 1e6))
    summary = write_sample(spec, out, on_progress=progress)
    render.sample_summary(Console(), summary, out)


@main.command("validate")
@lake_option
@json_option
@click.option(
    "--all", "all_partitions", is_flag=True, help="Check every partition, not only new ones."
)
def validate_cmd(lake: str | None, as_json: bool, all_partitions: bool) -> None:
    """Run the bronze contracts only; exit 1 when a file breaks its reject limit.

    Nothing is written to the lake.
    """
    with (
        _lake(lake) as (_settings, store),
        tempfile.TemporaryDirectory(prefix="potato-validate-") as tmp,
    ):
        manifest = silver.read(store)
        processed = () if all_partitions else Bookkeeping.of(manifest).partitions
        try:
            files = ingest.collect(store, processed, Path(tmp)).files
            validated = validate.Validated(
                tuple(validate.validate_file(f, Path(tmp)) for f in files)
            )
        except PipelineError as exc:
            fail(str(exc), EXIT_FAILED)
        breaches = validate.limit_breaches(validated)
        doc: dict[str, Any] = {
            "files": len(validated.results),
            "rows": validated.rows_in,
            "rejected": validated.rejected(),
            "breaches": breaches,
        }
        if as_json:
            click.echo(json.dumps(doc, indent=2))
        else:
            render.validation(Console(), validated, breaches)
        if breaches:
            sys.exit(EXIT_FAILED)


@main.command()
@lake_option
@json_option
@click.option(
    "--runs", "limit", type=int, default=10, show_default=True, help="How many recent runs."
)
@click.option(
    "--prometheus",
    metavar="URL",
    help="Take the SLIs from this Prometheus (default: $PROMETHEUS_URL); else from the ledger.",
)
def status(lake: str | None, as_json: bool, limit: int, prometheus: str | None) -> None:
    """The committed silver tables, the runbook's three SLIs and the last runs.

    With --json the shape is {"snapshot", "sequence", "versions", "silver": {table: {"rows",
    "files", "version"}}, "rejects":
    {rule: n}, "slis": {...}, "runs": [...]}, newest run first; file paths are relative to the
    lake. The SLIs say their source: "prometheus" or "ledger".
    """
    prometheus = prometheus or os.environ.get("PROMETHEUS_URL") or None
    with _lake(lake) as (_settings, store):
        runs = ledger.recent(store, max(limit, 200))
        doc = status_document(silver.read(store), runs[-limit:])
        doc["slis"] = _slis(prometheus, runs, store).to_dict()
        if as_json:
            click.echo(json.dumps(doc, indent=2))
        else:
            render.status(Console(), doc, store.url)


def _slis(prometheus: str | None, runs: list[RunRecord], store: ObjectStore) -> slis.SLIs:
    if prometheus:
        try:
            return slis.from_prometheus(prometheus)
        except (OSError, ValueError, PrometheusApiClientException) as exc:
            click.echo(
                f"warning: Prometheus {prometheus} unavailable ({exc}); SLIs from the ledger",
                err=True,
            )
    totals = Totals.from_dict(ledger.latest_totals(store))
    return slis.from_ledger(runs, totals.last_success, time.time())


def _register_ops() -> None:
    from pipeline.maintenance import read, vacuum
    from pipeline.ops import backup, verify

    main.add_command(verify)
    main.add_command(backup)
    main.add_command(read)
    main.add_command(vacuum)


_register_ops()
