"""Kubernetes objects for the Prometheus Operator: the service's rules as a `PrometheusRule`
(monitoring.coreos.com/v1; the same groups as `alerts/<service>.rules.yml`), and a
`ServiceMonitor` that scrapes `sre serve` when the service has remediation policies.
Pure: spec and rule documents in, one dict per object out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sre.spec.environment import Environment
from sre.spec.service import Service

__all__ = [
    "REMEDIATOR_SELECTOR",
    "prometheus_rule",
    "prometheus_rule_file",
    "service_monitor",
    "service_monitor_file",
]

# The labels and port of the `sre serve` Service (infra/k8s/service.yaml shows one).
REMEDIATOR_SELECTOR = {"app.kubernetes.io/name": "sre-remediator"}
REMEDIATOR_PORT = "http"


def prometheus_rule_file(service: Service) -> str:
    return f"k8s/{service.name}.prometheusrule.yaml"


def service_monitor_file(service: Service) -> str:
    return f"k8s/{service.name}.servicemonitor.yaml"


def _metadata(name: str, service: Service, env: Environment) -> dict[str, Any]:
    labels = {
        "app.kubernetes.io/part-of": service.name,
        "app.kubernetes.io/managed-by": "sre",
        **env.kubernetes_labels,
    }
    return {"name": name, "labels": labels}


def prometheus_rule(
    service: Service, env: Environment, rules: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Every group of the generated rule files, in one PrometheusRule."""
    groups = [group for doc in rules.values() for group in doc["groups"]]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata(service.name, service, env),
        "spec": {"groups": groups},
    }


def service_monitor(service: Service, env: Environment) -> dict[str, Any]:
    """Scrape `sre serve`'s /metrics (remediations, circuits, kill switch, webhook codes)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(f"{service.name}-sre-remediator", service, env),
        "spec": {
            "selector": {"matchLabels": dict(REMEDIATOR_SELECTOR)},
            "endpoints": [{"port": REMEDIATOR_PORT, "path": "/metrics", "interval": "30s"}],
        },
    }
