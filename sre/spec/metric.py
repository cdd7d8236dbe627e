"""A metric the service emits, declared with its type and labels, so `sre check` can compare
the spec with a real scrape and generated tests use only labels that exist."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.errors import SpecError

__all__ = ["KINDS", "Metric"]

KINDS = ("counter", "gauge", "histogram", "summary", "untyped")
_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_RESERVED = {"le", "quantile", "job", "instance"}  # set by the histogram, summary or Prometheus


@dataclass(frozen=True, slots=True)
class Metric:
    """`name` as exposed (counters with `_total`), `kind` as in `# TYPE`, and the labels the
    service puts on it (not `job`/`instance`, which Prometheus adds, nor `le`/`quantile`)."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    help: str = ""

    def __post_init__(self) -> None:
        owner = f"Metric {self.name!r}"
        object.__setattr__(self, "labels", tuple(self.labels))
        if not _NAME.match(self.name):
            raise SpecError("not a Prometheus metric name", owner=owner, field="name")
        if self.kind not in KINDS:
            raise SpecError(f"{self.kind!r} is not one of {', '.join(KINDS)}", owner=owner,
                            field="kind")  # fmt: skip
        bad = [label for label in self.labels if not _LABEL.match(label) or label in _RESERVED]
        if bad or len(set(self.labels)) != len(self.labels):
            raise SpecError(f"invalid or repeated labels {bad or list(self.labels)}",
                            owner=owner, field="labels")  # fmt: skip

    @property
    def series_names(self) -> tuple[str, ...]:
        """The names that appear in PromQL for this metric."""
        if self.kind == "histogram":
            return (f"{self.name}_bucket", f"{self.name}_sum", f"{self.name}_count")
        if self.kind == "summary":
            return (self.name, f"{self.name}_sum", f"{self.name}_count")
        return (self.name,)
