"""docs/alerting.md: its tier tables are what `sre` computes, so the page cannot drift."""

from __future__ import annotations

from pathlib import Path

from pipeline.service import SERVICE
from sre.generate.expressions import tier_rows
from sre.spec import SLO
from sre.spec.units import number, percent, prom_duration

DOC = Path(__file__).resolve().parents[3] / "docs" / "alerting.md"


def _table(heading: str) -> list[list[str]]:
    """The rows of the first table after `heading`, cells stripped."""
    rows: list[list[str]] = []
    for line in DOC.read_text().split(heading, 1)[1].splitlines():
        if line.startswith("| `"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            break
    assert rows, f"no table under {heading!r}"
    return rows


def test_the_thirty_day_table_is_the_default_tiers_of_a_999_slo() -> None:
    slo = SLO("api", "API", "success_ratio", "req_total", objective=0.999, window=30 * 86400)
    computed = [
        [
            f"`{t.name}`",
            percent(t.budget_fraction),
            f"`{'1d' if t.long == 86400 else prom_duration(t.long)}`",
            f"`{prom_duration(t.short)}`",
            number(t.factor(slo.window)),
            percent(round(t.factor(slo.window) * 0.001, 9)),
            t.severity,
        ]
        for t in slo.burn_tiers
    ]
    assert _table("### A 30-day 99.9 % SLO") == computed


def test_the_potato_table_is_the_pipelines_generated_tiers() -> None:
    service = SERVICE.resolved(SERVICE.environment("prod"))
    rows = tier_rows(service, service.slo("task-success"))
    computed = [
        [
            f"`{r['tier']}`",
            r["alert"],
            r["fraction"],
            f"`{r['long']}`",
            f"`{r['short']}`",
            r["factor"],
            r["error_ratio"],
            r["severity"],
        ]
        for r in rows
    ]
    assert _table("### The potato pipeline's success SLO") == computed
