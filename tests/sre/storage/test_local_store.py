"""The local store's files honour the umask, like any file a program writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sre.storage import LocalStore


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_written_uploaded_and_copied_objects_take_the_umask_mode(
    umask: None, tmp_path: Path, mask: int, mode: int
) -> None:
    os.umask(mask)
    store = LocalStore(tmp_path / "lake", create=True)
    source = tmp_path / "source.bin"
    source.write_bytes(b"rows")
    store.write_bytes("_metrics/potato_pipeline.prom", b"up 1\n")
    store.upload(source, "silver/t/part-0.parquet")
    store.copy("silver/t/part-0.parquet", "backup/part-0.parquet", metadata={"from": "silver"})
    for key in (
        "_metrics/potato_pipeline.prom",
        "silver/t/part-0.parquet",
        "backup/part-0.parquet",
    ):
        assert _mode(store.root / key) == mode, key
