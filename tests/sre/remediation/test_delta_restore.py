"""Restore on Delta tables: files quarantine moved aside are put back from a validated backup."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline import integrity, silver
from pipeline.runner import run_pipeline
from sre.errors import RemediationError
from sre.remediation import delta_restore
from sre.remediation.actions import quarantine, restore
from sre.remediation.deps import Stores
from sre.storage import LocalStore
from tests.pipeline.conftest import nutrition_rows, weight_rows, write_drop

CLI = str(Path(sys.executable).parent / "potato-pipeline")
NOW = datetime(2026, 12, 2, tzinfo=UTC)


@pytest.fixture
def stores(tmp_path: Path) -> Stores:
    for name in ("lake", "quarantine", "backup"):
        (tmp_path / name).mkdir()
    lake = LocalStore(tmp_path / "lake")
    write_drop(
        tmp_path / "lake", "2026-10-11", weight_log=weight_rows(1), nutrition=nutrition_rows(1)
    )
    run_pipeline(lake)
    done = subprocess.run(
        [CLI, "backup", "--lake", str(tmp_path / "lake"), "--to", str(tmp_path / "backup"),
         "--date", "2026-10-12"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return Stores(lake, LocalStore(tmp_path / "quarantine"), LocalStore(tmp_path / "backup"))


def damage(stores: Stores) -> str:
    state = silver.read(stores.lake)
    assert state is not None
    victim = state.tables["nutrition_daily"].files[0].key
    path = stores.lake.local_path(victim)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return victim


def test_a_quarantined_file_is_put_back_from_the_backup_and_undo_removes_it(
    stores: Stores,
) -> None:
    victim = damage(stores)
    (prefix,) = integrity.check(stores.lake).damaged_prefixes
    assert prefix == victim
    # Planned when the alert is decided, before quarantine has run: applied now, it refuses
    # (the damaged file is still there) and overwrites nothing.
    early = restore.plan_from(stores, "latest", incident="inc-1")
    assert [s.dst for s in early.steps] == [victim]
    refused = delta_restore.apply(early, stores, incident="inc-1")
    assert not refused.ok and "quarantine it first" in refused.detail
    moved = quarantine.plan(prefix, quarantine.inventory(stores, prefix), incident="inc-1")
    assert quarantine.apply(moved, stores, incident="inc-1", now=NOW).ok

    plan = early  # the plan made before quarantine is the one the engine applies after it
    outcome = delta_restore.apply(plan, stores, incident="inc-1")
    assert outcome.ok and outcome.undo is not None
    assert delta_restore.verify(stores).ok and integrity.check(stores.lake).ok

    undone = delta_restore.undo(outcome.undo, stores)
    assert undone.ok and not stores.lake.exists(victim)


def test_a_missing_file_the_backup_lacks_refuses_the_plan(stores: Stores) -> None:
    victim = damage(stores)
    stores.lake.delete(victim)
    stores.backup.delete(f"silver/2026-10-12/{victim.removeprefix('silver/')}")
    with pytest.raises(RemediationError):
        restore.plan_from(stores, "latest", incident="inc-2")
