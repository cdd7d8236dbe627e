"""Dashboards as data: panels with their queries, unit, description and runbook link."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sre.errors import SpecError

__all__ = ["Dashboard", "Panel", "PanelKind"]

PanelKind = Literal["timeseries", "stat", "logs"]
_SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel. `slo` draws the SLO's SLI as the first query and its thresholds as steps;
    `queries` are PromQL (LogQL for `logs` panels); `section` links the runbook section."""

    title: str
    kind: PanelKind
    description: str
    queries: tuple[str, ...] = ()
    legends: tuple[str, ...] = ()
    unit: str = ""
    slo: str = ""
    section: str = ""
    width: int = 12
    height: int = 8

    def __post_init__(self) -> None:
        def fail(field: str, message: str) -> SpecError:
            return SpecError(message, owner=f"Panel {self.title!r}", field=field)

        if self.kind not in ("timeseries", "stat", "logs"):
            raise fail("kind", f"unknown panel kind {self.kind!r}")
        if not self.description:
            raise fail("description", "every panel says what it shows")
        if not self.queries and not self.slo:
            raise fail("queries", "a panel needs a query or an SLO")
        if not self.unit and not self.slo:
            raise fail("unit", "every panel has a unit (or takes its SLO's)")
        if self.legends and len(self.legends) != len(self.queries):
            raise fail("legends", "one legend per query")
        if not 1 <= self.width <= 24 or self.height < 1:
            raise fail("width", "width in 1..24, height >= 1")


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A dashboard; its uid is `<service>-<slug>` and must stay within Grafana's 40 characters."""

    slug: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    tags: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _SLUG.match(self.slug):
            raise SpecError("use lower-case words and dashes", owner="Dashboard", field="slug")
        titles = [p.title for p in self.panels]
        if not titles or len(set(titles)) != len(titles):
            raise SpecError(
                "panels need unique titles", owner=f"Dashboard {self.slug}", field="panels"
            )
