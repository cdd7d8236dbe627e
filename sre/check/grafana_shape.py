"""The shape Grafana's own dashboard model (schema 39+, Grafana 11 and 12) needs, checked
without Grafana: what grafanalib and hand edits get wrong most often. `null` where an object or
value is wanted, threshold steps that are not an array, untyped targets (no datasource type,
a numeric Loki `step`, legacy `target`/`metric` keys), and top-level keys the model lacks.

The full check (Grafana's model and JSON schemas) runs in this repository's tests with
grafana-foundation-sdk; this one runs in `sre check` wherever `sre` is installed.
"""

from __future__ import annotations

from typing import Any

__all__ = ["shape_problems"]

# Grafana 11.6's Dashboard properties (its JSON schema allows no others).
_DASHBOARD_KEYS = frozenset({
    "id", "uid", "title", "description", "revision", "gnetId", "tags", "timezone", "editable",
    "graphTooltip", "time", "timepicker", "fiscalYearStartMonth", "liveNow", "weekStart",
    "refresh", "schemaVersion", "version", "panels", "templating", "annotations", "links",
    "snapshot", "preload",
})  # fmt: skip
_LEGACY_TARGET = ("target", "metric", "query", "intervalFactor")


def _nulls(value: Any, path: str) -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{path}[{i}]")]
    return []


def shape_problems(doc: dict[str, Any]) -> list[str]:
    """One message per departure from Grafana's model (empty when it fits)."""
    problems = [f"top-level key {k!r} is not in Grafana's dashboard model"
                for k in sorted(set(doc) - _DASHBOARD_KEYS)]  # fmt: skip
    for path in _nulls(doc, ""):
        # The base threshold step is -Infinity, which JSON (and Grafana) writes as null.
        if not path.endswith(".steps[0].value"):
            problems.append(f"{path} is null (leave it out, or give a value)")
    for index, panel in enumerate(doc.get("panels", [])):
        where = f"panels[{index}]"
        thresholds = (panel.get("fieldConfig") or {}).get("defaults", {}).get("thresholds")
        if isinstance(thresholds, dict) and not isinstance(thresholds.get("steps"), list):
            problems.append(f"{where}: thresholds.steps must be an array")
        for number, target in enumerate(panel.get("targets") or []):
            at = f"{where}.targets[{number}]"
            source = target.get("datasource") or panel.get("datasource") or {}
            if not isinstance(source, dict) or not source.get("type"):
                problems.append(f"{at}: no datasource type")
            if "step" in target and not isinstance(target["step"], str):
                problems.append(f"{at}.step: {target['step']!r} must be a string (e.g. \"1m\")")
            legacy = [k for k in _LEGACY_TARGET if k in target]
            if legacy:
                problems.append(f"{at}: legacy keys {legacy} (not in the query model)")
    return problems
