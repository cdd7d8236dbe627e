"""`sre check`: run every check on the generated artefacts; one line per problem."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sre.check import Problem, run_checks
from sre.check.metrics import CHECK, compare, read_exposition
from sre.cli.spec_option import load_project, project_of, service_option

__all__ = ["check"]


@click.command("check")
@click.option(
    "--env",
    "env",
    default="prod",
    show_default=True,
    help="Environment the files were generated for.",
)
@service_option
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder holding alerts/, dashboards/, runbooks/site/ and mkdocs.yml "
    "(default: [tool.sre] out, else the current folder).",
)
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where mkdocs builds the site (default: DIR/site).",
)
@click.option(
    "--metrics-url", "metrics_urls", multiple=True, metavar="URL",
    help="Also compare the spec's declared metrics (name, type, labels) with this live "
    "/metrics scrape; repeat for several processes (e.g. the service and `sre serve`).",
)  # fmt: skip
@click.option(
    "--metrics-file", "metrics_files", multiple=True, metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="Like --metrics-url, from a Prometheus text exposition file (textfile collector, "
    "`curl .../metrics > FILE`).",
)  # fmt: skip
@click.option(
    "--metrics-only", is_flag=True,
    help="Only the comparison with --metrics-url/--metrics-file; skip the artefact checks.",
)  # fmt: skip
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
def check(
    env: str,
    service_path: str | None,
    root: Path | None,
    site_dir: Path | None,
    metrics_urls: tuple[str, ...],
    metrics_files: tuple[str, ...],
    metrics_only: bool,
    quiet: bool,
) -> None:
    """promtool check/test rules, amtool check-config (every Alertmanager fragment of the tree
    merged into a minimal base), dashboard lint, rule and runbook cross-references, and `mkdocs
    build --strict` of the tree's site; with --metrics-url/--metrics-file also the declared
    metrics against a real scrape. Exit 1 when anything is wrong."""
    started = time.perf_counter()
    project = project_of(service_path)
    service = load_project(project)
    root = project.out if root is None else root

    def progress(name: str, found: int) -> None:
        if not quiet:
            click.echo(
                f"{'ok  ' if not found else 'FAIL'} {name}" + (f" ({found})" if found else ""),
                err=True,
            )

    sources = [*metrics_urls, *metrics_files]
    if metrics_only and not sources:
        click.echo("error: --metrics-only needs --metrics-url or --metrics-file", err=True)
        sys.exit(2)
    problems = (
        [] if metrics_only else run_checks(root, service, env, site_dir or root / "site", progress)
    )
    if sources:
        texts: dict[str, str] = {}
        found: list[Problem] = []
        for source in sources:
            try:
                texts[source] = read_exposition(source)
            except (OSError, ValueError) as exc:
                found.append(Problem(CHECK, source, f"cannot read: {exc}"))
        found += compare(service.declared_metrics, texts)
        if not service.declared_metrics:
            found.append(Problem(CHECK, "spec", "declares no metrics (declared_metrics)"))
        progress("metrics against " + ", ".join(sources), len(found))
        problems += found
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"all checks passed in {time.perf_counter() - started:.1f} s", err=True)
