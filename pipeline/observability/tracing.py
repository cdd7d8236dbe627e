"""OpenTelemetry spans: one per run, one per task, configured only by the standard OTEL_* variables.

Nothing is exported unless an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
turn it off. The exporter speaks OTLP over HTTP (protobuf).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from pipeline.ledger import RunRecord, TaskReport
from pipeline.runner import Observer
from sre.storage import ObjectStore

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider


def provider_from_env(env: Mapping[str, str]) -> TracerProvider | None:
    """A tracer provider exporting OTLP/HTTP, or None when tracing is not configured."""
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if env.get("OTEL_TRACES_EXPORTER", "otlp").lower() in ("none", ""):
        return None
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not endpoint and env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    if not endpoint:
        return None
    headers = dict(
        pair.split("=", 1)
        for pair in env.get("OTEL_EXPORTER_OTLP_HEADERS", "").split(",")
        if "=" in pair
    )
    # The SDK and exporter load only when tracing is on: most runs never export a span.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "potato-pipeline")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, headers=headers))
    )
    return provider


class TracingObserver(Observer):
    """A `pipeline.run` span with a child span per task; failures mark the span as errors."""

    def __init__(self, provider: TracerProvider) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("potato-pipeline")
        self.run_span: Span | None = None
        self.task_spans: dict[str, Span] = {}

    def run_started(self, run_id: str, store: ObjectStore) -> None:
        self.run_span = self.tracer.start_span(
            "pipeline.run", attributes={"pipeline.run_id": run_id, "pipeline.lake": store.url}
        )
        self.task_spans = {}

    def task_started(self, run_id: str, task: str) -> None:
        parent = trace.set_span_in_context(self.run_span) if self.run_span else None
        self.task_spans[task] = self.tracer.start_span(
            f"task {task}",
            context=parent,
            attributes={"pipeline.run_id": run_id, "pipeline.task": task},
        )

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        span = self.task_spans.pop(report.name, None)
        if span is None:
            return
        span.set_attributes(
            {
                "pipeline.rows_in": report.rows_in,
                "pipeline.rows_out": report.rows_out,
                "pipeline.bytes": report.bytes,
                "pipeline.status": report.status,
            }
        )
        if report.error:
            span.set_status(Status(StatusCode.ERROR, report.error))
            span.set_attribute("error.message", report.error)
        span.end()

    def run_finished(self, record: RunRecord) -> None:
        for span in self.task_spans.values():  # a task interrupted by a crash
            span.set_status(Status(StatusCode.ERROR, "interrupted"))
            span.end()
        if self.run_span is not None:
            self.run_span.set_attributes(
                {
                    "pipeline.status": record.status,
                    "pipeline.partitions": len(record.partitions),
                    "pipeline.bytes_read": record.bytes_read,
                    "pipeline.rows_rejected": sum(record.rejected.values()),
                    "pipeline.snapshot": record.snapshot or "",
                }
            )
            if record.status == "failure":
                self.run_span.set_status(Status(StatusCode.ERROR, record.error or "failed"))
            self.run_span.end()
        self.provider.force_flush()
