"""`sre init NAME [--dir DIR]`: a starter spec (`sre.yaml`) and its runbook pages that
`sre generate` and `sre check` accept as they are."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from sre.exitcodes import ExitCode

__all__ = ["init", "starter_files"]

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")

_SPEC = """\
# The service spec of {name}: every field is described in docs/spec.md of the sre library.
# `sre generate` writes rules, promtool tests, Alertmanager config, dashboards and the
# runbook site from it; `sre check` checks them.
apiVersion: sre/v1
kind: Service
name: {name}
title: {title}
job: {name}
# On every alert, and what the Alertmanager fragment's route matches.
labels:
  service: {name}
metrics:
  - {prefix}_last_success_timestamp_seconds
  - {prefix}_runs_total

slos:
  - name: freshness
    title: Freshness
    kind: freshness
    metric: {prefix}_last_success_timestamp_seconds
    description: Hours since the last successful run.
    unit: 1h
    objective: 26h
  - name: run-success
    title: Successful runs
    kind: success_ratio
    metric: {prefix}_runs_total
    description: Share of runs that succeed, over 30 days.
    objective: 99      # percent
    window: 30d

sections:
  - title: Stale Data
    intro: The last successful run is older than the objective.
  - title: Failing Runs
    intro: Runs fail faster than the error budget allows.

alerts:
  - name: {camel}Stale
    priority: P1
    summary: "No successful run for more than {{threshold}}"
    description: The last successful run is older than the freshness objective.
    section: stale-data
    expr: {{slo: freshness, level: objective}}
    for: 10m
    command: echo "start a run of {name} by hand"
  - name: {camel}BudgetBurn
    priority: P1
    summary: Runs are failing fast
    description: The error budget of successful runs burns fast.
    section: failing-runs
    expr: {{slo: run-success, tier: ticket-fast}}
    command: echo "read the logs of the last failed run of {name}"

dashboards:
  - slug: overview
    title: {title}
    description: Freshness and run outcomes.
    panels:
      - title: Freshness
        kind: stat
        description: Hours since the last successful run.
        slo: freshness
        section: stale-data
      - title: Run success ratio
        kind: timeseries
        description: Share of successful runs.
        slo: run-success
        section: failing-runs

# environments: the default is one local `prod`; declare yours before you deploy:
# environments:
#   - name: prod
#     runbook_base_url: https://github.com/ORG/REPO/blob/main/
#     site_url: https://runbooks.example.org/{name}/
#     grafana_url: https://grafana.example.org
#     webhook_url: http://sre-remediator:9095/alertmanager
#     webhook_credentials_file: /etc/alertmanager/secrets/sre-remediator-token
"""

_PAGE = """\
## Meaning

{meaning}

## Impact

Say who notices and what they see.

## Mitigation

1. Say what to look at first.
2. Say how to repair it and how to confirm recovery.
"""


def starter_files(name: str) -> dict[str, str]:
    """Relative path -> text of a new project for service `name`."""
    camel = "".join(w.capitalize() for w in name.split("-"))
    prefix = name.replace("-", "_")
    title = " ".join(w.capitalize() for w in name.split("-"))
    spec = _SPEC.format(name=name, camel=camel, prefix=prefix, title=title)
    return {
        "sre.yaml": spec,
        f"runbooks/alerts/{camel}Stale.md": _PAGE.format(
            meaning="The last successful run is older than the freshness objective."
        ),
        f"runbooks/alerts/{camel}BudgetBurn.md": _PAGE.format(
            meaning="Runs fail faster than the error budget of successful runs allows."
        ),
    }


@click.command("init")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default=True,
    help="Where to write sre.yaml and runbooks/.",
)
def init(name: str, folder: Path) -> None:
    """Write a starter spec `sre.yaml` for service NAME and its runbook pages; refuses to
    overwrite a file that exists."""
    if not _NAME.match(name):
        click.echo(f"error: {name!r}: use lower-case letters, digits and dashes", err=True)
        sys.exit(ExitCode.USAGE)
    files = starter_files(name)
    existing = [p for p in files if (folder / p).exists()]
    if existing:
        click.echo(f"error: {folder / existing[0]} exists; nothing written", err=True)
        sys.exit(ExitCode.FAILED)
    for path, text in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(files)} files in {folder}: edit sre.yaml, then `sre generate`")
