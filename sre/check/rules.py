"""Cross-references of the rule files on disk: the spec's alerts are all there, and every
metric an expression reads is emitted by the service or recorded by a rule."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sre.check.problem import Problem
from sre.check.prometheus import rule_files
from sre.check.promql import metric_names
from sre.spec.service import Service

__all__ = ["AlertRule", "check_rule_references", "load_alert_rules", "recorded_names"]

CHECK = "rules"


@dataclass(frozen=True, slots=True)
class AlertRule:
    file: str
    name: str
    expr: str
    for_: str
    labels: dict[str, str]
    annotations: dict[str, str]


def _rules(root: Path, service: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in rule_files(root, service):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for group in doc.get("groups", []):
            out += [(path.relative_to(root).as_posix(), rule) for rule in group.get("rules", [])]
    return out


def load_alert_rules(root: Path, service: str | None = None) -> list[AlertRule]:
    return [
        AlertRule(
            file,
            rule["alert"],
            str(rule.get("expr", "")),
            str(rule.get("for", "0s")),
            dict(rule.get("labels") or {}),
            dict(rule.get("annotations") or {}),
        )
        for file, rule in _rules(root, service)
        if "alert" in rule
    ]


def recorded_names(root: Path, service: str | None = None) -> set[str]:
    return {rule["record"] for _, rule in _rules(root, service) if "record" in rule}


def check_rule_references(root: Path, service: Service) -> list[Problem]:
    problems: list[Problem] = []
    try:
        rules = _rules(root, service.name)
    except (OSError, yaml.YAMLError) as exc:
        return [Problem(CHECK, "alerts/", f"cannot read rule files: {exc}")]
    # Prometheus itself writes `up` for every target; no service emits it.
    known = set(service.metrics) | recorded_names(root) | {"up"}
    on_disk = {rule.get("alert") for _, rule in rules}
    for alert in service.alerts:
        if alert.name not in on_disk:
            problems.append(
                Problem(CHECK, "alerts/", f"alert {alert.name} of the spec is in no rule file")
            )
    for file, rule in rules:
        name = rule.get("alert") or rule.get("record")
        for metric in sorted(metric_names(str(rule.get("expr", ""))) - known):
            problems.append(
                Problem(
                    CHECK, file, f"{name} reads metric {metric}, which the service does not emit"
                )
            )
    return problems
