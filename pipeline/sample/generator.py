"""Write a seeded, deterministic, deliberately dirty sample of bronze drops to disk.

Everything above this module only turns a spec into bytes; this is the one place that touches
the filesystem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType

from pipeline.sample.bulk import bulk_files
from pipeline.sample.columns import KINDS
from pipeline.sample.daily import daily_files
from pipeline.sample.dirt import DIRT_KINDS
from pipeline.sample.spec import SampleSpec, SampleSummary

__all__ = ["SampleSpec", "SampleSummary", "write_sample"]


def write_sample(
    spec: SampleSpec, out: Path, on_progress: Callable[[int], None] | None = None
) -> SampleSummary:
    """Write `out/bronze/ingest_date=YYYY-MM-DD/{participants,weight_log,nutrition}.csv`.

    Normal mode writes one drop per trial day; with `spec.size_mb` set, one drop of about that
    size, streamed chunk by chunk. `on_progress` receives the bytes written so far after each
    chunk. Existing files of the same name are overwritten; others are left alone.
    """
    files = bulk_files(spec) if spec.size_mb is not None else daily_files(spec)
    rows = dict.fromkeys(KINDS, 0)
    dirt = dict.fromkeys(DIRT_KINDS, 0)
    partitions: list[str] = []
    written = count = 0
    for file in files:
        path = out / file.key
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as sink:
            for chunk in file.chunks:
                sink.write(chunk.data)
                written += len(chunk.data)
                rows[file.kind] += chunk.rows
                for kind, hits in chunk.dirt.items():
                    dirt[kind] += hits
                if on_progress is not None:
                    on_progress(written)
        for kind in file.dirt:
            dirt[kind] += 1
        if file.partition not in partitions:
            partitions.append(file.partition)
        count += 1
    return SampleSummary(
        partitions=tuple(partitions),
        files=count,
        rows=MappingProxyType(rows),
        bytes=written,
        dirt=MappingProxyType(dirt),
    )
