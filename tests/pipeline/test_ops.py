"""Operator commands: `verify` catches a damaged silver file and exports it; `backup` validates."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline import silver
from pipeline.cli import main
from pipeline.runner import run_pipeline
from sre.remediation.backups import read_backup
from sre.storage import LocalStore

from .conftest import DropWriter


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout


def test_verify_passes_on_committed_silver_and_fails_on_a_flipped_byte(
    store: LocalStore, drop: DropWriter, lake: Path
) -> None:
    drop("2026-10-11")
    run_pipeline(store)
    code, out = invoke("verify", "--lake", str(lake), "--json")
    assert code == 0 and json.loads(out)["ok"] is True
    assert (
        "potato_pipeline_silver_integrity_ok 1.0"
        in (lake / "_metrics/potato_pipeline_integrity.prom").read_text()
    )

    state = silver.read(store)
    assert state is not None
    victim = state.tables["weight_daily"].files[0].key
    damaged = lake / victim
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    code, out = invoke("verify", "--lake", str(lake), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["ok"] is False
    assert doc["problems"] == [
        {"key": victim, "reason": "sha256 differs from the one recorded at write time"}
    ]
    # the damaged file is its own prefix: its folder holds healthy files (and the Delta log)
    assert (
        f'potato_pipeline_silver_integrity_ok{{prefix="{victim}"}} 0.0'
        in (lake / "_metrics/potato_pipeline_integrity.prom").read_text()
    )


def test_backup_copies_the_current_versions_and_validates_them(
    store: LocalStore, drop: DropWriter, lake: Path, tmp_path: Path
) -> None:
    drop("2026-10-11")
    run_pipeline(store)
    target = tmp_path / "backups"
    code, out = invoke(
        "backup", "--lake", str(lake), "--to", str(target), "--date", "2026-11-01", "--json"
    )
    doc = json.loads(out)
    state = silver.read(store)
    assert state is not None
    kept = read_backup(LocalStore(target), "2026-11-01")
    assert kept.versions == {silver.table_key(n): v for n, v in state.versions.items()}
    files = sum(len(t.files) for t in state.tables.values())
    assert sum(len(t.files) for t in kept.tables) == files  # the data files, and only those
    assert code == 0 and doc["ok"] is True and doc["objects"] == len(kept.objects())
    assert (target / "silver/2026-11-01/_backup.json").is_file()
    # the versions backed up are pinned: vacuum keeps their files while the backup is kept
    assert (lake / "silver/weight_daily/_pins/backup-2026-11-01.json").is_file()
