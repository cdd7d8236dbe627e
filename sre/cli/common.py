"""Options and helpers shared by the remediation commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from sqlalchemy.engine import Engine

from sre.cli.spec_option import SERVICE_HELP, load_project, project_of
from sre.errors import SreError
from sre.remediation import state
from sre.spec.service import Service

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STATE = "sqlite:///sre-state.db"


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def state_option(func: F) -> F:
    return click.option(
        "--state",
        "state_url",
        metavar="URL",
        envvar="SRE_STATE",
        default=DEFAULT_STATE,
        show_default=True,
        help="sqlite:///PATH or postgresql://... shared by replicas ($SRE_STATE).",
    )(func)


def service_options(func: F) -> F:
    func = click.option(
        "--service",
        "service_path",
        default=None,
        metavar="SPEC",
        help=SERVICE_HELP,
    )(func)
    return click.option(
        "--env",
        "env_name",
        default="prod",
        show_default=True,
        help="The spec's environment overlay (prod, demo...).",
    )(func)


def open_state(url: str) -> Engine:
    try:
        return state.connect(url)
    except SreError as exc:
        fail(str(exc), 3)


def load(service_path: str | None, env_name: str) -> Service:
    service = load_project(project_of(service_path))
    try:
        return service.resolved(service.environment(env_name))
    except SreError as exc:
        fail(str(exc), 2)


def env() -> dict[str, str]:
    return dict(os.environ)
