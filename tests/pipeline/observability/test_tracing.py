"""Traces: a run span with a child per task, exported over OTLP/HTTP only when configured."""

from __future__ import annotations

import pytest

from pipeline.errors import TaskFailed
from pipeline.observability.tracing import TracingObserver, provider_from_env
from pipeline.runner import TASKS, run_pipeline
from sre.storage import LocalStore
from tests.support.otlp import otlp_receiver

from ..conftest import DropWriter


def attrs(span: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for kv in span.attributes:  # type: ignore[attr-defined]
        value = kv.value
        out[kv.key] = getattr(value, value.WhichOneof("value"))
    return out


def test_nothing_is_exported_when_nothing_is_configured() -> None:
    assert provider_from_env({}) is None
    assert (
        provider_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_SDK_DISABLED": "true"})
        is None
    )
    assert (
        provider_from_env(
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x", "OTEL_TRACES_EXPORTER": "none"}
        )
        is None
    )


def test_a_good_run_exports_one_run_span_with_a_child_per_task(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11")
    with otlp_receiver() as (endpoint, received):
        provider = provider_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        assert provider is not None
        record = run_pipeline(store, observers=[TracingObserver(provider)])
        provider.shutdown()
    assert received.paths and set(received.paths) == {"/v1/traces"}
    roots = [s for s in received.spans if s.name == "pipeline.run"]
    assert len(roots) == 1
    root = roots[0]
    assert attrs(root)["pipeline.run_id"] == record.run_id
    children = [s for s in received.spans if s.parent_span_id == root.span_id]
    assert [s.name for s in sorted(children, key=lambda s: s.start_time_unix_nano)] == [
        f"task {t}" for t in TASKS
    ]
    assert all(s.trace_id == root.trace_id for s in children)
    validate = next(s for s in children if s.name == "task validate")
    assert attrs(validate)["pipeline.rows_out"] == 2 + 20 + 20  # roster, weights, entries


def test_a_failed_task_marks_its_span_and_the_run_as_errors(
    store: LocalStore, drop: DropWriter
) -> None:
    drop("2026-10-11", raw={"participants": b""})
    with otlp_receiver() as (endpoint, received):
        provider = provider_from_env(
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{endpoint}/v1/traces"}
        )
        assert provider is not None
        with pytest.raises(TaskFailed):
            run_pipeline(store, observers=[TracingObserver(provider)])
        provider.shutdown()
    by_name = {s.name: s for s in received.spans}
    assert set(by_name) == {"pipeline.run", "task ingest", "task validate"}
    failed = by_name["task validate"]
    assert failed.status.code == failed.status.STATUS_CODE_ERROR
    assert "participants.csv: empty file" in failed.status.message
    assert by_name["pipeline.run"].status.code == failed.status.STATUS_CODE_ERROR
