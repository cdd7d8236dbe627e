"""Environments overlay a spec: thresholds, time scale, URLs, datasource, webhook.

`prod` keeps the runbook's values. `demo` shrinks time (hours become seconds) so the whole
incident loop runs live in under a minute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import urlsplit

from sre.errors import SpecError
from sre.spec.receiver import Receiver
from sre.spec.remediation import RemediationPolicy

__all__ = ["RUNBOOK_PAGE", "Environment"]

RUNBOOK_PAGE = "runbook.md"  # the single-file runbook's page in each service's site folder


@dataclass(frozen=True, slots=True)
class Environment:
    """Values that differ between deployments.

    `runbook_base_url` stands for the repository root (prod: the GitHub blob URL the runbook's
    alerts point to, `.../ops/<service>.runbook.md#section`) or for the served site root
    (`site_style=True`: `<service>/runbook/#section`). `site_url` is where the tree's one
    runbook site is served; each service's pages are under `<service>/`.
    `time_scale` multiplies every `for`, rate window and burn-rate window.
    `slo_overrides` replaces SLO fields: `{"silver-freshness": {"objective": 20, "unit": 1}}`.
    `remediation`, when given, replaces the service's policies in this environment (e.g. the
    demo acts `auto` where prod asks a human to approve). `receivers`, when given, likewise
    replaces the service's Alertmanager receivers. `alertmanager_standalone` also writes a
    complete Alertmanager config (the fragment merged into a minimal base), for a stack that
    runs this one service alone. `kubernetes_labels` go on the generated PrometheusRule and
    ServiceMonitor (e.g. the label your Prometheus' `ruleSelector` selects on).
    """

    name: str
    runbook_base_url: str
    site_url: str
    grafana_url: str
    webhook_url: str
    webhook_credentials_file: str
    site_style: bool = False
    time_scale: float = 1.0
    slo_overrides: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    prometheus_datasource: str = "Prometheus"
    loki_datasource: str = "Loki"
    remediation: tuple[RemediationPolicy, ...] | None = None
    receivers: tuple[Receiver, ...] | None = None
    alertmanager_standalone: bool = False
    kubernetes_labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = f"Environment {self.name!r}"
        object.__setattr__(
            self,
            "slo_overrides",
            MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.slo_overrides.items()}),
        )
        object.__setattr__(
            self, "kubernetes_labels", MappingProxyType(dict(self.kubernetes_labels))
        )
        for name in ("runbook_base_url", "site_url", "grafana_url", "webhook_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SpecError(f"not an http(s) URL: {url!r}", owner=owner, field=name)
        for name in ("runbook_base_url", "site_url"):
            if not getattr(self, name).endswith("/"):
                raise SpecError("must end with /", owner=owner, field=name)
        if not 0 < self.time_scale <= 1:
            raise SpecError("must be in (0, 1]", owner=owner, field="time_scale")

    def scaled(self, seconds: int) -> int:
        """A duration in this environment (at least one second unless it was zero)."""
        return 0 if seconds == 0 else max(1, round(seconds * self.time_scale))

    def runbook_url(self, page: str, file: str, anchor: str) -> str:
        """Where an alert's `runbook_url` points: a section of the service's single-file
        runbook, as the site serves it (`page`, e.g. `orders-etl/runbook.md`, with
        `site_style`) or as the repository holds it (`file`, e.g. `ops/orders-etl.runbook.md`)."""
        path = page.removesuffix(".md") + "/" if self.site_style else file
        return f"{self.runbook_base_url}{path}#{anchor}"

    def site_target(
        self, url: str, files: Mapping[str, str] | None = None
    ) -> tuple[str, str] | None:
        """Map a runbook URL to (built html file under the site dir, anchor); None if the URL
        is not under this environment's runbook base. `files` maps a repository path the URL
        may name (the single-file runbook) to its page in the site."""
        if not url.startswith(self.runbook_base_url):
            return None
        rest = url[len(self.runbook_base_url) :]
        path, _, anchor = rest.partition("#")
        path = (files or {}).get(path, path)
        if path.endswith(".md"):
            path = path.removesuffix(".md") + "/"
        if path.endswith("index/"):
            path = path.removesuffix("index/")
        return f"{path}index.html", anchor

    def page_url(self, page: str, anchor: str = "") -> str:
        """The served site URL of a site page (`potato-pipeline/alerts/PipelineDataStale.md`);
        `site_url` is the root of the tree's one runbook site."""
        stem = page.removesuffix(".md")
        path = "" if stem == "index" else stem.removesuffix("/index") + "/"
        return f"{self.site_url}{path}" + (f"#{anchor}" if anchor else "")
