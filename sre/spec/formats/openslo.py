"""OpenSLO v1 (`apiVersion: openslo/v1`): a multi-document file of one `Service` and its `SLO`s
is a complete spec: SLOs, one burn-rate alert per default tier, a dashboard, runbook sections
from the descriptions.

Supported subset (anything else is refused naming the field):

- `Service`: `metadata.name`, `metadata.displayName`, `spec.description`;
- `SLO`: `metadata.name`, `metadata.displayName`, `spec.description`, `spec.service`,
  `spec.budgetingMethod: Occurrences`, `spec.timeWindow: [{duration, isRolling: true}]`,
  `spec.objectives: [{target}]` (one objective; `target` a ratio or `targetPercent`), and an
  inline `spec.indicator` with `ratioMetric` (`counter: true`, `good` or `bad`, and `total`, each
  a Prometheus `metricSource` whose query is a counter selector: `metric{label="value"}` over
  `metric`, or a histogram's bucket `metric_bucket{le="0.3"}` (good) over `metric_count`,
  optionally inside `sum(rate(...[{{.window}}]))`: Sloth's placeholder is allowed and ignored).

Refused, each naming its field: `thresholdMetric` (a threshold on one query has no events to
burn a budget: write a ratio, as above), `indicatorRef` and separate `SLI` documents,
`Timeslices` and calendar windows, several objectives, `op`/`value`/`timeSliceTarget` on an
objective, `metricSourceRef`, any other key.

Every alert of one SLO shares the hand-written page `runbooks/slos/<SLO name>.md` (sections
Meaning, Impact, Mitigation). The status label's other value is the SLO type's default
(`failure` for a `good` query, `success` for a `bad` one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sre.errors import SpecError, SpecFileError
from sre.spec.alert import Alert, BurnRate, Priority
from sre.spec.dashboard import Dashboard, Panel
from sre.spec.environment import Environment
from sre.spec.formats.convert import Problems, shown
from sre.spec.formats.defaults import DEFAULT_PRIORITIES
from sre.spec.formats.yaml_spec import merge_environments
from sre.spec.runbook import Section, slugify
from sre.spec.service import Service
from sre.spec.slo import SLO
from sre.spec.units import parse_duration

__all__ = ["API_VERSION", "load_openslo"]

API_VERSION = "openslo/v1"
_SELECTOR = re.compile(
    r"^\s*(?:(?:sum|rate|increase)\s*\(\s*)*([a-zA-Z_:][a-zA-Z0-9_:]*)"
    r'(?:\{\s*(?:([a-zA-Z_]\w*)\s*=\s*"([^"]*)")?\s*\})?'
    r"(?:\[(?:\{\{\s*\.window\s*\}\}|[0-9]+[smhdw])\])?\s*\)*\s*$"
)
_ALLOWED = {
    "Service": {"apiVersion", "kind", "metadata", "spec"},
    "Service.metadata": {"name", "displayName"},
    "Service.spec": {"description"},
    "SLO": {"apiVersion", "kind", "metadata", "spec"},
    "SLO.metadata": {"name", "displayName"},
    "SLO.spec": {
        "description",
        "service",
        "indicator",
        "timeWindow",
        "budgetingMethod",
        "objectives",
    },
    "timeWindow": {"duration", "isRolling"},
    "objective": {"target", "targetPercent"},
    "indicator": {"metadata", "spec"},
    "indicator.spec": {"ratioMetric"},
    "ratioMetric": {"counter", "good", "bad", "total"},
    "part": {"metricSource"},
    "metricSource": {"type", "spec"},
    "metricSource.spec": {"query"},
}
_THRESHOLD = (
    "is not supported: a threshold on one query (a p99, a gauge) has no good and total events "
    "to burn an error budget; write a ratioMetric, for latency over the histogram: good "
    '`metric_bucket{le="0.3"}`, total `metric_count`'
)


def _refuse(doc: Any, where: str, allowed: str, problems: Problems) -> None:
    for key in doc if isinstance(doc, Mapping) else ():
        if key not in _ALLOWED[allowed]:
            message = (
                _THRESHOLD
                if key == "thresholdMetric"
                else "is not in the supported OpenSLO subset (docs/spec.md)"
            )
            problems.add(f"{where}.{key}", message)


def _query(source: Any, path: str, problems: Problems) -> tuple[str, str, str] | None:
    ms = source.get("metricSource") if isinstance(source, Mapping) else None
    spec = ms.get("spec") if isinstance(ms, Mapping) else None
    _refuse(source, path, "part", problems)
    _refuse(ms, f"{path}.metricSource", "metricSource", problems)
    _refuse(spec, f"{path}.metricSource.spec", "metricSource.spec", problems)
    if not isinstance(ms, Mapping) or ms.get("type", "Prometheus") != "Prometheus":
        problems.add(f"{path}.metricSource", "needs a Prometheus metricSource")
        return None
    query = spec.get("query") if isinstance(spec, Mapping) else None
    match = _SELECTOR.match(query) if isinstance(query, str) else None
    if match is None:
        problems.add(
            f"{path}.metricSource.spec.query",
            f'{shown(query)} is not a counter selector metric{{label="value"}}',
        )
        return None
    return match.group(1), match.group(2) or "", match.group(3) or ""


def _slo(doc: Mapping[str, Any], path: str, problems: Problems) -> SLO | None:
    meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
    _refuse(doc, path, "SLO", problems)
    _refuse(meta, f"{path}.metadata", "SLO.metadata", problems)
    _refuse(spec, f"{path}.spec", "SLO.spec", problems)
    if spec.get("budgetingMethod", "Occurrences") != "Occurrences":
        problems.add(f"{path}.spec.budgetingMethod", "only Occurrences is supported")
    windows = spec.get("timeWindow") or [{"duration": "28d", "isRolling": True}]
    for i, entry in enumerate(windows if isinstance(windows, list) else []):
        _refuse(entry, f"{path}.spec.timeWindow[{i}]", "timeWindow", problems)
    window = 0
    if not isinstance(windows, list) or len(windows) != 1 or not windows[0].get("isRolling"):
        problems.add(f"{path}.spec.timeWindow", "one rolling window is supported")
    else:
        try:
            window = int(parse_duration(str(windows[0].get("duration"))))
        except ValueError:
            problems.add(
                f"{path}.spec.timeWindow[0].duration",
                f"{shown(windows[0].get('duration'))} is not a duration",
            )
    objectives = spec.get("objectives") or []
    target: Any = None
    if len(objectives) != 1:
        problems.add(f"{path}.spec.objectives", "exactly one objective is supported")
    else:
        _refuse(objectives[0], f"{path}.spec.objectives[0]", "objective", problems)
        target = objectives[0].get("target")
        if target is None and "targetPercent" in objectives[0]:
            target = objectives[0]["targetPercent"] / 100
    indicator = spec.get("indicator") or {}
    ipath = f"{path}.spec.indicator.spec"
    _refuse(indicator, f"{path}.spec.indicator", "indicator", problems)
    _refuse(indicator.get("spec"), ipath, "indicator.spec", problems)
    ratio = (indicator.get("spec") or {}).get("ratioMetric")
    if not isinstance(ratio, Mapping):
        if "thresholdMetric" not in (indicator.get("spec") or {}):
            problems.add(ipath, "an inline indicator with ratioMetric is required")
        return None
    _refuse(ratio, f"{ipath}.ratioMetric", "ratioMetric", problems)
    if ratio.get("counter") is not True:
        problems.add(f"{ipath}.ratioMetric.counter", "must be true")
    if "good" in ratio and "bad" in ratio:
        problems.add(f"{ipath}.ratioMetric", "give good or bad, not both")
    part = "good" if "good" in ratio else "bad"
    sel = _query(ratio.get(part), f"{ipath}.ratioMetric.{part}", problems)
    total = _query(ratio.get("total"), f"{ipath}.ratioMetric.total", problems)
    if sel is None or total is None or window == 0:
        return None
    histogram = _histogram(sel, total)
    if sel[1] == "le" and (histogram is None or part != "good"):
        problems.add(
            f"{ipath}.ratioMetric",
            f'a histogram ratio is good `{sel[0]}{{le="..."}}` over total '
            f"`{sel[0].removesuffix('_bucket')}_count`",
        )
        return None
    if histogram is None and (sel[0] != total[0] or not sel[1] or total[1]):
        problems.add(f"{ipath}.ratioMetric", "good/bad must be total's counter with one label")
        return None
    good, bad = (sel[2], "failure") if part == "good" else ("success", sel[2])
    metric, status, le = sel[0], sel[1], ""
    if histogram is not None:
        # The names only show in the recording rules: `..._slow:rate5m`.
        metric, status, le, good, bad = histogram, "le", sel[2], "fast", "slow"
    try:
        return SLO(
            name=str(meta.get("name")),
            title=str(meta.get("displayName") or meta.get("name")),
            kind="success_ratio",
            metric=metric,
            objective=float(target),
            description=str(spec.get("description") or ""),
            window=window,
            status_label=status,
            good=good,
            bad=bad,
            le=le,
        )
    except (SpecError, TypeError, ValueError) as exc:
        problems.add(path, str(exc))
        return None


def _histogram(sel: tuple[str, str, str], total: tuple[str, str, str]) -> str | None:
    """The histogram's base name when `sel` is its bucket `le` and `total` its `_count`."""
    base = sel[0].removesuffix("_bucket")
    if sel[1] == "le" and sel[0].endswith("_bucket") and total == (f"{base}_count", "", ""):
        return base
    return None


def _camel(name: str) -> str:
    return "".join(w.capitalize() for w in re.split(r"[^a-zA-Z0-9]+", name) if w)


def _alerts(slo: SLO) -> list[Alert]:
    words = {
        "page-fast": "BurnFast",
        "page-slow": "BurnSlow",
        "ticket-fast": "BudgetFast",
        "ticket-slow": "BudgetSlow",
    }
    out = []
    for tier in slo.burn_tiers:
        if slo.tier(tier.name) and tier.name in words:
            out.append(
                Alert(
                    name=f"{_camel(slo.name)}{words[tier.name]}",
                    priority=Priority.P0 if tier.severity == "page" else Priority.P2,
                    summary=f"{slo.title}: {tier.describe()}",
                    description=slo.description or f"{slo.title} is burning its error budget.",
                    section=slugify(slo.title),
                    expr=BurnRate(slo.name, tier.name),
                    content=f"slos/{slo.name}.md",
                    command=f"sre check  # then follow the {slo.title} runbook section",
                )
            )
    return out


def load_openslo(
    docs: Sequence[Any], source: str, environments: Sequence[Environment] = ()
) -> Service:
    """The Service an OpenSLO v1 file describes; SpecFileError lists every problem."""
    problems = Problems(source)
    services = [
        (i, d) for i, d in enumerate(docs) if isinstance(d, dict) and d.get("kind") == "Service"
    ]
    slos: list[SLO] = []
    for i, doc in enumerate(docs):
        kind = doc.get("kind") if isinstance(doc, dict) else None
        if kind == "SLO":
            slo = _slo(doc, f"[{i}]", problems)
            if slo is not None:
                slos.append(slo)
        elif kind != "Service":
            problems.add(f"[{i}].kind", f"{shown(kind)} is not supported (Service, SLO)")
    if len(services) != 1:
        problems.add("", f"needs exactly one Service document, found {len(services)}")
    problems.check()
    index, doc = services[0]
    _refuse(doc, f"[{index}]", "Service", problems)
    _refuse(doc.get("metadata") or {}, f"[{index}].metadata", "Service.metadata", problems)
    _refuse(doc.get("spec") or {}, f"[{index}].spec", "Service.spec", problems)
    problems.check()
    name = str(doc["metadata"]["name"])
    try:
        return Service(
            name=name,
            title=str(doc["metadata"].get("displayName") or name),
            job=name,
            # OpenSLO has no routing labels: the service's own name routes its alerts.
            labels={"service": name},
            metrics=tuple(sorted({n for s in slos for n in s.series})),
            slos=tuple(slos),
            alerts=tuple(a for s in slos for a in _alerts(s)),
            sections=tuple(Section(s.title, s.description or s.title) for s in slos),
            procedures=(),
            dashboards=(
                Dashboard(
                    "overview",
                    str(doc["metadata"].get("displayName") or name),
                    str((doc.get("spec") or {}).get("description") or name),
                    tuple(
                        Panel(
                            s.title,
                            "timeseries",
                            s.description or s.title,
                            slo=s.name,
                            section=slugify(s.title),
                        )
                        for s in slos
                    ),
                ),
            ),
            priorities=DEFAULT_PRIORITIES,
            escalation=(),
            contacts=(),
            environments=merge_environments((), environments),
        )
    except SpecError as exc:
        raise SpecFileError([f"{source}: {exc}"]) from exc
