"""Every lineage event a run emits is valid OpenLineage 2-0-2, facets included, checked against
the specification's own JSON schemas (tests/support/schemas/openlineage-2-0-2)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from pipeline.errors import TaskFailed
from pipeline.observability.lineage import LineageObserver, client_for
from pipeline.runner import run_pipeline
from sre.storage import LocalStore

from ..conftest import DropWriter, nutrition_rows
from .test_lineage import lake_events

SCHEMAS = Path(__file__).resolve().parents[2] / "support" / "schemas" / "openlineage-2-0-2"


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


SPEC = _load(SCHEMAS / "OpenLineage.json")
FACETS = {p.name: _load(p) for p in sorted((SCHEMAS / "facets").glob("*.json"))}
REGISTRY: Registry = Registry().with_resources(
    (doc["$id"], Resource.from_contents(doc)) for doc in (SPEC, *FACETS.values())
)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=REGISTRY)


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, facet key, facet) for every facet of the event."""
    yield from (("run", k, v) for k, v in event["run"].get("facets", {}).items())
    yield from (("job", k, v) for k, v in event["job"].get("facets", {}).items())
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for dataset in event.get(side, []):
            for group in ("facets", extra):
                where = f"{side}[{dataset['name']}].{group}"
                yield from ((where, k, v) for k, v in dataset.get(group, {}).items())


def problems(event: dict[str, Any]) -> list[str]:
    """Schema errors of one event and of each facet against its own schema (by `_schemaURL`)."""
    run_event = {"$ref": f"{SPEC['$id']}#/$defs/RunEvent"}
    found = [f"event: {e.message}" for e in _validator(run_event).iter_errors(event)]
    for where, key, facet in _facets(event):
        name = facet.get("_schemaURL", "").split("#")[0].rsplit("/", 1)[-1]
        if name not in FACETS:
            found.append(f"{where}.{key}: no schema {facet.get('_schemaURL')!r}")
            continue
        for error in _validator(FACETS[name]).iter_errors({key: facet}):
            found.append(f"{where}.{key}: {error.message}")
    return found


def test_a_good_runs_events_and_facets_are_valid_openlineage(
    store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    client = client_for(store, {}, lake)
    assert client is not None
    run_pipeline(store, observers=[LineageObserver(client)])
    events = lake_events(lake)
    assert len(events) == 14
    facet_keys = {key for event in events for _, key, _ in _facets(event)}
    assert {"parent", "schema", "dataQualityAssertions", "outputStatistics"} <= facet_keys
    assert [p for event in events for p in problems(event)] == []


def test_a_failed_runs_events_are_valid_openlineage(
    store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11", raw={"weight_log": b"\x00\x01binary"})
    client = client_for(store, {}, lake)
    assert client is not None
    with pytest.raises(TaskFailed):
        run_pipeline(store, observers=[LineageObserver(client)])
    events = lake_events(lake)
    assert "errorMessage" in events[-2]["run"]["facets"]
    assert [p for event in events for p in problems(event)] == []


def test_the_check_catches_a_broken_facet() -> None:
    event = {
        "eventTime": "2026-12-02T00:00:00Z",
        "producer": "https://example.org/p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "eventType": "COMPLETE",
        "run": {"runId": "01890000-0000-7000-8000-000000000000", "facets": {}},
        "job": {"namespace": "n", "name": "j"},
        "outputs": [
            {
                "namespace": "file",
                "name": "/lake/silver/t",
                "facets": {
                    "schema": {
                        "_producer": "https://example.org/p",
                        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/"
                        "SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": [{"type": "string"}],
                    }
                },
            }
        ],
    }
    found = problems(event)
    assert any("schema" in p and "'name' is a required property" in p for p in found), found
