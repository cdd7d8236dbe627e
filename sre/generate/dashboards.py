"""Grafana dashboards built with grafanalib, then brought to schemaVersion 39: datasources as
template variables (`${datasource}` for Prometheus, `${loki}` for logs), units, descriptions,
SLO thresholds on the panels that show an SLO, and links to the runbook pages."""

from __future__ import annotations

import json
from typing import Any

import grafanalib.core as g
from grafanalib._gen import DashboardEncoder

from sre.generate.expressions import panel_ids
from sre.generate.grafana_model import conform, dashboard_link, target
from sre.spec.dashboard import Dashboard, Panel
from sre.spec.environment import RUNBOOK_PAGE, Environment
from sre.spec.service import Service
from sre.spec.slo import SLO

__all__ = ["SCHEMA_VERSION", "dashboard_file", "grafana_dashboard", "grafana_dashboards"]

SCHEMA_VERSION = 39
PROMETHEUS = {"type": "prometheus", "uid": "${datasource}"}
LOKI = {"type": "loki", "uid": "${loki}"}
_REF_IDS = "ABCDEFGHIJ"


def dashboard_file(service: Service, dashboard: Dashboard) -> str:
    """Named by the dashboard's uid (`<service>-<slug>`), unique across services."""
    return f"dashboards/{service.dashboard_uid(dashboard)}.json"


def _steps(slo: SLO) -> list[dict[str, Any]]:
    """Green under the objective, orange past it, red past the critical (or warning) value."""
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if slo.kind == "success_ratio":
        return [{"color": "red", "value": None}, {"color": "green", "value": slo.objective}]
    steps.append({"color": "orange", "value": slo.objective})
    worst = slo.critical if slo.critical is not None else slo.warning
    if worst is not None:
        steps.append({"color": "red", "value": worst})
    return steps


def _targets(panel: Panel, service: Service) -> list[dict[str, Any]]:
    slo = service.slo(panel.slo) if panel.slo else None
    queries = ((slo.query(),) if slo else ()) + panel.queries
    own = ("{{task}}",) if slo and slo.kind == "latency" else ("",)
    legends = (own if slo else ()) + (panel.legends or ("",) * len(panel.queries))
    datasource = LOKI if panel.kind == "logs" else PROMETHEUS
    return [
        target(panel.kind, _REF_IDS[i], q, legend, datasource)
        for i, (q, legend) in enumerate(zip(queries, legends, strict=True))
    ]


def _grafanalib_panel(panel: Panel, service: Service, env: Environment) -> g.Panel:
    slo = service.slo(panel.slo) if panel.slo else None
    datasource = LOKI if panel.kind == "logs" else PROMETHEUS
    common: dict[str, Any] = {
        "title": panel.title,
        "description": panel.description,
        "dataSource": datasource,
        "targets": [],  # written below, typed as Grafana's Prometheus and Loki models have them
    }
    if panel.kind == "logs":
        return g.Logs(**common, showTime=True, wrapLogMessages=True, sortOrder="Descending")
    if panel.kind == "stat":
        return g.Stat(**common, format=panel.unit or (slo.display_unit if slo else "none"))
    return g.TimeSeries(**common, unit=panel.unit or (slo.display_unit if slo else "none"))


def _layout(panels: tuple[Panel, ...]) -> list[dict[str, int]]:
    """Left to right in rows of 24 columns; a panel that does not fit starts a new row."""
    x = y = row_height = 0
    grid = []
    for panel in panels:
        if x + panel.width > 24:
            x, y, row_height = 0, y + row_height, 0
        grid.append({"h": panel.height, "w": panel.width, "x": x, "y": y})
        x += panel.width
        row_height = max(row_height, panel.height)
    return grid


def grafana_dashboard(dashboard: Dashboard, service: Service, env: Environment) -> dict[str, Any]:
    """One dashboard as Grafana JSON (a plain dict)."""
    built = g.Dashboard(
        title=dashboard.title,
        description=dashboard.description,
        uid=service.dashboard_uid(dashboard),
        tags=list(dashboard.tags),
        timezone="utc",
        time=g.Time("now-24h", "now"),
        refresh="1m",
        panels=[_grafanalib_panel(p, service, env) for p in dashboard.panels],
        links=[],
        templating=g.Templating(
            [
                g.Template(
                    name="datasource", label="Prometheus", query="prometheus", type="datasource"
                ),
                g.Template(name="loki", label="Loki", query="loki", type="datasource"),
            ]
        ),
    )
    data = conform(json.loads(json.dumps(built.to_json_data(), cls=DashboardEncoder)))
    data["schemaVersion"] = SCHEMA_VERSION
    data["version"] = 1
    data["links"] = [dashboard_link("Runbook", env.page_url(service.site_page("index.md")))]
    ids = panel_ids(dashboard)
    for spec, panel, grid in zip(
        dashboard.panels, data["panels"], _layout(dashboard.panels), strict=True
    ):
        panel["id"] = ids[spec.title]
        panel["gridPos"] = grid
        panel["datasource"] = LOKI if spec.kind == "logs" else PROMETHEUS
        panel["targets"] = _targets(spec, service)
        if spec.section:
            url = env.page_url(service.site_page(RUNBOOK_PAGE), spec.section)
            panel["links"] = [dashboard_link("Runbook", url)]
        for key in ("span", "height", "minSpan", "error", "editable", "repeat", "thresholds"):
            panel.pop(key, None)
        if spec.kind == "logs":
            continue
        defaults = panel.setdefault("fieldConfig", {}).setdefault("defaults", {})
        slo = service.slo(spec.slo) if spec.slo else None
        defaults["unit"] = spec.unit or (slo.display_unit if slo else "none")
        if slo:
            defaults["thresholds"] = {"mode": "absolute", "steps": _steps(slo)}
            if spec.kind == "timeseries":
                defaults.setdefault("custom", {})["thresholdsStyle"] = {"mode": "line"}
    defaults = {"datasource": env.prometheus_datasource, "loki": env.loki_datasource}
    for var in data["templating"]["list"]:
        name = defaults[var["name"]]
        var["current"] = {"selected": False, "text": name, "value": name}
    return data


def grafana_dashboards(service: Service, env: Environment) -> dict[str, dict[str, Any]]:
    return {
        dashboard_file(service, d): grafana_dashboard(d, service, env) for d in service.dashboards
    }
