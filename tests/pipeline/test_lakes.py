"""The pipeline and the data actions end to end on both kinds of lake: a local directory and a
real S3 server (SeaweedFS; delta-rs speaks S3 itself, so moto cannot stand in for it).

Runs through the command line, as the schedule and the remediation's rerun do: run, backup,
verify; a damaged silver file is found, quarantined and put back from the backup; the next drop
runs on the restored tables; `potato-pipeline read` prints the rows `polars.read_delta` and
`deltalake.DeltaTable` read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pipeline import integrity, silver
from pipeline.errors import TaskFailed
from pipeline.lake import TABLES
from pipeline.runner import run_pipeline
from sre.remediation.actions import quarantine, restore
from sre.remediation.deps import Stores
from sre.storage import ObjectStore, open_store
from sre.storage.delta import location

from .conftest import crash_between_commits, nutrition_rows, weight_rows, write_drop

CLI = str(Path(sys.executable).parent / "potato-pipeline")
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Lake:
    url: str
    backup: str
    quarantine: str
    env: dict[str, str]

    def store(self, url: str | None = None) -> ObjectStore:
        return open_store(url or self.url, env=self.env, create=True)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLI, *args], env={**os.environ, **self.env}, capture_output=True, text=True
        )


@pytest.fixture(params=["local", pytest.param("seaweedfs", marks=pytest.mark.integration)])
def lake(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Lake]:
    if request.param == "local":
        yield Lake(str(tmp_path / "lake"), str(tmp_path / "backup"), str(tmp_path / "q"), {})
        return
    server = request.getfixturevalue("seaweedfs")
    client, run = server.client(), uuid.uuid4().hex[:8]
    have = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    for name in ("lake", "backup", "quarantine"):  # shared: weed mini's volumes are few
        if f"lakes-{name}" not in have:
            client.create_bucket(Bucket=f"lakes-{name}")
    yield Lake(
        f"s3://lakes-lake/{run}",
        f"s3://lakes-backup/{run}",
        f"s3://lakes-quarantine/{run}",
        server.env(),
    )


def drop(lake: Lake, tmp_path: Path, day: str, start: int) -> None:
    local = tmp_path / f"drop-{day}"
    write_drop(local, day, weight_log=weight_rows(start), nutrition=nutrition_rows(start))
    store = lake.store()
    for path in sorted((local / "bronze").rglob("*.csv")):
        store.upload(path, path.relative_to(local).as_posix())


def run(lake: Lake) -> dict[str, object]:
    done = lake.cli("run", "--lake", lake.url, "--json")
    assert done.returncode == 0, done.stderr
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def test_run_backup_corruption_quarantine_restore_and_the_next_run(
    lake: Lake, tmp_path: Path
) -> None:
    drop(lake, tmp_path, "2026-10-11", 1)
    assert run(lake)["status"] == "success"
    backed = lake.cli("backup", "--lake", lake.url, "--to", lake.backup, "--date", "2026-10-12")
    assert backed.returncode == 0, backed.stderr + backed.stdout
    assert lake.cli("verify", "--lake", lake.url).returncode == 0

    store = lake.store()
    state = silver.read(store)
    assert state is not None
    victim = state.tables["nutrition_daily"].files[0].key
    data = bytearray(store.read_bytes(victim))
    data[len(data) // 2] ^= 0xFF
    store.write_bytes(victim, bytes(data))
    found = lake.cli("verify", "--lake", lake.url, "--json")
    assert found.returncode == 1
    assert [p["key"] for p in json.loads(found.stdout)["problems"]] == [victim]

    stores = Stores(store, lake.store(lake.quarantine), lake.store(lake.backup))
    (prefix,) = integrity.check(store).damaged_prefixes
    plan = restore.plan_from(stores, "latest", incident="inc-1")  # decided before quarantine
    moved = quarantine.plan(prefix, quarantine.inventory(stores, prefix), incident="inc-1")
    assert quarantine.apply(moved, stores, incident="inc-1", now=NOW).ok
    assert restore.apply(plan, stores, incident="inc-1").ok
    assert lake.cli("verify", "--lake", lake.url).returncode == 0

    drop(lake, tmp_path, "2026-10-21", 11)
    again = run(lake)
    assert again["status"] == "success" and again["partitions"] == ["ingest_date=2026-10-21"]
    assert lake.cli("verify", "--lake", lake.url).returncode == 0
    assert run(lake)["status"] == "noop"


def test_every_table_reads_the_same_with_polars_deltalake_and_potato_pipeline_read(
    lake: Lake, tmp_path: Path
) -> None:
    drop(lake, tmp_path, "2026-10-11", 1)
    run(lake)
    drop(lake, tmp_path, "2026-10-21", 11)
    run(lake)
    store = lake.store()
    for table in TABLES:
        loc = location(store, silver.table_key(table))
        options = dict(loc.options) or None
        by_polars = pl.read_delta(loc.uri, storage_options=options)
        by_deltalake = pl.from_arrow(
            DeltaTable(loc.uri, storage_options=options).to_pyarrow_table()
        )
        printed = lake.cli(
            "read",
            table,
            "--lake",
            lake.url,
            "--format",
            "parquet",
            "-o",
            str(tmp_path / f"{table}.parquet"),
        )
        assert printed.returncode == 0, printed.stderr
        by_cli = pl.read_parquet(tmp_path / f"{table}.parquet")
        columns = sorted(by_polars.columns)
        assert isinstance(by_deltalake, pl.DataFrame)
        for other in (by_deltalake, by_cli):
            assert (
                other.select(columns).sort(columns).equals(by_polars.select(columns).sort(columns))
            )
        assert by_polars.height > 0


@pytest.mark.parametrize("after", [1, len(TABLES) - 1])
def test_a_crash_between_table_commits_is_completed_by_the_next_run(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    drop(lake, tmp_path, "2026-10-11", 1)
    run(lake)
    store = lake.store()
    first = silver.read(store)
    assert first is not None
    drop(lake, tmp_path, "2026-10-21", 11)
    crash_between_commits(monkeypatch, after)
    with pytest.raises(TaskFailed):
        run_pipeline(store)
    state = silver.read(store)
    assert state is not None and state.pending == 2
    # each table at its previous version or at the run's, never partial
    for name, table in state.tables.items():
        assert table.version in (first.versions[name], first.versions[name] + 1)

    completion = run_pipeline(store)
    state = silver.read(store)
    assert completion.status == "success" and completion.partitions == ("ingest_date=2026-10-21",)
    assert state is not None and state.pending is None and state.sequence == 2
    assert state.tables["nutrition_entries"].rows == 2 * first.tables["nutrition_entries"].rows
    assert integrity.check(store).ok
