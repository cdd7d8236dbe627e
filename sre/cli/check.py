"""`sre check`: run every check on the generated artefacts; one line per problem."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sre.check import run_checks
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
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
def check(
    env: str, service_path: str | None, root: Path | None, site_dir: Path | None, quiet: bool
) -> None:
    """promtool check/test rules, amtool check-config, dashboard lint, rule and runbook
    cross-references, and `mkdocs build --strict`. Exit 1 when anything is wrong."""
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

    problems = run_checks(root, service, env, site_dir or root / "site", progress)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        click.echo(f"{len(problems)} problem(s)", err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"all checks passed in {time.perf_counter() - started:.1f} s", err=True)
