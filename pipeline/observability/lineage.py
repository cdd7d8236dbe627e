"""OpenLineage events: START, then COMPLETE or FAIL, for the run and for each of its tasks.

Each task is its own job (`potato_pipeline.<task>`) with its own runId and a parent-run facet
pointing at the pipeline run. Inputs are the bronze objects, outputs the silver tables, with
schema, data-quality assertions (the contract rules) and output statistics. Dataset names follow
the OpenLineage naming spec: namespace `file` with absolute paths for a local lake,
`s3://<bucket>` with object keys for S3.

Configuration: openlineage.yml or the standard OPENLINEAGE_* variables (OPENLINEAGE_URL,
OPENLINEAGE_CONFIG, OPENLINEAGE__TRANSPORT__*); OPENLINEAGE_DISABLED=true turns it off.
Without any of them, events are written as JSON objects under `_lineage/` in the lake, so
lineage exists offline.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset as dq,
)
from openlineage.client.facet_v2 import (
    error_message_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
)
from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Transport

from pipeline.contracts.bronze import CONTRACTS
from pipeline.lake import LINEAGE
from pipeline.ledger import RunRecord, TaskReport
from pipeline.runner import Observer
from pipeline.tasks.ingest import Ingested
from pipeline.tasks.publish import Published
from pipeline.tasks.validate import Validated
from sre.errors import SreError
from sre.storage import ObjectStore

NAMESPACE = "potato-pipeline"
JOB = "potato_pipeline"


def _producer() -> str:
    """The project's repository (pyproject's [project.urls]) at this release's version."""
    try:
        meta = metadata.metadata("potato-sre")
        version = meta["Version"]
        urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
        repository = urls.get("Repository", "")
    except metadata.PackageNotFoundError:
        version, repository = "0", ""
    base = repository or "https://github.com/example/potato-weight-nutrition"
    return f"{base}/tree/v{version}/pipeline"


PRODUCER = _producer()
log = logging.getLogger("pipeline.lineage")


class StoreTransport(Transport):
    """Writes each event as one JSON object: `_lineage/<date>/<time>-<seq>-<runId>-<state>.json`."""

    kind = "potato-lake"

    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.sequence = 0

    def emit(self, event: Any) -> None:
        # Events share milliseconds; the sequence keeps the key order the emit order.
        self.sequence += 1
        stamp = event.eventTime.replace(":", "").replace("-", "")
        name = f"{stamp}-{self.sequence:06d}-{event.run.runId}-{event.eventType.value}.json"
        key = f"{LINEAGE}/{event.eventTime[:10]}/{name}"
        self.store.write_bytes(key, Serde.to_json(event).encode())


def configured(env: Mapping[str, str], cwd: Path) -> bool:
    """True when the user configured a transport the standard way."""
    keys = ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG")
    return (
        any(env.get(k) for k in keys)
        or any(k.startswith("OPENLINEAGE__TRANSPORT") for k in env)
        or (cwd / "openlineage.yml").is_file()
    )


def client_for(store: ObjectStore, env: Mapping[str, str], cwd: Path) -> OpenLineageClient | None:
    if env.get("OPENLINEAGE_DISABLED", "").lower() == "true":
        return None
    if configured(env, cwd):
        return OpenLineageClient()  # reads openlineage.yml / OPENLINEAGE_* itself
    return OpenLineageClient(transport=StoreTransport(store))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Datasets:
    """OpenLineage dataset names for objects of one lake."""

    def __init__(self, store: ObjectStore) -> None:
        url = store.url
        if url.startswith("s3://"):
            bucket, _, prefix = url.removeprefix("s3://").partition("/")
            self.namespace, self.root = f"s3://{bucket}", prefix.strip("/")
        else:
            self.namespace, self.root = "file", url.rstrip("/")

    def name(self, key: str) -> str:
        return f"{self.root}/{key}" if self.root else key


class LineageObserver(Observer):
    def __init__(self, client: OpenLineageClient) -> None:
        self.client = client
        self.run_id = ""
        self.task_runs: dict[str, str] = {}
        self.datasets: Datasets | None = None
        self.bronze: list[InputDataset] = []

    def _emit(self, event: RunEvent) -> None:
        try:
            self.client.emit(event)
        except (SreError, OSError, ValueError) as exc:  # lineage must never fail the data work
            log.warning("lineage event not delivered: %s", exc)

    def run_started(self, run_id: str, store: ObjectStore) -> None:
        self.run_id, self.task_runs, self.datasets, self.bronze = run_id, {}, Datasets(store), []
        self._emit(
            RunEvent(
                eventType=RunState.START,
                eventTime=_now(),
                producer=PRODUCER,
                run=Run(runId=run_id),
                job=Job(namespace=NAMESPACE, name=JOB),
            )
        )

    def task_started(self, run_id: str, task: str) -> None:
        self.task_runs[task] = str(uuid.uuid4())
        self._emit(self._event(task, RunState.START, [], []))

    def task_finished(self, run_id: str, report: TaskReport, result: object = None) -> None:
        inputs, outputs = self._datasets(report.name, result)
        state = RunState.COMPLETE if report.status == "success" else RunState.FAIL
        self._emit(self._event(report.name, state, inputs, outputs, error=report.error))

    def run_finished(self, record: RunRecord) -> None:
        state = RunState.FAIL if record.status == "failure" else RunState.COMPLETE
        facets: dict[str, Any] = {}
        if record.error:
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=record.error, programmingLanguage="python"
            )
        self._emit(
            RunEvent(
                eventType=state,
                eventTime=_now(),
                producer=PRODUCER,
                run=Run(runId=self.run_id, facets=facets),
                job=Job(namespace=NAMESPACE, name=JOB),
            )
        )

    def _event(
        self,
        task: str,
        state: RunState,
        inputs: list[InputDataset],
        outputs: list[OutputDataset],
        error: str | None = None,
    ) -> RunEvent:
        facets: dict[str, Any] = {
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=self.run_id),
                job=parent_run.Job(namespace=NAMESPACE, name=JOB),
            )
        }
        if error:
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=error, programmingLanguage="python"
            )
        return RunEvent(
            eventType=state,
            eventTime=_now(),
            producer=PRODUCER,
            run=Run(runId=self.task_runs[task], facets=facets),
            job=Job(namespace=NAMESPACE, name=f"{JOB}.{task}"),
            inputs=inputs,
            outputs=outputs,
        )

    def _datasets(
        self, task: str, result: object
    ) -> tuple[list[InputDataset], list[OutputDataset]]:
        assert self.datasets is not None
        names = self.datasets
        if isinstance(result, Ingested):
            self.bronze = [
                InputDataset(namespace=names.namespace, name=names.name(f.key))
                for f in result.files
            ]
            return self.bronze, []
        if isinstance(result, Validated):
            return [self._checked(names, r) for r in result.results], []
        if isinstance(result, Published):
            return [], [self._table(names, t, e) for t, e in sorted(result.silver.tables.items())]
        return [], []

    @staticmethod
    def _checked(names: Datasets, result: Any) -> InputDataset:
        rules = CONTRACTS[result.file.kind].rule_names
        assertions = [
            dq.Assertion(
                assertion=rule,
                success=result.rejected.get(rule, 0) == 0,
                actual=str(result.rejected.get(rule, 0)),
            )
            for rule in rules
        ]
        return InputDataset(
            namespace=names.namespace,
            name=names.name(result.file.key),
            inputFacets={
                "dataQualityAssertions": dq.DataQualityAssertionsDatasetFacet(assertions=assertions)
            },
        )

    @staticmethod
    def _table(names: Datasets, table: str, entry: Any) -> OutputDataset:
        fields = [schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in entry.schema]
        stats = output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=entry.rows, size=entry.bytes, fileCount=len(entry.files)
        )
        return OutputDataset(
            namespace=names.namespace,
            name=names.name(f"silver/{table}"),
            facets={"schema": schema_dataset.SchemaDatasetFacet(fields=fields)},
            outputFacets={"outputStatistics": stats},
        )
