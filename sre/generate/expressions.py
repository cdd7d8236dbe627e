"""Alert expressions and texts rendered from a resolved spec, shared by every generator so the
rule, its test, its dashboard link and its runbook page print the same thing."""

from __future__ import annotations

from collections.abc import Mapping

from sre.errors import GenerateError
from sre.spec.alert import Alert, BurnRate, Threshold
from sre.spec.dashboard import Dashboard
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import human_duration, number, prom_duration

__all__ = [
    "alert_annotations",
    "alert_labels",
    "burn_windows",
    "dashboard_url",
    "error_ratio_record",
    "expression",
    "panel_ids",
    "rate_record",
    "remediation_command",
    "texts",
]


def rate_record(slo: SLO, window: int, bad: bool = False) -> str:
    """`job:potato_pipeline_tasks:rate5m` (or `..._failure:rate5m`): level:metric:operations."""
    base = slo.metric.removesuffix("_total") + (f"_{slo.bad}" if bad else "")
    return f"job:{base}:rate{prom_duration(window)}"


def error_ratio_record(slo: SLO, window: int) -> str:
    """`job:potato_pipeline_tasks_failure_per_tasks:ratio_rate5m`."""
    base = slo.metric.removesuffix("_total")
    return f"job:{base}_{slo.bad}_per_{base.rsplit('_', 1)[-1]}:ratio_rate{prom_duration(window)}"


def burn_windows(service: Service, slo: SLO) -> tuple[int, ...]:
    """Every window a burn-rate alert on `slo` reads, sorted."""
    windows = {
        w
        for a in service.alerts
        if isinstance(a.expr, BurnRate) and a.expr.slo == slo.name
        for w in (a.expr.long, a.expr.short)
    }
    return tuple(sorted(windows))


def expression(alert: Alert, service: Service) -> str:
    """The alert's PromQL in a resolved service."""
    expr = alert.expr
    if isinstance(expr, str):
        return expr
    slo = service.slo(expr.slo)
    if isinstance(expr, Threshold):
        return slo.condition(expr.level, expr.window)
    if slo.kind != "success_ratio":
        raise GenerateError(f"{alert.name}: burn rates need a success_ratio SLO", path=slo.name)
    limit = f"({number(expr.factor)} * {number(slo.threshold('budget'))})"
    return (
        f"{error_ratio_record(slo, expr.long)} > {limit}"
        f" and {error_ratio_record(slo, expr.short)} > {limit}"
    )


def texts(alert: Alert, service: Service) -> tuple[str, str]:
    """Summary and description with `{threshold}`, `{window}`, `{long}`, `{short}` filled in."""
    values: dict[str, str] = {}
    expr = alert.expr
    if isinstance(expr, Threshold):
        slo = service.slo(expr.slo)
        values["threshold"] = slo.describe(expr.level)
        values["window"] = human_duration(expr.window or slo.window)
    elif isinstance(expr, BurnRate):
        values["long"] = human_duration(expr.long)
        values["short"] = human_duration(expr.short)
    try:
        return alert.summary.format(**values), alert.description.format(**values)
    except (KeyError, IndexError) as exc:
        raise GenerateError(f"{alert.name}: unknown placeholder {exc}", path="summary") from exc


def remediation_command(alert: Alert, service: Service) -> str:
    """The command that mitigates the alert: the automated action's CLI equivalent, or the
    alert's manual first step."""
    policies = service.policies(alert.name)
    return policies[0].cli if policies else alert.command


def alert_labels(alert: Alert, service: Service) -> dict[str, str]:
    return {
        **service.labels,
        **alert.labels,
        "priority": alert.priority.value,
        "severity": alert.severity,
    }


def panel_ids(dashboard: Dashboard) -> dict[str, int]:
    """Panel title -> id: ids are positions, so they are stable while the panel list is."""
    return {panel.title: index for index, panel in enumerate(dashboard.panels, start=1)}


def dashboard_url(alert: Alert, service: Service, env: Environment) -> str:
    """The dashboard that shows the alert's signal (the panel itself when named)."""
    for dashboard in service.dashboards:
        ids = panel_ids(dashboard)
        if not alert.panel or alert.panel in ids:
            uid = service.dashboard_uid(dashboard)
            url = f"{env.grafana_url}/d/{uid}/{dashboard.slug}"
            return f"{url}?viewPanel={ids[alert.panel]}" if alert.panel else url
    raise GenerateError(f"{alert.name}: no dashboard has panel {alert.panel!r}", path="panel")


def alert_annotations(alert: Alert, service: Service, env: Environment) -> Mapping[str, str]:
    summary, description = texts(alert, service)
    url = env.runbook_url(alert.section)
    return {
        "summary": summary,
        "description": description,
        "runbook_url": url,
        "runbook": url,
        "dashboard_url": dashboard_url(alert, service, env),
    }
