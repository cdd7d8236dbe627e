"""Our YAML service file (`apiVersion: sre/v1`): the `Service` type's fields, one key each.

The file is the spec types written as YAML (docs/spec.md lists every field), with the
shorthand `sre.spec.formats.convert` allows everywhere and a few of its own:

- `job` and `title` default to `name`; `priorities` to the usual P0-P3 table;
- `environments` default to those of the project config, else one local `prod`;
- a success_ratio SLO's `objective`, `warning` and `critical` may be percentages as Sloth
  writes them (`99.9`, or `"99.9%"`) or ratios (`0.999`);
- a latency SLO's thresholds may be durations (`"300ms"`); a freshness SLO's too (`"26h"`,
  divided by its `unit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sre.spec.environment import Environment
from sre.spec.formats.convert import INVALID, Problems, build, shown
from sre.spec.formats.defaults import DEFAULT_PRIORITIES, local_environment
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import parse_duration

__all__ = ["API_VERSION", "load_yaml_spec", "merge_environments"]

API_VERSION = "sre/v1"
_LEVELS = ("objective", "warning", "critical")


def merge_environments(
    own: Sequence[Environment], project: Sequence[Environment]
) -> tuple[Environment, ...]:
    """The spec's environments, those of the project config replacing any of the same name;
    a local `prod` when neither has one."""
    merged = {e.name: e for e in own} | {e.name: e for e in project}
    if "prod" not in merged:
        merged = {"prod": local_environment(), **merged}
    return tuple(merged.values())


def _seconds(value: Any) -> float | None:
    if isinstance(value, str) and not value.strip().endswith("%"):
        try:
            return parse_duration(value)
        except ValueError:
            return None
    return None


def slo_shorthand(raw: dict[str, Any], path: str, problems: Problems) -> dict[str, Any]:
    """Percentages and durations in an SLO's thresholds, as its kind reads them."""
    kind = raw.get("kind")
    unit = raw.get("unit", 1)
    unit_seconds = _seconds(unit) if isinstance(unit, str) else unit
    for level in _LEVELS:
        value = raw.get(level)
        if value is None:
            continue
        if kind == "success_ratio" and isinstance(value, int | float) and 1 < value <= 100:
            raw[level] = value / 100
        elif kind == "latency" and _seconds(value) is not None:
            raw[level] = _seconds(value)
        elif kind == "freshness" and _seconds(value) is not None:
            if not isinstance(unit_seconds, int | float) or unit_seconds <= 0:
                problems.add(f"{path}.{level}", f"{shown(value)} needs a valid `unit`")
            else:
                raw[level] = _seconds(value) / unit_seconds  # type: ignore[operator]
    return raw


def _service_defaults(project: Sequence[Environment]) -> Any:
    def hook(raw: dict[str, Any], path: str, problems: Problems) -> dict[str, Any]:
        name = raw.get("name")
        if isinstance(name, str):
            raw.setdefault("job", name)
            raw.setdefault("title", name)
        if not raw.get("priorities"):
            raw["priorities"] = DEFAULT_PRIORITIES
        own = raw.get("environments") or ()
        if project or not own:
            built = build(tuple[Environment, ...], own, "environments", problems, {})
            if built is not INVALID:
                raw["environments"] = merge_environments(built, project)
        return raw

    return hook


def load_yaml_spec(
    doc: Mapping[str, Any], source: str, environments: Sequence[Environment] = ()
) -> Service:
    """The `Service` an `apiVersion: sre/v1` document describes; SpecFileError lists every
    problem, one line each (`orders.yaml: slos[1].window: "7x" is not a duration`)."""
    problems = Problems(source)
    body = dict(doc)
    if body.pop("apiVersion", None) != API_VERSION:
        problems.add("apiVersion", f"must be {API_VERSION}")
    kind = body.pop("kind", "Service")
    if kind != "Service":
        problems.add("kind", f"{shown(kind)} is not Service")
    hooks = {SLO: slo_shorthand, Service: _service_defaults(tuple(environments))}
    service = build(Service, body, "", problems, hooks)
    problems.check()
    assert isinstance(service, Service)
    return service
