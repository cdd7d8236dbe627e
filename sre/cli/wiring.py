"""What the remediation commands share: the state store, the action dependencies built from
options, and the service check that the runbook's printed commands carry."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
from prometheus_client import CollectorRegistry

from sre.cli.common import fail, load
from sre.errors import SreError
from sre.exitcodes import ExitCode
from sre.remediation.deps import Deps, Stores
from sre.remediation.metrics import RemediationMetrics
from sre.remediation.registry import Registry, default_registry
from sre.remediation.run import Guard, Runner
from sre.remediation.state import StateStore
from sre.spec.service import Service
from sre.storage import open_store

F = TypeVar("F", bound=Callable[..., Any])

__all__ = [
    "actions",
    "deps_from",
    "location_options",
    "open_state_store",
    "runner_for",
    "service_name_option",
    "spec",
]


def actions() -> Registry:
    try:
        return default_registry()
    except SreError as exc:
        fail(str(exc), ExitCode.USAGE)


def open_state_store(
    url: str, service: str = "", owner: str | None = None, wait: float = 0.0
) -> StateStore:
    """The state store; an unreachable one is waited for up to `wait` seconds (a server
    starting while its database restarts), then the command fails."""
    from sre.remediation.run import durably

    try:
        return durably(lambda: StateStore.open(url, service, owner), "the state store", wait)
    except SreError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)


def service_name_option(func: F) -> F:
    return click.option(
        "--service-name",
        "service_name",
        metavar="NAME",
        help="Refuse to act unless the spec loaded is this service's (the runbook prints it).",
    )(func)


def spec(service_path: str, env_name: str, service_name: str | None = None) -> Service:
    """The service, checked against `--service-name` when given."""
    service = load(service_path, env_name)
    if service_name and service.name != service_name:
        fail(
            f"the spec {service_path} is service {service.name!r}, not {service_name!r}: "
            f"pass --service with {service_name}'s spec",
            ExitCode.USAGE,
        )
    return service


def location_options(func: F) -> F:
    func = click.option("--lake", metavar="URL", envvar="SRE_LAKE", help="The lake ($SRE_LAKE).")(
        func
    )
    func = click.option(
        "--quarantine",
        metavar="URL",
        envvar="SRE_QUARANTINE",
        help="Where quarantined objects go ($SRE_QUARANTINE).",
    )(func)
    func = click.option(
        "--backup", metavar="URL", envvar="SRE_BACKUP", help="Backups ($SRE_BACKUP)."
    )(func)
    return click.option(
        "--prometheus",
        metavar="URL",
        envvar="PROMETHEUS_URL",
        help="Verify that conditions cleared through this Prometheus.",
    )(func)


def _stores(lake: str | None, quarantine: str | None, backup: str | None) -> Stores | None:
    if not (lake and quarantine and backup):
        return None
    settings = dict(os.environ)
    try:
        return Stores(
            lake=open_store(lake, env=settings),
            quarantine=open_store(
                quarantine, env=settings, create=not quarantine.startswith("s3://")
            ),
            backup=open_store(backup, env=settings, create=not backup.startswith("s3://")),
        )
    except SreError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)


def deps_from(
    lake: str | None,
    quarantine: str | None,
    backup: str | None,
    prometheus: str | None,
    service: Service | None = None,
) -> Deps:
    """The clients actions act through, from the command's options and the environment. The
    post-check queries each alert's expression as the spec generates it (`service`)."""
    from sre.generate.expressions import expression
    from sre.remediation.clients import PrometheusCheck
    from sre.remediation.kube import api_client

    exprs = {a.name: expression(a, service) for a in service.alerts} if service else {}
    return Deps(
        stores=_stores(lake, quarantine, backup),
        env=dict(os.environ),
        prometheus=PrometheusCheck(prometheus, exprs) if prometheus else None,
        kubernetes=api_client,
    )


def runner_for(
    store: StateStore,
    deps: Deps,
    actor: str,
    guard: Guard | None = None,
    metrics: RemediationMetrics | None = None,
) -> Runner:
    return Runner(
        store=store,
        registry=actions(),
        deps=deps,
        metrics=metrics or RemediationMetrics(CollectorRegistry()),
        guard=guard,
        actor=actor,
    )
