"""The lake the incident drills play on: sample bronze drops staged beside it and landed one by
one (a drop that lands while nothing runs is what makes stale data matter), silver and a backup.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sre.errors import SreError
from sre.stack import StackSpec

BIN = Path(sys.executable).parent

__all__ = ["BIN", "Places", "land_next_drop", "pipeline", "prepare"]


@dataclass(frozen=True, slots=True)
class Places:
    """The demo's lake and, under `root`, the staged bronze, quarantine, backups and stack."""

    lake: Path
    root: Path

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def backup(self) -> Path:
        return self.root / "backup"

    def stack(self, artefacts: Path, env: str = "demo") -> StackSpec:
        return StackSpec(
            folder=self.root / "stack",
            artefacts=artefacts,
            env=env,
            lake=str(self.lake.resolve()),
            quarantine=str(self.quarantine.resolve()),
            backup=str(self.backup.resolve()),
        )


def pipeline(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`potato-pipeline ARGS` with the stack's settings (Pushgateway, lake) in its environment."""
    full = {k: v for k, v in os.environ.items() if k not in ("PUSHGATEWAY_URL", "POTATO_LAKE")}
    full["OPENLINEAGE_DISABLED"] = "true"
    return subprocess.run(
        [str(BIN / "potato-pipeline"), *args],
        env={**full, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def prepare(places: Places, *, days: int = 21, landed: int = 14) -> str:
    """A fresh lake: `days` sample drops staged in incoming/, the first `landed` of them in the
    lake, one pipeline run, then a validated backup of silver. Returns the backup's summary."""
    for folder in (places.lake, places.incoming, places.quarantine, places.backup):
        shutil.rmtree(folder, ignore_errors=True)
    done = pipeline("sample-data", "--out", str(places.incoming), "--days", str(days))
    if done.returncode != 0:
        raise SreError(f"sample-data failed: {done.stderr.strip()}")
    (places.lake / "bronze").mkdir(parents=True)
    for _ in range(landed):
        land_next_drop(places)
    for args in (
        ("run", "--lake", str(places.lake)),
        ("backup", "--lake", str(places.lake), "--to", str(places.backup)),
    ):
        done = pipeline(*args)
        if done.returncode != 0:
            raise SreError(f"potato-pipeline {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def land_next_drop(places: Places) -> str:
    """Move the oldest staged bronze partition into the lake, as a new daily drop."""
    staged = sorted((places.incoming / "bronze").iterdir())
    if not staged:
        raise SreError(f"no staged drops left in {places.incoming}")
    shutil.move(str(staged[0]), str(places.lake / "bronze" / staged[0].name))
    return staged[0].name
