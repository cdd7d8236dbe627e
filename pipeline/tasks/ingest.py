"""Ingest: find the bronze partitions no committed run has seen and stage them locally."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipeline.context import RunContext
from pipeline.errors import BronzeFileError
from pipeline.lake import BRONZE, FILE_KINDS, Partition
from sre.storage import ObjectStore


@dataclass(frozen=True, slots=True)
class BronzeFile:
    partition: Partition
    kind: str
    key: str
    path: Path
    size: int


@dataclass(frozen=True, slots=True)
class Ingested:
    partitions: tuple[Partition, ...]
    files: tuple[BronzeFile, ...]

    @property
    def bytes(self) -> int:
        return sum(f.size for f in self.files)


def new_partitions(
    all_partitions: Iterable[Partition], processed: Iterable[str]
) -> list[Partition]:
    """Partitions not yet in any committed snapshot, oldest first."""
    done = set(processed)
    return sorted(p for p in set(all_partitions) if p.name not in done)


def list_partitions(store: ObjectStore) -> dict[Partition, dict[str, int]]:
    """Every bronze partition with the sizes of the files it holds."""
    found: dict[Partition, dict[str, int]] = {}
    for info in store.list(f"{BRONZE}/"):
        parts = info.key.split("/")
        if len(parts) != 3:
            continue
        partition = Partition.parse(parts[1])
        if partition is not None:
            found.setdefault(partition, {})[parts[2]] = info.size
    return found


def run(ctx: RunContext) -> Ingested:
    """Stage the bronze partitions no committed run holds yet; a run completing one that
    crashed between table commits stages exactly the partitions that run recorded."""
    pending = ctx.previous.pending_run() if ctx.previous is not None else None
    if ctx.completing and pending is not None:
        return collect(ctx.store, ctx.before.partitions, ctx.work, only=set(pending.partitions))
    return collect(ctx.store, ctx.before.partitions, ctx.work)


def collect(
    store: ObjectStore,
    processed: Iterable[str],
    work: Path,
    *,
    only: set[str] | None = None,
) -> Ingested:
    """Stage every partition not in `processed` (`potato-pipeline validate --all`: none),
    limited to `only` when given."""
    listing = list_partitions(store)
    todo = [p for p in new_partitions(listing, processed) if only is None or p.name in only]
    files: list[BronzeFile] = []
    for partition in todo:
        present = listing[partition]
        for kind in FILE_KINDS:
            key = partition.key(kind)
            if f"{kind}.csv" not in present:
                raise BronzeFileError(key, "missing from the drop (every drop has all three files)")
            files.append(
                BronzeFile(partition, kind, key, _stage(store, key, work), present[f"{kind}.csv"])
            )
    return Ingested(partitions=tuple(todo), files=tuple(files))


def _stage(store: ObjectStore, key: str, work: Path) -> Path:
    """A local path the engine can scan: the file itself on a local lake, a download on S3."""
    local = store.local_path(key)
    if local is not None:
        return local
    dest = work / "bronze" / key
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.download(key, dest)
    return dest
