"""The whole pipeline on an S3 lake: a real SeaweedFS server (delta-rs speaks S3 itself, so
moto's in-process mock cannot stand in for it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from pipeline import integrity, silver
from pipeline.runner import run_pipeline
from scripts.seaweedfs import S3Server
from sre.storage import ObjectStore, open_store
from sre.storage.delta import location

from .conftest import nutrition_rows, weight_rows, write_drop

CLI = str(Path(sys.executable).parent / "potato-pipeline")


def upload_drops(local_lake: Path, store: ObjectStore) -> None:
    for path in sorted((local_lake / "bronze").rglob("*.csv")):
        store.upload(path, path.relative_to(local_lake).as_posix())


def two_drops(tmp_path: Path) -> Path:
    local = tmp_path / "source"
    write_drop(local, "2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1))
    write_drop(local, "2026-10-21", weight_log=weight_rows(11), nutrition=nutrition_rows(11))
    return local


def assert_committed_and_idempotent(store: ObjectStore) -> None:
    first = run_pipeline(store)
    assert first.status == "success"
    assert first.partitions == ("ingest_date=2026-10-11", "ingest_date=2026-10-21")
    state = silver.read(store)
    assert state is not None
    assert state.tables["nutrition_entries"].rows == 40
    loc = location(store, "silver/nutrition_entries")
    assert pl.read_delta(loc.uri, storage_options=dict(loc.options)).height == 40
    assert integrity.check(store).ok
    assert store.exists("reports/food_keywords.csv")
    assert run_pipeline(store).status == "noop"


@pytest.mark.integration
def test_the_pipeline_runs_on_a_real_s3_server(tmp_path: Path, seaweedfs: S3Server) -> None:
    seaweedfs.create_bucket("pipeline-lake")
    store = open_store("s3://pipeline-lake/trial", env=seaweedfs.env())
    upload_drops(two_drops(tmp_path), store)
    assert_committed_and_idempotent(store)


@pytest.mark.integration
def test_the_cli_runs_against_a_real_s3_server_and_reports_status(
    tmp_path: Path, seaweedfs: S3Server
) -> None:
    seaweedfs.create_bucket("cli-lake")
    store = open_store("s3://cli-lake", env=seaweedfs.env())
    upload_drops(two_drops(tmp_path), store)
    env = {**os.environ, **seaweedfs.env()}
    done = subprocess.run(
        [CLI, "run", "--lake", "s3://cli-lake", "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "success"
    status = subprocess.run(
        [CLI, "status", "--lake", "s3://cli-lake", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    doc = json.loads(status.stdout)
    assert doc["silver"]["nutrition_entries"]["rows"] == 40
    assert all(f.startswith("silver/") for f in doc["silver"]["weight_daily"]["files"])


@pytest.mark.integration
def test_a_missing_bucket_is_one_clear_line_and_exit_3(seaweedfs: S3Server) -> None:
    env = {**os.environ, **seaweedfs.env()}
    done = subprocess.run(
        [CLI, "run", "--lake", "s3://no-such-bucket/x"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 3
    assert "no-such-bucket" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
