"""The service: everything the generators need, validated as a whole when built."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from sre.errors import SpecError
from sre.spec.alert import Alert, BurnRate, Threshold, frozen_map
from sre.spec.dashboard import Dashboard
from sre.spec.environment import RUNBOOK_PAGE, Environment
from sre.spec.metric import Metric
from sre.spec.receiver import Receiver
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
    importing the service; `declared_metrics` add each metric's type and labels, which
    `sre check --metrics-url` compares with a real scrape. `labels` go on every alert and are
    what "the same service" means for routes and inhibitions (so at least one is required).
    `runbook_file` is where the single-file runbook goes in the repository (default
    `ops/<name>.runbook.md`); name another path to keep the links of an existing runbook."""

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
    receivers: tuple[Receiver, ...] = ()
    declared_metrics: tuple[Metric, ...] = ()
    runbook_file: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", frozen_map(self.labels))
        if not self.runbook_file:
            object.__setattr__(self, "runbook_file", f"ops/{self.name}.runbook.md")
        # Declared metrics name their series too: `metrics` is always the full list.
        series = {n for m in self.declared_metrics for n in m.series_names}
        object.__setattr__(self, "metrics", tuple(sorted({*self.metrics, *series})))
        # Each policy knows its service: the runbook prints commands naming it.
        bound = tuple(
            p if p.service == self.name else replace(p, service=self.name) for p in self.remediation
        )
        object.__setattr__(self, "remediation", bound)
        owner = f"Service {self.name!r}"

        def fail(field: str, message: str) -> SpecError:
            return SpecError(message, owner=owner, field=field)

        if not _SERVICE.match(self.name):
            raise fail("name", "use lower-case letters, digits and dashes")
        if not self.labels:
            # Routes select the service by these labels and inhibitions keep to it with
            # `equal` on them: empty, a critical anywhere would mute every warning.
            raise fail("labels", f"give at least one label, e.g. {{'service': {self.name!r}}}")
        _check_runbook_file(self.runbook_file, fail)
        _check_receivers(self.receivers, fail, "receivers")
        for env in self.environments:
            if env.receivers is not None:
                _check_receivers(env.receivers, fail, f"environments[{env.name}].receivers")
        for what, names in (
            ("slos", [s.name for s in self.slos]),
            ("alerts", [a.name for a in self.alerts]),
            ("sections", [s.anchor for s in self.sections]),
            ("procedures", [p.slug for p in self.procedures]),
            ("dashboards", [d.slug for d in self.dashboards]),
            ("environments", [e.name for e in self.environments]),
            ("declared_metrics", [m.name for m in self.declared_metrics]),
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

    def site_page(self, page: str) -> str:
        """A page of this service in the runbook site (`alerts/X.md` -> `<name>/alerts/X.md`):
        each service has its own folder, so several share one site."""
        return f"{self.name}/{page}"

    def runbook_url(self, env: Environment, anchor: str) -> str:
        """An alert's `runbook_url`: a section of this service's single-file runbook."""
        return env.runbook_url(self.site_page(RUNBOOK_PAGE), self.runbook_file, anchor)

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
        receivers = self.receivers if env.receivers is None else env.receivers
        return replace(
            self,
            slos=tuple(slos),
            alerts=tuple(alerts),
            remediation=remediation,
            receivers=receivers,
        )

    def receiver_name(self, receiver: Receiver | str) -> str:
        """A receiver's name in Alertmanager: prefixed with the service's."""
        name = receiver if isinstance(receiver, str) else receiver.name
        return f"{self.name}-{name}"


def _check_runbook_file(path: str, fail: Callable[[str, str], SpecError]) -> None:
    parts = path.split("/")
    if not path.endswith(".md") or path.startswith("/") or ".." in parts or "" in parts:
        raise fail("runbook_file", f"{path!r}: give a relative path to a .md file, without ..")
    if path.startswith("runbooks/"):
        raise fail("runbook_file", f"{path!r}: runbooks/ holds the hand-written pages and the site")


def _check_receivers(
    receivers: tuple[Receiver, ...], fail: Callable[[str, str], SpecError], where: str
) -> None:
    names = [r.name for r in receivers]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise fail(where, f"duplicate names {dupes}")
    defaults = [r.name for r in receivers if not r.severities]
    if len(defaults) > 1:
        raise fail(where, f"more than one default receiver (no severities): {defaults}")
    taken = [s for r in receivers for s in r.severities]
    twice = sorted({s for s in taken if taken.count(s) > 1})
    if twice:
        raise fail(where, f"severities {twice} go to more than one receiver")
