"""`sre stack up|down|status`: the local stack of real components, on loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sre.cli.common import fail, service_options
from sre.cli.spec_option import project_of
from sre.stack import Shape, StackError, StackSpec, down, status, up

FOLDER = Path("build/stack")

folder_option = click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=FOLDER,
    show_default=True,
    help="Where the stack keeps its configs, data, logs, PIDs and remediation state.",
)


@click.group()
def stack() -> None:
    """Pushgateway, Prometheus, Alertmanager and `sre serve` on 127.0.0.1, on free ports.

    \b
      sre generate --env demo --out build/demo
      sre stack up --artefacts build/demo --lake ./lake --setenv POTATO_LAKE=$PWD/lake
      sre stack status
      sre stack down
    """


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--setenv")
        found[name] = value
    return found


@stack.command("up")
@folder_option
@click.option(
    "--artefacts",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/demo"),
    show_default=True,
    help="Output of `sre generate --env ENV --out DIR`: rules and Alertmanager fragments.",
)
@service_options
@click.option(
    "--lake",
    metavar="URL",
    help="The lake the data actions of sre serve work on (the service's own job finds it "
    "through its own settings: --setenv).",
)
@click.option("--quarantine", metavar="URL", help="Where quarantine moves objects.")
@click.option("--backup", metavar="URL", help="Where backups are read and written.")
@click.option(
    "--ha",
    is_flag=True,
    help="The highly available topology: 3 Alertmanager peers in a cluster, 2 Prometheus "
    "replicas (replica label dropped from alerts), 2 sre serve replicas on --state.",
)
@click.option(
    "--state",
    "state_url",
    metavar="URL",
    help="The remediation state all replicas share (postgresql://...); needed with --ha. "
    "Default: a SQLite file in --dir.",
)
@click.option(
    "--setenv",
    "setenv",
    metavar="NAME=VALUE",
    multiple=True,
    callback=lambda _ctx, _param, pairs: _pairs(pairs),
    help="An environment variable for sre serve and the commands its actions run, such as "
    "the service's own settings (repeatable; recorded in the stack's record, so no secrets: "
    "sre serve inherits the environment it is started from): --setenv POTATO_LAKE=/data/lake.",
)
@click.option("--no-install", is_flag=True, help="Never apt-get install missing packages.")
@click.option("--json", "as_json", is_flag=True, help="Print the stack record as JSON.")
def up_cmd(
    folder: Path,
    artefacts: Path,
    service_path: str,
    env_name: str,
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    ha: bool,
    state_url: str | None,
    setenv: dict[str, str],
    no_install: bool,
    as_json: bool,
) -> None:
    """Start the stack and wait until Prometheus has scraped both targets. A failed start
    stops everything it started."""
    spec = StackSpec(
        folder=folder,
        artefacts=artefacts,
        service=project_of(service_path).service,
        env=env_name,
        lake=lake,
        quarantine=quarantine,
        backup=backup,
        install=not no_install,
        shape=Shape.ha() if ha else Shape(),
        state_url=state_url,
        environ=setenv,
    )
    try:
        record = up(spec)
    except StackError as exc:
        fail(str(exc), 3)
    if as_json:
        click.echo(record.to_json(), nl=False)
        return
    for name, url in record.urls.items():
        click.echo(f"{name:<14} {url:<28} pid {record.pids[name]}")
    click.echo(f"logs in {folder / 'logs'}; stop with: sre stack down --dir {folder}")


@stack.command("down")
@folder_option
def down_cmd(folder: Path) -> None:
    """Stop every component the stack recorded (by PID, checked against its program)."""
    try:
        stopped = down(folder)
    except StackError as exc:
        fail(str(exc), 3)
    if not stopped:
        click.echo(f"no stack recorded in {folder}")
    for name, was_running in stopped.items():
        click.echo(f"{name:<13} {'stopped' if was_running else 'was not running'}")


@stack.command("status")
@folder_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def status_cmd(folder: Path, as_json: bool) -> None:
    """URLs and PIDs of the recorded stack, and which components still run. Exit 1 when a
    component is down or no stack is recorded."""
    try:
        doc = status(folder)
    except StackError as exc:
        fail(str(exc), 3)
    alive = doc.get("alive", {})
    if as_json:
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    elif not doc:
        click.echo(f"no stack recorded in {folder}")
    else:
        for name, url in doc["urls"].items():
            state = "up" if alive.get(name) else "DOWN"
            click.echo(f"{name:<13} {url:<28} pid {doc['pids'].get(name, '-'):<8} {state}")
    sys.exit(0 if alive and all(alive.values()) else 1)
