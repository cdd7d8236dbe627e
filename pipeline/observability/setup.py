"""Which observers a run gets, from its settings and the standard environment variables."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pipeline.observability.lineage import LineageObserver, client_for
from pipeline.observability.metrics import MetricsExporter, PipelineMetrics
from pipeline.observability.tracing import TracingObserver, provider_from_env
from pipeline.runner import Observer
from pipeline.settings import Settings
from sre.storage import ObjectStore


def instrumentation(
    settings: Settings,
    env: Mapping[str, str],
    *,
    live: PipelineMetrics | None = None,
    lineage_store: ObjectStore | None = None,
    cwd: Path | None = None,
) -> list[Observer]:
    """The observers a run gets from its configuration: metrics always; traces and lineage
    as the standard OTEL_* and OPENLINEAGE_* variables (or openlineage.yml) say."""
    observers: list[Observer] = [MetricsExporter(pushgateway=settings.pushgateway, live=live)]
    provider = provider_from_env(env)
    if provider is not None:
        observers.append(TracingObserver(provider))
    if lineage_store is not None:
        client = client_for(lineage_store, env, cwd or Path.cwd())
        if client is not None:
            observers.append(LineageObserver(client))
    return observers
