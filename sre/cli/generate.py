"""`sre generate`: write (or, with --check, compare) every artefact generated from the spec.

This is the only place that turns generated data into YAML, JSON and files.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml

from sre.cli.outputs import SITE_OWNER, OutputConflict, header, owner, plan, site_header
from sre.cli.spec_option import load_project, project_of, service_option
from sre.errors import SreError
from sre.generate import NOTES, artefacts
from sre.generate.site import (
    MKDOCS_FILE,
    SHARED_FILES,
    SITE_DIR,
    SITE_INDEX,
    mkdocs_config,
    site_index,
)
from sre.spec.project import Project

__all__ = ["diff", "generate", "read_content", "render", "tree_site", "write"]


def serialize(path: str, data: Any, header: str) -> str:
    """One artefact as file text, headed "generated, do not edit" in the file's own syntax."""
    if path.endswith(".json"):
        # Grafana's schema allows no extra top-level key, so the header ends the description.
        described = f"{data.get('description', '')}\n\n{header}".strip()
        return json.dumps({**data, "description": described}, indent=2, sort_keys=True) + "\n"
    if path.endswith(".md"):
        return f"<!-- {header} -->\n\n{data.rstrip()}\n"
    comment = f"# {header}\n"
    if path.endswith(".alertmanager.yml"):
        comment += "#\n" + "".join(
            f"# {line}\n".replace("# \n", "#\n") for line in NOTES.splitlines()
        )
    body = yaml.safe_dump(data, sort_keys=False, width=4096, allow_unicode=True)
    return comment + body


def read_content(runbooks: Path) -> dict[str, str]:
    """Hand-written runbook files, relative to `runbooks/`; the generated site is left out."""
    site = runbooks / Path(SITE_DIR).name
    return {
        p.relative_to(runbooks).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(runbooks.rglob("*.md"))
        if site not in p.parents
    }


def render(project: Project | str, env: str, content: Mapping[str, str]) -> dict[str, str]:
    """Relative path -> file text for every artefact (`project`: one, or a spec reference)."""
    if isinstance(project, str):
        project = Project(project, "--service", Path("runbooks"), Path())
    service = load_project(project)
    text, shared = header(service.name, env), site_header(env)
    return {
        p: serialize(p, d, shared if p in SHARED_FILES else text)
        for p, d in artefacts(service, env, content).items()
    }


def _other_pages(out: Path, services: set[str | None]) -> dict[str, str]:
    """Site pages (relative to the site's docs) of the other services generated into `out`."""
    base = out / SITE_DIR
    found: dict[str, str] = {}
    for path in sorted(base.rglob("*.md")) if base.is_dir() else ():
        rel = path.relative_to(base).as_posix()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        mark = owner(text)
        if mark and mark not in services and rel.split("/", 1)[0] == mark:
            found[rel] = text
    return found


def _served_at(text: str) -> str | None:
    """The `site_url` of a generated `mkdocs.yml` (None: not ours, or unreadable)."""
    try:
        data = yaml.safe_load(text) if owner(text) else None
    except yaml.YAMLError:
        return None
    url = data.get("site_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else None


def tree_site(out: Path, files: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """`files` with the tree's site files (`mkdocs.yml`, the site home) redone over the pages of
    every service in `out`, this one's as generated now; and one line per refusal (the tree's
    site is served at another `site_url`)."""
    if MKDOCS_FILE not in files:
        return dict(files), []
    services = {owner(text) for text in files.values()} - {None, SITE_OWNER}
    own = {
        p.removeprefix(f"{SITE_DIR}/"): t
        for p, t in files.items()
        if p.startswith(f"{SITE_DIR}/") and p != SITE_INDEX
    }
    others = _other_pages(out, services)
    config = yaml.safe_load(files[MKDOCS_FILE])
    refused = []
    current = out / MKDOCS_FILE
    if others and current.is_file():
        served = _served_at(current.read_text(encoding="utf-8"))
        if served and served != config["site_url"]:
            names = sorted({p.split("/", 1)[0] for p in others})
            refused.append(
                f"refusing to rewrite {MKDOCS_FILE}: the tree's runbook site is served at "
                f"{served} (services {', '.join(names)}), this environment's site_url is "
                f"{config['site_url']}; one site per tree: give every service the same site_url"
            )
    pages = {**others, **own}
    shared = files[MKDOCS_FILE].splitlines()[0].removeprefix("# ")
    updated = dict(files)
    updated[MKDOCS_FILE] = serialize(MKDOCS_FILE, mkdocs_config(pages, config["site_url"]), shared)
    updated[SITE_INDEX] = serialize(SITE_INDEX, site_index(pages), shared)
    return updated, refused


def diff(out: Path, files: Mapping[str, str]) -> list[str]:
    """One line per file that differs from what generation produces now (and per file that
    generation would refuse to overwrite)."""
    files, refused = tree_site(out, files)
    found = plan(out, files)
    missing = set(found.missing)
    return [
        *(f"missing: {p}" if p in missing else f"differs: {p}" for p in found.write),
        *(f"stale: {p}" for p in found.remove),
        *found.refused,
        *refused,
    ]


def write(out: Path, files: Mapping[str, str]) -> tuple[int, int]:
    """Write changed files, delete this service's stale ones; return (written, removed).

    The tree's site files are redone over every service's pages in `out` (`tree_site`).
    Raises `OutputConflict`, having written nothing, when a file to overwrite is not ours."""
    files, refused = tree_site(out, files)
    found = plan(out, files)
    if found.refused or refused:
        raise OutputConflict([*found.refused, *refused])
    for path in found.write:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(files[path], encoding="utf-8")
    for path in found.remove:
        (out / path).unlink()
        folder = (out / path).parent
        # A folder emptied by the removal goes too (an old layout's runbooks/site/alerts/).
        while folder != out and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
    return len(found.write), len(found.remove)


@click.command("generate")
@click.option(
    "--env", "env", default="prod", show_default=True, help="Environment overlay (prod, demo)."
)
@service_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: [tool.sre] out, else the current folder).",
)
@click.option(
    "--runbooks",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Hand-written runbook content (default: [tool.sre] runbooks, else runbooks/ beside "
    "a YAML spec, else ./runbooks).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 listing every file that differs."
)
def generate(
    env: str, service_path: str | None, out: Path | None, runbooks: Path | None, check: bool
) -> None:
    """Generate alert rules (plain and as a PrometheusRule), promtool tests, the Alertmanager
    fragment, Grafana dashboards and the runbook site from the service spec.

    File names carry the service (`alerts/<service>.rules.yml`, `dashboards/<uid>.json`, ...)
    so services share a tree; the runbook site too (the service's pages under
    `runbooks/site/<service>/`, `mkdocs.yml` and the site home redone over every service in
    the tree). Only files headed as generated for the same service are overwritten or
    removed; any other file that would be overwritten is refused, and then nothing is
    written (exit 2). Committed artefacts are the prod ones (`--out .`); demo goes
    to e.g. `--out build/demo`. Layout and merging: docs/outputs.md.
    """
    started = time.perf_counter()
    project = project_of(service_path)
    out = project.out if out is None else out
    try:
        content = read_content(project.runbooks if runbooks is None else runbooks)
        files = render(project, env, content)
    except SreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if check:
        problems = diff(out, files)
        for line in problems:
            click.echo(line)
        if problems:
            click.echo(
                f"{len(problems)} file(s) out of date: run `sre generate --env {env}`", err=True
            )
            sys.exit(1)
        click.echo(
            f"{len(files)} generated files up to date ({time.perf_counter() - started:.2f} s)"
        )
        return
    try:
        written, removed = write(out, files)
    except OutputConflict as exc:
        for line in exc.lines:
            click.echo(f"error: {line}", err=True)
        click.echo(f"{len(exc.lines)} file(s) refused; nothing written", err=True)
        sys.exit(2)
    click.echo(
        f"{len(files)} files ({written} written, {removed} stale removed) in {out} "
        f"in {time.perf_counter() - started:.2f} s"
    )
