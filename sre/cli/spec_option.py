"""`--service SPEC` for every command, resolved through the project config (`sre.spec.project`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from sre.errors import SpecError, SpecFileError
from sre.exitcodes import ExitCode
from sre.spec.load import load_service
from sre.spec.project import Project, find_project
from sre.spec.service import Service

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["SERVICE_HELP", "load_project", "project_of", "service_option", "spec_failed"]

SERVICE_HELP = (
    "The service spec: MODULE:ATTR, a .py file, or a .yaml file (ours or OpenSLO v1). "
    "Default: $SRE_SERVICE, else [tool.sre] service in ./pyproject.toml, else ./sre.yaml."
)


def service_option(func: F) -> F:
    return click.option(
        "--service", "service_path", default=None, metavar="SPEC", help=SERVICE_HELP
    )(func)


def spec_failed(exc: SpecError) -> NoReturn:
    """Every problem on its own line, exit 2 (a spec to fix), never a traceback."""
    lines = exc.problems if isinstance(exc, SpecFileError) else (str(exc),)
    for line in lines:
        click.echo(f"error: {line}", err=True)
    sys.exit(ExitCode.USAGE)


def project_of(service_path: str | None) -> Project:
    try:
        return find_project(service_path, dict(os.environ), Path())
    except SpecError as exc:
        spec_failed(exc)


def load_project(project: Project) -> Service:
    """The project's service; the current folder is importable for Python specs."""
    here = str(Path.cwd())
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)
    try:
        return load_service(project.service, project.environments)
    except SpecError as exc:
        spec_failed(exc)
