"""Prometheus rule files: the service's alerts by group, and the recording rules that the
multi-window burn-rate alerts read. Pure: spec in, one dict per rule file out."""

from __future__ import annotations

from typing import Any

from sre.generate.expressions import (
    alert_annotations,
    alert_labels,
    burn_windows,
    error_ratio_record,
    expression,
    rate_record,
)
from sre.spec.alert import BurnRate
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.units import prom_duration

__all__ = ["prometheus_rules", "recording_rules", "rule_file"]


def rule_file(service: Service) -> str:
    """One rule file per service, holding all its groups: services share a folder."""
    return f"alerts/{service.name}.rules.yml"


def recording_rules(service: Service) -> list[dict[str, str]]:
    """Per window: the rate of all events, of bad events, and their ratio, each summed by the
    SLO's `group_by` labels before dividing. The ratio divides by `(... > 0)` so an idle
    pipeline yields no sample at all instead of 0/0."""
    rules: list[dict[str, str]] = []
    for slo in service.slos:
        if slo.kind != "success_ratio":
            continue
        for window in burn_windows(service, slo):
            rules += [
                {
                    "record": rate_record(slo, window),
                    "expr": slo.events("total", window),
                },
                {
                    "record": rate_record(slo, window, bad=True),
                    "expr": slo.events("bad", window),
                },
                {
                    "record": error_ratio_record(slo, window),
                    "expr": f"{rate_record(slo, window, bad=True)}"
                    f" / ({rate_record(slo, window)} > 0)",
                },
            ]
    return rules


def prometheus_rules(service: Service, env: Environment) -> dict[str, dict[str, Any]]:
    """Rule file path -> `{"groups": [...]}`; `service` must be resolved for `env`."""
    groups: dict[str, list[dict[str, Any]]] = {}
    burn = next((a for a in service.alerts if isinstance(a.expr, BurnRate)), None)
    if burn is not None:
        # Recorded first, in the group of the first burn-rate alert, so that group reads
        # ratios of the same evaluation.
        groups[service.group(burn)] = recording_rules(service)
    for alert in service.alerts:
        groups.setdefault(service.group(alert), []).append(
            {
                "alert": alert.name,
                "expr": expression(alert, service),
                "for": prom_duration(alert.for_),
                "labels": alert_labels(alert, service),
                "annotations": dict(alert_annotations(alert, service, env)),
            }
        )
    return {
        rule_file(service): {
            "groups": [{"name": name, "rules": rules} for name, rules in groups.items()]
        }
    }
