"""Lineage: START then COMPLETE or FAIL per task, parented to the run, with datasets and facets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipeline.errors import TaskFailed
from pipeline.observability.lineage import LineageObserver, client_for
from pipeline.runner import TASKS, run_pipeline
from sre.storage import LocalStore

from ..conftest import DropWriter, nutrition_rows


def lake_events(lake: Path) -> list[dict[str, Any]]:
    files = sorted((lake / "_lineage").rglob("*.json"))
    return [json.loads(f.read_text()) for f in files]


def sequence(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["job"]["name"], e["eventType"]) for e in events]


def test_a_good_run_writes_start_and_complete_per_task_into_the_lake_by_default(
    store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11", nutrition=[*nutrition_rows(1), nutrition_rows(1)[0]])
    client = client_for(store, {}, lake)
    assert client is not None
    record = run_pipeline(store, observers=[LineageObserver(client)])
    events = lake_events(lake)
    expected = [("potato_pipeline", "START")]
    for task in TASKS:
        expected += [(f"potato_pipeline.{task}", "START"), (f"potato_pipeline.{task}", "COMPLETE")]
    assert sequence(events) == [*expected, ("potato_pipeline", "COMPLETE")]

    run_ids = {e["run"]["runId"] for e in events if e["job"]["name"] != "potato_pipeline"}
    assert len(run_ids) == len(TASKS)  # a runId per task, shared by its START and COMPLETE
    for event in events[1:-1]:
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == record.run_id
        assert (parent["job"]["namespace"], parent["job"]["name"]) == (
            "potato-pipeline",
            "potato_pipeline",
        )

    by_job = {(e["job"]["name"], e["eventType"]): e for e in events}
    ingest = by_job[("potato_pipeline.ingest", "COMPLETE")]
    assert {d["namespace"] for d in ingest["inputs"]} == {"file"}
    assert f"{lake}/bronze/ingest_date=2026-10-11/nutrition.csv" in {
        d["name"] for d in ingest["inputs"]
    }
    validate = by_job[("potato_pipeline.validate", "COMPLETE")]
    nutrition = next(d for d in validate["inputs"] if d["name"].endswith("nutrition.csv"))
    assertions = {
        a["assertion"]: a["success"]
        for a in nutrition["inputFacets"]["dataQualityAssertions"]["assertions"]
    }
    assert assertions["duplicate_row"] is False and assertions["calories_kcal_in_range"] is True
    publish = by_job[("potato_pipeline.publish", "COMPLETE")]
    entries = next(d for d in publish["outputs"] if d["name"] == f"{lake}/silver/nutrition_entries")
    assert entries["outputFacets"]["outputStatistics"]["rowCount"] == 20
    assert entries["outputFacets"]["outputStatistics"]["fileCount"] == 1
    assert "food_category" in {f["name"] for f in entries["facets"]["schema"]["fields"]}


def test_a_run_that_fails_in_the_middle_emits_fail_for_the_task_and_the_run(
    store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11", raw={"weight_log": b"\x00\x01binary"})
    client = client_for(store, {}, lake)
    assert client is not None
    with pytest.raises(TaskFailed):
        run_pipeline(store, observers=[LineageObserver(client)])
    events = lake_events(lake)
    assert sequence(events) == [
        ("potato_pipeline", "START"),
        ("potato_pipeline.ingest", "START"),
        ("potato_pipeline.ingest", "COMPLETE"),
        ("potato_pipeline.validate", "START"),
        ("potato_pipeline.validate", "FAIL"),
        ("potato_pipeline", "FAIL"),
    ]
    message = events[-2]["run"]["facets"]["errorMessage"]["message"]
    assert "weight_log.csv: binary content" in message


@contextmanager
def marquez_like() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == "/api/v1/lineage"
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(201)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def test_openlineage_url_sends_the_events_to_a_marquez_endpoint_instead(
    store: LocalStore, drop: DropWriter, lake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop("2026-10-11")
    with marquez_like() as (url, received):
        monkeypatch.setenv("OPENLINEAGE_URL", url)
        client = client_for(store, {"OPENLINEAGE_URL": url}, lake)
        assert client is not None
        run_pipeline(store, observers=[LineageObserver(client)])
        client.close(timeout=5)
    assert len(received) == 2 + 2 * len(TASKS)
    assert received[0]["eventType"] == "START" and received[-1]["eventType"] == "COMPLETE"
    assert not (lake / "_lineage").exists()


def test_openlineage_disabled_emits_nothing(store: LocalStore, lake: Path) -> None:
    assert client_for(store, {"OPENLINEAGE_DISABLED": "true"}, lake) is None
