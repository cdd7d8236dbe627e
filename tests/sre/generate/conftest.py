from __future__ import annotations

import shutil

import pytest

from tests.support.components import require


@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    require("promtool", path is not None, "install the Debian package prometheus (make setup)")
    assert path is not None
    return path
