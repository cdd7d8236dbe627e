"""Metrics: exact runbook names, monotonic counters across one-shot runs, safe outlets."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline.errors import TaskFailed
from pipeline.observability import conventions as c
from pipeline.observability.metrics import MetricsExporter
from pipeline.runner import run_pipeline
from sre.storage import LocalStore

from ..conftest import DropWriter, nutrition_rows, weight_rows

TEXTFILE = "_metrics/potato_pipeline.prom"


def samples(store: LocalStore) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = store.read_bytes(TEXTFILE).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def test_the_textfile_carries_the_runbook_metric_names_exactly(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    run_pipeline(store, observers=[MetricsExporter(pushgateway=None)])
    names = {name for name, _ in samples(store)}
    # Spelled out, not taken from conventions: these are the runbook's names.
    assert {
        "potato_pipeline_last_successful_run_timestamp",
        "potato_pipeline_tasks_total",
        "potato_pipeline_task_duration_seconds_bucket",
        "potato_pipeline_rows_processed_total",
        "potato_pipeline_rows_rejected_total",
    } <= names
    buckets = {dict(labels)["le"] for name, labels in samples(store) if name.endswith("_bucket")}
    assert "900.0" in buckets and "+Inf" in buckets  # past the runbook's 600 s warning


def test_counters_stay_monotonic_and_a_failure_never_moves_the_last_success(
    store: LocalStore, drop: DropWriter
) -> None:
    exporter = MetricsExporter(pushgateway=None)
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    run_pipeline(store, observers=[exporter])
    first = samples(store)
    run_pipeline(store, observers=[exporter])  # nothing new: a successful no-op
    second = samples(store)
    drop("2026-10-21", weight_log=weight_rows(11), raw={"nutrition": b"not,a,contract\n1,2,3\n"})
    with pytest.raises(TaskFailed):
        run_pipeline(store, observers=[exporter])
    third = samples(store)

    ingest_ok = [
        value(s, c.TASKS_TOTAL, task="ingest", status="success") for s in (first, second, third)
    ]
    assert ingest_ok == [1, 2, 3]
    assert value(third, c.TASKS_TOTAL, task="validate", status="failure") == 1
    assert value(third, c.ROWS_REJECTED, task="validate", rule="nutrition.duplicate_row") == 1
    assert value(second, c.LAST_SUCCESS) > value(first, c.LAST_SUCCESS)
    assert value(third, c.LAST_SUCCESS) == value(second, c.LAST_SUCCESS)
    assert value(third, c.LAST_RUN_SUCCESS) == 0
    assert value(third, c.RUNS_TOTAL, status="failure") == 1
    for key, before in second.items():
        if key[0].endswith(("_total", "_count", "_bucket", "_sum")):
            assert third.get(key, 0) >= before, key


def test_a_pushgateway_that_is_down_makes_the_run_warn_not_fail(
    store: LocalStore, drop: DropWriter, caplog: pytest.LogCaptureFixture, lake: Path
) -> None:
    drop("2026-10-11")
    with caplog.at_level(logging.WARNING, logger="pipeline.metrics"):
        record = run_pipeline(store, observers=[MetricsExporter(pushgateway="http://127.0.0.1:1")])
    assert record.status == "success"
    assert "Pushgateway http://127.0.0.1:1 unreachable" in caplog.text
