"""Dashboard lint: the shape Grafana's model needs (`sre.check.grafana_shape`), structure (ids,
grid, uid, schema, datasource variables, unit and description on every panel) and queries
(PromQL parses, every metric is one the service emits)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sre.check.grafana_shape import shape_problems
from sre.check.problem import Problem
from sre.check.prometheus import parse_errors
from sre.check.promql import metric_names, without_grafana_variables

__all__ = ["MIN_SCHEMA_VERSION", "lint_dashboard", "lint_dashboards", "unknown_metrics"]

MIN_SCHEMA_VERSION = 39
CHECK = "dashboard"
_KINDS = {"timeseries", "stat", "logs"}


def unknown_metrics(expr: str, known: Iterable[str]) -> list[str]:
    return sorted(metric_names(expr) - set(known))


def _overlaps(a: dict[str, int], b: dict[str, int]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def lint_dashboard(
    where: str, doc: dict[str, Any], known: set[str]
) -> tuple[list[Problem], dict[str, str]]:
    """Problems found without tools, and the PromQL to parse (key -> expr)."""
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem(CHECK, where, message))

    for message in shape_problems(doc):
        bad(f"Grafana model: {message}")
    uid = doc.get("uid") or ""
    if not uid or len(uid) > 40:
        bad(f"uid {uid!r} must be 1 to 40 characters")
    if int(doc.get("schemaVersion") or 0) < MIN_SCHEMA_VERSION:
        bad(f"schemaVersion {doc.get('schemaVersion')} is below {MIN_SCHEMA_VERSION}")
    variables = {
        v.get("name"): v.get("query")
        for v in doc.get("templating", {}).get("list", [])
        if v.get("type") == "datasource"
    }
    if "prometheus" not in variables.values():
        bad("no Prometheus datasource template variable")
    if not doc.get("links"):
        bad("no link to the runbook")
    panels = doc.get("panels", [])
    seen: dict[int, str] = {}
    exprs: dict[str, str] = {}
    for panel in panels:
        title = panel.get("title", "?")
        pid = panel.get("id")
        label = f"panel {pid} {title!r}"
        if pid in seen:
            bad(f"{label}: id {pid} is also used by {seen[pid]!r}")
        seen[pid] = title
        if panel.get("type") not in _KINDS:
            bad(f"{label}: type {panel.get('type')!r} is not one of {sorted(_KINDS)}")
        if not panel.get("description"):
            bad(f"{label}: no description")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if panel.get("type") != "logs" and not unit:
            bad(f"{label}: no unit")
        source = panel.get("datasource") or {}
        if (
            not str(source.get("uid", "")).startswith("${")
            or source.get("uid", "")[2:-1] not in variables
        ):
            bad(f"{label}: datasource {source.get('uid')!r} is not a datasource template variable")
        if panel.get("type") == "logs":
            continue
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            key = f"{label} query {target.get('refId', '?')}"
            exprs[key] = without_grafana_variables(expr)
            for name in unknown_metrics(expr, known):
                bad(f"{key} reads metric {name}, which the service does not emit")
    grids = [(p.get("title", "?"), p.get("gridPos") or {}) for p in panels]
    for i, (title_a, a) in enumerate(grids):
        if not all(k in a for k in "xywh"):
            bad(f"panel {title_a!r}: incomplete gridPos {a}")
            continue
        if a["x"] + a["w"] > 24:
            bad(f"panel {title_a!r}: gridPos is wider than 24 columns")
        for title_b, b in grids[i + 1 :]:
            if all(k in b for k in "xywh") and _overlaps(a, b):
                bad(f"panels {title_a!r} and {title_b!r} overlap")
    return problems, exprs


def lint_dashboards(root: Path, known: set[str], service: str | None = None) -> list[Problem]:
    """Lint the dashboards (only `service`'s, named `<service>-<slug>.json`, when given)."""
    files = sorted((root / "dashboards").glob(f"{service}-*.json" if service else "*.json"))
    if not files:
        return [Problem(CHECK, "dashboards/", "no dashboards")]
    problems: list[Problem] = []
    to_parse: dict[str, str] = {}
    uids: dict[str, str] = {}
    for path in files:
        where = path.relative_to(root).as_posix()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(Problem(CHECK, where, f"not JSON: {exc}"))
            continue
        if doc.get("uid") in uids:
            problems.append(
                Problem(CHECK, where, f"uid {doc['uid']!r} also used by {uids[doc['uid']]}")
            )
        uids[doc.get("uid", "")] = where
        found, exprs = lint_dashboard(where, doc, known)
        problems += found
        to_parse |= {f"{where}\0{key}": expr for key, expr in exprs.items()}
    errors, tool_problems = parse_errors(to_parse)
    problems += tool_problems
    for key, error in sorted(errors.items()):
        where, _, what = key.partition("\0")
        problems.append(Problem(CHECK, where, f"{what} does not parse as PromQL: {error}"))
    return problems
