"""Service level objectives: an indicator (what is measured) and its thresholds.

Three indicator kinds cover a batch pipeline:

- ``freshness``: the age of a unix-timestamp gauge, in ``unit`` seconds (3600: hours);
- ``success_ratio``: good events over all events of a counter with a status label;
- ``latency``: a quantile of a histogram over a rate window.

Each SLO renders its SLI query and the condition "past threshold X" as PromQL, so the alert,
the dashboard panel and the runbook page print the very same text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sre.errors import SpecError
from sre.spec.units import human_duration, number, percent, prom_duration

__all__ = ["SLO", "Level", "SLIKind"]

SLIKind = Literal["freshness", "success_ratio", "latency"]
Level = Literal["objective", "warning", "critical", "budget"]


@dataclass(frozen=True, slots=True)
class SLO:
    """One objective. `objective` is the target: a maximum age in `unit`s (freshness), a minimum
    good fraction (success_ratio) or a maximum quantile in seconds (latency)."""

    name: str
    title: str
    kind: SLIKind
    metric: str
    objective: float
    description: str = ""
    warning: float | None = None
    critical: float | None = None
    window: int = 0  # success_ratio: compliance window; latency: rate window (seconds)
    unit: int = 1  # freshness: seconds in one threshold unit (3600: thresholds are hours)
    quantile: float = 0.95
    status_label: str = "status"
    good: str = "success"
    bad: str = "failure"

    def __post_init__(self) -> None:
        def fail(field: str, message: str) -> SpecError:
            return SpecError(message, owner=f"SLO {self.name!r}", field=field)

        if not self.name or not self.name.replace("-", "").isalnum():
            raise fail("name", "use letters, digits and dashes")
        if self.kind not in ("freshness", "success_ratio", "latency"):
            raise fail("kind", f"unknown SLI kind {self.kind!r}")
        if not self.metric:
            raise fail("metric", "name the metric the SLI reads")
        if self.kind == "success_ratio" and not 0 < self.objective < 1:
            raise fail("objective", "a success ratio objective must be in (0, 1)")
        if self.kind != "success_ratio" and self.objective <= 0:
            raise fail("objective", "must be positive")
        if self.kind in ("success_ratio", "latency") and self.window <= 0:
            raise fail("window", f"a {self.kind} SLO needs a window in seconds")
        if self.unit <= 0:
            raise fail("unit", "must be a positive number of seconds")
        if not 0 < self.quantile < 1:
            raise fail("quantile", "must be in (0, 1)")

    # --- PromQL -------------------------------------------------------------------------------

    def query(self, window: int | None = None) -> str:
        """The SLI as the runbook writes it."""
        if self.kind == "freshness":
            age = f"time() - {self.metric}"
            return f"({age}) / {self.unit}" if self.unit != 1 else age
        win = prom_duration(window or self.window)
        if self.kind == "success_ratio":
            good = f'{self.metric}{{{self.status_label}="{self.good}"}}'
            return f"rate({good}[{win}]) / rate({self.metric}[{win}])"
        return f"histogram_quantile({number(self.quantile)}, rate({self.metric}_bucket[{win}]))"

    def failure_ratio(self, window: int) -> str:
        """success_ratio only: the bad fraction over `window`, in the runbook's form."""
        bad = f'{self.metric}{{{self.status_label}="{self.bad}"}}'
        win = prom_duration(window)
        return f"rate({bad}[{win}]) / rate({self.metric}[{win}])"

    def threshold(self, level: Level) -> float:
        """The value at `level`; `budget` is the error budget (1 - objective)."""
        if level == "budget":
            return round(1 - self.objective, 12)
        value = {"objective": self.objective, "warning": self.warning, "critical": self.critical}[
            level
        ]
        if value is None:
            raise SpecError(f"no {level} threshold", owner=f"SLO {self.name!r}", field=level)
        return value

    def condition(self, level: Level, window: int = 0) -> str:
        """PromQL true while the SLI is past `level` (`window` for success_ratio alerts)."""
        value = number(self.threshold(level))
        if self.kind == "success_ratio":
            if level == "budget":
                return f"{self.failure_ratio(window or self.window)} > {value}"
            return f"{self.query(window or None)} < {value}"
        return f"{self.query()} > {value}"

    # --- prose --------------------------------------------------------------------------------

    def describe(self, level: Level) -> str:
        """A threshold for people: `2 hours`, `5%`, `10 minutes`."""
        value = self.threshold(level)
        if self.kind == "freshness":
            return human_duration(value * self.unit)
        if self.kind == "success_ratio":
            return percent(value)
        return human_duration(value)

    @property
    def display_unit(self) -> str:
        """The Grafana unit of the SLI query."""
        if self.kind == "freshness":
            return {3600: "h", 60: "m", 1: "s"}.get(self.unit, "none")
        return "percentunit" if self.kind == "success_ratio" else "s"
