"""Service level objectives: an indicator (what is measured) and its thresholds.

Three indicator kinds cover a batch pipeline:

- ``freshness``: the age of a unix-timestamp gauge, in ``unit`` seconds (3600: hours);
- ``success_ratio``: good events over all events of a counter with a status label, or of a
  histogram (``le``: the events in the bucket ``le``, over its ``_count``; e.g. requests
  answered within 300 ms);
- ``latency``: a quantile of a histogram over a rate window.

Each SLO renders its SLI query and the condition "past threshold X" as PromQL, so the alert,
the dashboard panel and the runbook page print the very same text. Ratios and quantiles
aggregate by the SLO's `group_by` labels before they divide: `rate(a) / rate(b)` matches series
label for label, so a failure series divided by its own total reads 1 on any single failure.
A freshness condition also fires when its gauge has been absent for longer than the threshold
(a deleted job or a wiped Pushgateway leaves `time() - gauge` empty, which never fires), once
Prometheus has been scraping for that long (`count(up offset T)`), so a restart does not page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from sre.errors import SpecError
from sre.spec.burn import (
    DEFAULT_MIN_EVENTS,
    DEFAULT_MIN_WINDOW,
    BurnTier,
    check_tier,
    default_tiers,
)
from sre.spec.units import Seconds, human_duration, number, percent, prom_duration

__all__ = ["SLO", "Level", "SLIKind"]

_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*\Z")

SLIKind = Literal["freshness", "success_ratio", "latency"]
Level = Literal["objective", "warning", "critical", "budget"]


@dataclass(frozen=True, slots=True)
class SLO:
    """One objective. `objective` is the target: a maximum age in `unit`s (freshness), a minimum
    good fraction (success_ratio) or a maximum quantile in seconds (latency).

    success_ratio only: `window` is the SLO period; `tiers` are its burn-rate tiers (empty: the
    workbook's, scaled to the period, see `sre.spec.burn`); a burn-rate alert fires only when
    its long window saw at least `min_events` events; no tier's short window may be under
    `min_window` seconds. `group_by` are the labels a ratio or quantile keeps. `le`, when set,
    makes `metric` a histogram (its base name, without `_bucket`): good events are those in
    the bucket whose `le` label is exactly this string (`"0.3"`, as the client library writes
    it), all events its `_count`; `status_label`, `good` and `bad` then only name the records.
    """

    name: str
    title: str
    kind: SLIKind
    metric: str
    objective: float
    description: str = ""
    warning: float | None = None
    critical: float | None = None
    window: Seconds = 0  # success_ratio: compliance window; latency: rate window (seconds)
    unit: Seconds = 1  # freshness: seconds in one threshold unit (3600: thresholds are hours)
    quantile: float = 0.95
    status_label: str = "status"
    good: str = "success"
    bad: str = "failure"
    group_by: tuple[str, ...] = ("job",)
    tiers: tuple[BurnTier, ...] = ()
    min_events: int = DEFAULT_MIN_EVENTS
    min_window: Seconds = DEFAULT_MIN_WINDOW
    le: str = ""

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
        object.__setattr__(self, "group_by", tuple(self.group_by))
        object.__setattr__(self, "tiers", tuple(self.tiers))
        bad_labels = [g for g in self.group_by if not _LABEL.match(g)]
        if bad_labels or "le" in self.group_by or len(set(self.group_by)) < len(self.group_by):
            raise fail("group_by", f"label names, each once, never `le`: {list(self.group_by)}")
        if self.min_events < 0:
            raise fail("min_events", "must be >= 0")
        if self.min_window <= 0:
            raise fail("min_window", "must be a positive number of seconds")
        if self.le:
            if self.kind != "success_ratio":
                raise fail("le", "a histogram bucket threshold needs a success_ratio SLO")
            try:
                bound = float(self.le)
            except ValueError:
                raise fail("le", f'{self.le!r} is not a bucket bound (e.g. "0.3")') from None
            if not 0 < bound < float("inf"):
                raise fail("le", f"{self.le!r}: a positive, finite bucket bound")
        if self.tiers and self.kind != "success_ratio":
            raise fail("tiers", "burn-rate tiers need a success_ratio SLO")
        names = [t.name for t in self.tiers]
        if len(set(names)) < len(names):
            raise fail("tiers", f"duplicate tier names {names}")
        for tier in self.tiers:
            self.tier(tier.name)

    # --- burn-rate tiers ----------------------------------------------------------------------

    @property
    def burn_tiers(self) -> tuple[BurnTier, ...]:
        """The declared tiers, else the workbook's scaled to this SLO's period."""
        return self.tiers or default_tiers(self.window)

    def tier(self, name: str) -> BurnTier:
        """The tier called `name`, checked against this SLO's period and budget."""
        owner = f"SLO {self.name!r}"
        if self.kind != "success_ratio":
            raise SpecError("burn-rate tiers need a success_ratio SLO", owner=owner, field="kind")
        for tier in self.burn_tiers:
            if tier.name == name:
                problem = check_tier(
                    tier,
                    period=self.window,
                    budget=self.threshold("budget"),
                    min_window=self.min_window,
                )
                if problem:
                    raise SpecError(f"tier {name!r}: {problem}", owner=owner, field="tiers")
                return tier
        known = ", ".join(t.name for t in self.burn_tiers)
        raise SpecError(f"unknown tier {name!r} (known: {known})", owner=owner, field="tiers")

    # --- PromQL -------------------------------------------------------------------------------

    def sum_by(self, inner: str, *extra: str) -> str:
        """`sum by (job) (inner)`: aggregated to the SLO's labels (plus `extra`, e.g. `le`)."""
        labels = ", ".join((*self.group_by, *extra))
        return f"sum by ({labels}) ({inner})" if labels else f"sum({inner})"

    def selector(self, status: str | None = None, suffix: str = "") -> str:
        """`metric{status="failure"}`, or the bare metric."""
        name = self.metric + suffix
        return f'{name}{{{self.status_label}="{status}"}}' if status else name

    def query(self, window: int | None = None) -> str:
        """The SLI, aggregated before it divides."""
        if self.kind == "freshness":
            age = f"time() - {self.metric}"
            return f"({age}) / {self.unit}" if self.unit != 1 else age
        win = prom_duration(window or self.window)
        if self.kind == "success_ratio":
            return self.ratio("good", window or self.window)
        rate = f"rate({self.selector(suffix='_bucket')}[{win}])"
        return f"histogram_quantile({number(self.quantile)}, {self.sum_by(rate, 'le')})"

    def events(self, which: Literal["good", "bad", "total"], window: int) -> str:
        """success_ratio only: the rate of good, bad or all events over `window`, summed."""
        win = prom_duration(window)
        if self.le:
            good = self.sum_by(f'rate({self.metric}_bucket{{le="{self.le}"}}[{win}])')
            total = self.sum_by(f"rate({self.metric}_count[{win}])")
            return {"good": good, "total": total, "bad": f"({total} - {good})"}[which]
        status = {"good": self.good, "bad": self.bad, "total": None}[which]
        return self.sum_by(f"rate({self.selector(status)}[{win}])")

    @property
    def series(self) -> tuple[str, ...]:
        """The series names the SLI reads."""
        if self.kind == "latency":
            return (f"{self.metric}_bucket",)
        return (f"{self.metric}_bucket", f"{self.metric}_count") if self.le else (self.metric,)

    def ratio(self, which: Literal["good", "bad"], window: int) -> str:
        """success_ratio only: the share of good (or bad) events over `window`."""
        return f"{self.events(which, window)} / {self.events('total', window)}"

    def failure_ratio(self, window: int) -> str:
        """success_ratio only: the bad fraction over `window`."""
        return self.ratio("bad", window)

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
        if self.kind == "freshness":
            # Absent for the whole threshold, and Prometheus itself was scraping something
            # that long ago: a Prometheus that has just started knows nothing yet.
            limit = prom_duration(round(self.threshold(level) * self.unit))
            absent = f"absent_over_time({self.metric}[{limit}]) and on () count(up offset {limit})"
            return f"{self.query()} > {value} or ({absent})"
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
