"""The service: everything the generators need, validated as a whole when built."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sre.errors import SpecError
from sre.spec.alert import Alert, BurnRate, Threshold, frozen_map
from sre.spec.dashboard import Dashboard
from sre.spec.environment import Environment
from sre.spec.remediation import RemediationPolicy
from sre.spec.runbook import Contact, EscalationStep, PriorityLevel, Procedure, Section
from sre.spec.slo import SLO

__all__ = ["Service"]

_INT_FIELDS = {"window", "unit", "min_events", "min_window"}
_SERVICE = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True, slots=True)
class Service:
    """A service described as code. `metrics` lists every series name it emits (histograms as
    their `_bucket`/`_sum`/`_count`), so dashboards and rules are checked against it without
    importing the service. `labels` go on every alert and are what "the same service" means
    for inhibition."""

    name: str
    title: str
    job: str
    metrics: tuple[str, ...]
    slos: tuple[SLO, ...]
    alerts: tuple[Alert, ...]
    sections: tuple[Section, ...]
    procedures: tuple[Procedure, ...]
    dashboards: tuple[Dashboard, ...]
    priorities: tuple[PriorityLevel, ...]
    escalation: tuple[EscalationStep, ...]
    contacts: tuple[Contact, ...]
    environments: tuple[Environment, ...]
    remediation: tuple[RemediationPolicy, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", frozen_map(self.labels))
        # Each policy knows its service: the runbook prints commands naming it.
        bound = tuple(p if p.service == self.name else replace(p, service=self.name)
                      for p in self.remediation)
        object.__setattr__(self, "remediation", bound)
        owner = f"Service {self.name!r}"

        def fail(field: str, message: str) -> SpecError:
            return SpecError(message, owner=owner, field=field)

        if not _SERVICE.match(self.name):
            raise fail("name", "use lower-case letters, digits and dashes")
        for what, names in (
            ("slos", [s.name for s in self.slos]),
            ("alerts", [a.name for a in self.alerts]),
            ("sections", [s.anchor for s in self.sections]),
            ("procedures", [p.slug for p in self.procedures]),
            ("dashboards", [d.slug for d in self.dashboards]),
            ("environments", [e.name for e in self.environments]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise fail(what, f"duplicate names {dupes}")
        if "prod" not in {e.name for e in self.environments}:
            raise fail("environments", "a `prod` environment is required")
        slos = {s.name for s in self.slos}
        anchors = {s.anchor for s in self.sections}
        alerts = {a.name for a in self.alerts}
        for alert in self.alerts:
            if alert.section not in anchors:
                raise fail("alerts", f"{alert.name}: unknown runbook section {alert.section!r}")
            if isinstance(alert.expr, Threshold | BurnRate) and alert.expr.slo not in slos:
                raise fail("alerts", f"{alert.name}: unknown SLO {alert.expr.slo!r}")
            if isinstance(alert.expr, Threshold):
                self.slo(alert.expr.slo).threshold(alert.expr.level)
            if isinstance(alert.expr, BurnRate):
                tier = self.slo(alert.expr.slo).tier(alert.expr.tier)
                wanted = {"page": "critical", "ticket": "warning"}[tier.severity]
                if alert.severity != wanted:
                    raise fail(
                        "alerts",
                        f"{alert.name}: a {tier.severity} tier is severity {wanted}, "
                        f"but priority {alert.priority.value} is {alert.severity}",
                    )
            if not alert.command and not self.policies(alert.name):
                raise fail("alerts", f"{alert.name}: give a command or a remediation policy")
            panels = {p.title for d in self.dashboards for p in d.panels}
            if alert.panel and alert.panel not in panels:
                raise fail("alerts", f"{alert.name}: no dashboard has panel {alert.panel!r}")
        for policy in self.remediation:
            if policy.alertname not in alerts:
                raise fail("remediation", f"policy for unknown alert {policy.alertname!r}")
        for dashboard in self.dashboards:
            uid = self.dashboard_uid(dashboard)
            if len(uid) > 40:
                raise fail("dashboards", f"uid {uid!r} is longer than 40 characters")
            for panel in dashboard.panels:
                if panel.slo and panel.slo not in slos:
                    raise fail("dashboards", f"{panel.title}: unknown SLO {panel.slo!r}")
                if panel.section and panel.section not in anchors:
                    raise fail("dashboards", f"{panel.title}: unknown section {panel.section!r}")
        for env in self.environments:
            for name, values in env.slo_overrides.items():
                if name not in slos:
                    raise fail("environments", f"{env.name}: override for unknown SLO {name!r}")
                unknown = set(values) - set(SLO.__dataclass_fields__)
                if unknown:
                    raise fail("environments", f"{env.name}: unknown SLO fields {sorted(unknown)}")

    # --- look-ups -----------------------------------------------------------------------------

    def slo(self, name: str) -> SLO:
        for slo in self.slos:
            if slo.name == name:
                return slo
        raise SpecError(f"unknown SLO {name!r}", owner=f"Service {self.name!r}", field="slos")

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise SpecError(f"unknown environment {name!r} (known: {known})", field="environments")

    def dashboard_uid(self, dashboard: Dashboard) -> str:
        return f"{self.name}-{dashboard.slug}"

    def policies(self, alertname: str) -> tuple[RemediationPolicy, ...]:
        return tuple(p for p in self.remediation if p.alertname == alertname)

    def group(self, alert: Alert) -> str:
        return alert.group or self.name

    # --- environments -------------------------------------------------------------------------

    def resolved(self, env: Environment) -> Service:
        """This spec as deployed in `env`: SLO overrides applied, durations scaled, and the
        environment's remediation policies, if it has its own."""
        slos = []
        for slo in self.slos:
            values = {
                k: int(v) if k in _INT_FIELDS else v
                for k, v in env.slo_overrides.get(slo.name, {}).items()
            }
            if "window" not in values:
                values["window"] = env.scaled(slo.window)
            tiers = tuple(replace(t, long=env.scaled(t.long)) for t in slo.tiers)
            min_window = env.scaled(slo.min_window)
            slos.append(
                replace(slo, tiers=tiers, min_window=min_window, **values)  # type: ignore[arg-type]
            )
        alerts = []
        for alert in self.alerts:
            expr = alert.expr
            if isinstance(expr, Threshold):
                expr = replace(expr, window=env.scaled(expr.window))
            alerts.append(replace(alert, expr=expr, for_=env.scaled(alert.for_)))
        remediation = self.remediation if env.remediation is None else env.remediation
        return replace(self, slos=tuple(slos), alerts=tuple(alerts), remediation=remediation)
