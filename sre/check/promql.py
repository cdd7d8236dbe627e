"""Just enough PromQL reading to list the metric names an expression queries."""

from __future__ import annotations

import re

__all__ = ["GRAFANA_VARIABLES", "metric_names", "without_grafana_variables"]

_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan", "atan2",
}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_CLAUSES = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")

# What Grafana substitutes before sending a query, so the text parses as PromQL.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def without_grafana_variables(expr: str) -> str:
    for name, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def metric_names(expr: str) -> set[str]:
    """Metric names selected by `expr` (functions, keywords, labels and durations left out)."""
    text = _STRINGS.sub('""', without_grafana_variables(expr))
    text = _MATCHERS.sub("{}", text)
    text = _RANGES.sub("", text)
    text = _CLAUSES.sub("", text)
    names = set()
    for match in _IDENT.finditer(text):
        name, start, end = match.group(), match.start(), match.end()
        before = text[start - 1] if start else ""
        if before and (before.isdigit() or before in ".$"):
            continue
        if name.lower() in _KEYWORDS or text[end:].lstrip().startswith("("):
            continue
        names.add(name)
    return names
