"""Human output of the CLI: short summaries and tables (JSON output lives in the CLI itself)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.ledger import RunRecord
from pipeline.sample import SampleSummary
from pipeline.silver import Silver
from pipeline.tasks.validate import Validated


def _rules(console: Console, rejected: Mapping[str, int], title: str) -> None:
    if not rejected:
        console.print(f"{title}: none")
        return
    table = Table(title=title, title_justify="left", box=None, pad_edge=False)
    table.add_column("rule")
    table.add_column("rows", justify="right")
    for rule, count in sorted(rejected.items(), key=lambda kv: -kv[1]):
        table.add_row(rule, f"{count:,}")
    console.print(table)


def run_summary(console: Console, record: RunRecord, manifest: Silver | None, lake: str) -> None:
    took = f"{record.duration_seconds:.1f} s"
    if record.status == "noop":
        console.print(
            f"Nothing new in {lake}/bronze: no partition to process, nothing published ({took})."
        )
        if manifest:
            console.print(f"Silver stays at run {manifest.sequence} ({manifest.snapshot}).")
        return
    console.print(
        f"[green]Run {record.run_id[:8]} succeeded[/] in {took}: {len(record.partitions)} new "
        f"partition(s), {record.bytes_read / 1e6:.1f} MB of bronze."
    )
    if manifest is None:
        return
    table = Table(title=f"silver after run {manifest.sequence}", title_justify="left")
    for column in ("table", "version", "rows", "files", "MB"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, entry in sorted(manifest.tables.items()):
        table.add_row(
            name,
            str(entry.version),
            f"{entry.rows:,}",
            str(len(entry.files)),
            f"{entry.bytes / 1e6:.2f}",
        )
    console.print(table)
    _rules(console, record.rejected, "rejected this run")
    console.print(f"silver:  {lake}/silver/  (Delta tables: silver/<table>/_delta_log)")
    console.print(f"rejects: {lake}/rejects/snapshot={manifest.snapshot}/")
    console.print(f"reports: {lake}/reports/")


def sample_summary(console: Console, summary: SampleSummary, out: Path) -> None:
    rows = ", ".join(f"{kind} {n:,}" for kind, n in summary.rows.items())
    console.print(
        f"Wrote {summary.files} bronze files in {len(summary.partitions)} partition(s), "
        f"{summary.bytes / 1e6:.1f} MB, to {out}/bronze/ ({rows} rows)."
    )
    if summary.dirt:
        dirt = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.dirt.items()))
        console.print(f"Dirt on purpose: {dirt}.")


def bytes_progress(console: Console, total: int) -> Callable[[int], None]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    progress = Progress(
        BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=console, transient=True
    )
    task = progress.add_task("writing", total=total)
    progress.start()

    def update(done: int) -> None:
        progress.update(task, completed=done)
        if done >= total:
            progress.stop()

    return update


def validation(console: Console, validated: Validated, breaches: list[str]) -> None:
    console.print(f"Checked {len(validated.results)} file(s), {validated.rows_in:,} rows.")
    _rules(console, validated.rejected(), "rows breaking a rule")
    for result in validated.results:
        if result.unknown_columns:
            console.print(
                f"{result.file.key}: unknown column(s) ignored: {', '.join(result.unknown_columns)}"
            )
    if breaches:
        console.print("[red]Reject limit broken:[/]")
        for line in breaches:
            console.print(f"  {line}")
    else:
        console.print("[green]Every file is within its contract's reject limit.[/]")


def status(console: Console, doc: Mapping[str, Any], lake: str) -> None:
    if doc["snapshot"] is None:
        console.print(f"No silver snapshot committed in {lake} yet.")
    else:
        table = Table(title=f"{lake}: silver snapshot {doc['snapshot']}", title_justify="left")
        for column in ("table", "rows", "files"):
            table.add_column(column, justify="left" if column == "table" else "right")
        for name, entry in doc["silver"].items():
            table.add_row(name, f"{entry['rows']:,}", str(len(entry["files"])))
        console.print(table)
        _rules(console, doc["rejects"], "rejected rows by rule (all runs)")
    _slis(console, doc.get("slis"))
    runs = Table(title="recent runs", title_justify="left")
    for column in ("started", "status", "partitions", "seconds", "detail"):
        runs.add_column(column)
    for run in doc["runs"]:
        detail = (
            f"{run['failed_task']}: {run['error']}" if run["error"] else (run["snapshot"] or "")
        )
        runs.add_row(
            run["started_at"],
            run["status"],
            str(len(run["partitions"])),
            f"{run['duration_seconds']:.1f}",
            detail,
        )
    console.print(runs)


def _slis(console: Console, found: Mapping[str, Any] | None) -> None:
    if not found:
        return
    table = Table(title=f"SLIs from {found['source']} ({found['window']})", title_justify="left")
    table.add_column("SLI")
    table.add_column("value", justify="right")
    table.add_column("target")
    fresh, ratio = found["freshness_hours"], found["success_ratio"]
    table.add_row(
        "silver freshness", "-" if fresh is None else f"{fresh:.2f} h", "< 2 h (critical 4 h)"
    )
    table.add_row("task success rate", "-" if ratio is None else f"{ratio:.1%}", "> 95 % over 24 h")
    worst = max(found["task_p95_seconds"].items(), key=lambda kv: kv[1], default=None)
    table.add_row(
        "task latency p95",
        "-" if worst is None else f"{worst[1]:.1f} s ({worst[0]})",
        "< 300 s (warning 600 s)",
    )
    console.print(table)
