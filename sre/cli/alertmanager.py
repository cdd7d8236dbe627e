"""`sre alertmanager merge`: the per-service fragments merged into a team's existing config."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import yaml

from sre.generate.alertmanager_merge import MergeError, merge

__all__ = ["alertmanager"]


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MergeError(f"cannot read: {exc}".replace("\n", " "), source=str(path)) from exc


@click.group("alertmanager")
def alertmanager() -> None:
    """Alertmanager configuration: merge per-service fragments into one config."""


@alertmanager.command("merge")
@click.argument("base", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument(
    "fragments", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True,
                                                          path_type=Path)
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write here instead of standard output.",
)  # fmt: skip
def merge_command(base: Path, fragments: tuple[Path, ...], output: Path | None) -> None:
    """Merge FRAGMENT files (`alerts/<service>.alertmanager.yml` from `sre generate`) into the
    Alertmanager config BASE and print the result:

        sre alertmanager merge alertmanager.base.yml alerts/*.alertmanager.yml > alertmanager.yml

    Each service's route goes in front of BASE's child routes, its receivers and inhibitions
    are appended. BASE keeps its global settings, templates and default receiver; comments are
    not kept. Refused, naming the file: a receiver name already defined, a service merged
    twice, an inhibition with an empty `equal`. Check the result with `amtool check-config`.
    """
    try:
        doc = _load(base)
        if not isinstance(doc, dict):
            raise MergeError("not a mapping", source=str(base))
        merged = merge(doc, [(str(f), _load(f)) for f in fragments])
    except MergeError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    names = ", ".join(str(f) for f in fragments)
    text = f"# Merged by `sre alertmanager merge` from {base} and {names}.\n" + yaml.safe_dump(
        merged, sort_keys=False, width=4096, allow_unicode=True
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({len(fragments)} fragment(s) merged)", err=True)
