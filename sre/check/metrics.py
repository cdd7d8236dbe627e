"""The spec's declared metrics against reality: a scrape of `/metrics` or an exposition file
(Prometheus text format, parsed by prometheus_client). Lists each declared metric that is
missing, has another type, or carries labels other than the declared ones.

`compare` is pure (declared metrics and exposition texts in, problems out); reading a URL or
a file is `read_exposition`'s, at the edge.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from sre.check.problem import Problem
from sre.spec.metric import Metric

__all__ = ["CHECK", "Exposed", "compare", "exposed", "read_exposition"]

CHECK = "metrics"
# Labels a scrape adds or a metric type implies, never declared by the service.
_IMPLIED = {"job", "instance", "le", "quantile", "exported_job", "exported_instance"}


@dataclass(slots=True)
class Exposed:
    kind: str
    labels: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


def exposed(texts: Mapping[str, str]) -> tuple[dict[str, Exposed], list[Problem]]:
    """Metric name (as a counter is declared, with `_total`) -> what the sources expose."""
    found: dict[str, Exposed] = {}
    problems = []
    for source, text in texts.items():
        try:
            families = list(text_string_to_metric_families(text))
        except ValueError as exc:
            problems.append(Problem(CHECK, source, f"not Prometheus text format: {exc}"))
            continue
        for family in families:
            # The parser names a counter family without `_total`; the samples keep it.
            name = f"{family.name}_total" if family.type == "counter" else family.name
            entry = found.setdefault(name, Exposed(family.type))
            entry.sources.add(source)
            for sample in family.samples:
                entry.labels |= set(sample.labels) - _IMPLIED
    return found, problems


def compare(declared: Iterable[Metric], texts: Mapping[str, str]) -> list[Problem]:
    """One problem per declared metric that the sources do not expose as declared."""
    found, problems = exposed(texts)
    where = ", ".join(texts) or "no source"
    for metric in declared:
        seen = found.get(metric.name)
        if seen is None and metric.kind == "counter":
            seen = found.get(metric.name.removesuffix("_total"))
        if seen is None:
            problems.append(Problem(CHECK, metric.name, f"declared {metric.kind}, not in {where}"))
            continue
        if seen.kind not in (metric.kind, "unknown", "untyped"):
            problems.append(Problem(CHECK, metric.name,
                                    f"declared {metric.kind}, exposed as {seen.kind}"))  # fmt: skip
        # No samples yet (a labelled metric before its first observation) says nothing.
        if seen.labels and seen.labels != set(metric.labels):
            missing = sorted(set(metric.labels) - seen.labels)
            extra = sorted(seen.labels - set(metric.labels))
            parts = [f"missing labels {missing}" if missing else "",
                     f"undeclared labels {extra}" if extra else ""]  # fmt: skip
            problems.append(Problem(CHECK, metric.name, "; ".join(p for p in parts if p)))
    return problems


def read_exposition(source: str, *, timeout: float = 10) -> str:
    """The text of a `/metrics` URL or of an exposition file; OSError when unreadable."""
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"Accept": "text/plain;version=0.0.4"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return str(response.read().decode("utf-8", "replace"))
    return Path(source).read_text(encoding="utf-8")
