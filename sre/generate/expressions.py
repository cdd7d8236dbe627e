"""Alert expressions and texts rendered from a resolved spec, shared by every generator so the
rule, its test, its dashboard link and its runbook page print the same thing."""

from __future__ import annotations

from collections.abc import Mapping

from sre.errors import GenerateError
from sre.spec.alert import Alert, BurnRate, Threshold
from sre.spec.burn import BurnTier
from sre.spec.dashboard import Dashboard
from sre.spec.environment import Environment
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import human_duration, number, percent, prom_duration

__all__ = [
    "alert_annotations",
    "alert_labels",
    "burn_expression",
    "burn_tiers",
    "burn_windows",
    "dashboard_url",
    "error_ratio_record",
    "expression",
    "origin_note",
    "panel_ids",
    "rate_record",
    "remediation_command",
    "texts",
    "tier_rows",
]


def _level(slo: SLO) -> str:
    """The `level` part of a recording rule name: the labels it keeps (`job`, `job_task`)."""
    return "_".join(slo.group_by) or "global"


def rate_record(slo: SLO, window: int, bad: bool = False) -> str:
    """`job:potato_pipeline_tasks:rate5m` (or `..._failure:rate5m`): level:metric:operations."""
    base = slo.metric.removesuffix("_total") + (f"_{slo.bad}" if bad else "")
    return f"{_level(slo)}:{base}:rate{prom_duration(window)}"


def error_ratio_record(slo: SLO, window: int) -> str:
    """`job:potato_pipeline_tasks_failure_per_tasks:ratio_rate5m`."""
    base = slo.metric.removesuffix("_total")
    name = f"{base}_{slo.bad}_per_{base.rsplit('_', 1)[-1]}"
    return f"{_level(slo)}:{name}:ratio_rate{prom_duration(window)}"


def burn_tiers(service: Service, slo: SLO) -> tuple[BurnTier, ...]:
    """The tiers of `slo` that an alert uses, fastest (shortest long window) first."""
    names = set(_burning(service, slo))
    return tuple(sorted((t for t in slo.burn_tiers if t.name in names), key=lambda t: t.long))


def _burning(service: Service, slo: SLO) -> dict[str, str]:
    """Tier name -> the alert that burns it, for the burn-rate alerts on `slo`."""
    return {
        a.expr.tier: a.name
        for a in service.alerts
        if isinstance(a.expr, BurnRate) and a.expr.slo == slo.name
    }


def burn_windows(service: Service, slo: SLO) -> tuple[int, ...]:
    """Every window a burn-rate alert on `slo` reads, sorted."""
    return tuple(sorted({w for t in burn_tiers(service, slo) for w in (t.long, t.short)}))


def burn_expression(slo: SLO, tier: BurnTier) -> str:
    """Both windows burn faster than the tier's factor, and the long window saw enough events
    to mean something (the low-traffic guard: one failure of a quiet job is not an outage)."""
    limit = f"({number(tier.factor(slo.window))} * {number(slo.threshold('budget'))})"
    parts = [
        f"{error_ratio_record(slo, tier.long)} > {limit}",
        f"{error_ratio_record(slo, tier.short)} > {limit}",
    ]
    if slo.min_events:
        parts.append(f"{rate_record(slo, tier.long)} * {tier.long} >= {slo.min_events}")
    return " and ".join(parts)


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
    return burn_expression(slo, slo.tier(expr.tier))


def texts(alert: Alert, service: Service) -> tuple[str, str]:
    """Summary and description with `{threshold}`, `{window}` (thresholds) or `{long}`,
    `{short}`, `{factor}`, `{fraction}`, `{period}` (burn rates) filled in."""
    values: dict[str, str] = {}
    expr = alert.expr
    if isinstance(expr, Threshold):
        slo = service.slo(expr.slo)
        values["threshold"] = slo.describe(expr.level)
        values["window"] = human_duration(expr.window or slo.window)
    elif isinstance(expr, BurnRate):
        slo = service.slo(expr.slo)
        tier = slo.tier(expr.tier)
        values["long"] = human_duration(tier.long)
        values["short"] = human_duration(tier.short)
        values["factor"] = number(tier.factor(slo.window))
        values["fraction"] = percent(tier.budget_fraction)
        values["period"] = human_duration(slo.window)
    try:
        return alert.summary.format(**values), alert.description.format(**values)
    except (KeyError, IndexError) as exc:
        raise GenerateError(f"{alert.name}: unknown placeholder {exc}", path="summary") from exc


def origin_note(alert: Alert, service: Service) -> str:
    """One line for the alert's page: why its expression differs from the source runbook's
    (`Alert.origin`); empty when there is no origin or they are the same."""
    expr = alert.expr
    if not alert.origin or alert.origin == expression(alert, service):
        return ""
    if isinstance(expr, Threshold):
        slo = service.slo(expr.slo)
        labels = ", ".join(f"`{g}`" for g in slo.group_by) or "nothing"
        if slo.kind == "success_ratio":
            return (
                "The source divides series by series, so each failure series is divided by "
                "its own total and reads 1 on any single failure; this rule sums the rates by "
                f"{labels} before it divides."
            )
        if slo.kind == "latency":
            return (
                "The source takes a quantile of each bucket series on its own; this rule sums "
                f"the bucket rates by {labels} and `le` first, so the quantile covers every "
                "instance and push group."
            )
        if slo.kind == "freshness":
            return (
                "The source's `time() - gauge` is empty once the gauge is gone (job deleted, "
                "Pushgateway wiped) and never fires; this rule also fires when the gauge has "
                "been absent for longer than the threshold."
            )
    return "The generated expression is the spec's; the source's is shown for reference."


def tier_rows(service: Service, slo: SLO) -> list[dict[str, str]]:
    """The burn-rate tiers `slo`'s alerts use, as table rows for people."""
    alerts = _burning(service, slo)
    budget = slo.threshold("budget")
    return [
        {
            "tier": tier.name,
            "alert": alerts[tier.name],
            "fraction": percent(tier.budget_fraction),
            "long": prom_duration(tier.long),
            "short": prom_duration(tier.short),
            "factor": number(tier.factor(slo.window)),
            "error_ratio": percent(round(tier.factor(slo.window) * budget, 9)),
            "severity": tier.severity,
        }
        for tier in burn_tiers(service, slo)
    ]


def remediation_command(alert: Alert, service: Service) -> str:
    """The command that mitigates the alert: the automated action's CLI equivalent, or the
    alert's manual first step."""
    policies = service.policies(alert.name)
    return policies[0].cli if policies else alert.command


def alert_labels(alert: Alert, service: Service) -> dict[str, str]:
    """Service and alert labels, priority and severity; a burn-rate alert also names its SLO
    and tier, so a faster tier can inhibit a slower one of the same SLO."""
    expr = alert.expr
    burn = {"slo": expr.slo, "burn_tier": expr.tier} if isinstance(expr, BurnRate) else {}
    return {
        **service.labels,
        **alert.labels,
        **burn,
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
    url = service.runbook_url(env, alert.section)
    return {
        "summary": summary,
        "description": description,
        "runbook_url": url,
        "runbook": url,
        "dashboard_url": dashboard_url(alert, service, env),
    }
