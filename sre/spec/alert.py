"""Alerts: how a condition is written (literal PromQL, an SLO threshold, or an SLO burn rate),
how urgent it is, and the promtool cases that prove it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from sre.errors import SpecError
from sre.spec.slo import Level
from sre.spec.units import Seconds

__all__ = ["Alert", "BurnRate", "Case", "Priority", "Threshold", "frozen_map"]

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_ANCHOR = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def frozen_map(value: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """A read-only copy, so a frozen spec cannot be changed through a shared dict."""
    return MappingProxyType(dict(sorted((value or {}).items())))


class Priority(StrEnum):
    """Incident priority, P0 (drop everything) to P3 (next working day)."""

    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"

    @property
    def severity(self) -> str:
        """The Alertmanager `severity` label: P0 pages, P1/P2 warn, P3 informs."""
        return {"P0": "critical", "P1": "warning", "P2": "warning", "P3": "info"}[self.value]


@dataclass(frozen=True, slots=True)
class Threshold:
    """The alert fires while the SLO's SLI is past `level` (`window`: success_ratio alerts)."""

    slo: str
    level: Level
    window: Seconds = 0


@dataclass(frozen=True, slots=True)
class BurnRate:
    """Multi-window burn rate (SRE Workbook): the SLO's `tier` (see `sre.spec.burn`) says how
    much of the period's error budget may burn within its long window; the factor and the short
    window follow from the SLO's period."""

    slo: str
    tier: str

    def __post_init__(self) -> None:
        if not self.tier:
            owner = f"BurnRate {self.slo!r}"
            raise SpecError("name one of the SLO's tiers", owner=owner, field="tier")


@dataclass(frozen=True, slots=True)
class Case:
    """A promtool case: input series (`metric{label="v"}` -> promtool values), evaluated `at`
    seconds after the start; `fires` lists the labels each expected alert takes from the series
    (the rule's own labels are added by the generator); empty means it stays silent."""

    name: str
    series: Mapping[str, str]
    at: Seconds
    fires: tuple[Mapping[str, str], ...] = ()
    interval: Seconds = 60

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", frozen_map(self.series))
        object.__setattr__(self, "fires", tuple(frozen_map(f) for f in self.fires))
        if not self.series or self.at <= 0 or self.interval <= 0:
            raise SpecError("needs series, at > 0 and interval > 0", owner="Case", field=self.name)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alerting rule. `summary` may say `{threshold}` and `{window}`, filled from the SLO
    so the words cannot disagree with the expression."""

    name: str
    priority: Priority
    summary: str
    description: str
    section: str  # anchor of the runbook section that explains it
    expr: str | Threshold | BurnRate
    for_: Seconds = 0
    group: str = ""  # rule group; empty: the service's name
    labels: Mapping[str, str] = field(default_factory=dict)
    content: str = ""  # hand-written page under runbooks/; empty: alerts/<name>.md
    cases: tuple[Case, ...] = ()  # literal expressions bring their own promtool cases
    panel: str = ""  # dashboard panel the alert's dashboard_url opens
    command: str = ""  # what a human runs first when no remediation policy covers the alert
    origin: str = ""  # the expression as the source runbook writes it, shown on the alert's page

    def __post_init__(self) -> None:
        def fail(name: str, message: str) -> SpecError:
            return SpecError(message, owner=f"Alert {self.name!r}", field=name)

        object.__setattr__(self, "labels", frozen_map(self.labels))
        object.__setattr__(self, "priority", Priority(self.priority))
        if not _NAME.match(self.name):
            raise fail("name", "use CamelCase letters and digits")
        if not _ANCHOR.match(self.section):
            raise fail("section", "must be a lower-case anchor like data-freshness-issues")
        if not self.summary or not self.description:
            raise fail("summary", "summary and description are both required")
        if self.for_ < 0:
            raise fail("for_", "must be >= 0 seconds")
        if isinstance(self.expr, str) and not self.cases:
            raise fail("cases", "a literal expression needs promtool cases (one fires, one not)")
        if self.cases and not (
            any(c.fires for c in self.cases) and any(not c.fires for c in self.cases)
        ):
            raise fail("cases", "need at least one case that fires and one that stays silent")
        if {"severity", "priority"} & set(self.labels):
            raise fail("labels", "severity and priority come from `priority`")
        if isinstance(self.expr, BurnRate) and {"slo", "burn_tier"} & set(self.labels):
            raise fail("labels", "slo and burn_tier come from the burn rate")

    @property
    def page(self) -> str:
        """The hand-written content file, relative to the runbooks folder."""
        return self.content or f"alerts/{self.name}.md"

    @property
    def severity(self) -> str:
        return self.priority.severity
