"""The runbook's SLI queries give the right answers on a real Prometheus fed by a Pushgateway."""

from __future__ import annotations

import json
import math
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.errors import TaskFailed
from pipeline.observability import conventions as c
from pipeline.observability.metrics import MetricsExporter
from pipeline.runner import run_pipeline
from sre.storage import LocalStore
from tests.support.components import require
from tests.support.prometheus import Prometheus, binaries, running_stack

from ..conftest import DropWriter, nutrition_rows

FRESHNESS = f"(time() - {c.LAST_SUCCESS}) / 3600"
# The runbook divides per series, which pairs each success series only with itself; summing
# first gives the ratio the runbook means. Both are evaluated below.
SUCCESS_RATIO_RUNBOOK = (
    f'rate({c.TASKS_TOTAL}{{status="success"}}[24h]) / rate({c.TASKS_TOTAL}[24h])'
)
SUCCESS_RATIO = (
    f'sum(rate({c.TASKS_TOTAL}{{status="success"}}[24h])) / sum(rate({c.TASKS_TOTAL}[24h]))'
)
P95 = f"histogram_quantile(0.95, rate({c.TASK_DURATION}_bucket[5m]))"


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Prometheus, str]]:
    found = binaries("prometheus", "prometheus-pushgateway")
    require("Prometheus", all(found.values()), f"missing {found} (make setup installs them)")
    with running_stack(found["prometheus"] or "", found["prometheus-pushgateway"] or "") as s:
        yield s


def scraped(prom: Prometheus, expr: str, value: float) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if value in prom.values(expr).values():
            return
        time.sleep(0.2)
    raise AssertionError(f"{expr} never reached {value}: {prom.values(expr)}")


@pytest.mark.integration
def test_the_runbook_slis_match_one_good_and_one_failed_run(
    stack: tuple[Prometheus, str], store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    prom, gateway = stack
    exporter = MetricsExporter(pushgateway=gateway)
    # Counters start at zero on the gateway so rate() sees the first run's increments too.
    exporter.publish_initial(store)
    scraped(prom, f'{c.TASKS_TOTAL}{{task="ingest",status="success"}}', 0)

    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])  # one duplicate
    good = run_pipeline(store, observers=[exporter])
    scraped(prom, f'{c.RUNS_TOTAL}{{status="success"}}', 1)
    drop("2026-10-21", raw={"nutrition": b""})
    with pytest.raises(TaskFailed):
        run_pipeline(store, observers=[exporter])
    scraped(prom, f'{c.RUNS_TOTAL}{{status="failure"}}', 1)

    with urllib.request.urlopen(f"{gateway}/metrics", timeout=5) as response:
        pushed = {
            (
                sample.name,
                tuple(sorted((k, v) for k, v in sample.labels.items() if v)),
            ): sample.value
            for family in text_string_to_metric_families(response.read().decode())
            for sample in family.samples
        }
    job = ("job", "potato-pipeline")
    # The runbook's names, exactly as written there.
    assert ("potato_pipeline_last_successful_run_timestamp", (job,)) in pushed
    assert (
        pushed[("potato_pipeline_tasks_total", (job, ("status", "failure"), ("task", "validate")))]
        == 1
    )
    assert (
        pushed[
            (
                "potato_pipeline_task_duration_seconds_bucket",
                (job, ("le", "600"), ("task", "ingest")),
            )
        ]
        == 2
    )
    assert ("potato_pipeline_rows_processed_total", (job, ("task", "publish"))) in pushed
    rule = ("rule", "nutrition.duplicate_row")
    assert pushed[("potato_pipeline_rows_rejected_total", (job, rule, ("task", "validate")))] == 1

    freshness = prom.values(FRESHNESS)
    assert len(freshness) == 1
    hours = next(iter(freshness.values()))
    assert 0 < hours < 60 / 3600  # the failed run did not move the last success
    finished = good.metrics["last_success"]
    assert prom.values(c.LAST_SUCCESS) == {
        next(iter(prom.values(c.LAST_SUCCESS))): pytest.approx(finished)
    }

    # Good run: 6 tasks succeeded. Failed run: ingest succeeded, validate failed. 7 of 8.
    ratio = prom.values(SUCCESS_RATIO)
    assert list(ratio.values()) == [pytest.approx(7 / 8, rel=0.02)]
    per_series = prom.values(SUCCESS_RATIO_RUNBOOK)
    assert set(per_series.values()) == {1.0}  # the literal runbook query: 1 for every series

    p95 = prom.values(P95)
    durations = {t.name: t.duration_seconds for t in good.tasks}
    for labels, value in p95.items():
        task = dict(part.split("=") for part in labels.split(","))["task"]
        assert math.isfinite(value) and value > 0
        upper = next(b for b in c.DURATION_BUCKETS if b >= durations[task])
        assert value <= upper, f"{task}: p95 {value} beyond the bucket of {durations[task]} s"
    assert {dict(p.split("=") for p in k.split(","))["task"] for k in p95} >= {"ingest", "validate"}


@pytest.mark.integration
def test_status_reads_the_slis_from_prometheus_when_given_one(
    stack: tuple[Prometheus, str], store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    from click.testing import CliRunner

    from pipeline.cli import main

    prom, gateway = stack
    drop("2026-10-11")
    run_pipeline(store, observers=[MetricsExporter(pushgateway=gateway)])
    # A new lake starts its totals afresh: its push replaces the group (failure back to 0).
    scraped(prom, f'{c.RUNS_TOTAL}{{status="failure"}}', 0)
    result = CliRunner().invoke(
        main, ["status", "--lake", str(lake), "--json", "--prometheus", prom.url]
    )
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)["slis"]
    assert found["source"] == "prometheus"
    assert 0 <= found["freshness_hours"] < 0.05
    assert 0 < found["success_ratio"] <= 1
